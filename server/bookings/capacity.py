"""Seats and ticket-type quantities, taken and given back with conditional UPDATEs.

Each counter moves in one statement whose WHERE clause is the capacity rule of ``shared.capacity.fits`` written in
SQL: ``capacity IS NULL OR seats_sold + seats_blocked + n <= capacity``. That statement is the capacity lock:

* PostgreSQL: the UPDATE takes the row lock; a racer blocks on it and, when the holder commits, re-evaluates the
  WHERE clause against the new row version (READ COMMITTED's re-check), so two buyers can never both take the last
  seat. The lock is held until COMMIT, so the booking path takes it as late and keeps it as briefly as it can.
* SQLite: every transaction begins with BEGIN IMMEDIATE (``server.db.engine``), one writer at a time.

Locks are always taken in the same order to rule out deadlocks: orders, then tickets, then the occurrence, then its
waitlist entries, then ticket types, then package bookings and their villa nights.

Seats held for a notified waitlist entry are *blocked*: out of capacity (``seats_blocked``, and the held ticket
type's ``quantity_blocked``) without being tickets. Buying through the entry's link moves them from blocked to sold.

Every path that gives seats back ends in ``end_tickets``, which hands them to the waitlist first, in the same
transaction (``server.waitlist.offers.seats_opened``): a buyer waiting on the occurrence's row lock finds them taken.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from server.bookings.models import Order, OrderStatus, Ticket
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.packages import holds as package_holds
from shared.enums import OccurrenceStatus, TicketStatus, TicketTypeStatus

# Race guards, not the sales rules (those are checked before, in ``shared``): an occurrence canceled or a ticket type
# disabled between that check and the UPDATE must not take a seat.
CLOSED_OCCURRENCE_STATUSES = (OccurrenceStatus.CANCELED, OccurrenceStatus.COMPLETED)
# Statuses whose tickets occupy a seat (what ``seats_sold`` counts).
SEAT_HOLDING_STATUSES = (TicketStatus.RESERVED, TicketStatus.CONFIRMED, TicketStatus.CHECKED_IN)


def occurrence_capacity() -> sa.ColumnElement[int | None]:
    """The occurrence's effective capacity in SQL (``shared.capacity.effective_capacity``)."""
    definition_max = (
        sa.select(EventDefinition.max_capacity)
        .where(EventDefinition.id == EventOccurrence.event_definition_id)
        .scalar_subquery()
    )
    return sa.func.coalesce(EventOccurrence.capacity_override, definition_max)


def _occurrence_has_room(occurrence_id: uuid.UUID, quantity: int) -> tuple[sa.ColumnElement[bool], ...]:
    """The capacity rule for taking or blocking ``quantity`` seats: what the conditional UPDATE's WHERE says."""
    capacity = occurrence_capacity()
    return (
        EventOccurrence.id == occurrence_id,
        EventOccurrence.status.not_in(CLOSED_OCCURRENCE_STATUSES),
        sa.or_(capacity.is_(None), EventOccurrence.seats_sold + EventOccurrence.seats_blocked + quantity <= capacity),
    )


def _ticket_type_has_room(ticket_type_id: uuid.UUID, quantity: int) -> tuple[sa.ColumnElement[bool], ...]:
    available = TicketType.quantity_available
    return (
        TicketType.id == ticket_type_id,
        TicketType.status != TicketTypeStatus.DISABLED,
        sa.or_(available.is_(None), TicketType.quantity_sold + TicketType.quantity_blocked + quantity <= available),
    )


def take_occurrence_seats(
    connection: Session | Connection, *, occurrence_id: uuid.UUID, quantity: int, now: datetime
) -> bool:
    statement = (
        sa.update(EventOccurrence)
        .where(*_occurrence_has_room(occurrence_id, quantity))
        .values(seats_sold=EventOccurrence.seats_sold + quantity, updated_at=now)
        .returning(EventOccurrence.id)
    )
    return connection.execute(statement).first() is not None


def take_ticket_type_quantity(
    connection: Session | Connection, *, ticket_type_id: uuid.UUID, quantity: int, now: datetime
) -> bool:
    """Counts ``quantity`` more sold; the type turns ``sold_out`` in the same statement when that fills it."""
    available = TicketType.quantity_available
    statement = (
        sa.update(TicketType)
        .where(*_ticket_type_has_room(ticket_type_id, quantity))
        .values(
            quantity_sold=TicketType.quantity_sold + quantity,
            status=sa.case(
                (
                    sa.and_(available.is_not(None), TicketType.quantity_sold + quantity >= available),
                    TicketTypeStatus.SOLD_OUT,
                ),
                else_=TicketType.status,
            ),
            updated_at=now,
        )
        .returning(TicketType.id)
    )
    return connection.execute(statement).first() is not None


def release_occurrence_seats(
    connection: Session | Connection, *, occurrence_id: uuid.UUID, quantity: int, now: datetime
) -> None:
    connection.execute(
        sa.update(EventOccurrence)
        .where(EventOccurrence.id == occurrence_id)
        .values(seats_sold=EventOccurrence.seats_sold - quantity, updated_at=now)
    )


def release_ticket_type_quantity(
    connection: Session | Connection, *, ticket_type_id: uuid.UUID, quantity: int, now: datetime
) -> None:
    """Gives quantity back; a ``sold_out`` type that has room again becomes ``active``."""
    connection.execute(
        sa.update(TicketType)
        .where(TicketType.id == ticket_type_id)
        .values(
            quantity_sold=TicketType.quantity_sold - quantity,
            status=sa.case(
                (
                    sa.and_(
                        TicketType.status == TicketTypeStatus.SOLD_OUT,
                        sa.or_(
                            TicketType.quantity_available.is_(None),
                            TicketType.quantity_sold - quantity < TicketType.quantity_available,
                        ),
                    ),
                    TicketTypeStatus.ACTIVE,
                ),
                else_=TicketType.status,
            ),
            updated_at=now,
        )
    )


def block_occurrence_seats(
    connection: Session | Connection, *, occurrence_id: uuid.UUID, quantity: int, now: datetime
) -> bool:
    """Takes ``quantity`` seats out of sale without tickets (a waitlist offer), by the same capacity rule."""
    statement = (
        sa.update(EventOccurrence)
        .where(*_occurrence_has_room(occurrence_id, quantity))
        .values(seats_blocked=EventOccurrence.seats_blocked + quantity, updated_at=now)
        .returning(EventOccurrence.id)
    )
    return connection.execute(statement).first() is not None


def block_ticket_type_quantity(
    connection: Session | Connection, *, ticket_type_id: uuid.UUID, quantity: int, now: datetime
) -> bool:
    statement = (
        sa.update(TicketType)
        .where(*_ticket_type_has_room(ticket_type_id, quantity))
        .values(quantity_blocked=TicketType.quantity_blocked + quantity, updated_at=now)
        .returning(TicketType.id)
    )
    return connection.execute(statement).first() is not None


def unblock_occurrence_seats(
    connection: Session | Connection, *, occurrence_id: uuid.UUID, quantity: int, now: datetime
) -> None:
    connection.execute(
        sa.update(EventOccurrence)
        .where(EventOccurrence.id == occurrence_id)
        .values(seats_blocked=EventOccurrence.seats_blocked - quantity, updated_at=now)
    )


def unblock_ticket_type_quantity(
    connection: Session | Connection, *, ticket_type_id: uuid.UUID, quantity: int, now: datetime
) -> None:
    connection.execute(
        sa.update(TicketType)
        .where(TicketType.id == ticket_type_id)
        .values(quantity_blocked=TicketType.quantity_blocked - quantity, updated_at=now)
    )


def sell_blocked_occurrence_seats(
    connection: Session | Connection, *, occurrence_id: uuid.UUID, quantity: int, now: datetime
) -> bool:
    """Blocked seats become sold ones (a waitlist entry buying what was held for it): capacity is not asked again,
    the seats were already out of it. Refused if fewer are blocked, or the occurrence closed meanwhile."""
    statement = (
        sa.update(EventOccurrence)
        .where(
            EventOccurrence.id == occurrence_id,
            EventOccurrence.status.not_in(CLOSED_OCCURRENCE_STATUSES),
            EventOccurrence.seats_blocked >= quantity,
        )
        .values(
            seats_blocked=EventOccurrence.seats_blocked - quantity,
            seats_sold=EventOccurrence.seats_sold + quantity,
            updated_at=now,
        )
        .returning(EventOccurrence.id)
    )
    return connection.execute(statement).first() is not None


def sell_blocked_ticket_type_quantity(
    connection: Session | Connection, *, ticket_type_id: uuid.UUID, quantity: int, now: datetime
) -> bool:
    available = TicketType.quantity_available
    statement = (
        sa.update(TicketType)
        .where(
            TicketType.id == ticket_type_id,
            TicketType.status != TicketTypeStatus.DISABLED,
            TicketType.quantity_blocked >= quantity,
        )
        .values(
            quantity_blocked=TicketType.quantity_blocked - quantity,
            quantity_sold=TicketType.quantity_sold + quantity,
            status=sa.case(
                (
                    sa.and_(available.is_not(None), TicketType.quantity_sold + quantity >= available),
                    TicketTypeStatus.SOLD_OUT,
                ),
                else_=TicketType.status,
            ),
            updated_at=now,
        )
        .returning(TicketType.id)
    )
    return connection.execute(statement).first() is not None


@dataclass(frozen=True)
class ReleasedSeats:
    """Tickets that stopped holding a seat, by occurrence and by ticket type."""

    ticket_ids: tuple[uuid.UUID, ...]
    by_occurrence: dict[uuid.UUID, int]
    by_ticket_type: dict[uuid.UUID, int]

    @property
    def count(self) -> int:
        return len(self.ticket_ids)


def json_with(column: Any, dialect_name: str, key: str, value: str) -> Any:
    """``column`` (a JSON settings document) with ``key`` set to ``value``, keeping its other keys."""
    if dialect_name == "postgresql":
        return sa.cast(column.op("||")(sa.func.jsonb_build_object(key, value)), column.type)
    return sa.func.json_set(column, f"$.{key}", value)


def end_tickets(
    session: Session,
    *,
    ticket_filter: sa.ColumnElement[bool],
    new_status: TicketStatus,
    reason: str,
    now: datetime,
    refund_amount_cents: sa.ColumnElement[int] | int | None = None,
) -> ReleasedSeats:
    """Moves the matching seat-holding tickets to ``new_status`` (canceled) and gives their seats and quantities
    back. The UPDATE ... RETURNING decides which tickets this transaction ended, so a racer that ended them first
    makes this one release nothing."""
    dialect = session.get_bind().dialect.name
    values: dict[str, object] = {
        "status": new_status,
        "canceled_at": now,
        "updated_at": now,
        "settings": json_with(Ticket.settings, dialect, "canceled_reason", reason),
    }
    if refund_amount_cents is not None:
        values["refund_amount_cents"] = refund_amount_cents
    rows = session.execute(
        sa.update(Ticket)
        .where(ticket_filter, Ticket.status.in_(SEAT_HOLDING_STATUSES))
        .values(**values)
        .returning(Ticket.id, Ticket.event_occurrence_id, Ticket.ticket_type_id)
        .execution_options(synchronize_session=False)
    ).all()
    by_occurrence = Counter(row.event_occurrence_id for row in rows)
    by_ticket_type = Counter(row.ticket_type_id for row in rows)
    for occurrence_id in sorted(by_occurrence):
        release_occurrence_seats(session, occurrence_id=occurrence_id, quantity=by_occurrence[occurrence_id], now=now)
    for ticket_type_id in sorted(by_ticket_type):
        release_ticket_type_quantity(
            session, ticket_type_id=ticket_type_id, quantity=by_ticket_type[ticket_type_id], now=now
        )
    if rows:
        # The waitlist's turn comes first, in this transaction. Imported here: the waitlist books through this module.
        from server.waitlist import offers as waitlist_offers

        waitlist_offers.seats_opened(session=session, now=now, occurrences=by_occurrence, ticket_types=by_ticket_type)
    return ReleasedSeats(tuple(row.id for row in rows), dict(by_occurrence), dict(by_ticket_type))


HOLD_EXPIRED_REASON = "hold_expired"


def release_expired_holds(
    session: Session,
    *,
    now: datetime,
    occurrence_id: uuid.UUID | None = None,
    ticket_type_id: uuid.UUID | None = None,
    limit: int | None = None,
) -> ReleasedSeats:
    """Expires pending orders whose hold ran out and frees their seats: those standing in the way of a sale (of its
    occurrence, or of its ticket type, whose stock spans occurrences), or any. Does not commit.

    The UPDATE on ``orders`` claims them: of two transactions racing over the same order, the second finds it no
    longer pending and releases nothing. On PostgreSQL the sweeper's variant (``limit``) skips orders another
    process has locked, so several sweepers share the work instead of queueing behind each other.
    """
    claimable = sa.select(Order.id).where(
        Order.status == OrderStatus.PENDING, Order.hold_expires_at.is_not(None), Order.hold_expires_at <= now
    )
    in_the_way = []
    if occurrence_id is not None:
        in_the_way.append(Order.event_occurrence_id == occurrence_id)
    if ticket_type_id is not None:
        in_the_way.append(Order.ticket_type_id == ticket_type_id)
    if in_the_way:
        claimable = claimable.where(sa.or_(*in_the_way))
    if limit is not None:
        claimable = claimable.order_by(Order.hold_expires_at).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            claimable = claimable.with_for_update(skip_locked=True)
    # Two statements: PostgreSQL may evaluate a "LIMIT ... FOR UPDATE SKIP LOCKED" subquery inside an UPDATE more
    # than once and so claim more than ``limit`` rows. The UPDATE re-checks "still pending" under the row lock.
    candidates = list(session.scalars(claimable))
    if not candidates:
        return ReleasedSeats((), {}, {})
    expired = session.execute(
        sa.update(Order)
        .where(Order.id.in_(candidates), Order.status == OrderStatus.PENDING)
        .values(status=OrderStatus.EXPIRED, expired_at=now, updated_at=now)
        .returning(Order.id, Order.booking_id)
        .execution_options(synchronize_session=False)
    ).all()
    return _end_expired_orders(session, expired, now)


def _end_expired_orders(
    session: Session, expired: Sequence[sa.Row[uuid.UUID, uuid.UUID | None]], now: datetime
) -> ReleasedSeats:
    """The tickets of orders just claimed as expired. A package holds its parts together: the other pending orders
    of the same package booking expire with them, and the booking lets its villa nights go."""
    expired_ids = [row.id for row in expired]
    booking_ids = sorted({row.booking_id for row in expired if row.booking_id is not None})
    if booking_ids:
        siblings = sa.select(Order.id).where(Order.booking_id.in_(booking_ids), Order.status == OrderStatus.PENDING)
        if session.get_bind().dialect.name == "postgresql":
            # A sibling another transaction holds is being released (or paid) there: waiting for it could deadlock
            # with a releaser that started from that sibling.
            siblings = siblings.with_for_update(skip_locked=True)
        sibling_ids = list(session.scalars(siblings))
        if sibling_ids:
            expired_ids += session.scalars(
                sa.update(Order)
                .where(Order.id.in_(sibling_ids), Order.status == OrderStatus.PENDING)
                .values(status=OrderStatus.EXPIRED, expired_at=now, updated_at=now)
                .returning(Order.id)
                .execution_options(synchronize_session=False)
            ).all()
    if not expired_ids:
        return ReleasedSeats((), {}, {})
    released = end_tickets(
        session,
        ticket_filter=Ticket.order_id.in_(expired_ids),
        new_status=TicketStatus.CANCELED,
        reason=HOLD_EXPIRED_REASON,
        now=now,
    )
    package_holds.expire_bookings(session, booking_ids=booking_ids, now=now)
    return released


def release_expired_package_holds(session: Session, *, booking_ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Expires those of these package bookings whose hold ran out, with all their orders, seats and nights (for a
    package booking that needs villa nights one of them holds)."""
    due = package_holds.expired_pending(session, booking_ids=booking_ids, now=now) if booking_ids else []
    if not due:
        return
    expired = session.execute(
        sa.update(Order)
        .where(Order.booking_id.in_(due), Order.status == OrderStatus.PENDING)
        .values(status=OrderStatus.EXPIRED, expired_at=now, updated_at=now)
        .returning(Order.id, Order.booking_id)
        .execution_options(synchronize_session=False)
    ).all()
    _end_expired_orders(session, expired, now)
    # Bookings without a pending order left (their orders were released already) expire here.
    package_holds.expire_bookings(session, booking_ids=due, now=now)
