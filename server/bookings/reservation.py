"""Reserving tickets: the capacity-safe booking path.

One reservation is one order: N attendees, N tickets ``reserved`` for ``hold_minutes``, the occurrence's
``seats_sold`` and the ticket type's ``quantity_sold`` grown by N. The transaction is shaped around the hot row:

1. read the occurrence, definition and ticket type (no locks) and ask the shared rules whether the sale may happen;
2. take the seats with the conditional UPDATEs (``server.bookings.capacity``), the first write of the transaction;
3. insert the order, attendees and tickets, and commit.

On PostgreSQL steps 2 and 3 are one statement (``server.bookings.fastpath``): the row lock is then held for one
round trip and the commit instead of four. Both paths are tested under concurrency.

When the seats do not fit, the expired holds of that occurrence are released (claimed by an UPDATE ... RETURNING, so
two racers never release the same hold twice), waitlist offers whose window passed are settled (their seats go to
the next in line first, ``server.waitlist.offers``), and the reservation is tried once more if that freed anything:
correctness never waits for the sweeper.

A waitlist entry buying through its link reserves with ``held=True``: its seats were blocked for it, and move from
blocked to sold instead of being taken from what is on sale.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.bookings import capacity, fastpath
from server.bookings.models import Attendee, IdempotencyKey, Order, OrderStatus, Ticket
from server.bookings.policy import Quote, SaleContext, complimentary, package_share, purchase_refusal, quote
from server.db.engine import is_postgresql
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.tenancy.models import Organization
from server.waitlist import offers as waitlist_offers
from shared.enums import SalesChannel, TicketStatus
from shared.lifecycle import reservation_expires_at


@dataclass(frozen=True)
class AttendeeDetails:
    given_name: str
    email: str | None = None
    family_name: str | None = None
    phone: str | None = None
    emergency_contact: dict[str, Any] | None = None
    dietary_restrictions: list[str] | None = None
    accessibility_needs: list[str] | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ReserveRequest:
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    attendees: tuple[AttendeeDetails, ...]
    channel: SalesChannel = SalesChannel.ONLINE
    # Where the confirmation goes; the first attendee's address when not given.
    email: str | None = None
    # Box office: a comp is sold at zero (the quote keeps the list price, all of it discounted).
    complimentary: bool = False

    @property
    def quantity(self) -> int:
        return len(self.attendees)

    def fingerprint(self) -> str:
        """A digest of everything the request asks for, to recognise a replay under the same idempotency key."""
        document = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True)
class ReservedTicket:
    id: uuid.UUID
    attendee_id: uuid.UUID
    price_paid_cents: int


@dataclass(frozen=True)
class Reservation:
    """The answer to a reservation: enough to render it without reading it back."""

    order_id: uuid.UUID
    org_id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    status: OrderStatus
    hold_expires_at: datetime | None
    quote: Quote
    tickets: tuple[ReservedTicket, ...]
    replayed: bool = False


@dataclass
class ReservationPlan:
    """Every row the reservation will write, with ids chosen up front (so the fast path can insert them in one go)."""

    org_id: uuid.UUID
    account_id: uuid.UUID
    request: ReserveRequest
    quote: Quote
    now: datetime
    hold_expires_at: datetime | None
    order_id: uuid.UUID = field(default_factory=uuid.uuid4)
    attendee_ids: list[uuid.UUID] = field(default_factory=list)
    ticket_ids: list[uuid.UUID] = field(default_factory=list)
    booking_id: uuid.UUID | None = None
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        self.attendee_ids = [uuid.uuid4() for _ in self.request.attendees]
        self.ticket_ids = [uuid.uuid4() for _ in self.request.attendees]

    @property
    def quantity(self) -> int:
        return self.request.quantity

    @property
    def order_email(self) -> str | None:
        return self.request.email or next((a.email for a in self.request.attendees if a.email), None)

    def order_row(self) -> dict[str, Any]:
        q = self.quote
        return {
            "id": self.order_id,
            "org_id": self.org_id,
            "account_id": self.account_id,
            "event_occurrence_id": self.request.occurrence_id,
            "ticket_type_id": self.request.ticket_type_id,
            "booking_id": self.booking_id,
            "status": OrderStatus.PENDING,
            "channel": self.request.channel,
            "email": self.order_email,
            "quantity": self.quantity,
            "currency": q.currency,
            "subtotal_cents": q.subtotal_cents,
            "fees_cents": q.fees_cents,
            "discount_cents": q.discount_cents,
            "total_cents": q.total_cents,
            "quote": q.as_document(),
            "hold_expires_at": self.hold_expires_at,
            "payment_details": {},
            "created_at": self.now,
            "updated_at": self.now,
        }

    def attendee_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "id": attendee_id,
                "org_id": self.org_id,
                "user_id": None,
                "email": details.email or "",
                "given_name": details.given_name,
                "family_name": details.family_name,
                "phone": details.phone,
                "emergency_contact": details.emergency_contact,
                "dietary_restrictions": details.dietary_restrictions,
                "accessibility_needs": details.accessibility_needs,
                "notes": details.notes,
                "created_at": self.now,
                "updated_at": self.now,
            }
            for attendee_id, details in zip(self.attendee_ids, self.request.attendees, strict=True)
        ]

    def ticket_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "id": ticket_id,
                "org_id": self.org_id,
                "account_id": self.account_id,
                "event_occurrence_id": self.request.occurrence_id,
                "ticket_type_id": self.request.ticket_type_id,
                "attendee_id": attendee_id,
                "booking_id": self.booking_id,
                "order_id": self.order_id,
                "price_paid_cents": price,
                "currency": self.quote.currency,
                "status": TicketStatus.RESERVED,
                "reserved_at": self.now,
                "refund_amount_cents": 0,
                "settings": {},
                "created_at": self.now,
                "updated_at": self.now,
            }
            for ticket_id, attendee_id, price in zip(
                self.ticket_ids, self.attendee_ids, self.quote.per_ticket_cents, strict=True
            )
        ]

    def result(self) -> Reservation:
        return Reservation(
            order_id=self.order_id,
            org_id=self.org_id,
            occurrence_id=self.request.occurrence_id,
            ticket_type_id=self.request.ticket_type_id,
            status=OrderStatus.PENDING,
            hold_expires_at=self.hold_expires_at,
            quote=self.quote,
            tickets=tuple(
                ReservedTicket(t, a, p)
                for t, a, p in zip(self.ticket_ids, self.attendee_ids, self.quote.per_ticket_cents, strict=True)
            ),
        )


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Attempt:
    ok: bool
    # Which counter refused: "occurrence" or "ticket_type".
    refused_by: str | None = None


@dataclass(frozen=True)
class OrgRef:
    """The selling org, by id (staff, who are authenticated) or by its public slug (the storefront: resolved in the
    same query as the sale's facts, one round trip fewer on the hot path)."""

    id: uuid.UUID | None = None
    slug: str | None = None


def load_sale_context(
    session: Session, *, org: OrgRef, occurrence_id: uuid.UUID, ticket_type_id: uuid.UUID
) -> tuple[SaleContext, uuid.UUID, uuid.UUID, str]:
    """The plain facts the rules decide on, in one read without locks; also the org, the account and a label."""
    statement = (
        sa.select(
            EventOccurrence.org_id,
            EventDefinition.status.label("definition_status"),
            EventDefinition.settings.label("definition_settings"),
            EventDefinition.name,
            EventOccurrence.account_id,
            EventOccurrence.status.label("occurrence_status"),
            EventOccurrence.start_at,
            EventOccurrence.end_at,
            TicketType.status.label("ticket_type_status"),
            TicketType.name.label("ticket_type_name"),
            TicketType.price_cents,
            TicketType.currency,
            TicketType.quantity_available,
            TicketType.quantity_sold,
            TicketType.valid_from,
            TicketType.valid_until,
            TicketType.min_quantity,
            TicketType.max_quantity,
        )
        .select_from(EventOccurrence)
        .join(EventDefinition, EventDefinition.id == EventOccurrence.event_definition_id)
        .join(TicketType, TicketType.event_definition_id == EventDefinition.id)
        .where(EventOccurrence.id == occurrence_id, TicketType.id == ticket_type_id)
    )
    if org.id is not None:
        statement = statement.where(EventOccurrence.org_id == org.id)
    else:
        statement = statement.join(Organization, Organization.id == EventOccurrence.org_id).where(
            Organization.slug == org.slug
        )
    # Core, not the ORM: plain columns on the hot path need none of its bookkeeping.
    row = session.connection().execute(statement).first()
    if row is None:
        raise NotFound(
            "ticket_type_not_found",
            "No such occurrence, or no such ticket type for its event.",
            field="ticket_type_id",
        )
    context = SaleContext(
        definition_status=row.definition_status,
        definition_settings=row.definition_settings or {},
        occurrence_status=row.occurrence_status,
        start_at=row.start_at,
        end_at=row.end_at,
        ticket_type_status=row.ticket_type_status,
        price_cents=row.price_cents,
        currency=row.currency,
        quantity_available=row.quantity_available,
        quantity_sold=row.quantity_sold,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        min_quantity=row.min_quantity,
        max_quantity=row.max_quantity,
    )
    return context, row.org_id, row.account_id, f"{row.name}: {row.ticket_type_name}"


def attempt_generic(session: Session, plan: ReservationPlan, *, held: bool = False) -> Attempt:
    """Take the seats, then write the rows, one statement each: any database. ``held``: the seats were blocked for
    this buyer (a waitlist offer) and become sold."""
    request = plan.request
    take_seats = capacity.sell_blocked_occurrence_seats if held else capacity.take_occurrence_seats
    take_quantity = capacity.sell_blocked_ticket_type_quantity if held else capacity.take_ticket_type_quantity
    if not take_seats(session, occurrence_id=request.occurrence_id, quantity=plan.quantity, now=plan.now):
        return Attempt(False, "occurrence")
    if not take_quantity(session, ticket_type_id=request.ticket_type_id, quantity=plan.quantity, now=plan.now):
        return Attempt(False, "ticket_type")
    session.execute(sa.insert(Order), [plan.order_row()])
    session.execute(sa.insert(Attendee), plan.attendee_rows())
    session.execute(sa.insert(Ticket), plan.ticket_rows())
    if plan.idempotency_key is not None:
        session.execute(
            sa.insert(IdempotencyKey),
            [
                {
                    "id": uuid.uuid4(),
                    "org_id": plan.org_id,
                    "key": plan.idempotency_key,
                    "request_hash": request.fingerprint(),
                    "order_id": plan.order_id,
                    "created_at": plan.now,
                }
            ],
        )
    return Attempt(True)


def _attempt(session: Session, plan: ReservationPlan, *, fast_path: bool) -> Attempt:
    if fast_path:
        ok, refused_by = fastpath.reserve_in_one_statement(session, plan)
        return Attempt(ok, refused_by)
    return attempt_generic(session, plan)


def _refused(attempt: Attempt) -> Conflict:
    if attempt.refused_by == "ticket_type":
        return Conflict(
            "ticket_type_sold_out", "Not enough tickets of this type are left for this order.", field="quantity"
        )
    return Conflict("sold_out", "Not enough seats are left for this order.", field="quantity")


def plan_reservation(
    *,
    session: Session,
    org: OrgRef,
    request: ReserveRequest,
    now: datetime,
    hold: timedelta | None,
    booking_id: uuid.UUID | None = None,
    idempotency_key: str | None = None,
    price_cents: int | None = None,
) -> ReservationPlan:
    """Checks the sale against the rules and prices it; raises the refusal as a domain error. ``price_cents``
    replaces the quote's total (a package's share for this order; the list price stays on the quote)."""
    if request.quantity < 1:
        raise InvalidInput("no_attendees", "Name at least one attendee.", field="attendees")
    if request.channel is SalesChannel.ONLINE:
        for index, attendee in enumerate(request.attendees):
            if not attendee.email:
                raise InvalidInput(
                    "attendee_email_required", "Online sales need every attendee's email.", field=f"attendees.{index}"
                )
    context, org_id, account_id, description = load_sale_context(
        session, org=org, occurrence_id=request.occurrence_id, ticket_type_id=request.ticket_type_id
    )
    refusal = purchase_refusal(context, quantity=request.quantity, now=now, channel=request.channel)
    if refusal is not None:
        error = InvalidInput if refusal.code.startswith("quantity_") else Conflict
        raise error(refusal.code, refusal.detail, field=refusal.field, remaining=refusal.remaining)
    the_quote = quote(context, quantity=request.quantity, description=description)
    if request.complimentary:
        the_quote = complimentary(the_quote)
    if price_cents is not None:
        the_quote = package_share(the_quote, price_cents)
    return ReservationPlan(
        org_id=org_id,
        account_id=account_id,
        request=request,
        quote=the_quote,
        now=now,
        hold_expires_at=reservation_expires_at(now, ttl=hold) if hold is not None else None,
        booking_id=booking_id,
        idempotency_key=idempotency_key,
    )


def find_replay(
    session: Session, *, org_id: uuid.UUID, idempotency_key: str, request: ReserveRequest
) -> IdempotencyKey | None:
    stored = session.scalar(
        sa.select(IdempotencyKey).where(IdempotencyKey.org_id == org_id, IdempotencyKey.key == idempotency_key)
    )
    if stored is not None and stored.request_hash != request.fingerprint():
        raise InvalidInput(
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request.",
            field="Idempotency-Key",
        )
    return stored


def reserve(
    *,
    session: Session,
    request: ReserveRequest,
    now: datetime,
    hold: timedelta | None,
    org_id: uuid.UUID | None = None,
    org_slug: str | None = None,
    idempotency_key: str | None = None,
    booking_id: uuid.UUID | None = None,
    fast_path: bool | None = None,
) -> Reservation | IdempotencyKey:
    """Reserve the request's tickets and commit; a replayed idempotency key returns the stored key (its order).

    The org is given by ``org_id`` or, for the storefront, by ``org_slug``. ``hold`` is how long the seats wait for
    payment (``None``: no expiry, for a sale paid on the spot). ``fast_path`` defaults to the single-statement path
    on PostgreSQL.
    """
    if (org_id is None) == (org_slug is None):
        raise ValueError("give exactly one of org_id and org_slug")
    if idempotency_key is not None:
        if org_id is None:
            org_id = session.scalar(sa.select(Organization.id).where(Organization.slug == org_slug))
            if org_id is None:
                raise NotFound("organization_not_found", "No such organization.")
        stored = find_replay(session, org_id=org_id, idempotency_key=idempotency_key, request=request)
        if stored is not None:
            session.rollback()
            return stored
    plan = plan_reservation(
        session=session,
        org=OrgRef(id=org_id, slug=org_slug),
        request=request,
        now=now,
        hold=hold,
        booking_id=booking_id,
        idempotency_key=idempotency_key,
    )
    use_fast_path = is_postgresql(session) if fast_path is None else fast_path
    try:
        attempt = _attempt(session, plan, fast_path=use_fast_path)
        if not attempt.ok:
            session.rollback()
            freed = free_what_lapsed(session, request=request, now=now)
            session.commit()
            if not freed:
                raise _refused(attempt)
            attempt = _attempt(session, plan, fast_path=use_fast_path)
            if not attempt.ok:
                session.rollback()
                raise _refused(attempt)
        session.commit()
    except IntegrityError:
        session.rollback()
        if idempotency_key is None:
            raise
        # Another request with the same key won the race; answer what it answered.
        stored = find_replay(session, org_id=plan.org_id, idempotency_key=idempotency_key, request=request)
        session.rollback()
        if stored is None:
            raise
        return stored
    return plan.result()


def free_what_lapsed(session: Session, *, request: ReserveRequest, now: datetime) -> bool:
    """What stands in the way of a refused sale and has lapsed goes: expired holds, and waitlist offers whose window
    passed (their seats to the next in line first). Whether anything was freed the sale might now get."""
    released = capacity.release_expired_holds(
        session, now=now, occurrence_id=request.occurrence_id, ticket_type_id=request.ticket_type_id
    )
    lapsed = waitlist_offers.expire_lapsed(
        session, now=now, occurrence_id=request.occurrence_id, ticket_type_id=request.ticket_type_id
    )
    return released.count > 0 or lapsed


def reserve_in_transaction(
    *,
    session: Session,
    org_id: uuid.UUID,
    request: ReserveRequest,
    now: datetime,
    hold: timedelta | None,
    booking_id: uuid.UUID | None = None,
    price_cents: int | None = None,
) -> Reservation:
    """The same reservation inside the caller's transaction, which it does not commit (a package booking several
    events at once, all or nothing; ``price_cents`` is then this order's share of the package price). On refusal it
    raises and leaves the caller's transaction as it was, but for the lapsed holds it released."""
    plan = plan_reservation(
        session=session,
        org=OrgRef(id=org_id),
        request=request,
        now=now,
        hold=hold,
        booking_id=booking_id,
        price_cents=price_cents,
    )
    savepoint = session.begin_nested()
    attempt = attempt_generic(session, plan)
    if not attempt.ok:
        savepoint.rollback()
        if not free_what_lapsed(session, request=request, now=now):
            raise _refused(attempt)
        savepoint = session.begin_nested()
        attempt = attempt_generic(session, plan)
        if not attempt.ok:
            savepoint.rollback()
            raise _refused(attempt)
    savepoint.commit()
    return plan.result()
