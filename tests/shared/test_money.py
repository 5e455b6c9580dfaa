"""Minor-unit arithmetic: half-up rounding and splitting a total without losing or inventing a cent."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.money import allocate_proportionally, percent_of


def test_half_cents_round_up_and_less_than_half_rounds_down() -> None:
    assert percent_of(999, Decimal(50)) == 500
    assert percent_of(1, Decimal(50)) == 1
    assert percent_of(1, Decimal("49.99")) == 0
    assert percent_of(333, Decimal("33.33")) == 111
    assert percent_of(1000, Decimal("0.05")) == 1  # 0.5 cent


@given(st.integers(min_value=0, max_value=10**9), st.decimals(min_value=0, max_value=100, places=2))
def test_a_percentage_is_never_negative_nor_more_than_the_whole(amount: int, percent: Decimal) -> None:
    assert 0 <= percent_of(amount, percent) <= amount


def test_an_even_split_stays_even() -> None:
    assert allocate_proportionally(849, [333, 333, 333]) == (283, 283, 283)


def test_the_leftover_cent_goes_to_the_largest_remainder() -> None:
    # Exact shares of 850 over 333/333/334 are 283.05, 283.05 and 283.9.
    assert allocate_proportionally(850, [333, 333, 334]) == (283, 283, 284)


def test_remainder_ties_go_to_the_earlier_parts() -> None:
    assert allocate_proportionally(2, [1, 1, 1]) == (1, 1, 0)
    assert allocate_proportionally(10, [0, 0]) == (5, 5)
    assert allocate_proportionally(3, [0, 5]) == (0, 3)


def test_allocation_refuses_what_it_cannot_split() -> None:
    with pytest.raises(ValueError, match="nothing"):
        allocate_proportionally(100, [])
    with pytest.raises(ValueError, match="negative"):
        allocate_proportionally(-1, [1])
    with pytest.raises(ValueError, match="negative"):
        allocate_proportionally(1, [2, -1])


@given(
    st.integers(min_value=0, max_value=10**8),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
)
def test_parts_sum_to_the_total_and_each_is_within_a_cent_of_its_exact_share(total: int, weights: list[int]) -> None:
    parts = allocate_proportionally(total, weights)
    assert sum(parts) == total
    effective = weights if any(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective, strict=True):
        assert abs(part - Fraction(total * weight, sum(effective))) < 1
