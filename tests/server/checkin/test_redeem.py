"""Online redeem: the server decides with shared.checkin and remembers every attempt."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from server.bookings.models import Ticket
from server.checkin.models import CheckIn
from shared.checkin import CheckInStatus, RefusalReason
from shared.enums import TicketStatus
from shared.passages import Direction
from tests.support.doors import sell
from tests.support.kiosk import SimulatedKiosk


def kiosk_for(client, org, clock, doors, **kw) -> SimulatedKiosk:
    return SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id], **kw)


def test_a_valid_token_is_admitted_with_the_holders_details(client, org, clock, doors, db) -> None:
    (ticket,) = sell(client, org, doors, accessibility_needs=["wheelchair"], dietary_restrictions=["vegan"])
    kiosk = kiosk_for(client, org, clock, doors)

    status, answer = kiosk.redeem(ticket["qr_code_data"], [doors.occurrence_id])

    assert status == 200
    assert answer.outcome.status is CheckInStatus.OK
    assert answer.outcome.holder_name == "Guest0 Doe"
    assert answer.outcome.ticket_type_name == "General Admission"
    assert answer.outcome.notes == ("Accessibility: wheelchair", "Dietary: vegan")
    with db() as session:
        stored = session.get_one(Ticket, uuid.UUID(ticket["id"]))
        assert stored.status is TicketStatus.CHECKED_IN
        assert stored.checked_in_at == clock()


def test_the_same_nonce_again_answers_the_stored_outcome_and_changes_nothing(client, org, clock, doors, db) -> None:
    (ticket,) = sell(client, org, doors)
    kiosk = kiosk_for(client, org, clock, doors)

    _, first = kiosk.redeem(ticket["confirmation_code"], [doors.occurrence_id], nonce="nonce-0001")
    clock.advance(minutes=1)
    _, again = kiosk.redeem(ticket["confirmation_code"], [doors.occurrence_id], nonce="nonce-0001")

    assert first.outcome.ok
    assert again.replayed
    assert again.outcome == first.outcome
    assert again.check_in_id == first.check_in_id
    with db() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


def test_a_second_entry_is_refused_with_when_and_where_it_was_admitted(client, org, clock, doors) -> None:
    (ticket,) = sell(client, org, doors)
    kiosk = kiosk_for(client, org, clock, doors, name="North door")
    kiosk.redeem(ticket["qr_code_data"], [doors.occurrence_id])
    admitted_at = clock()
    clock.advance(minutes=3)

    _, second = kiosk.redeem(ticket["qr_code_data"], [doors.occurrence_id])

    assert second.outcome.reason is RefusalReason.ALREADY_CHECKED_IN
    assert second.outcome.previous_entry is not None
    assert (second.outcome.previous_entry.at, second.outcome.previous_entry.gate) == (admitted_at, "North door")


def test_every_attempt_is_logged_refused_ones_too(client, org, clock, doors, db) -> None:
    (ticket,) = sell(client, org, doors)
    client.post("/api/v1/tickets/cancel", json={"ticket_ids": [ticket["id"]]}, headers=org.headers)
    kiosk = kiosk_for(client, org, clock, doors)

    _, forged = kiosk.redeem("K7MXQ2P9RT", [doors.occurrence_id], nonce="scan-at-the-terrace-1")
    _, canceled = kiosk.redeem(ticket["qr_code_data"], [doors.occurrence_id], nonce="scan-at-the-terrace-2")

    assert forged.outcome.reason is RefusalReason.INVALID
    assert canceled.outcome.reason is RefusalReason.CANCELED
    log = client.get(f"/api/v1/occurrences/{doors.occurrence_id}/check-in/log", headers=org.headers).json()
    assert [(e["nonce"], e["gate"], e["status"], e["reason"], e["admitted"]) for e in log] == [
        ("scan-at-the-terrace-2", kiosk.gate, "refused", "canceled", False)
    ]
    with db() as session:
        row = session.scalars(sa.select(CheckIn).where(CheckIn.nonce == "scan-at-the-terrace-1")).one()
        assert (row.status, row.reason, row.admitted, row.device_id, row.event_occurrence_id) == (
            CheckInStatus.REFUSED,
            "invalid",
            False,
            kiosk.device_id,
            None,  # a code that names no ticket names no occurrence either
        )


def test_a_canceled_ticket_is_refused(client, org, clock, doors) -> None:
    (ticket,) = sell(client, org, doors)
    client.post("/api/v1/tickets/cancel", json={"ticket_ids": [ticket["id"]]}, headers=org.headers)
    kiosk = kiosk_for(client, org, clock, doors)

    _, answer = kiosk.redeem(ticket["qr_code_data"], [doors.occurrence_id])

    assert answer.outcome.reason is RefusalReason.CANCELED


def test_a_revoked_ticket_is_refused_until_unrevoked(client, org, clock, doors) -> None:
    (ticket,) = sell(client, org, doors)
    kiosk = kiosk_for(client, org, clock, doors)
    client.post(f"/api/v1/tickets/{ticket['id']}/revoke", headers=org.headers)

    _, blocked = kiosk.redeem(ticket["qr_code_data"], [doors.occurrence_id])
    client.post(f"/api/v1/tickets/{ticket['id']}/unrevoke", headers=org.headers)
    _, admitted = kiosk.redeem(ticket["qr_code_data"], [doors.occurrence_id])

    assert blocked.outcome.reason is RefusalReason.REVOKED
    assert admitted.outcome.ok


def test_an_exit_then_the_counters_say_who_is_inside(client, org, clock, doors) -> None:
    first, second = sell(client, org, doors, quantity=2)
    kiosk = kiosk_for(client, org, clock, doors)
    kiosk.redeem(first["qr_code_data"], [doors.occurrence_id])
    kiosk.redeem(second["qr_code_data"], [doors.occurrence_id])
    clock.advance(minutes=5)

    _, out = kiosk.redeem(first["qr_code_data"], [doors.occurrence_id], direction=Direction.EXIT)
    counters = client.get(f"/api/v1/occurrences/{doors.occurrence_id}/check-in/counters", headers=org.headers).json()

    assert out.outcome.ok
    assert (counters["sold"], counters["checked_in"], counters["inside"]) == (2, 2, 1)
