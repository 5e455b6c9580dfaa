"""Passages: who is inside, undoing a mistaken scan, and settling devices that admitted one ticket offline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.passages import (
    AnnulRefusal,
    Direction,
    EntryAttempt,
    Passage,
    can_annul,
    count_checked_in,
    count_inside,
    is_inside,
    last_entry,
    resolve_entry_attempts,
)

T0 = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
TICKET = uuid.uuid4()
DEVICE_A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
DEVICE_B = uuid.UUID("00000000-0000-4000-8000-00000000000b")


def passage(direction: Direction, minutes: int, *, ticket: uuid.UUID = TICKET, annulled: bool = False) -> Passage:
    at = T0 + timedelta(minutes=minutes)
    return Passage(ticket, direction, at, "North door", DEVICE_A, annulled_at=at if annulled else None)


IN, OUT = Direction.ENTRY, Direction.EXIT


def test_someone_is_inside_after_an_entry_and_outside_after_an_exit() -> None:
    assert not is_inside([])
    assert is_inside([passage(IN, 0)])
    assert not is_inside([passage(IN, 0), passage(OUT, 5)])
    assert is_inside([passage(IN, 0), passage(OUT, 5), passage(IN, 9)])


def test_passages_are_read_in_time_order_whatever_order_they_arrive_in() -> None:
    assert not is_inside([passage(OUT, 5), passage(IN, 0)])


def test_annulled_passages_are_ignored() -> None:
    assert not is_inside([passage(IN, 0, annulled=True)])
    assert is_inside([passage(IN, 0), passage(OUT, 5, annulled=True)])
    assert last_entry([passage(IN, 0), passage(IN, 3, annulled=True)]) == passage(IN, 0)


def test_counts_tell_inside_now_apart_from_ever_admitted() -> None:
    left, stayed, never = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    passages = [
        passage(IN, 0, ticket=left),
        passage(OUT, 30, ticket=left),
        passage(IN, 1, ticket=stayed),
        passage(IN, 2, ticket=never, annulled=True),
    ]
    assert count_inside(passages) == 1
    assert count_checked_in(passages) == 2


@given(st.lists(st.sampled_from([IN, OUT]), max_size=12))
def test_inside_is_exactly_whether_the_last_passage_was_an_entry(directions: list[Direction]) -> None:
    history = [passage(direction, minute) for minute, direction in enumerate(directions)]
    assert is_inside(history) == (bool(directions) and directions[-1] is IN)
    assert count_inside(history) == int(is_inside(history))


def test_the_device_that_recorded_a_passage_may_annul_it_within_five_minutes() -> None:
    recorded = passage(IN, 0)
    assert can_annul(recorded, device_id=DEVICE_A, now=recorded.at + timedelta(minutes=5)).allowed
    late = can_annul(recorded, device_id=DEVICE_A, now=recorded.at + timedelta(minutes=5, seconds=1))
    assert late.reason is AnnulRefusal.WINDOW_PASSED
    assert late.deadline == recorded.at + timedelta(minutes=5)


def test_another_device_may_not_annul_a_passage() -> None:
    verdict = can_annul(passage(IN, 0), device_id=DEVICE_B, now=T0)
    assert not verdict.allowed
    assert verdict.reason is AnnulRefusal.OTHER_DEVICE


def test_a_passage_is_annulled_only_once() -> None:
    assert can_annul(passage(IN, 0, annulled=True), device_id=DEVICE_A, now=T0).reason is AnnulRefusal.ALREADY_ANNULLED


def test_the_annul_window_can_be_configured() -> None:
    verdict = can_annul(passage(IN, 0), device_id=DEVICE_A, now=T0 + timedelta(minutes=8), window=timedelta(minutes=10))
    assert verdict.allowed


def attempt(device: uuid.UUID, device_minutes: float, offset_minutes: float, nonce: str) -> EntryAttempt:
    return EntryAttempt(
        ticket_id=TICKET,
        device_id=device,
        device_time=T0 + timedelta(minutes=device_minutes),
        clock_offset=timedelta(minutes=offset_minutes),
        nonce=nonce,
    )


def test_the_earliest_clock_corrected_entry_is_the_check_in_not_the_earliest_device_time() -> None:
    # Device A's clock is 10 minutes fast: what it called 19:05 was really 18:55, before B's 19:00.
    fast_a = attempt(DEVICE_A, 5, -10, "a1")
    honest_b = attempt(DEVICE_B, 0, 0, "b1")
    resolution = resolve_entry_attempts([honest_b, fast_a])
    assert resolution.check_in == fast_a
    assert resolution.duplicates == (honest_b,)


def test_a_slow_device_clock_is_corrected_forward() -> None:
    slow_a = attempt(DEVICE_A, 0, 3, "a1")  # really 19:03
    honest_b = attempt(DEVICE_B, 1, 0, "b1")
    assert resolve_entry_attempts([slow_a, honest_b]).check_in == honest_b


def test_ties_go_to_the_lower_device_id_then_the_lower_nonce_whatever_the_input_order() -> None:
    a2, a1, b1 = attempt(DEVICE_A, 0, 0, "n2"), attempt(DEVICE_A, 0, 0, "n1"), attempt(DEVICE_B, 0, 0, "n0")
    for order in ([a2, a1, b1], [b1, a1, a2], [a1, b1, a2]):
        resolution = resolve_entry_attempts(order)
        assert resolution.check_in == a1
        assert resolution.duplicates == (a2, b1)


def test_a_retried_upload_of_the_same_attempt_is_not_a_duplicate_entry() -> None:
    once = attempt(DEVICE_A, 0, 0, "a1")
    resolution = resolve_entry_attempts([once, once])
    assert resolution.check_in == once
    assert resolution.duplicates == ()


def test_resolving_needs_attempts_for_exactly_one_ticket() -> None:
    with pytest.raises(ValueError, match="no entry attempts"):
        resolve_entry_attempts([])
    other = EntryAttempt(uuid.uuid4(), DEVICE_B, T0, timedelta(0), "x")
    with pytest.raises(ValueError, match="more than one ticket"):
        resolve_entry_attempts([attempt(DEVICE_A, 0, 0, "a1"), other])
