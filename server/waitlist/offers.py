"""Seats that open go to the waitlist first, in the transaction that opened them.

``seats_opened`` is the one entry point. Every path that gives seats back calls it before committing: a ticket
canceled or a hold expired (``server.bookings.capacity.end_tickets`` does it for all of them), a capacity raised
(``server.events``), a seat allotment given back (issue 5). For each occurrence it:

1. takes the occurrence's row lock (the transaction that freed seats holds it already). Every writer of waitlist
   entries takes it first, so the occurrence's entries are stable while we look at them, and a buyer racing for the
   freed seats waits on the same lock and then finds them held;
2. closes the waitlist of an occurrence that was canceled, completed or has started (its entries expire);
3. settles conversions whose order ended unpaid: the seats go back to the entry's hold if its window is still open,
   else the entry expires (its seats are free again, so the next in line gets them below, not the public);
4. expires offers whose window passed, giving their held seats back;
5. offers what is free to the queue (``shared.waitlist.match_open_seats``): each offer moves the seats into
   ``seats_blocked`` (and the held ticket type's ``quantity_blocked``) with the conditional UPDATEs of
   ``server.bookings.capacity``, marks the entry ``notified`` with its window, and queues the mail with the link.

Seats no waiting entry can use stay on public sale (a queue of four-seat requests does not freeze single seats).

A ticket type's stock spans the occurrences of its event, so quantity freed on one occurrence may let entries of
another fit: those occurrences are settled too, skipping (on PostgreSQL) any another transaction has locked, as
waiting there could deadlock; the periodic job (``sweep``) settles them a little later.

Correctness does not depend on the job: a buyer refused for lack of seats settles the occurrence (``expire_lapsed``)
before trying once more, exactly as with expired holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstanceState, Session, sessionmaker

from server.bookings import capacity
from server.bookings.models import Attendee, Order, OrderStatus, Ticket
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.notifications import service as notifications
from server.notifications.models import MessageKind
from server.waitlist.models import ACTIVE_STATUSES, WaitlistEntry
from shared import capacity as capacity_rules
from shared import waitlist as rules
from shared.enums import DefinitionStatus, OccurrenceStatus, TicketTypeStatus, WaitlistStatus

CLOSED = (OccurrenceStatus.CANCELED, OccurrenceStatus.COMPLETED)
# A conversion's order that ended without being paid.
DEAD_ORDER_STATUSES = (OrderStatus.EXPIRED, OrderStatus.CANCELED, OrderStatus.NEEDS_REFUND)


@dataclass(frozen=True)
class OccurrenceFacts:
    id: uuid.UUID
    org_id: uuid.UUID
    definition_id: uuid.UUID
    status: OccurrenceStatus
    start_at: datetime


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lock_occurrence(session: Session, occurrence_id: uuid.UUID, *, skip_locked: bool = False) -> OccurrenceFacts | None:
    """Takes the occurrence's row lock (PostgreSQL; SQLite's transaction is exclusive already). ``None`` when it
    does not exist or, with ``skip_locked``, another transaction holds it."""
    statement = sa.select(
        EventOccurrence.id,
        EventOccurrence.org_id,
        EventOccurrence.event_definition_id,
        EventOccurrence.status,
        EventOccurrence.start_at,
    ).where(EventOccurrence.id == occurrence_id)
    if is_postgresql(session):
        statement = statement.with_for_update(skip_locked=skip_locked)
    row = session.execute(statement).first()
    if row is None:
        return None
    return OccurrenceFacts(row.id, row.org_id, row.event_definition_id, row.status, row.start_at)


def adjust_count(session: Session, occurrence_id: uuid.UUID, delta: int, now: datetime) -> None:
    """Moves ``waitlist_count`` (entries waiting or notified) by ``delta``, atomically."""
    if delta:
        session.execute(
            sa.update(EventOccurrence)
            .where(EventOccurrence.id == occurrence_id)
            .values(waitlist_count=EventOccurrence.waitlist_count + delta, updated_at=now)
        )


def release_hold(session: Session, entry: WaitlistEntry, now: datetime) -> None:
    """Gives back the seats (and ticket-type quantity) blocked for a notified entry that has no order running."""
    capacity.unblock_occurrence_seats(
        session, occurrence_id=entry.event_occurrence_id, quantity=entry.quantity_requested, now=now
    )
    if entry.held_ticket_type_id is not None:
        capacity.unblock_ticket_type_quantity(
            session, ticket_type_id=entry.held_ticket_type_id, quantity=entry.quantity_requested, now=now
        )


def take_hold(
    session: Session, *, occurrence_id: uuid.UUID, ticket_type_id: uuid.UUID | None, quantity: int, now: datetime
) -> bool:
    """Blocks seats (and the type's quantity) for an entry, both or neither."""
    savepoint = session.begin_nested()
    if capacity.block_occurrence_seats(session, occurrence_id=occurrence_id, quantity=quantity, now=now) and (
        ticket_type_id is None
        or capacity.block_ticket_type_quantity(session, ticket_type_id=ticket_type_id, quantity=quantity, now=now)
    ):
        savepoint.commit()
        return True
    savepoint.rollback()
    return False


def _entries(session: Session, occurrence_id: uuid.UUID, *conditions: sa.ColumnElement[bool]) -> list[WaitlistEntry]:
    return list(
        session.scalars(
            sa.select(WaitlistEntry)
            .where(WaitlistEntry.event_occurrence_id == occurrence_id, *conditions)
            .order_by(WaitlistEntry.position)
            .execution_options(populate_existing=True)
        )
    )


def _end(session: Session, entries: list[WaitlistEntry], status: WaitlistStatus, now: datetime) -> None:
    for entry in entries:
        if entry.status is WaitlistStatus.NOTIFIED and entry.order_id is None:
            release_hold(session, entry, now)
        entry.status = status
        entry.updated_at = now
    if entries:
        session.flush()
        adjust_count(session, entries[0].event_occurrence_id, -len(entries), now)


def _close(session: Session, facts: OccurrenceFacts, now: datetime) -> None:
    """The occurrence will not sell any more: nobody is waiting for it."""
    _end(session, _entries(session, facts.id, WaitlistEntry.status.in_(ACTIVE_STATUSES)), WaitlistStatus.EXPIRED, now)


def _settle_conversions(session: Session, facts: OccurrenceFacts, now: datetime) -> None:
    dead = _entries(
        session,
        facts.id,
        WaitlistEntry.status == WaitlistStatus.NOTIFIED,
        WaitlistEntry.order_id.in_(sa.select(Order.id).where(Order.status.in_(DEAD_ORDER_STATUSES))),
    )
    lapsed = []
    for entry in dead:
        still_open = entry.expires_at is not None and now < entry.expires_at
        if still_open and take_hold(
            session,
            occurrence_id=facts.id,
            ticket_type_id=entry.held_ticket_type_id,
            quantity=entry.quantity_requested,
            now=now,
        ):
            entry.order_id = None
            entry.updated_at = now
        else:
            lapsed.append(entry)
    # Their seats were freed with their order's tickets: they leave with no hold to give back (``order_id`` is
    # kept, which is how ``_end`` tells).
    _end(session, lapsed, WaitlistStatus.EXPIRED, now)


def _expire_lapsed_offers(session: Session, facts: OccurrenceFacts, now: datetime) -> None:
    lapsed = _entries(
        session,
        facts.id,
        WaitlistEntry.status == WaitlistStatus.NOTIFIED,
        WaitlistEntry.order_id.is_(None),
        WaitlistEntry.expires_at <= now,
    )
    _end(session, lapsed, WaitlistStatus.EXPIRED, now)


@dataclass(frozen=True)
class Stock:
    """What the occurrence and each of its ticket types on sale have free, as ``shared.waitlist`` wants it."""

    seats: int | None
    per_ticket_type: dict[uuid.UUID, int | None]
    quantity_limits: dict[uuid.UUID, tuple[int, int]]


def read_stock(session: Session, occurrence_id: uuid.UUID, now: datetime) -> Stock:
    row = session.execute(
        sa.select(
            EventOccurrence.capacity_override,
            EventOccurrence.seats_sold,
            EventOccurrence.seats_blocked,
            EventOccurrence.event_definition_id,
            EventDefinition.max_capacity,
        )
        .join(EventDefinition, EventDefinition.id == EventOccurrence.event_definition_id)
        .where(EventOccurrence.id == occurrence_id)
    ).one()
    total = capacity_rules.effective_capacity(capacity_override=row.capacity_override, max_capacity=row.max_capacity)
    seats = capacity_rules.seats_available(capacity=total, seats_sold=row.seats_sold, seats_blocked=row.seats_blocked)
    types = session.execute(
        sa.select(
            TicketType.id,
            TicketType.quantity_available,
            TicketType.quantity_sold,
            TicketType.quantity_blocked,
            TicketType.min_quantity,
            TicketType.max_quantity,
        ).where(
            TicketType.event_definition_id == row.event_definition_id,
            TicketType.status != TicketTypeStatus.DISABLED,
            sa.or_(TicketType.valid_from.is_(None), TicketType.valid_from <= now),
            sa.or_(TicketType.valid_until.is_(None), TicketType.valid_until > now),
        )
    ).all()
    per_type: dict[uuid.UUID, int | None] = {
        t.id: capacity_rules.seats_available(
            capacity=t.quantity_available, seats_sold=t.quantity_sold, seats_blocked=t.quantity_blocked
        )
        for t in types
    }
    return Stock(seats, per_type, {t.id: (t.min_quantity, t.max_quantity) for t in types})


def _offer(session: Session, facts: OccurrenceFacts, now: datetime) -> list[uuid.UUID]:
    waiting = _entries(session, facts.id, WaitlistEntry.status == WaitlistStatus.WAITING)
    if not waiting:
        return []
    stock = read_stock(session, facts.id, now)
    if stock.seats == 0:
        return []
    by_id = {entry.id: entry for entry in waiting}
    offers = rules.match_open_seats(
        entries=[
            rules.WaitingEntry(e.id, e.position, e.quantity_requested, e.ticket_type_id, e.created_at) for e in waiting
        ],
        seats=stock.seats,
        per_ticket_type=stock.per_ticket_type,
        quantity_limits=stock.quantity_limits,
    )
    offered = []
    for offer in offers:
        entry = by_id[offer.entry_id]
        if not take_hold(
            session, occurrence_id=facts.id, ticket_type_id=offer.ticket_type_id, quantity=offer.quantity, now=now
        ):
            # Another occurrence of the same event took the type's quantity meanwhile: the entry keeps its place.
            continue
        entry.status = WaitlistStatus.NOTIFIED
        entry.notified_at = now
        entry.expires_at = rules.offer_expires_at(now, closes_at=facts.start_at)
        entry.held_ticket_type_id = offer.ticket_type_id
        entry.updated_at = now
        offered.append(entry.id)
        notifications.enqueue(
            session=session,
            org_id=entry.org_id,
            kind=MessageKind.WAITLIST_OFFER,
            recipient=session.scalar(sa.select(Attendee.email).where(Attendee.id == entry.attendee_id)),
            payload={"entry_id": str(entry.id)},
            now=now,
        )
    session.flush()
    return offered


def settle(session: Session, occurrence_id: uuid.UUID, now: datetime, *, skip_locked: bool = False) -> list[uuid.UUID]:
    """Brings one occurrence's waitlist up to date (steps 1-5 above); returns the entries offered seats."""
    facts = lock_occurrence(session, occurrence_id, skip_locked=skip_locked)
    if facts is None:
        return []
    if facts.status in CLOSED or now >= facts.start_at:
        _close(session, facts, now)
        return []
    _settle_conversions(session, facts, now)
    _expire_lapsed_offers(session, facts, now)
    definition_status = session.scalar(
        sa.select(EventDefinition.status).where(EventDefinition.id == facts.definition_id)
    )
    if definition_status is not DefinitionStatus.ACTIVE:
        return []  # a paused event sells nothing; its queue keeps its order for when it resumes
    return _offer(session, facts, now)


def _waiting_on(session: Session, ticket_types: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Occurrences with people waiting whose event sells one of these ticket types."""
    definitions = sa.select(TicketType.event_definition_id).where(TicketType.id.in_(list(ticket_types)))
    return set(
        session.scalars(
            sa.select(WaitlistEntry.event_occurrence_id)
            .join(EventOccurrence, EventOccurrence.id == WaitlistEntry.event_occurrence_id)
            .where(
                WaitlistEntry.status == WaitlistStatus.WAITING,
                EventOccurrence.event_definition_id.in_(definitions),
            )
            .distinct()
        )
    )


def seats_opened(
    *,
    session: Session,
    now: datetime,
    occurrences: Iterable[uuid.UUID] = (),
    ticket_types: Iterable[uuid.UUID] = (),
) -> list[uuid.UUID]:
    """Seats opened on ``occurrences`` (and quantity on ``ticket_types``): offer them to the waitlist now, inside
    the caller's transaction, after the counters moved. Does not commit. Returns the entries offered seats.

    Call it from any path that frees seats, e.g. ``seats_opened(session=session, now=now, occurrences=[occ_id])``
    after giving a device allotment back (``seats_blocked`` lowered).
    """
    # The caller's pending ORM changes first (the session does not autoflush): an occurrence just set canceled must
    # look canceled here.
    session.flush()
    primary = sorted(set(occurrences))
    offered: list[uuid.UUID] = []
    for occurrence_id in primary:
        offered += settle(session, occurrence_id, now)
    types = sorted(set(ticket_types))
    if types:
        for occurrence_id in sorted(_waiting_on(session, types) - set(primary)):
            offered += settle(session, occurrence_id, now, skip_locked=True)
    forget_counters(session)
    return offered


def start_moved(*, session: Session, occurrence_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """The occurrence's start moved: open offers' windows follow it (``shared.waitlist.offer_expires_at``: never past
    the start, so a start brought forward shortens them and one put back gives back what it took), then the
    occurrence is settled, so an offer now past its window passes its seats on. Does not commit."""
    session.flush()
    facts = lock_occurrence(session, occurrence_id)
    if facts is None:
        return []
    for entry in _entries(session, occurrence_id, WaitlistEntry.status == WaitlistStatus.NOTIFIED):
        if entry.notified_at is None:
            continue
        expires_at = rules.offer_expires_at(entry.notified_at, closes_at=facts.start_at)
        if expires_at != entry.expires_at:
            entry.expires_at = expires_at
            entry.updated_at = now
    return seats_opened(session=session, now=now, occurrences=[occurrence_id])


def forget_counters(session: Session) -> None:
    """The counters moved by SQL behind the ORM's back: loaded occurrences and ticket types read them afresh."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, EventOccurrence):
            names = ["seats_sold", "seats_blocked", "waitlist_count"]
        elif isinstance(obj, TicketType):
            names = ["quantity_sold", "quantity_blocked", "status"]
        else:
            continue
        state: InstanceState[Any] = sa.inspect(obj)
        clean = [name for name in names if not state.attrs[name].history.has_changes()]
        if clean and state.persistent:
            session.expire(obj, clean)


def expire_lapsed(
    session: Session, *, now: datetime, occurrence_id: uuid.UUID, ticket_type_id: uuid.UUID | None = None
) -> bool:
    """For a buyer refused for lack of seats: settles the occurrence (and those holding the type's quantity for
    lapsed offers), so an offer whose window passed gives its seats to the next in line, or back on sale. Whether
    anything was given back that the buyer might now get."""
    before = _free(session, occurrence_id, ticket_type_id)
    targets = {occurrence_id}
    if ticket_type_id is not None:
        targets |= set(
            session.scalars(
                sa.select(WaitlistEntry.event_occurrence_id)
                .where(
                    WaitlistEntry.held_ticket_type_id == ticket_type_id,
                    WaitlistEntry.status == WaitlistStatus.NOTIFIED,
                    WaitlistEntry.order_id.is_(None),
                    WaitlistEntry.expires_at <= now,
                )
                .distinct()
            )
        )
    seats_opened(session=session, now=now, occurrences=targets)
    return _free(session, occurrence_id, ticket_type_id) != before


def _free(session: Session, occurrence_id: uuid.UUID, ticket_type_id: uuid.UUID | None) -> tuple[int, int]:
    blocked = session.scalar(sa.select(EventOccurrence.seats_blocked).where(EventOccurrence.id == occurrence_id))
    type_blocked = 0
    if ticket_type_id is not None:
        type_blocked = (
            session.scalar(sa.select(TicketType.quantity_blocked).where(TicketType.id == ticket_type_id)) or 0
        )
    return int(blocked or 0), int(type_blocked)


def converted(session: Session, *, order_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    """The order bought through a waitlist link was paid: the entry is converted (its first ticket recorded) and
    leaves the line. Inside the payment's transaction; the entry whose order this is, if any."""
    entry_ref = session.execute(
        sa.select(WaitlistEntry.id, WaitlistEntry.event_occurrence_id).where(
            WaitlistEntry.order_id == order_id, WaitlistEntry.status == WaitlistStatus.NOTIFIED
        )
    ).first()
    if entry_ref is None:
        return None
    lock_occurrence(session, entry_ref.event_occurrence_id)
    first_ticket = session.scalar(
        sa.select(Ticket.id).where(Ticket.order_id == order_id).order_by(Ticket.created_at, Ticket.id).limit(1)
    )
    claimed = session.scalar(
        sa.update(WaitlistEntry)
        .where(
            WaitlistEntry.id == entry_ref.id,
            WaitlistEntry.status == WaitlistStatus.NOTIFIED,
            WaitlistEntry.order_id == order_id,
        )
        .values(status=WaitlistStatus.CONVERTED, converted_ticket_id=first_ticket, updated_at=now)
        .returning(WaitlistEntry.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is not None:
        adjust_count(session, entry_ref.event_occurrence_id, -1, now)
    return claimed


def candidates_for_sweep(session: Session, *, now: datetime, limit: int) -> list[uuid.UUID]:
    """Occurrences whose waitlist needs settling: an offer's window passed, a conversion's order ended unpaid, the
    occurrence closed or started with people still in line, or people waiting while seats are free."""
    total = capacity.occurrence_capacity()
    lapsed = sa.and_(
        WaitlistEntry.status == WaitlistStatus.NOTIFIED,
        WaitlistEntry.order_id.is_(None),
        WaitlistEntry.expires_at <= now,
    )
    dead_conversion = sa.and_(
        WaitlistEntry.status == WaitlistStatus.NOTIFIED,
        WaitlistEntry.order_id.in_(sa.select(Order.id).where(Order.status.in_(DEAD_ORDER_STATUSES))),
    )
    closed = sa.and_(
        WaitlistEntry.status.in_(ACTIVE_STATUSES),
        sa.or_(EventOccurrence.status.in_(CLOSED), EventOccurrence.start_at <= now),
    )
    seats_free = sa.and_(
        WaitlistEntry.status == WaitlistStatus.WAITING,
        sa.or_(total.is_(None), EventOccurrence.seats_sold + EventOccurrence.seats_blocked < total),
    )
    return list(
        session.scalars(
            sa.select(WaitlistEntry.event_occurrence_id)
            .join(EventOccurrence, EventOccurrence.id == WaitlistEntry.event_occurrence_id)
            .where(sa.or_(lapsed, dead_conversion, closed, seats_free))
            .distinct()
            .limit(limit)
        )
    )


def sweep(*, session_factory: sessionmaker[Session], now: datetime, batch: int = 200) -> int:
    """The periodic job: settles every occurrence that needs it, each in its own short transaction, skipping (on
    PostgreSQL) one another process or a buyer holds: that one is being settled there, or is next round's. Safe
    with several processes. Returns how many entries were offered seats."""
    with session_factory() as session:
        candidates = candidates_for_sweep(session, now=now, limit=batch)
    offered = 0
    for occurrence_id in candidates:
        with session_factory() as session:
            offered += len(settle(session, occurrence_id, now, skip_locked=True))
            session.commit()
    return offered
