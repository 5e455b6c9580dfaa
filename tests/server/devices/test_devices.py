"""Devices: paired once with a short-lived code, org-scoped like any principal, revoked for good with a wipe."""

from __future__ import annotations

import uuid
from datetime import timedelta

from shared import wire
from shared.qrtoken import SigningKey, TicketClaims, TokenStatus, sign_ticket, verify_ticket
from tests.support.kiosk import SimulatedKiosk, create_device


def pair(client, code: str):
    key = SigningKey.generate()
    return client.post(wire.Path.PAIR, json=wire.encode_pair_request(wire.PairRequest(code, key.public_bytes())))


def test_a_pairing_code_works_once(client, org, doors) -> None:
    code = create_device(client, org.headers, name="Door", role="door_scanner", event_ids=[doors.definition_id])

    first = pair(client, code)
    second = pair(client, code.lower())

    assert first.status_code == 201
    answer = wire.decode_pair_response(first.json())
    assert answer.device_token.startswith("usherdev_")
    assert answer.event_ids == (doors.definition_id,)
    assert (second.status_code, second.json()["code"]) == (404, "pairing_code_invalid")


def test_a_pairing_code_expires(client, org, clock, doors) -> None:
    code = create_device(client, org.headers, name="Door", role="door_scanner", event_ids=[doors.definition_id])
    clock.advance(minutes=16)

    assert pair(client, code).json()["code"] == "pairing_code_invalid"


def test_a_device_cannot_reach_organizer_endpoints_nor_another_orgs_data(client, org, other_org, clock, doors) -> None:
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])
    bearer = {"Authorization": f"Bearer {kiosk.token}"}

    assert client.get("/api/v1/devices", headers=bearer).status_code == 403
    assert (
        client.get(f"/api/v1/occurrences/{doors.occurrence_id}/check-in/attendees", headers=bearer).status_code == 403
    )
    assert client.get(wire.Path.ME, headers=other_org.headers).status_code == 403
    assert client.get("/api/v1/devices", headers=other_org.headers).json() == []


def test_devices_are_listed_and_renamed(client, org, clock, doors) -> None:
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])
    kiosk.pull_all()

    client.patch(f"/api/v1/devices/{kiosk.device_id}", json={"name": "North door"}, headers=org.headers)
    (listed,) = client.get("/api/v1/devices", headers=org.headers).json()

    assert (listed["name"], listed["role"]) == ("North door", "door_scanner")
    assert listed["last_pull_at"] is not None
    assert listed["clock_offset_ms"] == 0
    served = client.get(f"/api/v1/occurrences/{doors.occurrence_id}/devices", headers=org.headers).json()
    assert [d["name"] for d in served] == ["North door"]


def test_a_revoked_device_is_told_to_wipe_on_every_call(client, org, clock, doors) -> None:
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])
    client.post(f"/api/v1/devices/{kiosk.device_id}/revoke", headers=org.headers)
    bearer = {"Authorization": f"Bearer {kiosk.token}"}

    answers = [
        client.get(wire.Path.ME, headers=bearer),
        client.get(wire.Path.PULL, headers=bearer),
        client.post(wire.Path.PUSH, json={"mutations": []}, headers=bearer),
        client.post(wire.Path.REDEEM, json={}, headers=bearer),
    ]

    assert all(wire.is_wipe_instruction(a.status_code, a.json()) for a in answers)
    (listed,) = client.get("/api/v1/devices", headers=org.headers).json()
    assert listed["revoked_at"] is not None
    assert listed["wipe_sent_at"] is not None


def test_tokens_a_device_signs_after_its_revocation_are_not_trusted(client, org, clock, doors) -> None:
    desk = SimulatedKiosk.pair(client, org.headers, clock, role="box_office", event_ids=[doors.definition_id])
    door = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])

    def token_issued_now() -> str:
        now = clock()
        claims = TicketClaims(
            uuid.uuid4(), doors.occurrence_id, doors.ticket_type_id, now, now + timedelta(hours=8), now
        )
        return sign_ticket(claims, key=desk.key)

    before = token_issued_now()
    clock.advance(minutes=1)
    client.post(f"/api/v1/devices/{desk.device_id}/revoke", headers=org.headers)
    clock.advance(minutes=1)
    after = token_issued_now()
    door.pull_all()

    keyring = wire.keyring(door.rows("keys"))
    assert verify_ticket(before, keyring, now=clock()).status is TokenStatus.VALID
    assert verify_ticket(after, keyring, now=clock()).status is TokenStatus.KEY_REVOKED
    assert door.decide_offline(after, [doors.occurrence_id]).reason.value == "revoked"
