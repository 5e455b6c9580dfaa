"""Backoff after failures: exponential, jittered, capped, and back to the start after a success."""

from __future__ import annotations

import random

import pytest

from kiosk.sync.backoff import Backoff


def test_waits_grow_exponentially_with_jitter_up_to_the_cap() -> None:
    backoff = Backoff(base=1.0, cap=30.0, rng=random.Random(3))
    waits = [backoff.next_delay() for _ in range(8)]
    for attempt, wait in enumerate(waits):
        ceiling = min(30.0, 2.0**attempt)
        assert ceiling / 2 <= wait <= ceiling
    assert len(set(waits)) == len(waits)  # jittered, not a fixed schedule


def test_a_success_starts_the_waits_over() -> None:
    backoff = Backoff(base=2.0, cap=60.0, rng=random.Random(1))
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert 1.0 <= backoff.next_delay() <= 2.0


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="base"):
        Backoff(base=5, cap=1)
