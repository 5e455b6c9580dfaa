"""Booking a package: every component held in one transaction, paid once, confirmed together.

1. **Plan** (reads only): the guest's choices against ``shared.packages`` (required items kept, quantities only where
   customizable, the stay within the validity, each occurrence of the item's event and within the stay), each
   component's list price (the villa's nightly rate times the nights, the ticket type's price times the tickets),
   and the package price split back over the components (``shared.pricing.package_price``: largest remainder, so
   the parts add up to the total to the cent).
2. **Verdict** (the spec's rule 8): whatever lapsed is released first (expired holds, lapsed waitlist offers, expired
   package bookings on the villa's nights), then every component must be available
   (``shared.packages.package_availability``); the guest is told which ones are not.
3. **Hold**, in one transaction: the ``bookings`` row, the villa's nights (their primary key refuses a night sold
   twice), and one order per event through the booking path (``reserve_in_transaction``: the conditional capacity
   UPDATEs, occurrences in id order), each priced at its share and linked by ``booking_id``. Anything refused rolls
   the whole transaction back: no booking, no nights, no tickets, counters as they were. The holds share one expiry;
   when it passes the orders expire together and the nights are let go (``server.bookings.capacity``).
4. **Pay** once for the total (the fake gateway, the webhook with ``booking_id``, or the desk): every order paid and
   its tickets issued, the booking confirmed, one mail with the itinerary and the PDF tickets. Money that arrives
   after the hold ended is refunded, never honoured by overselling.
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings import capacity, confirmation
from server.bookings import reservation as booking_path
from server.bookings.models import Order, OrderStatus, Ticket
from server.errors import Conflict, DomainError, InvalidInput, NotFound
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.notifications import service as notifications
from server.notifications.models import MessageKind
from server.packages.models import EventPackage, EventPackageItem
from server.packages.service import items_of
from server.payments.gateway import GATEWAYS, ChargeStatus, ManualPaymentError
from server.villas.availability import DatabaseVillaAvailability, VillaAvailability
from server.villas.models import Booking, BookingStatus
from shared import capacity as capacity_rules
from shared import packages as rules
from shared.enums import PackageItemType, PackageStatus, SalesChannel, TicketStatus, TicketTypeStatus
from shared.pricing import PackagePrice, package_price

CHOICE_MESSAGES = {
    rules.ChoiceProblem.REQUIRED_ITEM_DROPPED: "This item is part of the package and cannot be left out.",
    rules.ChoiceProblem.QUANTITY_NOT_CUSTOMIZABLE: "This item's quantity is fixed by the package.",
    rules.ChoiceProblem.QUANTITY_INVALID: "A quantity cannot be negative.",
    rules.ChoiceProblem.STAY_REQUIRED: "Choose check-in and check-out dates for the villa.",
    rules.ChoiceProblem.STAY_NOT_ALLOWED: "This package has no villa: it takes no stay dates.",
    rules.ChoiceProblem.STAY_DATES_ORDER: "Check-out must be after check-in.",
    rules.ChoiceProblem.STAY_OUTSIDE_VALIDITY: "The stay must fall within the package's validity dates.",
    rules.ChoiceProblem.STAY_LENGTH: "The stay's length must be the package's number of nights.",
    rules.ChoiceProblem.NO_EVENT_CHOSEN: "A package booking includes at least one event.",
}


@dataclass(frozen=True)
class Choice:
    occurrence_id: uuid.UUID | None = None
    ticket_type_id: uuid.UUID | None = None
    quantity: int | None = None


@dataclass(frozen=True)
class Selection:
    check_in: date | None
    check_out: date | None
    choices: Mapping[uuid.UUID, Choice]


@dataclass
class Component:
    item: EventPackageItem
    quantity: int
    label: str
    unit_price_cents: int
    currency: str
    occurrence_id: uuid.UUID | None = None
    ticket_type_id: uuid.UUID | None = None
    price_cents: int = 0
    unavailable: rules.Unavailable | None = None
    order_id: uuid.UUID | None = None

    @property
    def list_cents(self) -> int:
        return self.unit_price_cents * self.quantity

    def document(self) -> dict[str, Any]:
        return {
            "item_id": str(self.item.id),
            "item_type": self.item.item_type.value,
            "label": self.label,
            "quantity": self.quantity,
            "unit_price_cents": self.unit_price_cents,
            "list_cents": self.list_cents,
            "price_cents": self.price_cents,
            "occurrence_id": str(self.occurrence_id) if self.occurrence_id else None,
            "ticket_type_id": str(self.ticket_type_id) if self.ticket_type_id else None,
            "order_id": str(self.order_id) if self.order_id else None,
            "unavailable": str(self.unavailable) if self.unavailable else None,
        }


@dataclass
class Plan:
    package: EventPackage
    components: list[Component]
    check_in: date | None
    check_out: date | None
    nights: tuple[date, ...]
    price: PackagePrice
    villa: Component | None = field(default=None)

    def document(self) -> dict[str, Any]:
        return {
            "currency": self.package.currency,
            "list_total_cents": self.price.list_total_cents,
            "discount_cents": self.price.discount_cents,
            "discount_percent": str(self.package.discount_percent),
            "base_price_cents": self.package.base_price_cents,
            "total_cents": self.price.total_cents,
            "components": [component.document() for component in self.components],
        }

    @property
    def events(self) -> list[Component]:
        return [c for c in self.components if c.item.item_type is PackageItemType.EVENT]


def _choice_error(problem: rules.ChoiceProblem, field_name: str, **extra: Any) -> InvalidInput:
    return InvalidInput(str(problem), CHOICE_MESSAGES[problem], field=field_name, **extra)


def _ticket_type(
    session: Session, definition_id: uuid.UUID, wanted: uuid.UUID | None, quantity: int, now: datetime, where: str
) -> TicketType:
    """The chosen ticket type of the event, or its cheapest one on sale that sells ``quantity`` at once."""
    if wanted is not None:
        ticket_type = session.scalar(
            sa.select(TicketType).where(TicketType.id == wanted, TicketType.event_definition_id == definition_id)
        )
        if ticket_type is None:
            raise InvalidInput(
                "ticket_type_not_found", "No such ticket type for this event.", field=f"{where}.ticket_type_id"
            )
        return ticket_type
    candidates = session.scalars(
        sa.select(TicketType)
        .where(
            TicketType.event_definition_id == definition_id,
            TicketType.status != TicketTypeStatus.DISABLED,
            TicketType.min_quantity <= quantity,
            TicketType.max_quantity >= quantity,
            sa.or_(TicketType.valid_from.is_(None), TicketType.valid_from <= now),
            sa.or_(TicketType.valid_until.is_(None), TicketType.valid_until > now),
        )
        .order_by(TicketType.price_cents, TicketType.created_at, TicketType.id)
        .limit(1)
    ).first()
    if candidates is None:
        raise Conflict(
            "no_ticket_type_on_sale", "No ticket type of this event is on sale for this quantity.", field=where
        )
    return candidates


def plan(
    session: Session,
    *,
    package: EventPackage,
    selection: Selection,
    now: datetime,
    villas: VillaAvailability | None = None,
) -> Plan:
    """Checks the guest's choices and prices the components (reads only). Raises the first problem found."""
    villas = villas or DatabaseVillaAvailability(session)
    if package.status is not PackageStatus.ACTIVE:
        raise Conflict("package_not_on_sale", f"This package is {package.status}.")
    items = items_of(session, package.id)
    unknown = set(selection.choices) - {item.id for item in items}
    if unknown:
        raise InvalidInput("package_item_not_found", f"No item {sorted(unknown)[0]} in this package.", field="items")
    has_villa = any(item.item_type is PackageItemType.VILLA for item in items)
    nights: tuple[date, ...] = ()
    if selection.check_in is not None or selection.check_out is not None:
        if not has_villa:
            raise _choice_error(rules.ChoiceProblem.STAY_NOT_ALLOWED, "check_in")
        if selection.check_in is None or selection.check_out is None:
            raise _choice_error(rules.ChoiceProblem.STAY_REQUIRED, "check_in")
        problem = rules.stay_problem(
            check_in=selection.check_in,
            check_out=selection.check_out,
            valid_from=package.valid_from,
            valid_until=package.valid_until,
        )
        if problem is not None:
            raise _choice_error(problem, "check_in")
        if selection.check_in < now.date():
            raise InvalidInput("stay_in_past", "The stay cannot begin in the past.", field="check_in")
        nights = rules.stay_nights(selection.check_in, selection.check_out)
    first_day = selection.check_in if has_villa else package.valid_from
    last_day = selection.check_out if has_villa else package.valid_until
    components: list[Component] = []
    villa: Component | None = None
    for index, item in enumerate(items):
        where = f"items.{index}"
        choice = selection.choices.get(item.id, Choice())
        verdict = rules.choose_quantity(
            rules.ItemRules(item.item_type, item.quantity, item.is_required, item.is_customizable),
            choice.quantity,
            nights=len(nights) if nights else None,
        )
        if verdict.problem is not None:
            raise _choice_error(verdict.problem, where, item_id=str(item.id))
        if verdict.quantity == 0:
            continue
        if item.item_type is PackageItemType.VILLA:
            assert item.space_id is not None
            rate = villas.nightly_rate(space_id=item.space_id)
            if rate is None or rate.price_cents is None:
                raise Conflict("villa_not_priced", "This villa has no nightly price; it cannot be sold.", field=where)
            villa = Component(item, verdict.quantity, "Villa stay", rate.price_cents, rate.currency)
            components.append(villa)
            continue
        if choice.occurrence_id is None:
            raise InvalidInput(
                "occurrence_required", "Choose an occurrence for this event.", field=f"{where}.occurrence_id"
            )
        occurrence = session.scalar(
            sa.select(EventOccurrence).where(
                EventOccurrence.id == choice.occurrence_id,
                EventOccurrence.org_id == package.org_id,
                EventOccurrence.event_definition_id == item.event_definition_id,
            )
        )
        if occurrence is None:
            raise InvalidInput(
                "occurrence_not_in_item", "That occurrence is not of this item's event.", field=f"{where}.occurrence_id"
            )
        if not rules.occurrence_in_window(
            start_at=occurrence.start_at, timezone=occurrence.timezone, first_day=first_day, last_day=last_day
        ):
            raise InvalidInput(
                "occurrence_outside_stay",
                "The occurrence must take place during the stay (or within the package's validity dates).",
                field=f"{where}.occurrence_id",
            )
        assert item.event_definition_id is not None
        ticket_type = _ticket_type(
            session, item.event_definition_id, choice.ticket_type_id, verdict.quantity, now, where
        )
        name = session.scalar(sa.select(EventDefinition.name).where(EventDefinition.id == item.event_definition_id))
        components.append(
            Component(
                item,
                verdict.quantity,
                f"{occurrence.occurrence_name or name}: {ticket_type.name}",
                ticket_type.price_cents,
                ticket_type.currency,
                occurrence_id=occurrence.id,
                ticket_type_id=ticket_type.id,
            )
        )
    problem = rules.selection_problem([(c.item.item_type, c.quantity) for c in components])
    if problem is not None:
        raise _choice_error(problem, "items")
    for component in components:
        if component.currency != package.currency:
            raise Conflict(
                "currency_mismatch",
                f"{component.label} is priced in {component.currency}, the package in {package.currency}.",
                field="items",
            )
    price = package_price(
        component_prices_cents=[c.list_cents for c in components],
        discount_percent=Decimal(package.discount_percent),
        base_price_cents=package.base_price_cents,
    )
    for component, share in zip(components, price.allocations, strict=True):
        component.price_cents = share
    return Plan(package, components, selection.check_in, selection.check_out, nights, price, villa)


def _release_lapsed(session: Session, the_plan: Plan, villas: VillaAvailability, now: datetime) -> None:
    """What stands in the way and has lapsed goes first: expired package holds on the nights, expired ticket holds
    and lapsed waitlist offers on the occurrences (the waitlist taking its turn before this booking)."""
    if the_plan.villa is not None:
        assert the_plan.villa.item.space_id is not None
        holders = villas.holders(space_id=the_plan.villa.item.space_id, nights=the_plan.nights)
        capacity.release_expired_package_holds(session, booking_ids=holders, now=now)
    for component in the_plan.events:
        assert component.occurrence_id is not None
        assert component.ticket_type_id is not None
        request = booking_path.ReserveRequest(component.occurrence_id, component.ticket_type_id, ())
        booking_path.free_what_lapsed(session, request=request, now=now)


def availability(session: Session, the_plan: Plan, villas: VillaAvailability) -> rules.Availability:
    """Marks each component available or not and returns the package's verdict."""
    verdicts: dict[str, rules.Unavailable | None] = {}
    for component in the_plan.components:
        if component.item.item_type is PackageItemType.VILLA:
            assert component.item.space_id is not None
            booked = villas.booked_nights(space_id=component.item.space_id, nights=the_plan.nights)
            component.unavailable = rules.villa_available(booked_nights=booked, nights=the_plan.nights)
        else:
            row = session.execute(
                sa.select(
                    EventOccurrence.capacity_override,
                    EventOccurrence.seats_sold,
                    EventOccurrence.seats_blocked,
                    EventDefinition.max_capacity,
                    TicketType.quantity_available,
                    TicketType.quantity_sold,
                    TicketType.quantity_blocked,
                )
                .join(EventDefinition, EventDefinition.id == EventOccurrence.event_definition_id)
                .join(TicketType, TicketType.event_definition_id == EventDefinition.id)
                .where(EventOccurrence.id == component.occurrence_id, TicketType.id == component.ticket_type_id)
            ).one()
            component.unavailable = rules.event_available(
                quantity=component.quantity,
                capacity=capacity_rules.effective_capacity(
                    capacity_override=row.capacity_override, max_capacity=row.max_capacity
                ),
                seats_sold=row.seats_sold,
                seats_blocked=row.seats_blocked,
                type_available=row.quantity_available,
                type_sold=row.quantity_sold,
                type_blocked=row.quantity_blocked,
            )
        verdicts[str(component.item.id)] = component.unavailable
    return rules.package_availability(verdicts)


def _unavailable(the_plan: Plan, verdict: rules.Availability) -> Conflict:
    labels = [c.label for c in the_plan.components if c.unavailable is not None]
    return Conflict(
        "package_unavailable",
        f"Not every part of this package is available for your dates: {', '.join(labels)}.",
        unavailable={key: str(reason) for key, reason in verdict.unavailable.items()},
    )


def quote(session: Session, *, package: EventPackage, selection: Selection, now: datetime) -> tuple[Plan, bool]:
    """The price and the availability verdict, holding nothing (lapsed holds are released on the way: commits)."""
    villas = DatabaseVillaAvailability(session)
    the_plan = plan(session, package=package, selection=selection, now=now, villas=villas)
    _release_lapsed(session, the_plan, villas, now)
    verdict = availability(session, the_plan, villas)
    session.commit()
    return the_plan, verdict.available


@dataclass(frozen=True)
class Party:
    email: str
    attendees: tuple[booking_path.AttendeeDetails, ...]


@dataclass(frozen=True)
class Booked:
    booking: Booking
    access_secret: str
    # Read before the commit, so the answer needs no second transaction.
    tickets: list[Ticket]


def _lock_package(session: Session, org_id: uuid.UUID, package_id: uuid.UUID) -> EventPackage:
    statement = sa.select(EventPackage).where(EventPackage.id == package_id, EventPackage.org_id == org_id)
    if session.get_bind().dialect.name == "postgresql":
        # A change to the package waits for this booking (and is then refused: it has a booking).
        statement = statement.with_for_update(read=True)
    package = session.scalar(statement.execution_options(populate_existing=True))
    if package is None:
        raise NotFound("package_not_found", f"No package {package_id}.")
    return package


def _party_for(party: Party, quantity: int, where: str) -> tuple[booking_path.AttendeeDetails, ...]:
    if quantity > len(party.attendees):
        raise InvalidInput(
            "not_enough_attendees", f"Name {quantity} attendees: one per ticket of this event.", field="attendees"
        )
    return tuple(a if a.email else dataclasses.replace(a, email=party.email) for a in party.attendees[:quantity])


def book(
    *,
    session: Session,
    org_id: uuid.UUID,
    package_id: uuid.UUID,
    selection: Selection,
    party: Party,
    now: datetime,
    hold: timedelta,
    channel: SalesChannel = SalesChannel.ONLINE,
) -> Booked:
    """Holds every component of the package for ``hold``, all or nothing, in one transaction. Commits."""
    villas = DatabaseVillaAvailability(session)
    package = _lock_package(session, org_id, package_id)
    the_plan = plan(session, package=package, selection=selection, now=now, villas=villas)
    attendees = {c.item.id: _party_for(party, c.quantity, "attendees") for c in the_plan.events}
    _release_lapsed(session, the_plan, villas, now)
    verdict = availability(session, the_plan, villas)
    if not verdict.available:
        session.commit()  # keep what was released on the way
        raise _unavailable(the_plan, verdict)
    secret = secrets.token_urlsafe(24)
    lead = party.attendees[0]
    booking = Booking(
        id=uuid.uuid4(),
        org_id=org_id,
        space_id=the_plan.villa.item.space_id if the_plan.villa else None,
        package_id=package.id,
        status=BookingStatus.PENDING,
        guest_email=party.email,
        guest_name=" ".join(filter(None, (lead.given_name, lead.family_name))),
        check_in_date=the_plan.check_in,
        check_out_date=the_plan.check_out,
        total_cents=the_plan.price.total_cents,
        currency=package.currency,
        access_secret_hash=booking_path.hash_secret(secret),
        hold_expires_at=now + hold,
        created_at=now,
        updated_at=now,
    )
    session.add(booking)
    session.flush()
    try:
        if the_plan.villa is not None:
            assert the_plan.villa.item.space_id is not None
            if not villas.hold(
                org_id=org_id,
                space_id=the_plan.villa.item.space_id,
                nights=the_plan.nights,
                booking_id=booking.id,
                now=now,
            ):
                the_plan.villa.unavailable = rules.Unavailable.NIGHTS_TAKEN
                raise _unavailable(
                    the_plan, rules.package_availability({str(the_plan.villa.item.id): the_plan.villa.unavailable})
                )
        # Occurrences in id order: two packages sharing events lock them in the same order.
        for component in sorted(the_plan.events, key=lambda c: str(c.occurrence_id)):
            assert component.occurrence_id is not None
            assert component.ticket_type_id is not None
            try:
                reservation = booking_path.reserve_in_transaction(
                    session=session,
                    org_id=org_id,
                    request=booking_path.ReserveRequest(
                        occurrence_id=component.occurrence_id,
                        ticket_type_id=component.ticket_type_id,
                        attendees=attendees[component.item.id],
                        channel=channel,
                        email=party.email,
                    ),
                    now=now,
                    hold=hold,
                    booking_id=booking.id,
                    price_cents=component.price_cents,
                )
            except Conflict as refused:
                component.unavailable = (
                    rules.Unavailable.TICKET_TYPE_SOLD_OUT
                    if refused.code == "ticket_type_sold_out"
                    else rules.Unavailable.SOLD_OUT
                    if refused.code == "sold_out"
                    else rules.Unavailable.NOT_ON_SALE
                )
                raise _unavailable(
                    the_plan, rules.package_availability({str(component.item.id): component.unavailable})
                ) from None
            component.order_id = reservation.order_id
    except DomainError:
        session.rollback()  # all or nothing: the booking, its nights and every order go
        raise
    booking.quote = the_plan.document()
    session.flush()
    tickets = tickets_of(session, booking.id)
    session.commit()
    return Booked(booking, secret, tickets)


def get_booking(session: Session, *, org_id: uuid.UUID, booking_id: uuid.UUID) -> Booking:
    booking = session.scalar(
        sa.select(Booking)
        .where(Booking.id == booking_id, Booking.org_id == org_id, Booking.package_id.is_not(None))
        .execution_options(populate_existing=True)
    )
    if booking is None:
        raise NotFound("booking_not_found", "No such package booking.")
    return booking


def get_guest_booking(session: Session, *, org_id: uuid.UUID, booking_id: uuid.UUID, secret: str | None) -> Booking:
    booking = session.scalar(
        sa.select(Booking).where(Booking.id == booking_id, Booking.org_id == org_id, Booking.package_id.is_not(None))
    )
    if (
        booking is None
        or not secret
        or booking.access_secret_hash is None
        or not hmac.compare_digest(booking.access_secret_hash, booking_path.hash_secret(secret))
    ):
        raise NotFound("booking_not_found", "No such package booking, or the secret does not match.")
    return booking


def _lock_booking(session: Session, booking_id: uuid.UUID) -> tuple[list[Order], Booking | None]:
    """Its orders, then the booking, row-locked in that order (the global lock order: orders before bookings)."""
    order_ids = sorted(session.scalars(sa.select(Order.id).where(Order.booking_id == booking_id)))
    orders = [order for order_id in order_ids if (order := confirmation.lock_order(session, order_id)) is not None]
    statement = sa.select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return orders, session.scalar(statement)


def _release(session: Session, booking: Booking, orders: Sequence[Order], status: BookingStatus, now: datetime) -> None:
    """Lets go of whatever the booking still holds (pending orders' seats, its nights)."""
    pending = [order for order in orders if order.status is OrderStatus.PENDING]
    for order in pending:
        order.status = OrderStatus.CANCELED
        order.canceled_at = now
        order.updated_at = now
    session.flush()
    if pending:
        capacity.end_tickets(
            session,
            ticket_filter=Ticket.order_id.in_([order.id for order in pending]),
            new_status=TicketStatus.CANCELED,
            reason="package_released",
            now=now,
        )
    if booking.status == BookingStatus.PENDING:
        booking.status = status
        booking.updated_at = now
        DatabaseVillaAvailability(session).release(booking_ids=[booking.id])


def cancel_pending(*, session: Session, booking_id: uuid.UUID, now: datetime) -> Booking:
    """The guest (or the desk, when the payment failed) lets go of a booking not yet paid. Commits."""
    orders, booking = _lock_booking(session, booking_id)
    assert booking is not None
    if booking.status != BookingStatus.PENDING:
        session.rollback()
        raise Conflict("booking_not_cancelable", f"This booking is {booking.status}; ask the organizer.")
    _release(session, booking, orders, BookingStatus.CANCELED, now)
    session.commit()
    return booking


def confirm_payment(
    *, session: Session, booking_id: uuid.UUID, payment: confirmation.Payment, secret_key: str, now: datetime
) -> str:
    """A payment for the whole package (inside the caller's transaction): every order paid and its tickets issued,
    the booking confirmed, one confirmation mail. Returns the outcome (as ``PaymentResult`` values)."""
    orders, booking = _lock_booking(session, booking_id)
    if booking is None:
        raise LookupError(f"no booking {booking_id}")
    first = orders[0] if orders else None
    same = (booking.payment_gateway, booking.payment_reference) == (payment.gateway, payment.reference)
    if booking.status in (BookingStatus.CONFIRMED, BookingStatus.NEEDS_REFUND) and same:
        return confirmation.PaymentResult.ALREADY_PAID.value
    if payment.amount_cents != booking.total_cents or payment.currency.upper() != booking.currency:
        _refund(session, first, payment, "amount_mismatch", now)
        return confirmation.PaymentResult.AMOUNT_MISMATCH.value
    if booking.status == BookingStatus.CONFIRMED:
        _refund(session, first, payment, "duplicate_payment", now)
        return confirmation.PaymentResult.DUPLICATE_PAYMENT.value
    booking.payment_gateway = payment.gateway
    booking.payment_reference = payment.reference
    booking.payment_details = payment.details
    booking.updated_at = now
    if booking.status == BookingStatus.PENDING and all(order.status is OrderStatus.PENDING for order in orders):
        for order in orders:
            ticket_ids = list(
                session.scalars(
                    sa.select(Ticket.id).where(Ticket.order_id == order.id, Ticket.status == TicketStatus.RESERVED)
                )
            )
            order.status = OrderStatus.PAID
            order.paid_at = now
            order.hold_expires_at = None
            # The provider's reference is the booking's (orders are unique per reference); the order points to it.
            order.payment_gateway = payment.gateway
            order.payment_details = {"package_booking_id": str(booking.id), "reference": payment.reference}
            order.updated_at = now
            confirmation.issue_tickets(session, order=order, ticket_ids=ticket_ids, secret_key=secret_key, now=now)
        booking.status = BookingStatus.CONFIRMED
        booking.paid_at = now
        booking.hold_expires_at = None
        notifications.enqueue(
            session=session,
            org_id=booking.org_id,
            kind=MessageKind.PACKAGE_CONFIRMED,
            recipient=booking.guest_email,
            payload={"booking_id": str(booking.id)},
            now=now,
        )
        return confirmation.PaymentResult.CONFIRMED.value
    # The hold ended (or part of it did): nothing is re-taken for a late payment, the money goes back.
    _release(session, booking, orders, BookingStatus.EXPIRED, now)
    booking.status = BookingStatus.NEEDS_REFUND
    if first is not None:
        confirmation.payment_not_honoured(
            session, order=first, payment=payment, reason="package_hold_ended", recipient=booking.guest_email, now=now
        )
    return confirmation.PaymentResult.NEEDS_REFUND.value


def _refund(
    session: Session, order: Order | None, payment: confirmation.Payment, reason: str, now: datetime
) -> uuid.UUID | None:
    """Refund requests hang on an order: the package's first (every package booking has at least one)."""
    if order is None:
        return None
    return confirmation.request_refund(
        session,
        order=order,
        amount_cents=payment.amount_cents,
        currency=payment.currency.upper(),
        reason=reason,
        reference=payment.reference,
        gateway=payment.gateway,
        now=now,
    )


def pay_online(
    *,
    session: Session,
    org_id: uuid.UUID,
    booking_id: uuid.UUID,
    secret: str | None,
    mode: str,
    secret_key: str,
    now: datetime,
) -> Booking:
    """The guest pays the package total through the online (fake) gateway; ``late`` waits for the webhook."""
    booking = get_guest_booking(session, org_id=org_id, booking_id=booking_id, secret=secret)
    if booking.status != BookingStatus.PENDING:
        raise Conflict("booking_not_payable", f"This booking is {booking.status}.")
    gateway = GATEWAYS["fake"]
    charge = gateway.charge(
        amount_cents=booking.total_cents,
        currency=booking.currency,
        description=f"package booking {booking.id}",
        details={"mode": mode},
    )
    if charge.status is ChargeStatus.DECLINED:
        session.rollback()
        raise Conflict("payment_declined", charge.message or "The payment was declined.")
    if charge.status is ChargeStatus.PENDING:
        booking.payment_gateway = gateway.name
        booking.payment_reference = charge.reference
        booking.updated_at = now
        session.commit()
        return booking
    confirm_payment(
        session=session,
        booking_id=booking.id,
        payment=confirmation.Payment(
            gateway.name, charge.reference, charge.amount_cents, charge.currency, charge.details
        ),
        secret_key=secret_key,
        now=now,
    )
    session.commit()
    return booking


def pay_at_desk(
    *, session: Session, booking_id: uuid.UUID, payment_details: dict[str, Any], secret_key: str, now: datetime
) -> Booking:
    """Staff take the money for a booking just held; if the desk payment is refused, everything is let go."""
    booking = session.get_one(Booking, booking_id)
    gateway = GATEWAYS["manual"]
    try:
        charge = gateway.charge(
            amount_cents=booking.total_cents,
            currency=booking.currency,
            description=f"package booking {booking.id}",
            details=payment_details,
        )
    except ManualPaymentError as error:
        cancel_pending(session=session, booking_id=booking.id, now=now)
        raise InvalidInput(error.code, str(error), field="payment") from None
    confirm_payment(
        session=session,
        booking_id=booking.id,
        payment=confirmation.Payment(
            gateway.name, charge.reference, charge.amount_cents, charge.currency, charge.details
        ),
        secret_key=secret_key,
        now=now,
    )
    session.commit()
    return booking


def tickets_of(session: Session, booking_id: uuid.UUID) -> list[Ticket]:
    return list(
        session.scalars(
            sa.select(Ticket)
            .where(Ticket.booking_id == booking_id)
            .order_by(Ticket.event_occurrence_id, Ticket.created_at, Ticket.id)
            .execution_options(populate_existing=True)
        )
    )
