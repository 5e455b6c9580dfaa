"""The check-in decision, as the door sees it online and offline."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.checkin import (
    CheckInOutcome,
    CheckInSettings,
    CheckInStatus,
    Gate,
    OccurrenceSnapshot,
    RefusalReason,
    TicketSnapshot,
    decide_check_in,
    parse_check_in_settings,
)
from shared.enums import OccurrenceStatus, TicketStatus
from shared.passages import Direction, Passage
from shared.qrtoken import (
    KeyOwner,
    KeyOwnerKind,
    Keyring,
    SigningKey,
    TicketClaims,
    TokenStatus,
    TokenVerification,
    sign_ticket,
    verify_ticket,
)

START = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
DEVICE = uuid.uuid4()
OTHER_DEVICE = uuid.uuid4()
OCCURRENCE = OccurrenceSnapshot(id=uuid.uuid4(), start_at=START, end_at=END, status=OccurrenceStatus.CONFIRMED)
GATE = Gate(device_id=DEVICE, name="North door", occurrence_ids=frozenset({OCCURRENCE.id}))
KEY = SigningKey.generate()
KEYRING = Keyring([KEY.trusted(owner=KeyOwner(KeyOwnerKind.ORGANIZATION, uuid.uuid4()))])


def ticket(**changes: object) -> TicketSnapshot:
    base = TicketSnapshot(
        id=uuid.UUID("11111111-1111-4111-8111-111111111111"),
        occurrence_id=OCCURRENCE.id,
        ticket_type_id=uuid.UUID("22222222-2222-4222-8222-222222222222"),
        status=TicketStatus.CONFIRMED,
        holder_name="Ada Lovelace",
        ticket_type_name="General Admission",
        notes=("wheelchair access", "vegetarian"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def token_for(snapshot: TicketSnapshot, *, now: datetime, issued_at: datetime | None = None) -> TokenVerification:
    claims = TicketClaims(
        ticket_id=snapshot.id,
        occurrence_id=snapshot.occurrence_id,
        ticket_type_id=snapshot.ticket_type_id,
        valid_from=START - timedelta(days=1),
        valid_until=END + timedelta(hours=1),
        issued_at=issued_at or START - timedelta(days=7),
    )
    return verify_ticket(sign_ticket(claims, key=KEY), KEYRING, now=now)


def entry(at: datetime, *, device: uuid.UUID = DEVICE, gate: str = "North door", **changes: object) -> Passage:
    return replace(Passage(ticket().id, Direction.ENTRY, at, gate, device), **changes)  # type: ignore[arg-type]


def exit_(at: datetime) -> Passage:
    return Passage(ticket().id, Direction.EXIT, at, "North door", DEVICE)


def decide(
    *,
    snapshot: TicketSnapshot | None = None,
    token: TokenVerification | None = None,
    occurrence: OccurrenceSnapshot | None = OCCURRENCE,
    history: tuple[Passage, ...] = (),
    gate: Gate = GATE,
    direction: Direction = Direction.ENTRY,
    now: datetime = START + timedelta(minutes=5),
) -> CheckInOutcome:
    return decide_check_in(
        token=token,
        ticket=snapshot,
        occurrence=occurrence,
        history=history,
        gate=gate,
        direction=direction,
        now=now,
    )


def test_a_paid_ticket_at_the_right_door_on_time_is_admitted_with_its_notes_shown() -> None:
    outcome = decide(snapshot=ticket(), token=token_for(ticket(), now=START))
    assert outcome.ok
    assert outcome.status is CheckInStatus.OK
    assert outcome.reason is None
    assert outcome.holder_name == "Ada Lovelace"
    assert outcome.ticket_type_name == "General Admission"
    assert outcome.notes == ("wheelchair access", "vegetarian")
    assert outcome.token_status is TokenStatus.VALID


def test_a_ticket_found_by_confirmation_code_is_admitted_without_a_token() -> None:
    assert decide(snapshot=ticket()).ok


def test_a_confirmation_code_with_no_ticket_is_invalid() -> None:
    outcome = decide(snapshot=None)
    assert outcome.reason is RefusalReason.INVALID
    assert outcome.holder_name is None


def test_an_authentic_token_for_a_ticket_not_synced_yet_is_admitted_on_its_claims() -> None:
    outcome = decide(snapshot=None, token=token_for(ticket(), now=START))
    assert outcome.ok
    assert outcome.ticket_id == ticket().id
    assert not outcome.ticket_on_record
    assert outcome.holder_name is None
    assert outcome.notes == ()


def test_an_unsynced_ticket_is_still_held_to_the_door_the_clock_and_its_passages() -> None:
    token = token_for(ticket(), now=START)
    elsewhere = token_for(ticket(occurrence_id=uuid.uuid4()), now=START)
    assert decide(snapshot=None, token=elsewhere, occurrence=None).reason is RefusalReason.WRONG_OCCURRENCE
    assert decide(snapshot=None, token=token, now=START - timedelta(minutes=1)).reason is RefusalReason.TOO_EARLY
    again = decide(snapshot=None, token=token, history=(entry(START),))
    assert again.reason is RefusalReason.ALREADY_CHECKED_IN
    assert again.previous_entry == entry(START)


@pytest.mark.parametrize("status", [TokenStatus.MALFORMED, TokenStatus.UNKNOWN_KEY, TokenStatus.BAD_SIGNATURE], ids=str)
def test_an_unauthentic_token_is_invalid_and_shows_nothing_about_the_ticket(status: TokenStatus) -> None:
    outcome = decide(snapshot=ticket(), token=TokenVerification(status))
    assert outcome.reason is RefusalReason.INVALID
    assert outcome.holder_name is None
    assert outcome.token_status is status


def test_a_token_from_a_key_revoked_before_it_was_issued_is_refused_as_revoked_before_the_door_is_checked() -> None:
    device_key = SigningKey.generate()
    lost_at = START - timedelta(days=1)
    keyring = Keyring([device_key.trusted(owner=KeyOwner(KeyOwnerKind.DEVICE, OTHER_DEVICE), revoked_at=lost_at)])
    wrong_door = ticket(occurrence_id=uuid.uuid4())
    claims = TicketClaims(
        ticket_id=wrong_door.id,
        occurrence_id=wrong_door.occurrence_id,
        ticket_type_id=wrong_door.ticket_type_id,
        valid_from=START - timedelta(days=1),
        valid_until=END,
        issued_at=lost_at + timedelta(hours=1),
    )
    token = verify_ticket(sign_ticket(claims, key=device_key), keyring, now=START)
    assert decide(snapshot=wrong_door, token=token, occurrence=None).reason is RefusalReason.REVOKED


def test_a_token_replaced_by_a_newer_one_is_revoked() -> None:
    reissued = ticket(token_issued_at=START - timedelta(days=2))
    old_token = token_for(reissued, now=START, issued_at=START - timedelta(days=7))
    new_token = token_for(reissued, now=START, issued_at=START - timedelta(days=2))
    assert decide(snapshot=reissued, token=old_token).reason is RefusalReason.REVOKED
    assert decide(snapshot=reissued, token=new_token).ok


def test_a_token_printed_before_the_ticket_was_exchanged_to_another_occurrence_is_revoked() -> None:
    printed = token_for(ticket(occurrence_id=uuid.uuid4()), now=START)
    exchanged = ticket()
    assert decide(snapshot=exchanged, token=printed).reason is RefusalReason.REVOKED


def test_a_ticket_for_another_occurrence_is_sent_to_the_right_door_even_if_it_is_also_canceled() -> None:
    elsewhere = ticket(occurrence_id=uuid.uuid4(), status=TicketStatus.CANCELED)
    outcome = decide(snapshot=elsewhere, occurrence=None)
    assert outcome.reason is RefusalReason.WRONG_OCCURRENCE
    assert outcome.holder_name == "Ada Lovelace"


def test_a_gate_serving_two_occurrences_admits_either() -> None:
    second = replace(OCCURRENCE, id=uuid.uuid4())
    both = replace(GATE, occurrence_ids=frozenset({OCCURRENCE.id, second.id}))
    assert decide(snapshot=ticket(occurrence_id=second.id), occurrence=second, gate=both).ok


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (TicketStatus.CANCELED, RefusalReason.CANCELED),
        (TicketStatus.REFUNDED, RefusalReason.REFUNDED),
        (TicketStatus.RESERVED, RefusalReason.UNPAID),
    ],
    ids=str,
)
def test_a_ticket_that_is_not_paid_for_and_valid_is_refused_with_its_state(
    status: TicketStatus, reason: RefusalReason
) -> None:
    assert decide(snapshot=ticket(status=status)).reason is reason


def test_a_canceled_ticket_is_refused_offline_even_within_the_entry_window() -> None:
    snapshot = ticket(status=TicketStatus.CANCELED)
    assert decide(snapshot=snapshot, token=token_for(snapshot, now=START)).reason is RefusalReason.CANCELED


def test_a_ticket_blocked_by_staff_is_revoked_before_its_other_problems() -> None:
    assert decide(snapshot=ticket(revoked=True, status=TicketStatus.RESERVED)).reason is RefusalReason.REVOKED


def test_every_ticket_of_a_canceled_occurrence_is_refused_as_such() -> None:
    canceled = replace(OCCURRENCE, status=OccurrenceStatus.CANCELED)
    assert decide(snapshot=ticket(), occurrence=canceled).reason is RefusalReason.OCCURRENCE_CANCELED


def test_the_ticket_state_is_reported_before_the_time_window() -> None:
    outcome = decide(snapshot=ticket(status=TicketStatus.RESERVED), now=START - timedelta(hours=3))
    assert outcome.reason is RefusalReason.UNPAID


def test_by_default_no_one_enters_before_start() -> None:
    assert decide(snapshot=ticket(), now=START - timedelta(seconds=1)).reason is RefusalReason.TOO_EARLY
    assert decide(snapshot=ticket(), now=START).ok


def test_doors_open_the_configured_minutes_before_start() -> None:
    early_doors = replace(OCCURRENCE, check_in=CheckInSettings(doors_open_minutes=30))
    assert decide(snapshot=ticket(), occurrence=early_doors, now=START - timedelta(minutes=30)).ok
    outcome = decide(snapshot=ticket(), occurrence=early_doors, now=START - timedelta(minutes=31))
    assert outcome.reason is RefusalReason.TOO_EARLY


def test_entry_closes_at_the_end_or_at_the_late_entry_cutoff() -> None:
    assert decide(snapshot=ticket(), now=END).reason is RefusalReason.TOO_LATE
    strict = replace(OCCURRENCE, check_in=CheckInSettings(late_entry_minutes=15))
    assert decide(snapshot=ticket(), occurrence=strict, now=START + timedelta(minutes=14)).ok
    late = decide(snapshot=ticket(), occurrence=strict, now=START + timedelta(minutes=15))
    assert late.reason is RefusalReason.TOO_LATE


def test_a_completed_occurrence_admits_no_one() -> None:
    done = replace(OCCURRENCE, status=OccurrenceStatus.COMPLETED)
    assert decide(snapshot=ticket(), occurrence=done).reason is RefusalReason.TOO_LATE


def test_the_token_window_is_a_hard_outer_bound_even_when_the_doors_are_open() -> None:
    wide_doors = replace(OCCURRENCE, check_in=CheckInSettings(doors_open_minutes=1440))
    early = TokenVerification(TokenStatus.NOT_YET_VALID, claims=token_for(ticket(), now=START).claims)
    late = TokenVerification(TokenStatus.EXPIRED, claims=token_for(ticket(), now=START).claims)
    assert decide(snapshot=ticket(), token=early, occurrence=wide_doors).reason is RefusalReason.TOO_EARLY
    assert decide(snapshot=ticket(), token=late, occurrence=wide_doors).reason is RefusalReason.TOO_LATE


def test_a_second_entry_is_refused_with_when_and_where_the_first_was() -> None:
    first = entry(START + timedelta(minutes=1), device=OTHER_DEVICE, gate="South door")
    outcome = decide(snapshot=ticket(status=TicketStatus.CHECKED_IN), history=(first,))
    assert outcome.reason is RefusalReason.ALREADY_CHECKED_IN
    assert outcome.previous_entry == first
    assert outcome.previous_entry is not None
    assert outcome.previous_entry.gate == "South door"


def test_without_reentry_leaving_does_not_let_anyone_back_in() -> None:
    history = (entry(START), exit_(START + timedelta(minutes=2)))
    assert decide(snapshot=ticket(), history=history).reason is RefusalReason.ALREADY_CHECKED_IN


def test_with_reentry_a_holder_who_left_may_come_back_but_not_enter_twice() -> None:
    reentry = replace(OCCURRENCE, check_in=CheckInSettings(allow_reentry=True))
    left = (entry(START), exit_(START + timedelta(minutes=2)))
    inside = (*left, entry(START + timedelta(minutes=3)))
    checked_in = ticket(status=TicketStatus.CHECKED_IN)
    assert decide(snapshot=checked_in, occurrence=reentry, history=left).ok
    assert decide(snapshot=checked_in, occurrence=reentry, history=inside).reason is RefusalReason.ALREADY_CHECKED_IN


def test_an_annulled_entry_does_not_count_so_the_holder_can_be_checked_in_again() -> None:
    mistaken = entry(START, annulled_at=START + timedelta(minutes=1))
    assert decide(snapshot=ticket(), history=(mistaken,)).ok


def test_a_replica_that_knows_the_ticket_is_checked_in_but_not_where_refuses_without_a_previous_entry() -> None:
    outcome = decide(snapshot=ticket(status=TicketStatus.CHECKED_IN))
    assert outcome.reason is RefusalReason.ALREADY_CHECKED_IN
    assert outcome.previous_entry is None


def test_timing_comes_before_already_checked_in() -> None:
    outcome = decide(snapshot=ticket(), history=(entry(START),), now=END + timedelta(minutes=1))
    assert outcome.reason is RefusalReason.TOO_LATE


def test_an_exit_needs_the_holder_to_be_inside() -> None:
    assert decide(snapshot=ticket(), direction=Direction.EXIT).reason is RefusalReason.NOT_INSIDE
    outcome = decide(snapshot=ticket(), history=(entry(START),), direction=Direction.EXIT)
    assert outcome.ok
    assert outcome.direction is Direction.EXIT


def test_an_exit_is_never_blocked_by_the_ticket_state_or_the_clock() -> None:
    canceled_later = ticket(status=TicketStatus.CANCELED)
    outcome = decide(
        snapshot=canceled_later, history=(entry(START),), direction=Direction.EXIT, now=END + timedelta(hours=3)
    )
    assert outcome.ok


def test_an_exit_still_needs_an_authentic_ticket_for_this_gate() -> None:
    forged = decide(snapshot=ticket(), token=TokenVerification(TokenStatus.BAD_SIGNATURE), direction=Direction.EXIT)
    elsewhere = decide(snapshot=ticket(occurrence_id=uuid.uuid4()), occurrence=None, direction=Direction.EXIT)
    assert forged.reason is RefusalReason.INVALID
    assert elsewhere.reason is RefusalReason.WRONG_OCCURRENCE


def test_feeding_the_wrong_ticket_or_history_or_no_occurrence_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not the one the token names"):
        decide(snapshot=ticket(id=uuid.uuid4()), token=token_for(ticket(), now=START))
    with pytest.raises(ValueError, match="another ticket"):
        decide(snapshot=ticket(), history=(replace(entry(START), ticket_id=uuid.uuid4()),))
    with pytest.raises(ValueError, match="snapshot"):
        decide(snapshot=ticket(), occurrence=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(snapshot=ticket(), now=datetime(2026, 6, 1, 19, 5))


def test_check_in_settings_merge_the_occurrence_over_the_definition() -> None:
    parsed = parse_check_in_settings(
        definition_settings={"check_in": {"doors_open_minutes": 30, "allow_reentry": True}},
        occurrence_settings={"check_in": {"doors_open_minutes": 45, "late_entry_minutes": 10}},
    )
    assert parsed.unwrap() == CheckInSettings(doors_open_minutes=45, allow_reentry=True, late_entry_minutes=10)


def test_missing_check_in_settings_mean_no_early_doors_no_reentry_and_entry_until_the_end() -> None:
    assert parse_check_in_settings(definition_settings={}).unwrap() == CheckInSettings(0, False, None)
    assert parse_check_in_settings(definition_settings=None).unwrap() == CheckInSettings()


def test_bad_check_in_settings_are_reported_all_at_once() -> None:
    parsed = parse_check_in_settings(
        definition_settings={"check_in": {"doors_open_minutes": -5, "allow_reentry": "yes", "gates": 2}}
    )
    assert not parsed.ok
    assert {problem.path for problem in parsed.problems} == {
        "check_in.doors_open_minutes",
        "check_in.allow_reentry",
        "check_in.gates",
    }
    assert not parse_check_in_settings(definition_settings={"check_in": []}).ok
