"""HTTP for packages: the catalog (staff), browsing, quoting and booking (guests and the desk), paying."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status

from server.bookings.models import Ticket
from server.bookings.reservation import AttendeeDetails
from server.deps import (
    CanCreateEvents,
    CanManageEvents,
    CanSellTickets,
    CanViewAttendees,
    ClockDep,
    CurrentPrincipal,
    DbSession,
    SettingsDep,
)
from server.errors import NotFound
from server.packages import booking, service
from server.packages.models import EventPackage
from server.packages.schemas import (
    BookingTicketRead,
    ComponentRead,
    PackageBookingCreate,
    PackageBookingRead,
    PackageCreate,
    PackageItemIn,
    PackageItemRead,
    PackageItemUpdate,
    PackagePayRequest,
    PackageQuoteRead,
    PackageQuoteRequest,
    PackageRead,
    PackageStatusChange,
    PackageUpdate,
    StaffPackageBookingCreate,
)
from server.tenancy.service import default_account_id, get_organization_by_slug
from server.villas.models import Booking
from shared.enums import PackageStatus, SalesChannel

router = APIRouter(tags=["packages"])
public_router = APIRouter(prefix="/public/{org_slug}", tags=["packages"])

BookingSecretHeader = Annotated[
    str | None, Header(alias="X-Booking-Secret", description="The package booking's access secret.")
]


def _read(session: DbSession, package: EventPackage) -> PackageRead:
    return PackageRead(
        id=package.id,
        name=package.name,
        slug=package.slug,
        package_type=package.package_type,
        description=package.description,
        base_price_cents=package.base_price_cents,
        currency=package.currency,
        discount_percent=package.discount_percent,
        status=package.status,
        valid_from=package.valid_from,
        valid_until=package.valid_until,
        settings=package.settings,
        items=[PackageItemRead.model_validate(item) for item in service.items_of(session, package.id)],
        created_at=package.created_at,
    )


def _selection(body: PackageBookingCreate | PackageQuoteRequest) -> booking.Selection:
    return booking.Selection(
        check_in=body.check_in,
        check_out=body.check_out,
        choices={
            choice.item_id: booking.Choice(choice.occurrence_id, choice.ticket_type_id, choice.quantity)
            for choice in body.items
        },
    )


def _party(body: PackageBookingCreate) -> booking.Party:
    return booking.Party(
        email=str(body.email),
        attendees=tuple(AttendeeDetails(**attendee.model_dump()) for attendee in body.attendees),
    )


def _booking_read(
    session: DbSession, found: Booking, secret: str | None = None, tickets: list[Ticket] | None = None
) -> PackageBookingRead:
    return PackageBookingRead(
        id=found.id,
        package_id=found.package_id,
        status=found.status,
        space_id=found.space_id,
        check_in=found.check_in_date,
        check_out=found.check_out_date,
        guest_email=found.guest_email,
        total_cents=found.total_cents,
        currency=found.currency,
        hold_expires_at=found.hold_expires_at,
        paid_at=found.paid_at,
        quote=found.quote,
        tickets=[
            BookingTicketRead(
                id=t.id,
                occurrence_id=t.event_occurrence_id,
                order_id=t.order_id,
                status=t.status.value,
                price_paid_cents=t.price_paid_cents,
                confirmation_code=t.confirmation_code,
                qr_code_data=t.qr_code_data,
            )
            for t in (tickets if tickets is not None else booking.tickets_of(session, found.id))
        ],
        access_secret=secret,
    )


# --- staff: the catalog ---------------------------------------------------------------------------------------------


@router.post("/packages", response_model=PackageRead, status_code=status.HTTP_201_CREATED)
def create_package(body: PackageCreate, session: DbSession, clock: ClockDep, principal: CanCreateEvents) -> Any:
    account_id = principal.account_id or default_account_id(session=session, org_id=principal.org_id)
    created = service.create_package(
        session=session, org_id=principal.org_id, account_id=account_id, data=body, now=clock()
    )
    return _read(session, created)


@router.get("/packages", response_model=list[PackageRead])
def list_packages(session: DbSession, principal: CurrentPrincipal, status: PackageStatus | None = None) -> Any:
    return [_read(session, p) for p in service.list_packages(session=session, org_id=principal.org_id, status=status)]


@router.get("/packages/{package_id}", response_model=PackageRead)
def read_package(package_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> Any:
    return _read(session, service.get_package(session=session, org_id=principal.org_id, package_id=package_id))


@router.patch("/packages/{package_id}", response_model=PackageRead)
def update_package(
    package_id: uuid.UUID, body: PackageUpdate, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> Any:
    """Refused (409 ``package_has_active_bookings``) while bookings of the package are running."""
    updated = service.update_package(
        session=session, org_id=principal.org_id, package_id=package_id, data=body, now=clock()
    )
    return _read(session, updated)


@router.post("/packages/{package_id}/status", response_model=PackageRead)
def change_package_status(
    package_id: uuid.UUID, body: PackageStatusChange, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> Any:
    changed = service.change_status(
        session=session, org_id=principal.org_id, package_id=package_id, status=body.status, now=clock()
    )
    return _read(session, changed)


@router.post("/packages/{package_id}/items", response_model=PackageItemRead, status_code=status.HTTP_201_CREATED)
def add_package_item(
    package_id: uuid.UUID, body: PackageItemIn, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> Any:
    return service.add_item(session=session, org_id=principal.org_id, package_id=package_id, data=body, now=clock())


@router.patch("/packages/{package_id}/items/{item_id}", response_model=PackageItemRead)
def update_package_item(
    package_id: uuid.UUID,
    item_id: uuid.UUID,
    body: PackageItemUpdate,
    session: DbSession,
    clock: ClockDep,
    principal: CanManageEvents,
) -> Any:
    return service.update_item(
        session=session, org_id=principal.org_id, package_id=package_id, item_id=item_id, data=body, now=clock()
    )


@router.delete("/packages/{package_id}/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_package_item(
    package_id: uuid.UUID, item_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> Response:
    service.remove_item(session=session, org_id=principal.org_id, package_id=package_id, item_id=item_id, now=clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- staff: bookings at the desk ------------------------------------------------------------------------------------


@router.post("/packages/{package_id}/bookings", response_model=PackageBookingRead, status_code=status.HTTP_201_CREATED)
def book_package_at_desk(
    package_id: uuid.UUID,
    body: StaffPackageBookingCreate,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: CanSellTickets,
) -> Any:
    """Hold the package for the guest; with ``payment`` it is paid at the desk at once (all let go if refused)."""
    now = clock()
    booked = booking.book(
        session=session,
        org_id=principal.org_id,
        package_id=package_id,
        selection=_selection(body),
        party=_party(body),
        now=now,
        hold=settings.hold_timedelta,
        channel=SalesChannel.BOX_OFFICE,
    )
    if body.payment is not None:
        booking.pay_at_desk(
            session=session,
            booking_id=booked.booking.id,
            payment_details=body.payment.model_dump(exclude_none=True),
            secret_key=settings.secret_key.get_secret_value(),
            now=now,
        )
    found = booking.get_booking(session, org_id=principal.org_id, booking_id=booked.booking.id)
    return _booking_read(session, found, booked.access_secret)


@router.get("/package-bookings/{booking_id}", response_model=PackageBookingRead)
def read_package_booking(booking_id: uuid.UUID, session: DbSession, principal: CanViewAttendees) -> Any:
    return _booking_read(session, booking.get_booking(session, org_id=principal.org_id, booking_id=booking_id))


# --- guests ---------------------------------------------------------------------------------------------------------


def _on_sale(session: DbSession, org_slug: str, reference: str) -> EventPackage:
    org = get_organization_by_slug(session=session, slug=org_slug)
    package = service.find_package(session=session, org_id=org.id, reference=reference)
    if package.status is not PackageStatus.ACTIVE:
        raise NotFound("package_not_found", f"No package {reference}.")
    return package


@public_router.get("/packages", response_model=list[PackageRead])
def list_packages_on_sale(org_slug: str, session: DbSession) -> Any:
    org = get_organization_by_slug(session=session, slug=org_slug)
    return [
        _read(session, p) for p in service.list_packages(session=session, org_id=org.id, status=PackageStatus.ACTIVE)
    ]


@public_router.get("/packages/{package_ref}", response_model=PackageRead)
def read_package_on_sale(org_slug: str, package_ref: str, session: DbSession) -> Any:
    """By id or slug."""
    return _read(session, _on_sale(session, org_slug, package_ref))


@public_router.post("/packages/{package_ref}/quote", response_model=PackageQuoteRead)
def quote_package(
    org_slug: str, package_ref: str, body: PackageQuoteRequest, session: DbSession, clock: ClockDep
) -> Any:
    """The price of these choices and whether every component is available (nothing is held)."""
    package = _on_sale(session, org_slug, package_ref)
    plan, available = booking.quote(session, package=package, selection=_selection(body), now=clock())
    return PackageQuoteRead(
        available=available,
        currency=plan.package.currency,
        list_total_cents=plan.price.list_total_cents,
        discount_cents=plan.price.discount_cents,
        total_cents=plan.price.total_cents,
        components=[ComponentRead(**c.document()) for c in plan.components],
    )


@public_router.post(
    "/packages/{package_ref}/bookings", response_model=PackageBookingRead, status_code=status.HTTP_201_CREATED
)
def book_package(
    org_slug: str,
    package_ref: str,
    body: PackageBookingCreate,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
) -> Any:
    """Hold every component for ``hold_minutes``, all or nothing (409 ``package_unavailable`` names what is not)."""
    package = _on_sale(session, org_slug, package_ref)
    booked = booking.book(
        session=session,
        org_id=package.org_id,
        package_id=package.id,
        selection=_selection(body),
        party=_party(body),
        now=clock(),
        hold=settings.hold_timedelta,
    )
    return _booking_read(session, booked.booking, booked.access_secret, booked.tickets)


@public_router.get("/package-bookings/{booking_id}", response_model=PackageBookingRead)
def read_own_package_booking(
    org_slug: str, booking_id: uuid.UUID, session: DbSession, secret: BookingSecretHeader = None
) -> Any:
    org = get_organization_by_slug(session=session, slug=org_slug)
    return _booking_read(
        session, booking.get_guest_booking(session, org_id=org.id, booking_id=booking_id, secret=secret)
    )


@public_router.post("/package-bookings/{booking_id}/pay", response_model=PackageBookingRead)
def pay_package_booking(
    org_slug: str,
    booking_id: uuid.UUID,
    body: PackagePayRequest,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    secret: BookingSecretHeader = None,
) -> Any:
    """Pay the package total through the online gateway (the fake one here: ``pay``, ``decline`` or ``late``)."""
    org = get_organization_by_slug(session=session, slug=org_slug)
    paid = booking.pay_online(
        session=session,
        org_id=org.id,
        booking_id=booking_id,
        secret=secret,
        mode=body.mode.value,
        secret_key=settings.secret_key.get_secret_value(),
        now=clock(),
    )
    return _booking_read(session, booking.get_booking(session, org_id=org.id, booking_id=paid.id))


@public_router.post("/package-bookings/{booking_id}/cancel", response_model=PackageBookingRead)
def cancel_package_booking(
    org_slug: str, booking_id: uuid.UUID, session: DbSession, clock: ClockDep, secret: BookingSecretHeader = None
) -> Any:
    """Let go of a booking not yet paid: its seats and nights go back on sale at once."""
    org = get_organization_by_slug(session=session, slug=org_slug)
    booking.get_guest_booking(session, org_id=org.id, booking_id=booking_id, secret=secret)
    booking.cancel_pending(session=session, booking_id=booking_id, now=clock())
    return _booking_read(session, booking.get_booking(session, org_id=org.id, booking_id=booking_id))
