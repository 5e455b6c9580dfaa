"""Capacity arithmetic: the one definition of how many seats are left."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.capacity import effective_capacity, fits, seats_available


def test_the_occurrence_override_wins_over_the_definition_maximum() -> None:
    assert effective_capacity(capacity_override=40, max_capacity=100) == 40
    assert effective_capacity(capacity_override=0, max_capacity=100) == 0
    assert effective_capacity(capacity_override=None, max_capacity=100) == 100
    assert effective_capacity(capacity_override=None, max_capacity=None) is None


def test_seats_available_subtracts_sold_and_blocked_seats() -> None:
    assert seats_available(capacity=100, seats_sold=60, seats_blocked=5) == 35
    assert seats_available(capacity=None, seats_sold=60) is None


def test_seats_available_is_never_negative_after_capacity_was_lowered() -> None:
    assert seats_available(capacity=50, seats_sold=60) == 0


def test_a_request_fits_only_if_every_seat_is_free() -> None:
    assert fits(capacity=10, seats_sold=7, seats_blocked=1, quantity=2)
    assert not fits(capacity=10, seats_sold=7, seats_blocked=1, quantity=3)
    assert fits(capacity=None, seats_sold=10**6, seats_blocked=0, quantity=500)
    with pytest.raises(ValueError, match="positive"):
        fits(capacity=10, seats_sold=0, seats_blocked=0, quantity=0)


@given(
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=0, max_value=100),
    st.integers(min_value=1, max_value=100),
)
def test_fits_agrees_with_seats_available(capacity: int, sold: int, blocked: int, quantity: int) -> None:
    available = seats_available(capacity=capacity, seats_sold=sold, seats_blocked=blocked)
    assert available is not None
    assert fits(capacity=capacity, seats_sold=sold, seats_blocked=blocked, quantity=quantity) == (quantity <= available)
