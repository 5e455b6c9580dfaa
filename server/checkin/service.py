"""Check-in: the online redeem, and what organizers read about an occurrence's doors.

The decision itself is ``shared.checkin.decide_check_in``, reached through the ledger (``server.checkin.ledger``);
nothing here judges a ticket.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.bookings.models import Attendee, Ticket
from server.checkin.ledger import Ledger
from server.checkin.models import CheckIn, CheckInSource
from server.devices.models import AllotmentStatus, Device, SeatAllotment
from server.devices.scope import resolve_scope
from server.errors import Conflict, Forbidden, NotFound
from server.events.models import EventDefinition, EventOccurrence, TicketType
from shared import wire
from shared.checkin import CheckInOutcome, RefusalReason
from shared.enums import TicketStatus
from shared.passages import Direction, Passage, count_checked_in, count_inside


def _replay(session: Session, org_id: uuid.UUID, nonce: str, device_id: uuid.UUID, now: datetime) -> Any:
    row = session.scalar(sa.select(CheckIn).where(CheckIn.org_id == org_id, CheckIn.nonce == nonce))
    if row is None:
        return None
    if row.device_id != device_id:
        raise Conflict("nonce_reused", "Another device already used this nonce; make a fresh random one.")
    outcome = wire.decode_outcome(row.outcome, "")
    return wire.RedeemResponse(
        outcome, row.id, now, replayed=True, ticket_event=_ticket_event(session, org_id, outcome)
    )


def _ticket_event(session: Session, org_id: uuid.UUID, outcome: CheckInOutcome) -> wire.EventLabel | None:
    """The event a ticket refused at the wrong door is for, so that the door can send the guest on."""
    if outcome.reason is not RefusalReason.WRONG_OCCURRENCE or outcome.ticket_id is None:
        return None
    row = session.execute(
        sa.select(
            EventOccurrence.occurrence_name, EventDefinition.name, EventOccurrence.start_at, EventOccurrence.timezone
        )
        .join(Ticket, Ticket.event_occurrence_id == EventOccurrence.id)
        .join(EventDefinition, EventDefinition.id == EventOccurrence.event_definition_id)
        .where(Ticket.id == outcome.ticket_id, Ticket.org_id == org_id)
    ).first()
    if row is None:
        return None
    return wire.EventLabel(title=row[0] or row[1], start_at=row[2], timezone=row[3])


def redeem(*, session: Session, device: Device, request: wire.RedeemRequest, now: datetime) -> wire.RedeemResponse:
    """Decide a scan now, record it, and answer the outcome; the same nonce again answers the same. Commits."""
    scope = resolve_scope(session, device)
    scope.require(request.occurrence_ids, field="occurrence_ids")
    if device.role is wire.DeviceRole.SELF_CHECK_IN and request.direction is Direction.EXIT:
        raise Forbidden(wire.Problem.ROLE_NOT_ALLOWED, "A self-check-in device scans entries only.")
    replay = _replay(session, device.org_id, request.nonce, device.id, now)
    if replay is not None:
        session.rollback()
        return replay  # type: ignore[no-any-return]
    ledger = Ledger(session, device.org_id, scope.occurrence_ids, now)
    (resolved,) = ledger.resolve_all([(request.payload, request.ticket_id)])
    ledger.load([resolved.ticket_id] if resolved.ticket_id else [], [request.nonce])
    owner = ledger.nonce_owner.get(request.nonce, device.id)
    if owner != device.id:
        session.rollback()
        raise Conflict("nonce_reused", "Another device already used this nonce; make a fresh random one.")
    result = ledger.scan(
        resolved=resolved,
        device_id=device.id,
        gate=request.gate,
        gate_occurrences=request.occurrence_ids,
        direction=request.direction,
        nonce=request.nonce,
        at=now,
        source=CheckInSource.ONLINE,
        device_time=request.device_time,
    )
    ticket_event = _ticket_event(session, device.org_id, result.outcome)
    if result.replayed:
        session.rollback()
        return wire.RedeemResponse(result.outcome, result.record.id, now, replayed=True, ticket_event=ticket_event)
    try:
        ledger.flush()
        session.commit()
    except IntegrityError:
        # The same nonce recorded meanwhile by a request that held no ticket lock (an unreadable payload).
        session.rollback()
        replay = _replay(session, device.org_id, request.nonce, device.id, now)
        if replay is None:
            raise
        return replay  # type: ignore[no-any-return]
    return wire.RedeemResponse(result.outcome, result.record.id, now, ticket_event=ticket_event)


# --- organizers -----------------------------------------------------------------------------------------------------


def get_occurrence(session: Session, *, org_id: uuid.UUID, occurrence_id: uuid.UUID) -> EventOccurrence:
    occurrence = session.scalar(
        sa.select(EventOccurrence).where(EventOccurrence.id == occurrence_id, EventOccurrence.org_id == org_id)
    )
    if occurrence is None:
        raise NotFound("occurrence_not_found", "No such occurrence.")
    return occurrence


def _passages(session: Session, occurrence_id: uuid.UUID) -> list[Passage]:
    rows = session.execute(
        sa.select(
            CheckIn.ticket_id, CheckIn.direction, CheckIn.at, CheckIn.gate, CheckIn.device_id, CheckIn.annulled_at
        )
        .where(CheckIn.event_occurrence_id == occurrence_id, CheckIn.counted, CheckIn.ticket_id.is_not(None))
        .order_by(CheckIn.at, CheckIn.id)
    )
    return [
        Passage(row.ticket_id, row.direction, row.at, row.gate, row.device_id or uuid.UUID(int=0), row.annulled_at)
        for row in rows
    ]


@dataclass(frozen=True)
class Counters:
    sold: int
    checked_in: int
    inside: int
    no_shows: int
    allotted: int
    allotted_unused: int


SOLD_STATUSES = (TicketStatus.CONFIRMED, TicketStatus.CHECKED_IN)


def counters(session: Session, *, org_id: uuid.UUID, occurrence_id: uuid.UUID, now: datetime) -> Counters:
    """Sold (confirmed tickets), checked in (admitted at least once), inside now, and no-shows (sold, not checked
    in, once the doors have closed; before that, zero)."""
    occurrence = get_occurrence(session, org_id=org_id, occurrence_id=occurrence_id)
    sold = session.scalar(
        sa.select(sa.func.count())
        .select_from(Ticket)
        .where(Ticket.event_occurrence_id == occurrence_id, Ticket.status.in_(SOLD_STATUSES))
    )
    passages = _passages(session, occurrence_id)
    checked_in = count_checked_in(passages)
    allotments = session.execute(
        sa.select(SeatAllotment.seats, SeatAllotment.seats_used).where(
            SeatAllotment.event_occurrence_id == occurrence_id, SeatAllotment.status == AllotmentStatus.ACTIVE
        )
    ).all()
    doors_closed = now >= occurrence.end_at
    return Counters(
        sold=int(sold or 0),
        checked_in=checked_in,
        inside=count_inside(passages),
        no_shows=max(int(sold or 0) - checked_in, 0) if doors_closed else 0,
        allotted=sum(row.seats for row in allotments),
        allotted_unused=sum(row.seats - row.seats_used for row in allotments),
    )


ATTENDEE_COLUMNS = (
    "ticket_id",
    "confirmation_code",
    "status",
    "ticket_type",
    "given_name",
    "family_name",
    "email",
    "notes",
    "checked_in",
    "checked_in_at",
    "inside",
    "last_gate",
)


def attendee_list(session: Session, *, org_id: uuid.UUID, occurrence_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every ticket of the occurrence (reserved ones excluded) with its holder and check-in state."""
    get_occurrence(session, org_id=org_id, occurrence_id=occurrence_id)
    rows = session.execute(
        sa.select(Ticket, Attendee, TicketType.name.label("type_name"))
        .join(Attendee, Attendee.id == Ticket.attendee_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(Ticket.event_occurrence_id == occurrence_id, Ticket.status != TicketStatus.RESERVED)
        .order_by(Attendee.family_name, Attendee.given_name, Ticket.id)
    ).all()
    by_ticket: dict[uuid.UUID, list[Passage]] = {}
    for passage in _passages(session, occurrence_id):
        by_ticket.setdefault(passage.ticket_id, []).append(passage)
    listing = []
    for ticket, attendee, type_name in rows:
        history = by_ticket.get(ticket.id, [])
        standing = [p for p in history if not p.annulled]
        entries = [p for p in standing if p.direction is Direction.ENTRY]
        erased = attendee.erased_at is not None
        listing.append(
            {
                "ticket_id": str(ticket.id),
                "confirmation_code": ticket.confirmation_code,
                "status": ticket.status.value,
                "ticket_type": type_name,
                "given_name": "" if erased else attendee.given_name,
                "family_name": None if erased else attendee.family_name,
                "email": "" if erased else attendee.email,
                "notes": list(
                    wire.admission_notes(
                        accessibility_needs=attendee.accessibility_needs,
                        dietary_restrictions=attendee.dietary_restrictions,
                        notes=attendee.notes,
                        erased=erased,
                    )
                ),
                "checked_in": bool(entries),
                "checked_in_at": entries[0].at.isoformat() if entries else None,
                "inside": count_inside(history) == 1,
                "last_gate": standing[-1].gate if standing else None,
            }
        )
    return listing


def check_in_log(
    session: Session, *, org_id: uuid.UUID, occurrence_id: uuid.UUID, limit: int = 1000
) -> list[dict[str, Any]]:
    """Every attempt at a ticket of the occurrence, newest first: the scan's nonce, device, gate, time, the server's
    verdict, and whether it counts."""
    get_occurrence(session, org_id=org_id, occurrence_id=occurrence_id)
    rows = session.execute(
        sa.select(CheckIn, Device.name.label("device_name"))
        .outerjoin(Device, Device.id == CheckIn.device_id)
        .where(CheckIn.org_id == org_id, CheckIn.event_occurrence_id == occurrence_id)
        .order_by(CheckIn.at.desc(), CheckIn.id)
        .limit(limit)
    ).all()
    return [
        {
            "id": str(row.CheckIn.id),
            "nonce": row.CheckIn.nonce,  # the scan's id on the kiosk too: its attempt log and outbox name it
            "ticket_id": str(row.CheckIn.ticket_id) if row.CheckIn.ticket_id else None,
            "device_id": str(row.CheckIn.device_id) if row.CheckIn.device_id else None,
            "device_name": row.device_name,
            "gate": row.CheckIn.gate,
            "direction": row.CheckIn.direction.value,
            "source": row.CheckIn.source.value,
            "at": row.CheckIn.at.isoformat(),
            "received_at": row.CheckIn.received_at.isoformat(),
            "status": row.CheckIn.status.value,
            "reason": row.CheckIn.reason,
            "local_status": row.CheckIn.local_status,
            "admitted": row.CheckIn.admitted,
            "counted": row.CheckIn.counted,
            "annulled_at": row.CheckIn.annulled_at.isoformat() if row.CheckIn.annulled_at else None,
        }
        for row in rows
    ]
