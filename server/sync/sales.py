"""Box-office sales and attendee edits pushed by a device.

A sale made by a kiosk arrives with everything it already handed out: ticket ids, confirmation codes and tokens
signed with the device's key (printed or shown before the server heard of them), so the server keeps them as they
are. It is judged by the sales domain's own rules (``bookings.reservation.plan_reservation``, at the sale's
clock-corrected time) and priced by them; the seats come from the device's allotment first (guaranteed), then from
the remaining capacity with the reservation path's conditional UPDATEs. What does not fit is rejected as
``over_capacity`` and recorded as a conflict: the kiosk took money for it, staff must refund it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings import capacity
from server.bookings.models import Attendee, Order, OrderStatus, Ticket
from server.bookings.reservation import AttendeeDetails, OrgRef, ReserveRequest, plan_reservation
from server.checkin.ledger import Ledger
from server.devices import allotments
from server.devices.models import Device, SeatAllotment
from server.devices.scope import Scope
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.events.models import EventOccurrence, TicketType
from server.notifications import service as notifications
from server.notifications.models import MessageKind
from server.payments.gateway import GATEWAYS, ManualPaymentError
from server.sync.models import ConflictKind, SyncConflict
from shared import wire
from shared.codes import new_confirmation_code, normalize_confirmation_code
from shared.enums import SalesChannel, TicketStatus
from shared.qrtoken import KeyOwner, KeyOwnerKind, TokenStatus, verify_ticket
from shared.wire import MutationResult, ResultStatus

UNTRUSTED = (TokenStatus.MALFORMED, TokenStatus.UNKNOWN_KEY, TokenStatus.BAD_SIGNATURE, TokenStatus.KEY_REVOKED)


def _require_box_office(device: Device) -> None:
    if device.role is not wire.DeviceRole.BOX_OFFICE:
        raise Forbidden(wire.Problem.ROLE_NOT_ALLOWED, "Only a box-office device sells or edits attendees.")


def _check_tokens(sale: wire.SaleMutation, device: Device, ledger: Ledger) -> list[str]:
    """Each token must be this device's signature over exactly this ticket; answers them in stored form."""
    tokens = []
    own_key = KeyOwner(KeyOwnerKind.DEVICE, device.id)
    for index, ticket in enumerate(sale.tickets):
        verdict = verify_ticket(ticket.token, ledger.keyring, now=ledger.now)
        claims = verdict.claims
        if (
            verdict.status in UNTRUSTED
            or claims is None
            or verdict.signer != own_key
            or (claims.ticket_id, claims.occurrence_id, claims.ticket_type_id)
            != (ticket.id, sale.occurrence_id, sale.ticket_type_id)
        ):
            raise InvalidInput(
                "untrusted_token",
                f"Ticket {index}: the token is not this device's signature over this ticket ({verdict.status}).",
                field=f"tickets.{index}.token",
            )
        tokens.append(ticket.token.strip().upper())
    return tokens


def _codes(session: Session, sale: wire.SaleMutation) -> tuple[list[str], dict[str, str]]:
    """The kiosk's codes, except those that are malformed or already taken, which get fresh ones."""
    wanted = [normalize_confirmation_code(ticket.confirmation_code) for ticket in sale.tickets]
    taken = set(
        session.scalars(
            sa.select(Ticket.confirmation_code).where(Ticket.confirmation_code.in_([c for c in wanted if c]))
        )
    )
    codes: list[str] = []
    replaced: dict[str, str] = {}
    for ticket, code in zip(sale.tickets, wanted, strict=True):
        if code is None or code in taken or code in codes:
            fresh = new_confirmation_code()
            replaced[ticket.id.hex] = fresh
            codes.append(fresh)
        else:
            codes.append(code)
    return codes, replaced


def _take_seats(session: Session, *, device: Device, sale: wire.SaleMutation, at: datetime) -> tuple[int, int] | None:
    """Seats for the sale: from the allotment first, the rest from capacity. ``None`` when they do not fit
    (nothing taken). Answers (from the allotment, from capacity)."""
    quantity = len(sale.tickets)
    allotment = session.get(SeatAllotment, sale.allotment_id) if sale.allotment_id else None
    # An allotment held for one ticket type serves only that type (its quantity was taken for that type up front;
    # a seat of it sold as another type would leave that quantity taken for good). ``shared.boxoffice``'s
    # ``allotment_serves`` is the same rule on the kiosk.
    usable = (
        allotment is not None
        and allotment.device_id == device.id
        and allotment.event_occurrence_id == sale.occurrence_id
        and allotment.ticket_type_id in (None, sale.ticket_type_id)
    )
    savepoint = session.begin_nested()
    from_allotment = 0
    if usable and allotment is not None:
        left = allotments.seats_left(session, allotment_id=allotment.id, device_id=device.id)
        from_allotment = min(quantity, left)
        if from_allotment and (
            allotments.use_allotment(
                session, allotment_id=allotment.id, device_id=device.id, seats=from_allotment, now=at
            )
            is None
        ):
            from_allotment = 0
    rest = quantity - from_allotment
    typed = (
        from_allotment if usable and allotment is not None and allotment.ticket_type_id == sale.ticket_type_id else 0
    )
    ok = (
        not rest or capacity.take_occurrence_seats(session, occurrence_id=sale.occurrence_id, quantity=rest, now=at)
    ) and (
        quantity == typed
        or capacity.take_ticket_type_quantity(
            session, ticket_type_id=sale.ticket_type_id, quantity=quantity - typed, now=at
        )
    )
    if not ok:
        savepoint.rollback()
        return None
    savepoint.commit()
    return from_allotment, rest


def apply_sale(
    *,
    session: Session,
    device: Device,
    scope: Scope,
    mutation: wire.Mutation,
    sale: wire.SaleMutation,
    at: datetime,
    now: datetime,
    secret_key: str,
    ledger: Ledger,
) -> MutationResult:
    """Record a kiosk's sale, or reject it for good (the caller's savepoint is rolled back then)."""
    _require_box_office(device)
    scope.require([sale.occurrence_id], field="occurrence_id")
    if session.get(Order, sale.order_id) is not None:
        raise Conflict("order_exists", "An order with this id exists already.")
    if session.scalar(
        sa.select(sa.func.count()).select_from(Ticket).where(Ticket.id.in_([t.id for t in sale.tickets]))
    ):
        raise Conflict("ticket_exists", "A ticket with one of these ids exists already.")
    tokens = _check_tokens(sale, device, ledger)
    request = ReserveRequest(
        occurrence_id=sale.occurrence_id,
        ticket_type_id=sale.ticket_type_id,
        attendees=tuple(
            AttendeeDetails(given_name=t.given_name, family_name=t.family_name, email=t.email) for t in sale.tickets
        ),
        channel=SalesChannel.BOX_OFFICE,
        email=sale.email,
        complimentary=sale.payment_method is wire.PaymentMethod.COMPLIMENTARY,
    )
    plan = plan_reservation(session=session, org=OrgRef(id=device.org_id), request=request, now=at, hold=None)
    plan.order_id = sale.order_id
    plan.ticket_ids = [ticket.id for ticket in sale.tickets]
    details: dict[str, Any] = {"method": sale.payment_method.value}
    if sale.cash_tendered_cents is not None:
        details["cash_tendered_cents"] = sale.cash_tendered_cents
    if sale.terminal_reference:
        details["terminal_reference"] = sale.terminal_reference
    try:
        charge = GATEWAYS["manual"].charge(
            amount_cents=plan.quote.total_cents,
            currency=plan.quote.currency,
            description=f"order {plan.order_id}",
            details=details,
        )
    except ManualPaymentError as error:
        raise InvalidInput(error.code, str(error), field="payment") from None
    seats = _take_seats(session, device=device, sale=sale, at=at)
    if seats is None:
        released = capacity.release_expired_holds(
            session, now=now, occurrence_id=sale.occurrence_id, ticket_type_id=sale.ticket_type_id
        )
        seats = _take_seats(session, device=device, sale=sale, at=at) if released.count else None
    if seats is None:
        return MutationResult(
            mutation.id,
            mutation.seq,
            ResultStatus.REJECTED,
            code="over_capacity",
            message="No seats left for this sale beyond the device's allotment: refund it or offer the waitlist.",
            data={"order_id": sale.order_id.hex},
        )
    codes, replaced = _codes(session, sale)
    order = plan.order_row() | {
        "status": OrderStatus.PAID,
        "paid_at": at,
        "created_at": at,
        "hold_expires_at": None,
        "payment_gateway": "manual",
        "payment_reference": charge.reference,
        "payment_details": {**charge.details, "device_id": device.id.hex, "override": sale.override},
    }
    session.execute(sa.insert(Order), [order])
    session.execute(sa.insert(Attendee), plan.attendee_rows())
    ticket_rows = [
        row | {"status": TicketStatus.CONFIRMED, "confirmed_at": at, "confirmation_code": code, "qr_code_data": token}
        for row, code, token in zip(plan.ticket_rows(), codes, tokens, strict=True)
    ]
    session.execute(sa.insert(Ticket), ticket_rows)
    notifications.enqueue(
        session=session,
        org_id=device.org_id,
        kind=MessageKind.TICKETS_CONFIRMED,
        recipient=plan.order_email,
        order_id=plan.order_id,
        now=now,
    )
    conflicts: list[uuid.UUID] = []
    if replaced:
        conflicts.append(_sale_conflict(session, device, mutation, ConflictKind.SALE_ADJUSTED, now, sale, replaced))
    for ticket, code in zip(sale.tickets, codes, strict=True):
        ledger.sold_codes[code] = ticket.id
        kiosk_code = normalize_confirmation_code(ticket.confirmation_code)
        if kiosk_code is not None:
            ledger.sold_codes[kiosk_code] = ticket.id
    # Scans of these tickets made before the sale reached the server (judged on their tokens) now have a ticket.
    ledger.load(plan.ticket_ids, [])
    for ticket_id in plan.ticket_ids:
        if ledger.records.get(ticket_id):
            conflicts += ledger.settle_ticket(ticket_id, mutation_id=mutation.id)
    ledger.flush()
    return MutationResult(
        mutation.id,
        mutation.seq,
        ResultStatus.APPLIED,
        code="codes_replaced" if replaced else None,
        conflicts=tuple(conflicts),
        data={
            "order_id": sale.order_id.hex,
            "total_cents": plan.quote.total_cents,
            "seats_from_allotment": seats[0],
            "seats_from_capacity": seats[1],
            "replaced_codes": replaced,
        },
    )


def _sale_conflict(
    session: Session,
    device: Device,
    mutation: wire.Mutation,
    kind: ConflictKind,
    now: datetime,
    sale: wire.SaleMutation,
    replaced: dict[str, str] | None = None,
    detail: str | None = None,
) -> uuid.UUID:
    conflict_id = uuid.uuid4()
    session.execute(
        sa.insert(SyncConflict),
        [
            {
                "id": conflict_id,
                "org_id": device.org_id,
                "kind": kind.value,
                "event_occurrence_id": sale.occurrence_id,
                "device_id": device.id,
                "mutation_id": mutation.id,
                "detail": detail or "Confirmation codes clashed with existing ones and were replaced.",
                "data": {
                    "order_id": sale.order_id.hex,
                    "ticket_ids": [ticket.id.hex for ticket in sale.tickets],
                    "payment_method": sale.payment_method.value,
                    **({"replaced_codes": replaced} if replaced else {}),
                },
                "detected_at": now,
            }
        ],
    )
    return conflict_id


def record_refused_sale(
    session: Session, device: Device, mutation: wire.Mutation, result: MutationResult, now: datetime
) -> tuple[uuid.UUID, ...]:
    """A sale the kiosk made (and took money for) that the server refused: a conflict for staff to resolve."""
    if not isinstance(mutation.body, wire.SaleMutation):
        return ()
    kind = ConflictKind.OVER_CAPACITY if result.code == "over_capacity" else ConflictKind.SALE_REFUSED
    detail = f"Sale refused ({result.code}): {result.message} Refund the buyer or offer the waitlist."
    _record_void_tickets(session, device, mutation.body, reason=f"sale_refused: {result.code}", now=now)
    return (_sale_conflict(session, device, mutation, kind, now, mutation.body, detail=detail),)


def _record_void_tickets(
    session: Session, device: Device, sale: wire.SaleMutation, *, reason: str, now: datetime
) -> None:
    """The refused sale's tickets, kept as canceled. Their tokens are authentic (the desk signed them), so with no
    record every door would admit them on the signature alone; as canceled rows they are refused online, and the
    next pull tells offline doors too. They hold no seat. Nothing is recorded when the sale names an occurrence or
    ticket type this org does not have, or tickets that exist already (those already say what they are)."""
    occurrence = session.get(EventOccurrence, sale.occurrence_id)
    ticket_type = session.get(TicketType, sale.ticket_type_id)
    if (
        occurrence is None
        or ticket_type is None
        or occurrence.org_id != device.org_id
        or ticket_type.event_definition_id != occurrence.event_definition_id
    ):
        return
    ids = [ticket.id for ticket in sale.tickets]
    existing = set(session.scalars(sa.select(Ticket.id).where(Ticket.id.in_(ids))))
    codes = set(
        session.scalars(
            sa.select(Ticket.confirmation_code).where(
                Ticket.confirmation_code.in_([ticket.confirmation_code for ticket in sale.tickets])
            )
        )
    )
    tokens = set(
        session.scalars(sa.select(Ticket.qr_code_data).where(Ticket.qr_code_data.in_([t.token for t in sale.tickets])))
    )
    for sold in sale.tickets:
        if sold.id in existing:
            continue
        attendee_id = uuid.uuid4()
        session.execute(
            sa.insert(Attendee),
            [
                {
                    "id": attendee_id,
                    "org_id": device.org_id,
                    "email": sold.email or "",
                    "given_name": sold.given_name or "Walk-up",
                    "family_name": sold.family_name,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        session.execute(
            sa.insert(Ticket),
            [
                {
                    "id": sold.id,
                    "org_id": device.org_id,
                    "account_id": occurrence.account_id,
                    "event_occurrence_id": occurrence.id,
                    "ticket_type_id": ticket_type.id,
                    "attendee_id": attendee_id,
                    "confirmation_code": None if sold.confirmation_code in codes else sold.confirmation_code,
                    "qr_code_data": None if sold.token in tokens else sold.token,
                    "price_paid_cents": 0,
                    "currency": ticket_type.currency,
                    "status": TicketStatus.CANCELED,
                    "canceled_at": now,
                    "settings": {"canceled_reason": reason, "device_id": device.id.hex},
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )


def apply_attendee_edit(
    *, session: Session, device: Device, scope: Scope, mutation: wire.Mutation, edit: wire.AttendeeEdit, now: datetime
) -> MutationResult:
    """Correct a holder's details at the desk (the ticket must be one this device serves)."""
    _require_box_office(device)
    row = session.execute(
        sa.select(Ticket.attendee_id, Ticket.event_occurrence_id).where(
            Ticket.id == edit.ticket_id, Ticket.org_id == device.org_id
        )
    ).first()
    if row is None or row.event_occurrence_id not in scope.occurrence_ids:
        raise NotFound("ticket_not_found", "No such ticket among this device's occurrences.")
    attendee = session.scalars(sa.select(Attendee).where(Attendee.id == row.attendee_id).with_for_update()).one()
    if attendee.erased_at is not None:
        raise Conflict("attendee_erased", "This person's data was erased; it cannot be edited.")
    changes = {
        key: value
        for key, value in (
            ("given_name", edit.given_name),
            ("family_name", edit.family_name),
            ("email", edit.email),
            ("notes", edit.notes),
        )
        if value is not None
    }
    for key, value in changes.items():
        setattr(attendee, key, value)
    attendee.updated_at = now
    session.flush()
    return MutationResult(mutation.id, mutation.seq, ResultStatus.APPLIED, data={"changed": sorted(changes)})
