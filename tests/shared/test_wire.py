"""The wire contract: every message survives a round trip, and malformed input is refused with a field path."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared import wire
from shared.checkin import CheckInOutcome, CheckInStatus, RefusalReason
from shared.clock import ClockOffset
from shared.enums import TicketStatus
from shared.passages import Direction, Passage
from shared.qrtoken import SigningKey

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_times_travel_as_epoch_milliseconds() -> None:
    assert wire.time_from_wire(wire.time_to_wire(NOW), "t") == NOW
    with pytest.raises(wire.WireError, match="at: must be milliseconds"):
        wire.time_from_wire("2026-06-01", "at")


def test_a_mutation_of_each_kind_survives_the_round_trip() -> None:
    bodies = [
        wire.CheckInMutation(
            nonce="n" * 16,
            occurrence_ids=(uuid.uuid4(),),
            gate="North",
            direction=Direction.ENTRY,
            device_time=NOW,
            local_status=CheckInStatus.REFUSED,
            local_reason=RefusalReason.TOO_EARLY,
            payload="K7MXQ2P9RT",
        ),
        wire.AnnulMutation(nonce="n" * 16, device_time=NOW),
        wire.SaleMutation(
            order_id=uuid.uuid4(),
            occurrence_id=uuid.uuid4(),
            ticket_type_id=uuid.uuid4(),
            tickets=(wire.SoldTicket(uuid.uuid4(), "K7MXQ2P9RT", "U1:AAAA", "Ada", None, None),),
            payment_method=wire.PaymentMethod.CASH,
            device_time=NOW,
            cash_tendered_cents=5000,
        ),
        wire.AttendeeEdit(ticket_id=uuid.uuid4(), device_time=NOW, given_name="Grace"),
    ]
    mutations = [wire.Mutation(uuid.uuid4(), seq, body, timedelta(seconds=3)) for seq, body in enumerate(bodies, 1)]

    decoded = wire.decode_push_request(wire.loads(wire.dumps(wire.encode_push_request(mutations))))

    assert list(decoded.mutations) == mutations


def test_an_undecodable_mutation_keeps_its_id_and_seq_so_it_can_be_rejected_for_good() -> None:
    mutation_id = uuid.uuid4()
    document = {"mutations": [{"id": mutation_id.hex, "seq": 4, "kind": "check_in", "body": {"nonce": "x"}}]}

    (decoded,) = wire.decode_push_request(document).mutations

    assert isinstance(decoded, wire.UndecodableMutation)
    assert (decoded.id, decoded.seq) == (mutation_id, 4)
    assert decoded.error.path == "mutations.0.body.nonce"


def test_an_outcome_with_a_previous_entry_survives_the_round_trip() -> None:
    ticket_id = uuid.uuid4()
    previous = Passage(ticket_id, Direction.ENTRY, NOW, "North", uuid.uuid4())
    outcome = CheckInOutcome(
        CheckInStatus.REFUSED,
        Direction.ENTRY,
        RefusalReason.ALREADY_CHECKED_IN,
        ticket_id=ticket_id,
        holder_name="Ada Lovelace",
        notes=("Accessibility: step-free",),
        previous_entry=previous,
    )

    assert wire.decode_outcome(wire.encode_outcome(outcome)) == outcome


def test_a_pull_page_lands_in_a_plain_sqlite_replica_with_its_cursor() -> None:
    replica = sqlite3.connect(":memory:", isolation_level=None)
    for statement in wire.replica_ddl():
        replica.execute(statement)
    ticket = uuid.uuid4()
    columns = {
        "tickets": {
            "id": [ticket.hex],
            "occurrence_id": [uuid.uuid4().hex],
            "ticket_type_id": [uuid.uuid4().hex],
            "status": ["confirmed"],
            "code": ["K7MXQ2P9RT"],
            "name": ["Ada Lovelace"],
            "email": ["ada@example.com"],
            "notes": [["Dietary: vegan"]],
            "revoked": [False],
            "token_issued_at": [None],
        }
    }
    body = wire.encode_pull_page(server_time=NOW, cursor="c1", more=False, reset=False, columns=columns)

    page = wire.decode_pull_page(body)
    wire.apply_pull_page(replica, page)

    row = replica.execute("SELECT * FROM tickets").fetchone()
    snapshot = wire.ticket_snapshot(row)
    assert (snapshot.id, snapshot.status, snapshot.notes) == (ticket, TicketStatus.CONFIRMED, ("Dietary: vegan",))
    assert wire.read_cursor(replica) == "c1"


def test_a_reset_page_empties_the_replica_first() -> None:
    replica = sqlite3.connect(":memory:", isolation_level=None)
    for statement in wire.replica_ddl():
        replica.execute(statement)
    replica.execute("INSERT INTO conflicts VALUES ('a', 'k', NULL, NULL, NULL, NULL, NULL, '', 0, NULL)")

    wire.apply_pull_page(replica, wire.PullPage(server_time=NOW, cursor="c", more=False, reset=True))

    assert replica.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0


def test_keys_rows_make_a_keyring() -> None:
    key = SigningKey.generate()
    owner = uuid.uuid4()
    row = (key.key_id.hex(), key.public_bytes().hex(), "device", owner.hex, wire.time_to_wire(NOW))

    ring = wire.keyring([row])

    trusted = ring.get(key.key_id)
    assert trusted is not None
    assert (trusted.owner.id, trusted.revoked_at) == (owner, NOW)


def test_clock_headers_carry_the_device_time_and_offset() -> None:
    headers = wire.clock_headers(sent_at=NOW, offset=ClockOffset(timedelta(seconds=-2), timedelta(milliseconds=15)))

    reported = wire.read_clock_headers(headers)

    assert reported.device_time == NOW
    assert reported.offset == ClockOffset(timedelta(seconds=-2), timedelta(milliseconds=15))


def test_a_revoked_device_answer_is_a_wipe_instruction() -> None:
    assert wire.is_wipe_instruction(410, {"code": "device_revoked", "wipe": True})
    assert not wire.is_wipe_instruction(401, {"code": "invalid_device_token"})


def test_admission_notes_put_accessibility_first_and_show_nothing_once_erased() -> None:
    notes = wire.admission_notes(accessibility_needs=["wheelchair"], dietary_restrictions=["vegan"], notes=" late ")

    assert notes == ("Accessibility: wheelchair", "Dietary: vegan", "late")
    assert wire.admission_notes(accessibility_needs=["x"], dietary_restrictions=None, notes="y", erased=True) == ()
    assert wire.holder_display(given_name="Ada", family_name=None, email="a@x", erased=True) == ("", "")
