"""Canceling tickets, orders and whole occurrences; refunds requested from the Payments domain.

A canceled ticket gives its seat and its ticket-type quantity back at once. Its refund follows the event's policy
(``shared.refunds``) when the guest cancels, and is in full when the organizer cancels it or the occurrence is
canceled. The ticket stays ``canceled`` with ``refund_amount_cents`` set until the Payments domain confirms the
refund (``complete_refund``); then it becomes ``refunded``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings import capacity
from server.bookings.confirmation import lock_order, request_refund
from server.bookings.models import Order, OrderStatus, Ticket
from server.errors import Conflict, NotFound
from server.events.models import EventDefinition, EventOccurrence
from server.notifications import service as notifications
from server.notifications.models import MessageKind
from server.payments.models import RefundRequest, RefundStatus
from server.waitlist import offers as waitlist_offers
from shared.enums import TicketStatus
from shared.refunds import CancellationInitiator, guest_may_cancel, parse_refund_policy, refund_amount


@dataclass(frozen=True)
class CanceledTicket:
    ticket_id: uuid.UUID
    refund_amount_cents: int
    refund_request_id: uuid.UUID | None


def _occurrence_and_policy(session: Session, occurrence_id: uuid.UUID) -> tuple[EventOccurrence, EventDefinition]:
    occurrence = session.get_one(EventOccurrence, occurrence_id)
    definition = session.get_one(EventDefinition, occurrence.event_definition_id)
    return occurrence, definition


def cancel_order_tickets(
    session: Session,
    *,
    order: Order,
    ticket_ids: list[uuid.UUID] | None,
    initiator: CancellationInitiator,
    reason: str,
    now: datetime,
    notify: bool = True,
) -> list[CanceledTicket]:
    """Cancels tickets of one (locked) order and requests their refunds; no commit.

    A pending order's tickets were never paid: they are simply released (and the order canceled once none is left).
    """
    occurrence, definition = _occurrence_and_policy(session, order.event_occurrence_id)
    candidates = sa.select(Ticket.id, Ticket.price_paid_cents).where(
        Ticket.order_id == order.id, Ticket.status.in_(capacity.SEAT_HOLDING_STATUSES)
    )
    if ticket_ids is not None:
        candidates = candidates.where(Ticket.id.in_(ticket_ids))
    prices = {row.id: row.price_paid_cents for row in session.execute(candidates)}
    if not prices:
        return []
    paid = order.status is OrderStatus.PAID
    policy = parse_refund_policy(definition.settings).unwrap() if paid else None
    amounts: dict[uuid.UUID, int] = {}
    for ticket_id, price in prices.items():
        if policy is None:
            amounts[ticket_id] = 0
            continue
        decision = refund_amount(
            price_paid_cents=price, start_at=occurrence.start_at, now=now, policy=policy, initiator=initiator
        )
        amounts[ticket_id] = decision.amount_cents
    by_amount: dict[int, list[uuid.UUID]] = defaultdict(list)
    for ticket_id, amount in amounts.items():
        by_amount[amount].append(ticket_id)
    released: list[uuid.UUID] = []
    for amount, ids in sorted(by_amount.items()):
        result = capacity.end_tickets(
            session,
            ticket_filter=Ticket.id.in_(ids),
            new_status=TicketStatus.CANCELED,
            reason=reason,
            now=now,
            refund_amount_cents=amount,
        )
        released.extend(result.ticket_ids)
    canceled: list[CanceledTicket] = []
    for ticket_id in released:
        refund_id = None
        if paid and amounts[ticket_id] > 0:
            refund_id = request_refund(
                session, order=order, ticket_id=ticket_id, amount_cents=amounts[ticket_id], reason=reason, now=now
            )
        canceled.append(CanceledTicket(ticket_id, amounts[ticket_id], refund_id))
    if not paid:
        remaining = session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(Ticket.order_id == order.id, Ticket.status.in_(capacity.SEAT_HOLDING_STATUSES))
        )
        if not remaining and order.status is OrderStatus.PENDING:
            order.status = OrderStatus.CANCELED
            order.canceled_at = now
            order.updated_at = now
    if notify and paid and canceled:
        notifications.enqueue(
            session=session,
            org_id=order.org_id,
            kind=MessageKind.TICKETS_CANCELED,
            recipient=order.email,
            order_id=order.id,
            payload={
                "ticket_ids": [str(c.ticket_id) for c in canceled],
                "refund_cents": sum(c.refund_amount_cents for c in canceled),
                "reason": reason,
            },
            now=now,
        )
    return canceled


def guest_cancel(
    *, session: Session, order_id: uuid.UUID, ticket_ids: list[uuid.UUID] | None, now: datetime
) -> list[CanceledTicket]:
    """A guest cancels (some of) their own order's tickets, within the event's policy. Commits."""
    order = lock_order(session, order_id)
    if order is None:
        raise NotFound("order_not_found", "No such order.")
    occurrence, definition = _occurrence_and_policy(session, order.event_occurrence_id)
    if order.status is OrderStatus.PAID:
        policy = parse_refund_policy(definition.settings).unwrap()
        verdict = guest_may_cancel(start_at=occurrence.start_at, now=now, policy=policy)
        if not verdict.allowed:
            session.rollback()
            raise Conflict(
                "cancellation_closed",
                f"Tickets for this occurrence can no longer be canceled (closed at {verdict.cutoff_at.isoformat()}).",
                cutoff_at=verdict.cutoff_at.isoformat(),
            )
    elif order.status is not OrderStatus.PENDING:
        session.rollback()
        raise Conflict("order_not_cancelable", f"This order is {order.status}.")
    canceled = cancel_order_tickets(
        session,
        order=order,
        ticket_ids=ticket_ids,
        initiator=CancellationInitiator.GUEST,
        reason="guest_canceled",
        now=now,
    )
    session.commit()
    return canceled


def organizer_cancel_tickets(
    *, session: Session, org_id: uuid.UUID, ticket_ids: list[uuid.UUID], reason: str, now: datetime
) -> list[CanceledTicket]:
    """Staff cancel tickets at any time, with full refunds. Commits."""
    order_ids = [
        order_id
        for order_id in session.scalars(
            sa.select(Ticket.order_id).where(Ticket.org_id == org_id, Ticket.id.in_(ticket_ids)).distinct()
        )
        if order_id is not None
    ]
    if not order_ids:
        raise NotFound("ticket_not_found", "No such ticket.")
    canceled: list[CanceledTicket] = []
    for order_id in sorted(order_ids):
        order = lock_order(session, order_id, org_id)
        assert order is not None
        canceled.extend(
            cancel_order_tickets(
                session,
                order=order,
                ticket_ids=ticket_ids,
                initiator=CancellationInitiator.ORGANIZER,
                reason=reason,
                now=now,
            )
        )
    session.commit()
    return canceled


def cancel_tickets_of_occurrence(
    *, session: Session, occurrence: EventOccurrence, now: datetime, reason: str
) -> list[CanceledTicket]:
    """Every ticket of a canceled occurrence: canceled with full refunds, all rows kept, mails queued.

    For the catalog's occurrence cancel and the min-capacity job: runs inside the caller's transaction (the one that
    sets the occurrence ``canceled``) and does not commit.
    """
    order_ids = list(
        session.scalars(
            sa.select(Order.id)
            .where(
                Order.event_occurrence_id == occurrence.id,
                Order.status.in_((OrderStatus.PENDING, OrderStatus.PAID)),
            )
            .order_by(Order.id)
        )
    )
    canceled: list[CanceledTicket] = []
    for order_id in order_ids:
        order = lock_order(session, order_id)
        assert order is not None
        canceled.extend(
            cancel_order_tickets(
                session,
                order=order,
                ticket_ids=None,
                initiator=CancellationInitiator.OCCURRENCE_CANCELED,
                reason=f"occurrence_canceled: {reason}"[:200],
                now=now,
            )
        )
    # Tickets outside any order (imported, made by hand) go too, without a refund to request.
    capacity.end_tickets(
        session,
        ticket_filter=sa.and_(Ticket.event_occurrence_id == occurrence.id, Ticket.order_id.is_(None)),
        new_status=TicketStatus.CANCELED,
        reason="occurrence_canceled",
        now=now,
    )
    # Nobody waits for a canceled occurrence any more (seats held for offers go back with the rest).
    waitlist_offers.seats_opened(session=session, now=now, occurrences=[occurrence.id])
    return canceled


def complete_refund(
    *, session: Session, refund_request_id: uuid.UUID, succeeded: bool, provider_refund_id: str | None, now: datetime
) -> RefundRequest | None:
    """The Payments domain's answer to a refund request (inside the caller's transaction). On success the ticket
    becomes ``refunded`` and the guest is told."""
    refund = session.scalars(
        sa.select(RefundRequest).where(RefundRequest.id == refund_request_id).with_for_update()
    ).first()
    if refund is None or refund.status is not RefundStatus.REQUESTED:
        return refund
    refund.status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
    refund.provider_refund_id = provider_refund_id
    refund.completed_at = now
    refund.updated_at = now
    if not succeeded:
        return refund
    if refund.ticket_id is not None:
        session.execute(
            sa.update(Ticket)
            .where(Ticket.id == refund.ticket_id, Ticket.status == TicketStatus.CANCELED)
            .values(status=TicketStatus.REFUNDED, updated_at=now)
        )
    order = session.get_one(Order, refund.order_id)
    notifications.enqueue(
        session=session,
        org_id=refund.org_id,
        kind=MessageKind.REFUND_ISSUED,
        recipient=order.email,
        order_id=order.id,
        payload={"amount_cents": refund.amount_cents, "currency": refund.currency, "refund_id": str(refund.id)},
        now=now,
    )
    return refund
