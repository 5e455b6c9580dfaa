"""The clock at the edge of the world, and how a kiosk learns how wrong its own clock is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.clock import (
    ClockOffset,
    ManualClock,
    SystemClock,
    best_clock_offset,
    estimate_clock_offset,
    require_aware,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_system_clock_tells_aware_utc_time() -> None:
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_manual_clock_stands_still_until_advanced() -> None:
    clock = ManualClock(T0)
    assert clock.now() == clock.now() == T0
    assert clock.advance(timedelta(minutes=5)) == T0 + timedelta(minutes=5)
    clock.set(T0)
    assert clock.now() == T0


def test_a_manual_clock_refuses_to_run_backwards_by_advance() -> None:
    with pytest.raises(ValueError, match="forward"):
        ManualClock(T0).advance(timedelta(seconds=-1))


def test_naive_datetimes_are_refused_and_other_offsets_become_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        require_aware(datetime(2026, 1, 1), "start_at")
    lisbon_summer = datetime(2026, 7, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert require_aware(lisbon_summer).tzinfo is UTC
    assert require_aware(lisbon_summer) == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_offset_is_the_server_time_minus_the_midpoint_of_the_round_trip() -> None:
    # The device clock is 90 s behind; the request took 2 s there and back.
    estimate = estimate_clock_offset(
        sent_at=T0, received_at=T0 + timedelta(seconds=2), server_time=T0 + timedelta(seconds=91)
    )
    assert estimate.offset == timedelta(seconds=90)
    assert estimate.uncertainty == timedelta(seconds=1)
    assert estimate.correct(T0) == T0 + timedelta(seconds=90)


def test_a_device_clock_ahead_of_the_server_gets_a_negative_offset() -> None:
    estimate = estimate_clock_offset(sent_at=T0, received_at=T0, server_time=T0 - timedelta(minutes=3))
    assert estimate.offset == timedelta(minutes=-3)


def test_a_response_received_before_it_was_sent_is_a_clock_jump_not_an_offset() -> None:
    with pytest.raises(ValueError, match="jumped"):
        estimate_clock_offset(sent_at=T0, received_at=T0 - timedelta(seconds=1), server_time=T0)


def test_the_best_offset_is_the_one_with_the_shortest_round_trip() -> None:
    slow = ClockOffset(offset=timedelta(seconds=40), uncertainty=timedelta(seconds=3))
    fast = ClockOffset(offset=timedelta(seconds=30), uncertainty=timedelta(milliseconds=20))
    assert best_clock_offset([slow, fast]) == fast
    with pytest.raises(ValueError, match="no clock offset"):
        best_clock_offset([])
