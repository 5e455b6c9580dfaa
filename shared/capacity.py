"""Capacity arithmetic for an occurrence: one definition of "how many seats are left"."""

from __future__ import annotations


def effective_capacity(*, capacity_override: int | None, max_capacity: int | None) -> int | None:
    """The occurrence's capacity: its override when set, else the definition's maximum; ``None`` is unlimited."""
    return capacity_override if capacity_override is not None else max_capacity


def seats_available(*, capacity: int | None, seats_sold: int, seats_blocked: int = 0) -> int | None:
    """Seats still for sale. ``seats_blocked`` are out of capacity without being tickets (device allotments,
    seats held for a notified waitlist entry). ``None`` means unlimited. Never negative, even if capacity was
    lowered below what is already sold."""
    if capacity is None:
        return None
    return max(capacity - seats_sold - seats_blocked, 0)


def fits(*, capacity: int | None, seats_sold: int, seats_blocked: int, quantity: int) -> bool:
    """Whether ``quantity`` more seats can be taken."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    return capacity is None or seats_sold + seats_blocked + quantity <= capacity
