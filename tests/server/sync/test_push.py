"""Push: queued mutations applied exactly once, in order, with the server's final say on conflicts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from server.bookings.models import Ticket
from server.checkin.models import CheckIn
from server.sync.models import SyncConflict, SyncMutation
from shared import wire
from shared.checkin import CheckInStatus
from shared.enums import TicketStatus
from tests.support.doors import sell
from tests.support.kiosk import SimulatedKiosk


def paired(client, org, clock, doors, **kw) -> SimulatedKiosk:
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id], **kw)
    kiosk.pull_all()
    return kiosk


def counts(db) -> tuple[int, int, int]:
    with db() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(SyncMutation)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(SyncConflict)) or 0,
        )


def test_an_offline_check_in_is_applied_and_reaches_the_other_kiosks(client, org, clock, doors, db) -> None:
    (ticket,) = sell(client, org, doors)
    door, other = paired(client, org, clock, doors, name="Door A"), paired(client, org, clock, doors, name="Door B")

    outcome = door.scan_offline(ticket["confirmation_code"], [doors.occurrence_id])
    answer = door.push()
    other.pull_all()

    assert outcome.ok
    (result,) = answer.results
    assert (result.status, result.counted) == (wire.ResultStatus.APPLIED, True)
    assert answer.last_applied_seq == 1
    with db() as session:
        assert session.get_one(Ticket, uuid.UUID(ticket["id"])).status is TicketStatus.CHECKED_IN
    (passage,) = other.rows("check_ins")
    assert (passage["gate"], passage["counted"]) == ("Door A", 1)
    assert other.decide_offline(ticket["confirmation_code"], [doors.occurrence_id]).reason.value == "already_checked_in"


def test_a_replayed_batch_answers_the_stored_results_and_changes_nothing(client, org, clock, doors, db) -> None:
    tickets = sell(client, org, doors, quantity=2)
    kiosk = paired(client, org, clock, doors)
    for ticket in tickets:
        kiosk.scan_offline(ticket["qr_code_data"], [doors.occurrence_id])
    batch = list(kiosk.outbox)
    first = kiosk.push(batch)
    before = counts(db)

    clock.advance(minutes=1)
    again = kiosk.push(batch)

    assert counts(db) == before
    assert again.results == first.results
    assert again.last_applied_seq == 2


def test_a_gap_in_the_sequence_defers_until_the_missing_mutation_arrives(client, org, clock, doors) -> None:
    first_ticket, second_ticket = sell(client, org, doors, quantity=2)
    kiosk = paired(client, org, clock, doors)
    kiosk.scan_offline(first_ticket["qr_code_data"], [doors.occurrence_id])
    kiosk.scan_offline(second_ticket["qr_code_data"], [doors.occurrence_id])
    one, two = kiosk.outbox

    early = kiosk.push([two])
    both = kiosk.push([one, two])

    assert [(r.status, r.code) for r in early.results] == [(wire.ResultStatus.DEFERRED, "sequence_gap")]
    assert early.last_applied_seq == 0
    assert [r.status for r in both.results] == [wire.ResultStatus.APPLIED, wire.ResultStatus.APPLIED]


def test_a_malformed_mutation_is_rejected_for_good_and_the_sequence_moves_on(client, org, clock, doors) -> None:
    (ticket,) = sell(client, org, doors)
    kiosk = paired(client, org, clock, doors)
    broken = {"id": uuid.uuid4().hex, "seq": 1, "kind": "check_in", "body": {"nonce": "short"}}
    kiosk.seq = 1
    kiosk.scan_offline(ticket["qr_code_data"], [doors.occurrence_id])
    good = wire.encode_mutation(kiosk.outbox[0])

    response = client.post(wire.Path.PUSH, json={"mutations": [broken, good]}, headers=kiosk.headers())
    answer = wire.decode_push_response(response.json())

    assert [(r.seq, r.status) for r in answer.results] == [
        (1, wire.ResultStatus.REJECTED),
        (2, wire.ResultStatus.APPLIED),
    ]
    assert answer.results[0].code == "invalid_mutation"
    assert answer.last_applied_seq == 2


def test_a_scan_redeemed_online_and_uploaded_after_a_timeout_counts_once(client, org, clock, doors, db) -> None:
    (ticket,) = sell(client, org, doors)
    kiosk = paired(client, org, clock, doors)
    status, online = kiosk.redeem(ticket["qr_code_data"], [doors.occurrence_id], nonce="scan-000042")
    # The kiosk never saw that answer: it decided offline with the same nonce and queued the upload.
    kiosk.scan_offline(ticket["qr_code_data"], [doors.occurrence_id], nonce="scan-000042")

    answer = kiosk.push()

    assert status == 200
    assert online.outcome.ok
    (result,) = answer.results
    assert (result.status, result.code, result.counted) == (wire.ResultStatus.APPLIED, "already_recorded", True)
    with db() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


def test_two_kiosks_admitting_one_ticket_offline_keep_both_and_the_earlier_wins(client, org, clock, doors, db) -> None:
    (ticket,) = sell(client, org, doors)
    door_a = paired(client, org, clock, doors, name="Door A")
    door_b = paired(client, org, clock, doors, name="Door B")
    door_a.scan_offline(ticket["qr_code_data"], [doors.occurrence_id])
    clock.advance(minutes=2)
    door_b.scan_offline(ticket["qr_code_data"], [doors.occurrence_id])

    late = door_b.push()  # the later admission arrives first and is the check-in for a while
    early = door_a.push()  # then the earlier one takes over

    assert late.results[0].counted is True
    assert early.results[0].counted is True
    with db() as session:
        rows = {row.gate: row for row in session.scalars(sa.select(CheckIn))}
        assert (rows["Door A"].counted, rows["Door B"].counted) == (True, False)
        conflict = session.scalars(sa.select(SyncConflict)).one()
        assert (conflict.kind, conflict.check_in_id, conflict.other_check_in_id) == (
            "duplicate_entry",
            rows["Door B"].id,
            rows["Door A"].id,
        )
        ticket_row = session.get_one(Ticket, uuid.UUID(ticket["id"]))
        assert ticket_row.checked_in_at == rows["Door A"].at
    assert early.results[0].conflicts == (conflict.id,)
    door_b.pull_all()
    assert [row["kind"] for row in door_b.rows("conflicts")] == ["duplicate_entry"]
    report = client.get(f"/api/v1/occurrences/{doors.occurrence_id}/conflicts", headers=org.headers).json()
    assert [(c["kind"], c["device_name"], c["other_device_name"]) for c in report] == [
        ("duplicate_entry", "Door B", "Door A")
    ]


def test_clock_corrected_times_decide_which_admission_was_first(client, org, clock, doors, db) -> None:
    (ticket,) = sell(client, org, doors)
    # Door A's clock runs 10 minutes fast: its scan, 5 real minutes after Door B's, reads as 15 minutes later.
    fast = paired(client, org, clock, doors, name="Door A", skew=timedelta(minutes=10))
    slow = paired(client, org, clock, doors, name="Door B", skew=timedelta(minutes=-10))
    slow.scan_offline(ticket["qr_code_data"], [doors.occurrence_id])
    clock.advance(minutes=5)
    fast.scan_offline(ticket["qr_code_data"], [doors.occurrence_id])

    fast.push()
    slow.push()

    with db() as session:
        counted = session.scalars(sa.select(CheckIn).where(CheckIn.counted)).one()
        assert counted.gate == "Door B"
        assert counted.at == clock() - timedelta(minutes=5)


def test_an_offline_check_in_of_a_ticket_canceled_meanwhile_is_kept_and_flagged(client, org, clock, doors, db) -> None:
    (ticket,) = sell(client, org, doors)
    kiosk = paired(client, org, clock, doors)
    client.post("/api/v1/tickets/cancel", json={"ticket_ids": [ticket["id"]]}, headers=org.headers)
    kiosk.scan_offline(ticket["qr_code_data"], [doors.occurrence_id])  # the kiosk has not heard yet

    (result,) = kiosk.push().results

    assert (result.status, result.counted) == (wire.ResultStatus.APPLIED, True)
    assert result.outcome is not None
    assert result.outcome.status is CheckInStatus.REFUSED
    with db() as session:
        conflict = session.scalars(sa.select(SyncConflict)).one()
        assert (conflict.kind, conflict.data["reason"]) == ("checked_in_refused_ticket", "canceled")
        assert session.get_one(Ticket, uuid.UUID(ticket["id"])).status is TicketStatus.CANCELED


def test_a_check_in_annulled_within_the_window_stops_counting(client, org, clock, doors, db) -> None:
    first_ticket, second_ticket = sell(client, org, doors, quantity=2)
    kiosk = paired(client, org, clock, doors)
    kiosk.scan_offline(first_ticket["qr_code_data"], [doors.occurrence_id], nonce="mistake-0001")
    kiosk.scan_offline(second_ticket["qr_code_data"], [doors.occurrence_id], nonce="too-late-0001")
    clock.advance(minutes=2)
    kiosk.annul_offline("mistake-0001")
    clock.advance(minutes=10)
    kiosk.annul_offline("too-late-0001")

    results = kiosk.push().results

    assert [(r.status, r.code) for r in results[2:]] == [
        (wire.ResultStatus.APPLIED, None),
        (wire.ResultStatus.REJECTED, "annul_window_passed"),
    ]
    with db() as session:
        annulled = session.get_one(Ticket, uuid.UUID(first_ticket["id"]))
        assert (annulled.status, annulled.checked_in_at) == (TicketStatus.CONFIRMED, None)
        assert session.get_one(Ticket, uuid.UUID(second_ticket["id"])).status is TicketStatus.CHECKED_IN


def test_only_the_device_that_made_a_check_in_can_annul_it(client, org, clock, doors) -> None:
    (ticket,) = sell(client, org, doors)
    door_a = paired(client, org, clock, doors, name="Door A")
    door_b = paired(client, org, clock, doors, name="Door B")
    door_a.scan_offline(ticket["qr_code_data"], [doors.occurrence_id], nonce="a-scan-0001")
    door_a.push()

    door_b.annul_offline("a-scan-0001")
    (result,) = door_b.push().results

    assert (result.status, result.code) == (wire.ResultStatus.REJECTED, "annul_other_device")


def test_a_revoked_device_is_told_to_wipe_and_its_uploads_are_refused(client, org, clock, doors, db) -> None:
    (ticket,) = sell(client, org, doors)
    kiosk = paired(client, org, clock, doors)
    kiosk.scan_offline(ticket["qr_code_data"], [doors.occurrence_id])
    client.post(f"/api/v1/devices/{kiosk.device_id}/revoke", headers=org.headers)
    token = kiosk.token

    response = client.post(wire.Path.PUSH, json=wire.encode_push_request(kiosk.outbox), headers=kiosk.headers())
    kiosk._check_wipe(response)

    assert response.status_code == 410
    assert response.json()["wipe"] is True
    assert kiosk.wiped
    assert kiosk.rows("tickets") == []
    assert counts(db)[0] == 0
    again = client.get(wire.Path.PULL, headers={"Authorization": f"Bearer {token}"})
    assert (again.status_code, again.json()["code"]) == (410, "device_revoked")


def test_an_attendee_edit_at_the_box_office_reaches_the_replicas(client, org, clock, doors) -> None:
    (ticket,) = sell(client, org, doors)
    desk = paired(client, org, clock, doors, name="Desk", role="box_office")
    door = paired(client, org, clock, doors, name="Door")
    desk._queue(wire.AttendeeEdit(ticket_id=uuid.UUID(ticket["id"]), device_time=desk.now(), given_name="Ada"))

    (result,) = desk.push().results
    door.pull_all()

    assert result.status is wire.ResultStatus.APPLIED
    assert door.rows("tickets")[0]["name"] == "Ada Doe"


def test_a_door_scanner_cannot_sell(client, org, clock, doors) -> None:
    door = paired(client, org, clock, doors)
    door.sell_offline(doors.occurrence_id, doors.ticket_type_id)

    (result,) = door.push().results

    assert (result.status, result.code) == (wire.ResultStatus.REJECTED, "role_not_allowed")
