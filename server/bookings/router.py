"""HTTP for bookings: the public storefront (no token; an order's access secret) and the staff routes (token)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status

from server.bookings import service
from server.bookings.models import IdempotencyKey
from server.bookings.schemas import (
    AttendeeRead,
    AttendeeTicketRead,
    BoxOfficeSaleCreate,
    CanceledTicketRead,
    CancelRequest,
    LinkUser,
    OrderRead,
    PayRequest,
    ReservationCreate,
    StaffCancelRequest,
    TicketLookup,
    TicketRead,
)
from server.deps import CanManageEvents, CanSellTickets, CanViewAttendees, ClockDep, DbSession, SettingsDep
from server.errors import NotFound
from server.notifications.tickets import order_pdf, ticket_pdf
from shared.enums import SalesChannel

public_router = APIRouter(prefix="/public/{org_slug}", tags=["storefront"])
router = APIRouter(tags=["bookings"])

IdempotencyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=200, description="Repeat it to replay safely.")
]
OrderSecretHeader = Annotated[str | None, Header(alias="X-Order-Secret", description="The order's access secret.")]


def _json(document: dict[str, Any], status_code: int = 200) -> Response:
    # Serialised here rather than by FastAPI's response_model machinery: the reservation is the hot path.
    return Response(json.dumps(document), status_code=status_code, media_type="application/json")


def _request(body: ReservationCreate, channel: SalesChannel) -> service.ReserveRequest:
    return service.ReserveRequest(
        occurrence_id=body.occurrence_id,
        ticket_type_id=body.ticket_type_id,
        attendees=tuple(service.AttendeeDetails(**attendee.model_dump()) for attendee in body.attendees),
        channel=channel,
        email=body.email,
    )


@public_router.post("/orders", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def reserve_tickets(
    org_slug: str,
    body: ReservationCreate,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyHeader = None,
) -> Response:
    """Hold tickets for ``hold_minutes`` while the guest pays. One attendee per ticket."""
    request = _request(body, SalesChannel.ONLINE)
    result = service.reserve(
        session=session,
        org_slug=org_slug,
        request=request,
        now=clock(),
        hold=settings.hold_timedelta,
        idempotency_key=idempotency_key,
        fast_path=None if settings.booking_single_statement else False,
    )
    secret_key = settings.secret_key.get_secret_value()
    if isinstance(result, IdempotencyKey):
        return _json(service.replay_document(session, result, secret_key=secret_key), status.HTTP_200_OK)
    return _json(
        service.reservation_document(
            result,
            channel=request.channel,
            email=request.email or body.attendees[0].email,
            access_secret=service.order_access_secret(secret_key, result.order_id),
        ),
        status.HTTP_201_CREATED,
    )


@public_router.get("/orders/{order_id}", response_model=OrderRead)
def read_own_order(
    org_slug: str, order_id: uuid.UUID, session: DbSession, settings: SettingsDep, secret: OrderSecretHeader = None
) -> Response:
    org_id = service.org_id_for_slug(session, org_slug)
    order = service.get_guest_order(
        session, org_id=org_id, order_id=order_id, secret=secret, secret_key=settings.secret_key.get_secret_value()
    )
    return _json(service.order_document(session, order))


@public_router.post("/orders/{order_id}/pay", response_model=OrderRead)
def pay_own_order(
    org_slug: str,
    order_id: uuid.UUID,
    body: PayRequest,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    secret: OrderSecretHeader = None,
) -> Response:
    """Pay through the online gateway (the fake one here: ``pay``, ``decline`` or ``late``)."""
    org_id = service.org_id_for_slug(session, org_slug)
    order = service.pay_online(
        session=session,
        org_id=org_id,
        order_id=order_id,
        secret=secret,
        mode=body.mode.value,
        secret_key=settings.secret_key.get_secret_value(),
        now=clock(),
    )
    session.refresh(order)
    return _json(service.order_document(session, order))


@public_router.post("/orders/{order_id}/cancel", response_model=OrderRead)
def cancel_own_order(
    org_slug: str,
    order_id: uuid.UUID,
    body: CancelRequest,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    secret: OrderSecretHeader = None,
) -> Response:
    """Cancel some or all tickets of your order: a hold is simply let go; paid tickets are refunded per the event's
    policy, until its guest cancellation cutoff."""
    org_id = service.org_id_for_slug(session, org_slug)
    service.get_guest_order(
        session, org_id=org_id, order_id=order_id, secret=secret, secret_key=settings.secret_key.get_secret_value()
    )
    service.guest_cancel(session=session, order_id=order_id, ticket_ids=body.ticket_ids, now=clock())
    order = service.get_order(session, org_id=org_id, order_id=order_id)
    session.refresh(order)
    return _json(service.order_document(session, order))


@public_router.post("/tickets/lookup", response_model=TicketRead)
def look_up_ticket(org_slug: str, body: TicketLookup, session: DbSession) -> Response:
    """A ticket by its confirmation code and the attendee's (or buyer's) email."""
    org_id = service.org_id_for_slug(session, org_slug)
    ticket, attendee = service.find_ticket_for_guest(
        session, org_id=org_id, code=body.confirmation_code, email=body.email
    )
    name = " ".join(filter(None, (attendee.given_name, attendee.family_name)))
    return _json(service.ticket_document(ticket, name))


@public_router.post("/tickets/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def download_ticket_pdf(org_slug: str, body: TicketLookup, session: DbSession) -> Response:
    org_id = service.org_id_for_slug(session, org_slug)
    ticket, _ = service.find_ticket_for_guest(session, org_id=org_id, code=body.confirmation_code, email=body.email)
    document = ticket_pdf(session, ticket_id=ticket.id)
    if document is None:
        raise NotFound("ticket_not_issued", "This ticket has no printable form (not confirmed).")
    return Response(document, media_type="application/pdf")


@public_router.get(
    "/orders/{order_id}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}}
)
def download_order_pdf(
    org_slug: str, order_id: uuid.UUID, session: DbSession, settings: SettingsDep, secret: OrderSecretHeader = None
) -> Response:
    org_id = service.org_id_for_slug(session, org_slug)
    order = service.get_guest_order(
        session, org_id=org_id, order_id=order_id, secret=secret, secret_key=settings.secret_key.get_secret_value()
    )
    document = order_pdf(session, order_id=order.id)
    if document is None:
        raise NotFound("tickets_not_issued", "This order has no confirmed tickets.")
    return Response(document, media_type="application/pdf")


# --- staff ---------------------------------------------------------------------------------------------------------


@router.post("/box-office/sales", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def sell_at_box_office(
    body: BoxOfficeSaleCreate,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: CanSellTickets,
    idempotency_key: IdempotencyHeader = None,
) -> Response:
    """A walk-up sale paid at the desk: cash (change computed), card terminal (slip reference) or complimentary."""
    order, replay = service.sell_at_box_office(
        session=session,
        org_id=principal.org_id,
        request=_request(body, SalesChannel.BOX_OFFICE),
        payment_details=body.payment.model_dump(exclude_none=True),
        secret_key=settings.secret_key.get_secret_value(),
        now=clock(),
        idempotency_key=idempotency_key,
    )
    if replay is not None:
        return _json(replay, status.HTTP_200_OK)
    return _json(service.order_document(session, order), status.HTTP_201_CREATED)


@router.get("/orders/{order_id}", response_model=OrderRead)
def read_order(order_id: uuid.UUID, session: DbSession, principal: CanViewAttendees) -> Response:
    order = service.get_order(session, org_id=principal.org_id, order_id=order_id)
    return _json(service.order_document(session, order))


@router.post("/tickets/cancel", response_model=list[CanceledTicketRead])
def cancel_tickets(
    body: StaffCancelRequest, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> list[CanceledTicketRead]:
    """Cancel tickets at any time with full refunds; their seats go back on sale."""
    canceled = service.organizer_cancel_tickets(
        session=session, org_id=principal.org_id, ticket_ids=body.ticket_ids, reason=body.reason, now=clock()
    )
    return [CanceledTicketRead(**c.__dict__) for c in canceled]


@router.get("/occurrences/{occurrence_id}/attendees", response_model=list[AttendeeTicketRead])
def list_attendees(occurrence_id: uuid.UUID, session: DbSession, principal: CanViewAttendees) -> list[Any]:
    rows = service.list_attendees(session, org_id=principal.org_id, occurrence_id=occurrence_id)
    return [
        {"ticket": service.ticket_document(ticket), "attendee": AttendeeRead.model_validate(attendee)}
        for ticket, attendee in rows
    ]


@router.post("/attendees/{attendee_id}/erase", response_model=AttendeeRead)
def erase_attendee(attendee_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanManageEvents) -> Any:
    """Erase the person's data (GDPR): personal fields blanked everywhere, tickets and payments kept."""
    return service.erase_attendee(session=session, org_id=principal.org_id, attendee_id=attendee_id, now=clock())


@router.put("/attendees/{attendee_id}/user", response_model=AttendeeRead)
def link_attendee_to_user(
    attendee_id: uuid.UUID, body: LinkUser, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> Any:
    return service.link_user(
        session=session, org_id=principal.org_id, attendee_id=attendee_id, user_id=body.user_id, now=clock()
    )
