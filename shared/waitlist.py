"""Waitlist matching: when seats open up, who in the queue gets offered them.

FIFO with skipping, as the spec's "find first WaitlistEntry with matching quantity" says: walk the queue in order;
the first waiting entry whose whole request fits is offered its seats; an entry that does not fit keeps its place
(it is not offered a part, and it is not moved back); go on while seats remain. Nobody further back can take seats
from someone in front whose request fits.

Seats are counted at two levels. ``seats`` is what the occurrence has free (``shared.capacity.seats_available``,
``None`` when unlimited). ``per_ticket_type``, when given, is what each ticket type still has (quantity limits): an
entry with a preferred type needs room in that type; an entry without one is held against the type with the most
left (ties: lowest id), so an offer never promises what a type cannot sell.

An offer holds its seats for ``OFFER_WINDOW`` (the spec's 24 hours); the server blocks them out of capacity
(``seats_blocked``) until the entry converts or expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.clock import require_aware

OFFER_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class WaitingEntry:
    id: uuid.UUID
    position: int
    quantity_requested: int
    ticket_type_id: uuid.UUID | None
    created_at: datetime

    def __post_init__(self) -> None:
        if self.quantity_requested < 1:
            raise ValueError("quantity_requested must be at least 1")
        object.__setattr__(self, "created_at", require_aware(self.created_at, "created_at"))


@dataclass(frozen=True)
class Offer:
    """Offer ``quantity`` seats to entry ``entry_id``, held against ``ticket_type_id`` (``None``: no per-type
    limits were given, so the seats are held against the occurrence only)."""

    entry_id: uuid.UUID
    quantity: int
    ticket_type_id: uuid.UUID | None


def queue_order(entries: Iterable[WaitingEntry]) -> list[WaitingEntry]:
    """The queue: by position, then creation time, then id, so even a corrupt duplicate position is deterministic."""
    return sorted(entries, key=lambda entry: (entry.position, entry.created_at, entry.id))


def _type_with_most_left(left: Mapping[uuid.UUID, int], quantity: int) -> uuid.UUID | None:
    fitting = [type_id for type_id, count in left.items() if count >= quantity]
    return min(fitting, key=lambda type_id: (-left[type_id], type_id)) if fitting else None


def match_open_seats(
    *,
    entries: Iterable[WaitingEntry],
    seats: int | None,
    per_ticket_type: Mapping[uuid.UUID, int] | None = None,
) -> tuple[Offer, ...]:
    """The offers to make for seats that opened, in queue order. Give only entries still waiting."""
    if seats is not None and seats < 0:
        raise ValueError("seats must not be negative")
    if seats is None and per_ticket_type is None:
        raise ValueError("with unlimited seats, per-ticket-type limits are needed to bound the offers")
    seats_left = seats
    type_left = dict(per_ticket_type) if per_ticket_type is not None else None
    offers: list[Offer] = []
    for entry in queue_order(entries):
        if seats_left == 0:
            break
        quantity = entry.quantity_requested
        if seats_left is not None and quantity > seats_left:
            continue
        held_type = entry.ticket_type_id
        if type_left is not None:
            if held_type is None:
                held_type = _type_with_most_left(type_left, quantity)
            if held_type is None or type_left.get(held_type, 0) < quantity:
                continue
            type_left[held_type] -= quantity
        if seats_left is not None:
            seats_left -= quantity
        offers.append(Offer(entry_id=entry.id, quantity=quantity, ticket_type_id=held_type))
    return tuple(offers)


def offer_expires_at(notified_at: datetime) -> datetime:
    return require_aware(notified_at, "notified_at") + OFFER_WINDOW


def offer_expired(*, notified_at: datetime, now: datetime) -> bool:
    """Whether a notified entry's time to buy is over (it then expires and its seats go to the next in line)."""
    return require_aware(now, "now") >= offer_expires_at(notified_at)


def next_position(positions: Iterable[int]) -> int:
    """The position for a new entry: after everyone already queued (positions are never reused)."""
    return max(positions, default=0) + 1
