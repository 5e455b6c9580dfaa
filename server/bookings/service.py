"""The booking domain's entry points: what routers and other domains call.

    reserve / reserve_in_transaction      hold tickets (reservation.py)
    sell_at_box_office                    reserve + take money at the desk + confirm, in one request
    pay_online                            charge through the online gateway and confirm
    apply_payment                         a payment the provider reported (confirmation.py; webhook)
    guest_cancel / organizer_cancel_tickets / cancel_tickets_of_occurrence / complete_refund   (cancellation.py)
    erase_attendee / link_user            (attendees.py)
    release_expired_holds                 (capacity.py; the sweeper)

Every write to tickets, attendees and occurrence counters goes through these modules, so issue 5's change log can
be added in one place.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server import access_keys
from server.bookings.attendees import erase_attendee, link_user
from server.bookings.cancellation import (
    cancel_tickets_of_occurrence,
    complete_refund,
    guest_cancel,
    organizer_cancel_tickets,
)
from server.bookings.capacity import release_expired_holds
from server.bookings.confirmation import Payment, PaymentResult, apply_payment
from server.bookings.models import Attendee, IdempotencyKey, Order, OrderStatus, Ticket
from server.bookings.reservation import (
    AttendeeDetails,
    Reservation,
    ReserveRequest,
    reserve,
    reserve_in_transaction,
)
from server.errors import Conflict, InvalidInput, NotFound
from server.payments.gateway import GATEWAYS, ChargeStatus, ManualPaymentError
from server.tenancy.models import Organization
from shared.codes import normalize_confirmation_code
from shared.enums import SalesChannel

__all__ = [
    "AttendeeDetails",
    "ReserveRequest",
    "apply_payment",
    "cancel_tickets_of_occurrence",
    "complete_refund",
    "erase_attendee",
    "guest_cancel",
    "link_user",
    "organizer_cancel_tickets",
    "release_expired_holds",
    "reserve",
    "reserve_in_transaction",
]


def org_id_for_slug(session: Session, slug: str) -> uuid.UUID:
    org_id = session.scalar(sa.select(Organization.id).where(Organization.slug == slug))
    if org_id is None:
        raise NotFound("organization_not_found", "No such organization.")
    return org_id


def ticket_document(ticket: Ticket, attendee_name: str | None = None) -> dict[str, Any]:
    return {
        "id": str(ticket.id),
        "attendee_id": str(ticket.attendee_id),
        "status": ticket.status.value,
        "price_paid_cents": ticket.price_paid_cents,
        "currency": ticket.currency,
        "confirmation_code": ticket.confirmation_code,
        "qr_code_data": ticket.qr_code_data,
        "refund_amount_cents": ticket.refund_amount_cents,
        "attendee_name": attendee_name,
    }


def reservation_document(
    reservation: Reservation, *, channel: SalesChannel, email: str | None, access_secret: str
) -> dict[str, Any]:
    """The answer to a fresh reservation, built from what was just written (no read-back on the hot path)."""
    q = reservation.quote
    return {
        "id": str(reservation.order_id),
        "status": reservation.status.value,
        "channel": channel.value,
        "occurrence_id": str(reservation.occurrence_id),
        "ticket_type_id": str(reservation.ticket_type_id),
        "email": email,
        "hold_expires_at": reservation.hold_expires_at.isoformat() if reservation.hold_expires_at else None,
        "paid_at": None,
        "quote": q.as_document(),
        "tickets": [
            {
                "id": str(t.id),
                "attendee_id": str(t.attendee_id),
                "status": "reserved",
                "price_paid_cents": t.price_paid_cents,
                "currency": q.currency,
                "confirmation_code": None,
                "qr_code_data": None,
                "refund_amount_cents": 0,
                "attendee_name": None,
            }
            for t in reservation.tickets
        ],
        "payment": None,
        "access_secret": access_secret,
        "replayed": False,
    }


def order_document(session: Session, order: Order, *, access_secret: str | None = None) -> dict[str, Any]:
    rows = session.execute(
        sa.select(Ticket, Attendee.given_name, Attendee.family_name)
        .join(Attendee, Attendee.id == Ticket.attendee_id)
        .where(Ticket.order_id == order.id)
        .order_by(Ticket.created_at, Ticket.id)
    ).all()
    return {
        "id": str(order.id),
        "status": order.status.value,
        "channel": order.channel.value,
        "occurrence_id": str(order.event_occurrence_id),
        "ticket_type_id": str(order.ticket_type_id),
        "email": order.email,
        "hold_expires_at": order.hold_expires_at.isoformat() if order.hold_expires_at else None,
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "quote": order.quote,
        "tickets": [ticket_document(t, " ".join(filter(None, (given, family)))) for t, given, family in rows],
        "payment": (
            {"gateway": order.payment_gateway, "reference": order.payment_reference, **order.payment_details}
            if order.payment_gateway
            else None
        ),
        "access_secret": access_secret,
        "replayed": False,
    }


def order_access_secret(secret_key: str, order_id: uuid.UUID) -> str:
    """The key that lets a guest reach their own order, derived from its id (nothing stored)."""
    return access_keys.derive(secret_key, access_keys.ORDER, order_id)


def replay_document(session: Session, stored: IdempotencyKey, *, secret_key: str) -> dict[str, Any]:
    order = session.get_one(Order, stored.order_id)
    document = order_document(session, order, access_secret=order_access_secret(secret_key, order.id))
    document["replayed"] = True
    return document


def get_order(session: Session, *, org_id: uuid.UUID, order_id: uuid.UUID) -> Order:
    order = session.scalar(sa.select(Order).where(Order.id == order_id, Order.org_id == org_id))
    if order is None:
        raise NotFound("order_not_found", "No such order.")
    return order


def get_guest_order(
    session: Session, *, org_id: uuid.UUID, order_id: uuid.UUID, secret: str | None, secret_key: str
) -> Order:
    """The order, if ``secret`` is its access secret; otherwise the same 404 as for an order that does not exist."""
    if not access_keys.matches(secret_key, access_keys.ORDER, order_id, secret):
        raise NotFound("order_not_found", "No such order, or the order secret does not match.")
    order = session.scalar(sa.select(Order).where(Order.id == order_id, Order.org_id == org_id))
    if order is None:
        raise NotFound("order_not_found", "No such order, or the order secret does not match.")
    return order


def pay_online(
    *,
    session: Session,
    org_id: uuid.UUID,
    order_id: uuid.UUID,
    secret: str | None,
    mode: str,
    secret_key: str,
    now: datetime,
) -> Order:
    """The guest pays through the online (fake) gateway. A declined card leaves the hold as it was; a ``late``
    payment leaves the order pending until the provider's webhook arrives."""
    order = get_guest_order(session, org_id=org_id, order_id=order_id, secret=secret, secret_key=secret_key)
    if order.status is not OrderStatus.PENDING:
        raise Conflict("order_not_payable", f"This order is {order.status}.")
    gateway = GATEWAYS["fake"]
    charge = gateway.charge(
        amount_cents=order.total_cents, currency=order.currency, description=f"order {order.id}", details={"mode": mode}
    )
    if charge.status is ChargeStatus.DECLINED:
        session.rollback()
        raise Conflict("payment_declined", charge.message or "The payment was declined.")
    if charge.status is ChargeStatus.PENDING:
        order.payment_gateway = gateway.name
        order.payment_reference = charge.reference
        order.updated_at = now
        session.commit()
        return order
    apply_payment(
        session=session,
        order_id=order.id,
        payment=Payment(gateway.name, charge.reference, charge.amount_cents, charge.currency, charge.details),
        secret_key=secret_key,
        now=now,
    )
    session.commit()
    return order


def sell_at_box_office(
    *,
    session: Session,
    org_id: uuid.UUID,
    request: ReserveRequest,
    payment_details: dict[str, Any],
    secret_key: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> tuple[Order, dict[str, Any] | None]:
    """A walk-up sale: seats taken, money taken at the desk, tickets issued. A replayed idempotency key answers
    the first sale again. If the desk payment is refused the seats are let go at once."""
    complimentary = payment_details.get("method") == "complimentary"
    request = ReserveRequest(
        occurrence_id=request.occurrence_id,
        ticket_type_id=request.ticket_type_id,
        attendees=request.attendees,
        channel=SalesChannel.BOX_OFFICE,
        email=request.email,
        complimentary=complimentary,
    )
    # A short hold: if the desk payment fails below, the seats are released right away anyway.
    result = reserve(
        session=session,
        org_id=org_id,
        request=request,
        now=now,
        hold=timedelta(minutes=15),
        idempotency_key=idempotency_key,
    )
    if isinstance(result, IdempotencyKey):
        document = replay_document(session, result, secret_key=secret_key)
        return get_order(session, org_id=org_id, order_id=result.order_id), document
    gateway = GATEWAYS["manual"]
    try:
        charge = gateway.charge(
            amount_cents=result.quote.total_cents,
            currency=result.quote.currency,
            description=f"order {result.order_id}",
            details=payment_details,
        )
    except ManualPaymentError as error:
        guest_cancel(session=session, order_id=result.order_id, ticket_ids=None, now=now)
        raise InvalidInput(error.code, str(error), field="payment") from None
    outcome = apply_payment(
        session=session,
        order_id=result.order_id,
        payment=Payment(gateway.name, charge.reference, charge.amount_cents, charge.currency, charge.details),
        secret_key=secret_key,
        now=now,
    )
    session.commit()
    assert outcome.result is PaymentResult.CONFIRMED
    return get_order(session, org_id=org_id, order_id=result.order_id), None


def find_ticket_for_guest(session: Session, *, org_id: uuid.UUID, code: str, email: str) -> tuple[Ticket, Attendee]:
    """A confirmed ticket by its code and the attendee's or buyer's address (both needed: a code alone is a
    bearer credential a guest may read out at the door)."""
    normalized = normalize_confirmation_code(code)
    row = None
    if normalized is not None:
        row = session.execute(
            sa.select(Ticket, Attendee, Order.email)
            .join(Attendee, Attendee.id == Ticket.attendee_id)
            .outerjoin(Order, Order.id == Ticket.order_id)
            .where(Ticket.org_id == org_id, Ticket.confirmation_code == normalized)
        ).first()
    address = email.strip().lower()
    if row is None or address not in {row[1].email.lower(), (row[2] or "").lower()}:
        raise NotFound("ticket_not_found", "No ticket with this confirmation code and email.")
    return row[0], row[1]


def list_attendees(session: Session, *, org_id: uuid.UUID, occurrence_id: uuid.UUID) -> list[tuple[Ticket, Attendee]]:
    rows = session.execute(
        sa.select(Ticket, Attendee)
        .join(Attendee, Attendee.id == Ticket.attendee_id)
        .where(Ticket.org_id == org_id, Ticket.event_occurrence_id == occurrence_id)
        .order_by(Attendee.family_name, Attendee.given_name, Ticket.id)
    ).all()
    return [(ticket, attendee) for ticket, attendee in rows]
