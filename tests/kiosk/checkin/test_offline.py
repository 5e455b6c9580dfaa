"""Offline verdicts come from the shared rule, fed from the replica and this kiosk's own log."""

from __future__ import annotations

from datetime import datetime, timedelta

from kiosk.checkin.model import Scan, ScanSource, Verdict
from kiosk.checkin.offline import OfflineChecker
from shared.checkin import RefusalReason
from shared.passages import Direction
from shared.qrtoken import SigningKey
from tests.kiosk.door import DOORS_OPEN, Door

AT_NINE = DOORS_OPEN + timedelta(hours=2)


def scan(door: Door, text: str, when: datetime = AT_NINE, *, direction: Direction = Direction.ENTRY) -> Verdict:
    checker = OfflineChecker(door.replica)
    return checker.decide(
        Scan(ScanSource.CAMERA, Scan.new_nonce(), when, text=text), gate=door.gate, direction=direction
    )


def test_valid_token_admits_with_name_type_and_notes(door: Door) -> None:
    verdict = scan(door, door.token("Ada Lovelace"))
    assert verdict.outcome.ok
    assert verdict.outcome.holder_name == "Ada Lovelace"
    assert verdict.outcome.ticket_type_name == "VIP table"
    assert verdict.outcome.notes == ("Accessibility: wheelchair",)


def test_second_scan_is_refused_as_already_checked_in_with_when_and_where(door: Door) -> None:
    scan(door, door.token("Grace Hopper"))
    again = scan(door, door.token("Grace Hopper"), AT_NINE + timedelta(minutes=3))
    assert again.outcome.reason is RefusalReason.ALREADY_CHECKED_IN
    assert again.outcome.previous_entry is not None
    assert again.outcome.previous_entry.at == AT_NINE
    assert again.outcome.previous_entry.gate == "Main door"


def test_checkin_refused_when_ticket_canceled_offline(door: Door) -> None:
    assert scan(door, door.token("Alan Turing")).outcome.reason is RefusalReason.CANCELED


def test_ticket_for_another_event_is_refused_naming_that_event(door: Door) -> None:
    verdict = scan(door, door.token("Tango Dancer"))
    assert verdict.outcome.reason is RefusalReason.WRONG_OCCURRENCE
    assert verdict.occurrence is not None
    assert verdict.occurrence.title == "Tango Evening"  # the event's name: the occurrence has none of its own


def test_forged_token_is_invalid(door: Door) -> None:
    forged = door.token("Grace Hopper", key=SigningKey.generate())
    assert scan(door, forged).outcome.reason is RefusalReason.INVALID


def test_ticket_sold_after_the_last_sync_is_admitted_by_its_signature_once(door: Door) -> None:
    walk_up = door.unsynced_ticket()
    first = scan(door, door.token(walk_up))
    assert first.outcome.ok
    assert not first.outcome.ticket_on_record
    assert first.ticket_type_name == "General admission"
    second = scan(door, door.token(walk_up), AT_NINE + timedelta(minutes=1))
    assert second.outcome.reason is RefusalReason.ALREADY_CHECKED_IN
    assert door.replica.counters([door.jazz]).checked_in == 1


def test_confirmation_code_typed_in_any_case_admits(door: Door) -> None:
    verdict = scan(door, "k7mxq-2p9rt")
    assert verdict.outcome.ok
    assert verdict.outcome.holder_name == "Ada Lovelace"


def test_an_entry_the_server_reported_from_another_gate_is_shown(door: Door) -> None:
    entered = AT_NINE - timedelta(minutes=20)
    door.add("Grace Hopper", status="checked_in")
    door.server_check_in("Grace Hopper", entered, gate="Garden gate")
    verdict = scan(door, door.token("Grace Hopper"))
    assert verdict.outcome.reason is RefusalReason.ALREADY_CHECKED_IN
    assert verdict.outcome.previous_entry is not None
    assert (verdict.outcome.previous_entry.at, verdict.outcome.previous_entry.gate) == (entered, "Garden gate")


def test_a_duplicate_entry_the_server_does_not_count_does_not_block(door: Door) -> None:
    door.server_check_in("Grace Hopper", AT_NINE - timedelta(minutes=20), counted=0)
    assert scan(door, door.token("Grace Hopper")).outcome.ok


def test_too_early_before_doors_open(door: Door) -> None:
    assert scan(door, door.token("Grace Hopper"), DOORS_OPEN - timedelta(hours=1)).outcome.reason is (
        RefusalReason.TOO_EARLY
    )


def test_exit_then_reentry_is_refused_without_reentry_setting(door: Door) -> None:
    token = door.token("Grace Hopper")
    assert scan(door, token).outcome.ok
    assert scan(door, token, AT_NINE + timedelta(minutes=5), direction=Direction.EXIT).outcome.ok
    assert door.replica.counters([door.jazz]).inside == 0
    again = scan(door, token, AT_NINE + timedelta(minutes=10))
    assert again.outcome.reason is RefusalReason.ALREADY_CHECKED_IN


def test_every_offline_decision_is_queued_for_upload_with_its_nonce(door: Door) -> None:
    verdict = scan(door, door.token("Grace Hopper"))
    refused = scan(door, door.token("Alan Turing"))
    pending = door.replica.pending()
    assert [entry.document["body"]["nonce"] for entry in pending] == [verdict.scan.nonce, refused.scan.nonce]
    assert [entry.document["seq"] for entry in pending] == [1, 2]
    assert pending[1].document["body"]["local_reason"] == "canceled"
