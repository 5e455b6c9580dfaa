"""HTTP for the waitlist: guests (org slug, the entry's key) and staff (token)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from server.bookings import service as bookings_service
from server.deps import CanSellTickets, CanViewAttendees, ClockDep, DbSession, SettingsDep
from server.errors import NotFound
from server.tenancy.service import get_organization_by_slug
from server.waitlist import links, service
from server.waitlist.models import WaitlistEntry
from server.waitlist.schemas import StaffWaitlistEntryRead, WaitlistEntryRead, WaitlistJoin, WaitlistPurchase
from shared.enums import SalesChannel

public_router = APIRouter(prefix="/public/{org_slug}", tags=["waitlist"])
router = APIRouter(tags=["waitlist"])

SecretHeader = Annotated[str | None, Header(alias="X-Waitlist-Secret", description="The entry's key.")]
SecretQuery = Annotated[str | None, Query(alias="secret", description="The entry's key, as in the mailed link.")]


def _read(session: DbSession, entry: WaitlistEntry, secret: str | None = None) -> WaitlistEntryRead:
    return _answer(entry, service.place_in_line(session, entry), secret)


def _answer(entry: WaitlistEntry, place: int | None, secret: str | None = None) -> WaitlistEntryRead:
    """Built from the entry as the service left it: no read after the service's commit (a second connection per
    request can stall a saturated pool on SQLite; measured with 60 joins at once)."""
    return WaitlistEntryRead(
        id=entry.id,
        occurrence_id=entry.event_occurrence_id,
        status=entry.status,
        place_in_line=place,
        quantity_requested=entry.quantity_requested,
        ticket_type_id=entry.ticket_type_id,
        held_ticket_type_id=entry.held_ticket_type_id,
        notified_at=entry.notified_at,
        expires_at=entry.expires_at,
        order_id=entry.order_id,
        converted_ticket_id=entry.converted_ticket_id,
        created_at=entry.created_at,
        access_secret=secret,
    )


def _request(occurrence_id: uuid.UUID, body: WaitlistJoin) -> service.JoinRequest:
    return service.JoinRequest(
        occurrence_id=occurrence_id,
        person=service.Person(
            given_name=body.given_name, email=str(body.email), family_name=body.family_name, phone=body.phone
        ),
        quantity=body.quantity,
        ticket_type_id=body.ticket_type_id,
    )


def _guest_entry(
    session: DbSession, settings: SettingsDep, org_slug: str, entry_id: uuid.UUID, secret: str | None
) -> WaitlistEntry:
    """The entry, if ``secret`` is its key; otherwise the same 404 as for an entry that does not exist."""
    org = get_organization_by_slug(session=session, slug=org_slug)
    if not links.secret_matches(settings.secret_key.get_secret_value(), entry_id, secret):
        raise NotFound("waitlist_entry_not_found", "No such waitlist entry, or the key does not match.")
    return service.get_entry(session, org_id=org.id, entry_id=entry_id)


@public_router.post(
    "/occurrences/{occurrence_id}/waitlist", response_model=WaitlistEntryRead, status_code=status.HTTP_201_CREATED
)
def join_waitlist(
    org_slug: str,
    occurrence_id: uuid.UUID,
    body: WaitlistJoin,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
) -> WaitlistEntryRead:
    """Queue for a sold-out occurrence (409 ``seats_available`` when it can serve you now: book instead)."""
    org = get_organization_by_slug(session=session, slug=org_slug)
    joined = service.join(session=session, org_id=org.id, request=_request(occurrence_id, body), now=clock())
    secret = links.entry_secret(settings.secret_key.get_secret_value(), joined.entry.id)
    return _answer(joined.entry, joined.place, secret)


@public_router.get("/waitlist/{entry_id}", response_model=WaitlistEntryRead)
def read_own_entry(
    org_slug: str,
    entry_id: uuid.UUID,
    session: DbSession,
    settings: SettingsDep,
    secret: SecretHeader = None,
    secret_query: SecretQuery = None,
) -> WaitlistEntryRead:
    return _read(session, _guest_entry(session, settings, org_slug, entry_id, secret or secret_query))


@public_router.post("/waitlist/{entry_id}/leave", response_model=WaitlistEntryRead)
def leave_waitlist(
    org_slug: str,
    entry_id: uuid.UUID,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    secret: SecretHeader = None,
) -> WaitlistEntryRead:
    """Leave the line; seats held for you go to the next person."""
    entry = _guest_entry(session, settings, org_slug, entry_id, secret)
    return _read(session, service.leave(session=session, org_id=entry.org_id, entry_id=entry.id, now=clock()))


@public_router.post("/waitlist/{entry_id}/orders", status_code=status.HTTP_201_CREATED)
def buy_offer(
    org_slug: str,
    entry_id: uuid.UUID,
    body: WaitlistPurchase,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    secret: SecretHeader = None,
) -> Response:
    """Reserve the seats held for you (an order like any other: pay it with ``/orders/{id}/pay``)."""
    entry = _guest_entry(session, settings, org_slug, entry_id, secret)
    reservation = service.buy(
        session=session,
        org_id=entry.org_id,
        entry_id=entry.id,
        attendees=tuple(bookings_service.AttendeeDetails(**a.model_dump()) for a in body.attendees),
        email=str(body.email) if body.email else None,
        now=clock(),
        hold=settings.hold_timedelta,
    )
    document = bookings_service.reservation_document(
        reservation,
        channel=SalesChannel.ONLINE,
        email=str(body.email) if body.email else None,
        access_secret=bookings_service.order_access_secret(
            settings.secret_key.get_secret_value(), reservation.order_id
        ),
    )
    return Response(json.dumps(document), status_code=status.HTTP_201_CREATED, media_type="application/json")


# --- staff ---------------------------------------------------------------------------------------------------------


@router.post(
    "/occurrences/{occurrence_id}/waitlist", response_model=WaitlistEntryRead, status_code=status.HTTP_201_CREATED
)
def add_to_waitlist(
    occurrence_id: uuid.UUID,
    body: WaitlistJoin,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: CanSellTickets,
) -> WaitlistEntryRead:
    """Queue someone at the desk or on the phone; they get the same mails (and key) as a guest who joined online."""
    joined = service.join(session=session, org_id=principal.org_id, request=_request(occurrence_id, body), now=clock())
    secret = links.entry_secret(settings.secret_key.get_secret_value(), joined.entry.id)
    return _answer(joined.entry, joined.place, secret)


@router.get("/occurrences/{occurrence_id}/waitlist", response_model=list[StaffWaitlistEntryRead])
def list_waitlist(occurrence_id: uuid.UUID, session: DbSession, principal: CanViewAttendees) -> list[Any]:
    return [
        StaffWaitlistEntryRead(
            **_read(session, entry).model_dump(),
            position=entry.position,
            given_name=attendee.given_name,
            family_name=attendee.family_name,
            email=attendee.email,
        )
        for entry, attendee in service.list_entries(session, org_id=principal.org_id, occurrence_id=occurrence_id)
    ]


@router.post("/waitlist/{entry_id}/cancel", response_model=WaitlistEntryRead)
def remove_from_waitlist(
    entry_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanSellTickets
) -> WaitlistEntryRead:
    return _read(session, service.leave(session=session, org_id=principal.org_id, entry_id=entry_id, now=clock()))
