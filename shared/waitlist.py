"""Waitlist matching: when seats open up, who in the queue gets offered them.

FIFO with skipping, as the spec's "find first WaitlistEntry with matching quantity" says: walk the queue in order;
the first waiting entry whose whole request fits is offered its seats; an entry that does not fit keeps its place
(it is not offered a part, and it is not moved back); go on while seats remain. Nobody further back can take seats
from someone in front whose request fits.

Seats are counted at two levels. ``seats`` is what the occurrence has free (``shared.capacity.seats_available``,
``None`` when unlimited). ``per_ticket_type``, when given, lists the ticket types on sale with what each still has
(``None``: no quantity limit): an entry with a preferred type needs room in that type; an entry without one is held
against the type with the most left (ties: lowest id), so an offer never promises what a type cannot sell. A type
missing from ``per_ticket_type`` is not on sale. ``quantity_limits`` (a type's min and max per purchase), when given,
also keep an entry from being held against a type it could not buy in one go.

An offer holds its seats for ``OFFER_WINDOW`` (the spec's 24 hours, cut short by the occurrence's start); the server
blocks them out of capacity (``seats_blocked``) until the entry converts or expires.

Joining is for when the occurrence cannot serve the request now (``can_serve_now``, the same walk with one entry):
otherwise the guest books.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


QuantityLimits = Mapping[uuid.UUID, tuple[int, int]]


def _accepts(limits: QuantityLimits | None, type_id: uuid.UUID, quantity: int) -> bool:
    if limits is None or type_id not in limits:
        return True
    low, high = limits[type_id]
    return low <= quantity <= high


def _room(left: Mapping[uuid.UUID, int | None], type_id: uuid.UUID, quantity: int) -> bool:
    if type_id not in left:
        return False
    count = left[type_id]
    return count is None or count >= quantity


def _type_with_most_left(
    left: Mapping[uuid.UUID, int | None], quantity: int, limits: QuantityLimits | None
) -> uuid.UUID | None:
    fitting = [t for t in left if _room(left, t, quantity) and _accepts(limits, t, quantity)]
    if not fitting:
        return None
    # Unlimited types have the most left of all.
    return min(fitting, key=lambda t: (left[t] is not None, -(left[t] or 0), t))


def match_open_seats(
    *,
    entries: Iterable[WaitingEntry],
    seats: int | None,
    per_ticket_type: Mapping[uuid.UUID, int | None] | None = None,
    quantity_limits: QuantityLimits | None = None,
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
        if held_type is not None and not _accepts(quantity_limits, held_type, quantity):
            continue
        if type_left is not None:
            if held_type is None:
                held_type = _type_with_most_left(type_left, quantity, quantity_limits)
            if held_type is None or not _room(type_left, held_type, quantity):
                continue
            count = type_left[held_type]
            if count is not None:
                type_left[held_type] = count - quantity
        if seats_left is not None:
            seats_left -= quantity
        offers.append(Offer(entry_id=entry.id, quantity=quantity, ticket_type_id=held_type))
    return tuple(offers)


def can_serve_now(
    *,
    quantity: int,
    ticket_type_id: uuid.UUID | None,
    seats: int | None,
    per_ticket_type: Mapping[uuid.UUID, int | None],
    quantity_limits: QuantityLimits | None = None,
) -> bool:
    """Whether a request for ``quantity`` (of ``ticket_type_id``, or of any type on sale) can be booked right now,
    in which case the guest books instead of joining the waitlist. The same walk as ``match_open_seats``."""
    probe = WaitingEntry(uuid.UUID(int=0), 1, quantity, ticket_type_id, datetime(2000, 1, 1, tzinfo=UTC))
    return bool(
        match_open_seats(entries=[probe], seats=seats, per_ticket_type=per_ticket_type, quantity_limits=quantity_limits)
    )


def offer_expires_at(notified_at: datetime, *, closes_at: datetime | None = None) -> datetime:
    """The end of the window to buy: ``OFFER_WINDOW`` after the notification, or ``closes_at`` (the occurrence's
    start: holding seats past it helps nobody) if that comes first."""
    end = require_aware(notified_at, "notified_at") + OFFER_WINDOW
    if closes_at is not None:
        end = min(end, require_aware(closes_at, "closes_at"))
    return end


def offer_expired(*, notified_at: datetime, now: datetime, closes_at: datetime | None = None) -> bool:
    """Whether a notified entry's time to buy is over (it then expires and its seats go to the next in line)."""
    return require_aware(now, "now") >= offer_expires_at(notified_at, closes_at=closes_at)


def next_position(positions: Iterable[int]) -> int:
    """The position for a new entry: after everyone already queued (positions are never reused)."""
    return max(positions, default=0) + 1
