"""Seats and ticket-type quantities, taken and given back with conditional UPDATEs.

Each counter moves in one statement whose WHERE clause is the capacity rule of ``shared.capacity.fits`` written in
SQL: ``capacity IS NULL OR seats_sold + seats_blocked + n <= capacity``. That statement is the capacity lock:

* PostgreSQL: the UPDATE takes the row lock; a racer blocks on it and, when the holder commits, re-evaluates the
  WHERE clause against the new row version (READ COMMITTED's re-check), so two buyers can never both take the last
  seat. The lock is held until COMMIT, so the booking path takes it as late and keeps it as briefly as it can.
* SQLite: every transaction begins with BEGIN IMMEDIATE (``server.db.engine``), one writer at a time.

Locks are always taken in the same order to rule out deadlocks: orders, then tickets, then the occurrence, then
ticket types.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from server.bookings.models import Order, OrderStatus, Ticket
from server.events.models import EventDefinition, EventOccurrence, TicketType
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


def take_occurrence_seats(
    connection: Session | Connection, *, occurrence_id: uuid.UUID, quantity: int, now: datetime
) -> bool:
    capacity = occurrence_capacity()
    statement = (
        sa.update(EventOccurrence)
        .where(
            EventOccurrence.id == occurrence_id,
            EventOccurrence.status.not_in(CLOSED_OCCURRENCE_STATUSES),
            sa.or_(
                capacity.is_(None),
                EventOccurrence.seats_sold + EventOccurrence.seats_blocked + quantity <= capacity,
            ),
        )
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
        .where(
            TicketType.id == ticket_type_id,
            TicketType.status != TicketTypeStatus.DISABLED,
            sa.or_(available.is_(None), TicketType.quantity_sold + quantity <= available),
        )
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
    expired_ids = session.scalars(
        sa.update(Order)
        .where(Order.id.in_(candidates), Order.status == OrderStatus.PENDING)
        .values(status=OrderStatus.EXPIRED, expired_at=now, updated_at=now)
        .returning(Order.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not expired_ids:
        return ReleasedSeats((), {}, {})
    return end_tickets(
        session,
        ticket_filter=Ticket.order_id.in_(expired_ids),
        new_status=TicketStatus.CANCELED,
        reason=HOLD_EXPIRED_REASON,
        now=now,
    )
