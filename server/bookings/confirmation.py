"""Payment confirmation: an order becomes ``paid`` and its tickets ``confirmed``, each with a confirmation code and
a signed QR token.

A payment for an order whose hold already expired takes the seats again with the same conditional UPDATEs as a
reservation, if they are still free; if not, the order is marked ``needs_refund`` and a refund is requested. A late
payment never oversells.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings import capacity
from server.bookings.models import Order, OrderStatus, Ticket
from server.events.models import EventOccurrence
from server.notifications import service as notifications
from server.notifications.models import MessageKind
from server.payments.models import RefundRequest, RefundStatus
from server.signing import service as signing
from server.waitlist import offers as waitlist_offers
from shared.codes import new_confirmation_code
from shared.enums import TicketStatus
from shared.qrtoken import claims_for_ticket, sign_ticket


class PaymentResult(StrEnum):
    CONFIRMED = "confirmed"
    LATE_CONFIRMED = "late_confirmed"  # the hold had expired; the seats were still free and were taken again
    NEEDS_REFUND = "needs_refund"  # the money came, the seats could not be honoured
    ALREADY_PAID = "already_paid"  # the same payment again: nothing to do
    DUPLICATE_PAYMENT = "duplicate_payment"  # a second, different payment for a paid order: refund it
    AMOUNT_MISMATCH = "amount_mismatch"  # not what the order costs: refund it, the order stays as it was


@dataclass(frozen=True)
class Payment:
    gateway: str
    reference: str
    amount_cents: int
    currency: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentOutcome:
    result: PaymentResult
    order_id: uuid.UUID
    refund_request_id: uuid.UUID | None = None


def lock_order(session: Session, order_id: uuid.UUID, org_id: uuid.UUID | None = None) -> Order | None:
    """The order, row-locked on PostgreSQL (SQLite's transaction is exclusive already)."""
    statement = sa.select(Order).where(Order.id == order_id).with_for_update()
    if org_id is not None:
        statement = statement.where(Order.org_id == org_id)
    return session.scalars(statement.execution_options(populate_existing=True)).first()


def issue_tickets(
    session: Session, *, order: Order, ticket_ids: list[uuid.UUID], secret_key: str, now: datetime
) -> None:
    """Confirms the tickets: status, ``confirmed_at``, a fresh confirmation code and a token signed with the org's
    current key. Both codes and tokens are unique by constraint."""
    if not ticket_ids:
        return
    occurrence = session.get_one(EventOccurrence, order.event_occurrence_id)
    key = signing.current_signing_key(session=session, org_id=order.org_id, secret_key=secret_key, now=now)
    updates = []
    for ticket_id in ticket_ids:
        claims = claims_for_ticket(
            ticket_id=ticket_id,
            occurrence_id=order.event_occurrence_id,
            ticket_type_id=order.ticket_type_id,
            start_at=occurrence.start_at,
            end_at=occurrence.end_at,
            issued_at=now,
        )
        updates.append(
            {
                "id": ticket_id,
                "status": TicketStatus.CONFIRMED,
                "confirmed_at": now,
                "canceled_at": None,
                "confirmation_code": new_confirmation_code(),
                "qr_code_data": sign_ticket(claims, key=key),
                "updated_at": now,
            }
        )
    session.execute(sa.update(Ticket), updates)


def request_refund(
    session: Session,
    *,
    order: Order,
    amount_cents: int,
    reason: str,
    now: datetime,
    ticket_id: uuid.UUID | None = None,
    currency: str | None = None,
    reference: str | None = None,
    gateway: str | None = None,
) -> uuid.UUID:
    refund_id = uuid.uuid4()
    session.execute(
        sa.insert(RefundRequest),
        [
            {
                "id": refund_id,
                "org_id": order.org_id,
                "order_id": order.id,
                "ticket_id": ticket_id,
                "amount_cents": amount_cents,
                "currency": currency or order.currency,
                "reason": reason,
                "status": RefundStatus.REQUESTED,
                "payment_gateway": gateway or order.payment_gateway,
                "payment_reference": reference or order.payment_reference,
                "requested_at": now,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    return refund_id


def _mark_paid(order: Order, payment: Payment, now: datetime) -> None:
    order.status = OrderStatus.PAID
    order.paid_at = now
    order.hold_expires_at = None
    order.payment_gateway = payment.gateway
    order.payment_reference = payment.reference
    order.payment_details = payment.details
    order.updated_at = now


def _retake_seats(session: Session, order: Order, now: datetime) -> list[uuid.UUID] | None:
    """For a late payment: the seats again, if still free (inside a savepoint, so a half success leaves nothing)."""
    revivable = list(
        session.scalars(
            sa.select(Ticket.id).where(
                Ticket.order_id == order.id,
                Ticket.status == TicketStatus.CANCELED,
                Ticket.canceled_at == order.expired_at,
            )
        )
    )
    if not revivable:
        return None
    savepoint = session.begin_nested()
    quantity = len(revivable)
    if capacity.take_occurrence_seats(
        session, occurrence_id=order.event_occurrence_id, quantity=quantity, now=now
    ) and capacity.take_ticket_type_quantity(session, ticket_type_id=order.ticket_type_id, quantity=quantity, now=now):
        savepoint.commit()
        return revivable
    savepoint.rollback()
    return None


def apply_payment(
    *, session: Session, order_id: uuid.UUID, payment: Payment, secret_key: str, now: datetime
) -> PaymentOutcome:
    """Records a successful payment for an order, inside the caller's transaction (the caller commits)."""
    order = lock_order(session, order_id)
    if order is None:
        raise LookupError(f"no order {order_id}")
    if order.status in (OrderStatus.PAID, OrderStatus.NEEDS_REFUND) and (
        order.payment_gateway,
        order.payment_reference,
    ) == (payment.gateway, payment.reference):
        return PaymentOutcome(PaymentResult.ALREADY_PAID, order.id)
    if payment.amount_cents != order.total_cents or payment.currency.upper() != order.currency:
        refund_id = _refund_payment(session, order, payment, "amount_mismatch", now)
        return PaymentOutcome(PaymentResult.AMOUNT_MISMATCH, order.id, refund_id)
    if order.status is OrderStatus.PAID:
        refund_id = _refund_payment(session, order, payment, "duplicate_payment", now)
        return PaymentOutcome(PaymentResult.DUPLICATE_PAYMENT, order.id, refund_id)
    if order.status is OrderStatus.PENDING:
        # Still pending, even past its expiry time: the seats are still counted as held, so they are its own.
        ticket_ids = list(
            session.scalars(
                sa.select(Ticket.id).where(Ticket.order_id == order.id, Ticket.status == TicketStatus.RESERVED)
            )
        )
        _mark_paid(order, payment, now)
        issue_tickets(session, order=order, ticket_ids=ticket_ids, secret_key=secret_key, now=now)
        _confirmation_mail(session, order, now)
        # Bought through a waitlist link: the entry is converted.
        waitlist_offers.converted(session, order_id=order.id, now=now)
        return PaymentOutcome(PaymentResult.CONFIRMED, order.id)
    if order.status is OrderStatus.EXPIRED:
        revived = _retake_seats(session, order, now)
        if revived is not None:
            _mark_paid(order, payment, now)
            issue_tickets(session, order=order, ticket_ids=revived, secret_key=secret_key, now=now)
            _confirmation_mail(session, order, now)
            return PaymentOutcome(PaymentResult.LATE_CONFIRMED, order.id)
    # Expired with its seats gone, canceled, or already waiting for a refund: the money goes back.
    order.status = OrderStatus.NEEDS_REFUND
    order.payment_gateway = payment.gateway
    order.payment_reference = payment.reference
    order.payment_details = payment.details
    order.updated_at = now
    refund_id = payment_not_honoured(
        session, order=order, payment=payment, reason="seats_gone", recipient=order.email, now=now
    )
    return PaymentOutcome(PaymentResult.NEEDS_REFUND, order.id, refund_id)


def payment_not_honoured(
    session: Session, *, order: Order, payment: Payment, reason: str, recipient: str | None, now: datetime
) -> uuid.UUID:
    """A payment that bought nothing (its hold ended and the seats went): the money goes back, and the guest is told.
    The refund request hangs on ``order`` (a package's first order, for a package booking)."""
    refund_id = _refund_payment(session, order, payment, reason, now)
    notifications.enqueue(
        session=session,
        org_id=order.org_id,
        kind=MessageKind.PAYMENT_NOT_HONOURED,
        recipient=recipient,
        order_id=order.id,
        payload={"amount_cents": payment.amount_cents, "currency": payment.currency.upper()},
        now=now,
    )
    return refund_id


def _refund_payment(session: Session, order: Order, payment: Payment, reason: str, now: datetime) -> uuid.UUID:
    return request_refund(
        session,
        order=order,
        amount_cents=payment.amount_cents,
        currency=payment.currency.upper(),
        reason=reason,
        reference=payment.reference,
        gateway=payment.gateway,
        now=now,
    )


def _confirmation_mail(session: Session, order: Order, now: datetime) -> None:
    notifications.enqueue(
        session=session,
        org_id=order.org_id,
        kind=MessageKind.TICKETS_CONFIRMED,
        recipient=order.email,
        order_id=order.id,
        now=now,
    )
