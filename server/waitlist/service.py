"""The waitlist's entry points: join, look, leave, buy through an offer; what routers and other domains call.

Every function that writes entries takes the occurrence's row lock first (``offers.lock_occurrence``): entries of
one occurrence change one transaction at a time, so a place in line is handed out once, a person queues once, and
``waitlist_count`` moves with each change in the same transaction (atomic ``+ 1`` / ``- 1`` UPDATEs). The unique
constraints on (occurrence, place) and (occurrence, person) back this up in the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.bookings import capacity
from server.bookings import reservation as booking_path
from server.bookings.models import Attendee
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.notifications import service as notifications
from server.notifications.models import MessageKind
from server.waitlist import offers
from server.waitlist.models import ACTIVE_STATUSES, WaitlistEntry
from shared import waitlist as rules
from shared.enums import DefinitionStatus, OccurrenceStatus, TicketTypeStatus, WaitlistStatus

ON_SALE = (OccurrenceStatus.SCHEDULED, OccurrenceStatus.CONFIRMED)


def email_key(address: str) -> str:
    return address.strip().lower()


@dataclass(frozen=True)
class Person:
    given_name: str
    email: str
    family_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class JoinRequest:
    occurrence_id: uuid.UUID
    person: Person
    quantity: int
    ticket_type_id: uuid.UUID | None = None


def get_entry(session: Session, *, org_id: uuid.UUID, entry_id: uuid.UUID) -> WaitlistEntry:
    entry = session.scalar(
        sa.select(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.org_id == org_id)
        .execution_options(populate_existing=True)
    )
    if entry is None:
        raise NotFound("waitlist_entry_not_found", "No such waitlist entry.")
    return entry


def place_in_line(session: Session, entry: WaitlistEntry) -> int | None:
    """1 for the first person waiting: how many wait in front, plus one (``None`` once no longer waiting)."""
    if entry.status is not WaitlistStatus.WAITING:
        return None
    ahead = session.scalar(
        sa.select(sa.func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.event_occurrence_id == entry.event_occurrence_id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
            WaitlistEntry.position < entry.position,
        )
    )
    return int(ahead or 0) + 1


def _check_request(session: Session, org_id: uuid.UUID, request: JoinRequest, now: datetime) -> EventOccurrence:
    occurrence = session.scalar(
        sa.select(EventOccurrence).where(EventOccurrence.id == request.occurrence_id, EventOccurrence.org_id == org_id)
    )
    if occurrence is None:
        raise NotFound("occurrence_not_found", "No such occurrence.")
    definition = session.get_one(EventDefinition, occurrence.event_definition_id)
    if definition.status is not DefinitionStatus.ACTIVE:
        raise Conflict("event_not_on_sale", "This event is not on sale.")
    if occurrence.status not in ON_SALE or now >= occurrence.start_at:
        raise Conflict("occurrence_not_on_sale", "This occurrence is no longer on sale.")
    if request.quantity < 1:
        raise InvalidInput("quantity_invalid", "Ask for at least one seat.", field="quantity")
    if request.ticket_type_id is not None:
        ticket_type = session.scalar(
            sa.select(TicketType).where(
                TicketType.id == request.ticket_type_id, TicketType.event_definition_id == definition.id
            )
        )
        if ticket_type is None:
            raise InvalidInput("ticket_type_not_found", "No such ticket type for this event.", field="ticket_type_id")
        if ticket_type.status is TicketTypeStatus.DISABLED or (
            ticket_type.valid_until is not None and now >= ticket_type.valid_until
        ):
            raise Conflict("ticket_type_not_on_sale", "This ticket type is not on sale.", field="ticket_type_id")
        if not ticket_type.min_quantity <= request.quantity <= ticket_type.max_quantity:
            raise InvalidInput(
                "quantity_out_of_range",
                f"This ticket type sells {ticket_type.min_quantity} to {ticket_type.max_quantity} at once.",
                field="quantity",
            )
    return occurrence


@dataclass(frozen=True)
class Joined:
    entry: WaitlistEntry
    place: int


def join(*, session: Session, org_id: uuid.UUID, request: JoinRequest, now: datetime) -> Joined:
    """Puts the person in line for the occurrence, if it cannot serve them now (else ``seats_available``: book).
    Someone who left or whose offer lapsed joins again at the back. Commits."""
    _check_request(session, org_id, request, now)
    # What has lapsed goes first (holds, offers), the waitlist taking its turn: then the seats are what they are.
    capacity.release_expired_holds(
        session, now=now, occurrence_id=request.occurrence_id, ticket_type_id=request.ticket_type_id
    )
    offers.seats_opened(session=session, now=now, occurrences=[request.occurrence_id])
    stock = offers.read_stock(session, request.occurrence_id, now)
    if request.ticket_type_id is None and not stock.per_ticket_type:
        session.commit()
        raise Conflict("no_ticket_type_on_sale", "No ticket type of this event is on sale.")
    if rules.can_serve_now(
        quantity=request.quantity,
        ticket_type_id=request.ticket_type_id,
        seats=stock.seats,
        per_ticket_type=stock.per_ticket_type,
        quantity_limits=stock.quantity_limits,
    ):
        session.commit()
        raise Conflict("seats_available", "There are seats for this request: book them instead of waiting.")
    key = email_key(request.person.email)
    entry = session.scalar(
        sa.select(WaitlistEntry)
        .where(WaitlistEntry.event_occurrence_id == request.occurrence_id, WaitlistEntry.email_key == key)
        .execution_options(populate_existing=True)
    )
    if entry is not None and entry.status not in (WaitlistStatus.CANCELED, WaitlistStatus.EXPIRED):
        session.commit()
        raise Conflict(
            "already_on_waitlist",
            f"This address is already on the waitlist for this occurrence ({entry.status}).",
            field="email",
            entry_status=str(entry.status),
        )
    last = session.scalar(
        sa.select(sa.func.max(WaitlistEntry.position)).where(WaitlistEntry.event_occurrence_id == request.occurrence_id)
    )
    position = rules.next_position([last] if last is not None else [])
    if entry is None:
        attendee = Attendee(
            org_id=org_id,
            email=request.person.email.strip(),
            given_name=request.person.given_name,
            family_name=request.person.family_name,
            phone=request.person.phone,
            created_at=now,
            updated_at=now,
        )
        session.add(attendee)
        session.flush()
        entry = WaitlistEntry(
            org_id=org_id,
            event_occurrence_id=request.occurrence_id,
            attendee_id=attendee.id,
            email_key=key,
            created_at=now,
        )
        session.add(entry)
    else:
        attendee = session.get_one(Attendee, entry.attendee_id)
        attendee.given_name = request.person.given_name
        attendee.family_name = request.person.family_name
        attendee.phone = request.person.phone
        attendee.updated_at = now
    entry.position = position
    entry.quantity_requested = request.quantity
    entry.ticket_type_id = request.ticket_type_id
    entry.status = WaitlistStatus.WAITING
    entry.notified_at = entry.expires_at = None
    entry.held_ticket_type_id = entry.order_id = entry.converted_ticket_id = None
    entry.updated_at = now
    offers.adjust_count(session, request.occurrence_id, +1, now)
    try:
        session.flush()
    except IntegrityError:
        # Only reachable if some writer skipped the occurrence lock: the constraints keep the line straight anyway.
        session.rollback()
        raise Conflict("already_on_waitlist", "This address is already on the waitlist.", field="email") from None
    place = place_in_line(session, entry) or 1
    notifications.enqueue(
        session=session,
        org_id=org_id,
        kind=MessageKind.WAITLIST_JOINED,
        recipient=attendee.email,
        payload={"entry_id": str(entry.id), "place": place},
        now=now,
    )
    session.commit()
    return Joined(entry, place)


def _locked_entry(session: Session, org_id: uuid.UUID, entry_id: uuid.UUID) -> WaitlistEntry:
    occurrence_id = session.scalar(
        sa.select(WaitlistEntry.event_occurrence_id).where(WaitlistEntry.id == entry_id, WaitlistEntry.org_id == org_id)
    )
    if occurrence_id is None:
        raise NotFound("waitlist_entry_not_found", "No such waitlist entry.")
    offers.lock_occurrence(session, occurrence_id)
    return get_entry(session, org_id=org_id, entry_id=entry_id)


def leave(*, session: Session, org_id: uuid.UUID, entry_id: uuid.UUID, now: datetime) -> WaitlistEntry:
    """The guest leaves the line (or staff take them out). Seats held for them go to the next in line. Commits."""
    entry = _locked_entry(session, org_id, entry_id)
    if entry.status is WaitlistStatus.CANCELED:
        session.rollback()
        return entry
    if entry.status not in ACTIVE_STATUSES:
        session.rollback()
        raise Conflict(
            "waitlist_entry_closed", f"This waitlist entry is {entry.status}.", entry_status=str(entry.status)
        )
    if entry.order_id is not None:
        session.rollback()
        raise Conflict(
            "waitlist_order_pending",
            "An order bought through this entry is waiting for payment: pay or cancel it first.",
            order_id=str(entry.order_id),
        )
    held = entry.status is WaitlistStatus.NOTIFIED
    if held:
        offers.release_hold(session, entry, now)
    entry.status = WaitlistStatus.CANCELED
    entry.updated_at = now
    session.flush()
    offers.adjust_count(session, entry.event_occurrence_id, -1, now)
    if held:
        offers.seats_opened(session=session, now=now, occurrences=[entry.event_occurrence_id])
    session.commit()
    return entry


def buy(
    *,
    session: Session,
    org_id: uuid.UUID,
    entry_id: uuid.UUID,
    attendees: tuple[booking_path.AttendeeDetails, ...],
    email: str | None,
    now: datetime,
    hold: timedelta,
) -> booking_path.Reservation:
    """Reserves the seats held for a notified entry (blocked to sold) through the booking path; payment follows as
    for any order, and paying converts the entry. If the order's hold runs out unpaid, the seats go back to the
    entry while its window lasts, else to the next in line. Commits."""
    entry = _locked_entry(session, org_id, entry_id)
    # An offer that lapsed (or an earlier order of this entry that ended) is settled before anything is decided.
    offers.settle(session, entry.event_occurrence_id, now)
    entry = get_entry(session, org_id=org_id, entry_id=entry_id)
    if entry.status is not WaitlistStatus.NOTIFIED:
        session.commit()
        raise Conflict(
            "no_offer", f"There is no offer to buy on this entry ({entry.status}).", entry_status=str(entry.status)
        )
    if entry.order_id is not None:
        session.commit()
        raise Conflict(
            "waitlist_order_pending", "An order for this offer is waiting for payment.", order_id=str(entry.order_id)
        )
    if len(attendees) != entry.quantity_requested:
        session.commit()
        raise InvalidInput(
            "attendee_count", f"Name exactly {entry.quantity_requested} attendees: the seats held.", field="attendees"
        )
    assert entry.held_ticket_type_id is not None  # offers always hold a ticket type
    request = booking_path.ReserveRequest(
        occurrence_id=entry.event_occurrence_id,
        ticket_type_id=entry.held_ticket_type_id,
        attendees=attendees,
        email=email or session.scalar(sa.select(Attendee.email).where(Attendee.id == entry.attendee_id)),
    )
    plan = booking_path.plan_reservation(
        session=session, org=booking_path.OrgRef(id=org_id), request=request, now=now, hold=hold
    )
    attempt = booking_path.attempt_generic(session, plan, held=True)
    if not attempt.ok:  # the held seats are under this transaction's lock: only a corrupt counter gets here
        session.rollback()
        raise Conflict("offer_not_held", "The seats held for this offer are gone.")
    entry.order_id = plan.order_id
    entry.updated_at = now
    session.commit()
    return plan.result()


def list_entries(
    session: Session, *, org_id: uuid.UUID, occurrence_id: uuid.UUID
) -> list[tuple[WaitlistEntry, Attendee]]:
    rows = session.execute(
        sa.select(WaitlistEntry, Attendee)
        .join(Attendee, Attendee.id == WaitlistEntry.attendee_id)
        .where(WaitlistEntry.org_id == org_id, WaitlistEntry.event_occurrence_id == occurrence_id)
        .order_by(WaitlistEntry.position)
    ).all()
    return [(entry, attendee) for entry, attendee in rows]


def forget_person(session: Session, *, org_id: uuid.UUID, attendee_id: uuid.UUID, address: str, now: datetime) -> None:
    """Erasure (GDPR): the person's entries leave the line (seats held for them go to the next) and lose the
    address they were keyed by. Inside the erasure's transaction."""
    key = email_key(address) if address else None
    match = WaitlistEntry.attendee_id == attendee_id
    if key:
        match = sa.or_(match, WaitlistEntry.email_key == key)
    occurrence_ids = sorted(
        set(session.scalars(sa.select(WaitlistEntry.event_occurrence_id).where(WaitlistEntry.org_id == org_id, match)))
    )
    for occurrence_id in occurrence_ids:
        offers.lock_occurrence(session, occurrence_id)
        entries = list(
            session.scalars(
                sa.select(WaitlistEntry)
                .where(WaitlistEntry.event_occurrence_id == occurrence_id, WaitlistEntry.org_id == org_id, match)
                .execution_options(populate_existing=True)
            )
        )
        held = False
        for entry in entries:
            if entry.status in ACTIVE_STATUSES and entry.order_id is None:
                if entry.status is WaitlistStatus.NOTIFIED:
                    offers.release_hold(session, entry, now)
                    held = True
                entry.status = WaitlistStatus.CANCELED
                session.flush()
                offers.adjust_count(session, occurrence_id, -1, now)
            entry.email_key = f"erased:{entry.id}"
            entry.updated_at = now
        session.flush()
        if held:
            offers.seats_opened(session=session, now=now, occurrences=[occurrence_id])
