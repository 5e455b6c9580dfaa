"""Seat allotments: blocks of seats a box-office device sells from while offline, without ever overselling.

Taking an allotment moves N seats into the occurrence's ``seats_blocked`` with the same conditional UPDATE that
reservations use (``seats_sold + seats_blocked + n <= capacity``, ``shared.capacity.fits`` in SQL), so the seats are
out of everybody else's reach and show in the capacity figures. A sale inside the allotment converts blocked seats
into sold ones in one statement per counter, guarded by the allotment row's own conditional UPDATE; it cannot fail
for capacity. Ending an allotment (released, reclaimed, closed) gives back what was not used, once: the allotment
row's status change is the claim.

An allotment of one ticket type also takes that type's quantity up front (``quantity_sold``, like a hold), so the
offline sales it covers cannot exceed the type's stock either; the unused part goes back with the seats.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from server.bookings import capacity
from server.devices.models import AllotmentStatus, Device, SeatAllotment
from server.errors import Conflict, NotFound
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.waitlist import offers as waitlist_offers
from shared.checkin import OccurrenceSnapshot, parse_check_in_settings
from shared.enums import OccurrenceStatus

logger = logging.getLogger(__name__)


def block_occurrence_seats(session: Session, *, occurrence_id: uuid.UUID, seats: int, now: datetime) -> bool:
    """Moves ``seats`` into ``seats_blocked`` if they fit (the reservation path's rule, see ``bookings.capacity``)."""
    cap = capacity.occurrence_capacity()
    statement = (
        sa.update(EventOccurrence)
        .where(
            EventOccurrence.id == occurrence_id,
            EventOccurrence.status.not_in(capacity.CLOSED_OCCURRENCE_STATUSES),
            sa.or_(cap.is_(None), EventOccurrence.seats_sold + EventOccurrence.seats_blocked + seats <= cap),
        )
        .values(seats_blocked=EventOccurrence.seats_blocked + seats, updated_at=now)
        .returning(EventOccurrence.id)
    )
    return session.execute(statement).first() is not None


def request_allotment(
    *,
    session: Session,
    device: Device,
    occurrence_id: uuid.UUID,
    seats: int,
    ticket_type_id: uuid.UUID | None,
    now: datetime,
) -> SeatAllotment:
    """Set ``seats`` aside for ``device`` (the caller checked its role and scope). Commits; 409 if they do not fit."""
    if ticket_type_id is not None:
        belongs = session.scalar(
            sa.select(TicketType.id)
            .join(EventOccurrence, EventOccurrence.event_definition_id == TicketType.event_definition_id)
            .where(TicketType.id == ticket_type_id, EventOccurrence.id == occurrence_id)
        )
        if belongs is None:
            raise NotFound("ticket_type_not_found", "No such ticket type for this occurrence.", field="ticket_type_id")

    def attempt() -> str | None:
        savepoint = session.begin_nested()
        if not block_occurrence_seats(session, occurrence_id=occurrence_id, seats=seats, now=now):
            savepoint.rollback()
            return "occurrence"
        if ticket_type_id is not None and not capacity.take_ticket_type_quantity(
            session, ticket_type_id=ticket_type_id, quantity=seats, now=now
        ):
            savepoint.rollback()
            return "ticket_type"
        savepoint.commit()
        return None

    refused = attempt()
    if refused is not None:
        released = capacity.release_expired_holds(
            session, now=now, occurrence_id=occurrence_id, ticket_type_id=ticket_type_id
        )
        refused = attempt() if released.count else refused
    if refused is not None:
        session.rollback()
        code = "ticket_type_sold_out" if refused == "ticket_type" else "sold_out"
        raise Conflict(code, f"{seats} seats do not fit in what is left.", field="seats")
    allotment = SeatAllotment(
        org_id=device.org_id,
        device_id=device.id,
        event_occurrence_id=occurrence_id,
        ticket_type_id=ticket_type_id,
        seats=seats,
        seats_used=0,
        status=AllotmentStatus.ACTIVE,
        details={},
        created_at=now,
        updated_at=now,
    )
    session.add(allotment)
    session.commit()
    return allotment


def use_allotment(
    session: Session, *, allotment_id: uuid.UUID, device_id: uuid.UUID, seats: int, now: datetime
) -> SeatAllotment | None:
    """Turn ``seats`` blocked seats of an active allotment into sold ones, if it has that many left; in the
    caller's transaction. ``None`` when it has not (or is not this device's, or has ended)."""
    row = session.execute(
        sa.update(SeatAllotment)
        .where(
            SeatAllotment.id == allotment_id,
            SeatAllotment.device_id == device_id,
            SeatAllotment.status == AllotmentStatus.ACTIVE,
            SeatAllotment.seats_used + seats <= SeatAllotment.seats,
        )
        .values(seats_used=SeatAllotment.seats_used + seats, updated_at=now)
        .returning(SeatAllotment.id, SeatAllotment.event_occurrence_id)
    ).first()
    if row is None:
        return None
    session.execute(
        sa.update(EventOccurrence)
        .where(EventOccurrence.id == row.event_occurrence_id)
        .values(
            seats_blocked=EventOccurrence.seats_blocked - seats,
            seats_sold=EventOccurrence.seats_sold + seats,
            updated_at=now,
        )
    )
    return session.get_one(SeatAllotment, allotment_id, populate_existing=True)


def seats_left(session: Session, *, allotment_id: uuid.UUID, device_id: uuid.UUID) -> int:
    row = session.execute(
        sa.select(SeatAllotment.seats, SeatAllotment.seats_used).where(
            SeatAllotment.id == allotment_id,
            SeatAllotment.device_id == device_id,
            SeatAllotment.status == AllotmentStatus.ACTIVE,
        )
    ).first()
    return 0 if row is None else row.seats - row.seats_used


def end_allotment(session: Session, *, allotment_id: uuid.UUID, status: AllotmentStatus, now: datetime) -> int | None:
    """End an active allotment and give its unused seats (and ticket-type quantity) back, in the caller's
    transaction. The status change claims it: ending it twice gives back once. ``None`` if it was not active."""
    row = session.execute(
        sa.update(SeatAllotment)
        .where(SeatAllotment.id == allotment_id, SeatAllotment.status == AllotmentStatus.ACTIVE)
        .values(status=status, ended_at=now, updated_at=now)
        .returning(
            SeatAllotment.event_occurrence_id,
            SeatAllotment.ticket_type_id,
            SeatAllotment.seats,
            SeatAllotment.seats_used,
        )
    ).first()
    if row is None:
        return None
    unused = row.seats - row.seats_used
    if unused:
        session.execute(
            sa.update(EventOccurrence)
            .where(EventOccurrence.id == row.event_occurrence_id)
            .values(seats_blocked=EventOccurrence.seats_blocked - unused, updated_at=now)
        )
        if row.ticket_type_id is not None:
            capacity.release_ticket_type_quantity(session, ticket_type_id=row.ticket_type_id, quantity=unused, now=now)
        # Seats a box office gives back go to the waitlist first, in this same transaction, like any freed seat.
        waitlist_offers.seats_opened(
            session=session,
            now=now,
            occurrences=[row.event_occurrence_id],
            ticket_types=[row.ticket_type_id] if row.ticket_type_id is not None else [],
        )
    return int(unused)


def release_allotment(*, session: Session, device: Device, allotment_id: uuid.UUID, now: datetime) -> SeatAllotment:
    """The device gives its unused seats back. Commits."""
    allotment = session.scalar(
        sa.select(SeatAllotment).where(SeatAllotment.id == allotment_id, SeatAllotment.device_id == device.id)
    )
    if allotment is None:
        raise NotFound("allotment_not_found", "No such allotment for this device.")
    end_allotment(session, allotment_id=allotment_id, status=AllotmentStatus.RELEASED, now=now)
    session.commit()
    session.refresh(allotment)
    return allotment


def end_device_allotments(session: Session, *, device_id: uuid.UUID, status: AllotmentStatus, now: datetime) -> int:
    """Every active allotment of a device ends (it was revoked); returns the seats given back. No commit."""
    ids = session.scalars(
        sa.select(SeatAllotment.id)
        .where(SeatAllotment.device_id == device_id, SeatAllotment.status == AllotmentStatus.ACTIVE)
        .order_by(SeatAllotment.id)
    ).all()
    return sum(end_allotment(session, allotment_id=value, status=status, now=now) or 0 for value in ids)


def reclaim_occurrence_allotments(
    *, session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID, now: datetime
) -> int:
    """An organizer takes back every device's unused seats of an occurrence. Commits; returns the seats."""
    ids = session.scalars(
        sa.select(SeatAllotment.id)
        .where(
            SeatAllotment.org_id == org_id,
            SeatAllotment.event_occurrence_id == occurrence_id,
            SeatAllotment.status == AllotmentStatus.ACTIVE,
        )
        .order_by(SeatAllotment.id)
    ).all()
    seats = sum(
        end_allotment(session, allotment_id=value, status=AllotmentStatus.RECLAIMED, now=now) or 0 for value in ids
    )
    session.commit()
    return seats


@dataclass(frozen=True)
class ClosedAllotments:
    allotments: int
    seats: int


def _doors_closed(row: sa.Row[tuple[object, ...]], now: datetime) -> bool:
    if row.status in (OccurrenceStatus.CANCELED, OccurrenceStatus.COMPLETED):
        return True
    settings = parse_check_in_settings(
        definition_settings=row.definition_settings, occurrence_settings=row.occurrence_settings
    ).value
    if settings is None:
        return bool(now >= row.end_at)
    snapshot = OccurrenceSnapshot(
        id=row.id, start_at=row.start_at, end_at=row.end_at, status=row.status, check_in=settings
    )
    return bool(now >= snapshot.entry_closes_at)


def close_allotments_at_doors_close(*, session_factory: sessionmaker[Session], now: datetime) -> ClosedAllotments:
    """The periodic job: allotments of occurrences whose doors closed (entry window over, or the occurrence ended
    or was canceled) give their unused seats back. Safe with several server processes: each allotment is claimed
    ``FOR UPDATE SKIP LOCKED`` in its own short transaction, and ending it is itself conditional."""
    with session_factory() as session:
        candidates = session.execute(
            sa.select(
                SeatAllotment.id.label("allotment_id"),
                EventOccurrence.id,
                EventOccurrence.start_at,
                EventOccurrence.end_at,
                EventOccurrence.status,
                EventOccurrence.settings.label("occurrence_settings"),
                EventDefinition.settings.label("definition_settings"),
            )
            .join(EventOccurrence, EventOccurrence.id == SeatAllotment.event_occurrence_id)
            .join(EventDefinition, EventDefinition.id == EventOccurrence.event_definition_id)
            .where(SeatAllotment.status == AllotmentStatus.ACTIVE)
        ).all()
    due = [row.allotment_id for row in candidates if _doors_closed(row, now)]
    closed = seats = 0
    for allotment_id in due:
        with session_factory() as session:
            claim = sa.select(SeatAllotment.id).where(
                SeatAllotment.id == allotment_id, SeatAllotment.status == AllotmentStatus.ACTIVE
            )
            if session.get_bind().dialect.name == "postgresql":
                claim = claim.with_for_update(skip_locked=True)
            if session.scalar(claim) is None:
                continue  # another process holds it, or it ended meanwhile
            given_back = end_allotment(session, allotment_id=allotment_id, status=AllotmentStatus.CLOSED, now=now)
            session.commit()
            if given_back is not None:
                closed += 1
                seats += given_back
    if closed:
        logger.info("closed %d allotments at doors close, %d seats back on sale", closed, seats)
    return ClosedAllotments(closed, seats)
