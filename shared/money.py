"""Integer minor-unit arithmetic: one rounding rule and one way to split a total, so no cent is lost or invented.

Rounding is half up, which for the non-negative amounts used here means a half cent goes to the guest: refunds
round up, discounts round up (so prices round down). A half cent is nothing to an organizer and a visible
short-change to a guest.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)


def percent_of(amount_cents: int, percent: Decimal) -> int:
    """``percent`` of ``amount_cents``, rounded half up to whole minor units."""
    return int((Decimal(amount_cents) * percent / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate_proportionally(total_cents: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Split ``total_cents`` in proportion to ``weights`` so that the parts sum to exactly the total.

    Largest remainder method: every part gets the floor of its exact share, then the cents left over go one each to
    the parts with the largest fractional remainders, earlier parts first on ties. Each part is within one cent of
    its exact share. All-zero weights split evenly.
    """
    if total_cents < 0:
        raise ValueError("total_cents must not be negative")
    if not weights:
        raise ValueError("nothing to allocate to")
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    effective = list(weights) if any(weights) else [1] * len(weights)
    weight_sum = sum(effective)
    floors = [total_cents * weight // weight_sum for weight in effective]
    remainders = [total_cents * weight % weight_sum for weight in effective]
    leftover = total_cents - sum(floors)
    by_remainder = sorted(range(len(effective)), key=lambda index: (-remainders[index], index))
    for index in by_remainder[:leftover]:
        floors[index] += 1
    return tuple(floors)
