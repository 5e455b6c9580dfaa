"""Packages and their items: creation, changes and lifecycle (draft, active, paused, archived).

A package with active bookings cannot be changed (the spec): its price and contents are what those guests bought.
Pausing and archiving stay possible (they stop new sales and change nothing sold). A change locks the package row;
a booking reads it under a share lock (PostgreSQL; SQLite runs one writer at a time), so a change and a booking
never cross: either the booking sees the package as it was, or the change sees the booking and is refused.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.bookings.models import Ticket
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import EventDefinition, EventOccurrence
from server.events.service import transition_refused
from server.packages.models import EventPackage, EventPackageItem
from server.packages.schemas import PackageCreate, PackageItemIn, PackageItemUpdate, PackageUpdate
from server.tenancy.service import slugify
from server.villas.models import Booking, BookingStatus, Space
from shared import lifecycle
from shared.enums import PackageItemType, PackageStatus, SpaceKind
from shared.packages import CompositionProblem, ItemRules, composition_problems

SLUG_CONSTRAINT = "package_org_slug_unique"

COMPOSITION_MESSAGES = {
    CompositionProblem.VILLA_NOT_ALLOWED: "Only a villa_event package can include a villa.",
    CompositionProblem.MORE_THAN_ONE_VILLA: "A package includes one villa at most.",
    CompositionProblem.VILLA_MUST_BE_REQUIRED: "The villa of a package cannot be optional.",
    CompositionProblem.FIXED_PRICE_WITH_CHOICES: (
        "A package with a base price cannot have optional or customizable items: its price could not follow them."
    ),
    CompositionProblem.VILLA_MISSING: "A villa_event package needs its villa before it goes on sale.",
    CompositionProblem.TOO_FEW_EVENTS: "Add the events this package type is made of (two for multi_event).",
}


def get_package(*, session: Session, org_id: uuid.UUID, package_id: uuid.UUID, lock: bool = False) -> EventPackage:
    statement = sa.select(EventPackage).where(EventPackage.id == package_id, EventPackage.org_id == org_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    package = session.scalar(statement)
    if package is None:
        raise NotFound("package_not_found", f"No package {package_id}.")
    return package


def find_package(*, session: Session, org_id: uuid.UUID, reference: str) -> EventPackage:
    """By id or by slug (the storefront's links use the slug)."""
    try:
        return get_package(session=session, org_id=org_id, package_id=uuid.UUID(reference))
    except ValueError:
        pass
    package = session.scalar(
        sa.select(EventPackage).where(EventPackage.org_id == org_id, EventPackage.slug == reference)
    )
    if package is None:
        raise NotFound("package_not_found", f"No package {reference}.")
    return package


def list_packages(*, session: Session, org_id: uuid.UUID, status: PackageStatus | None) -> list[EventPackage]:
    statement = sa.select(EventPackage).where(EventPackage.org_id == org_id)
    if status is not None:
        statement = statement.where(EventPackage.status == status)
    return list(session.scalars(statement.order_by(EventPackage.name, EventPackage.id)))


def items_of(session: Session, package_id: uuid.UUID) -> list[EventPackageItem]:
    return list(
        session.scalars(
            sa.select(EventPackageItem)
            .where(EventPackageItem.package_id == package_id)
            .order_by(EventPackageItem.position, EventPackageItem.created_at, EventPackageItem.id)
        )
    )


def active_bookings(session: Session, *, package_id: uuid.UUID, now: datetime) -> int:
    """Bookings of the package still running: held for payment (hold not yet over), or paid with the stay or an
    event still ahead."""
    event_ahead = sa.exists(
        sa.select(Ticket.id)
        .join(EventOccurrence, EventOccurrence.id == Ticket.event_occurrence_id)
        .where(Ticket.booking_id == Booking.id, EventOccurrence.end_at > now)
    )
    running = sa.or_(
        sa.and_(Booking.status == BookingStatus.PENDING, Booking.hold_expires_at > now),
        sa.and_(
            Booking.status == BookingStatus.CONFIRMED,
            sa.or_(Booking.check_out_date >= now.date(), event_ahead),
        ),
    )
    count = session.scalar(
        sa.select(sa.func.count()).select_from(Booking).where(Booking.package_id == package_id, running)
    )
    return int(count or 0)


def _lock_for_change(session: Session, org_id: uuid.UUID, package_id: uuid.UUID, now: datetime) -> EventPackage:
    package = get_package(session=session, org_id=org_id, package_id=package_id, lock=True)
    if package.status is PackageStatus.ARCHIVED:
        session.rollback()
        raise Conflict("package_archived", "An archived package cannot be changed.")
    running = active_bookings(session, package_id=package.id, now=now)
    if running:
        session.rollback()
        raise Conflict(
            "package_has_active_bookings",
            f"{running} active booking(s) use this package (held for payment, or paid with a stay or an event still "
            "ahead): its contents and price are what those guests bought. Pause it and create a new package instead.",
            active_bookings=running,
        )
    return package


def _rules(items: list[EventPackageItem]) -> list[ItemRules]:
    return [ItemRules(i.item_type, i.quantity, i.is_required, i.is_customizable) for i in items]


def _check_composition(package: EventPackage, items: list[EventPackageItem], *, for_activation: bool) -> None:
    problems = composition_problems(
        package_type=package.package_type,
        items=_rules(items),
        fixed_price=package.base_price_cents is not None,
        for_activation=for_activation,
    )
    if problems:
        raise Conflict(
            str(problems[0]),
            " ".join(COMPOSITION_MESSAGES[problem] for problem in problems),
            field="items",
            problems=[str(problem) for problem in problems],
        )


def _check_reference(session: Session, org_id: uuid.UUID, item: PackageItemIn, field: str) -> None:
    if item.item_type is PackageItemType.EVENT:
        found = session.scalar(
            sa.select(EventDefinition.id).where(
                EventDefinition.id == item.event_definition_id, EventDefinition.org_id == org_id
            )
        )
        if found is None:
            raise InvalidInput(
                "event_not_found", "No such event in this organization.", field=f"{field}.event_definition_id"
            )
        return
    found = session.scalar(
        sa.select(Space.id).where(Space.id == item.space_id, Space.org_id == org_id, Space.kind == SpaceKind.VILLA)
    )
    if found is None:
        raise InvalidInput("villa_not_found", "No such villa in this organization.", field=f"{field}.space_id")


def _new_item(package: EventPackage, data: PackageItemIn, position: int, now: datetime) -> EventPackageItem:
    return EventPackageItem(
        package_id=package.id,
        item_type=data.item_type,
        event_definition_id=data.event_definition_id,
        space_id=data.space_id,
        quantity=data.quantity,
        is_required=data.is_required,
        is_customizable=data.is_customizable,
        position=data.position if data.position is not None else position,
        created_at=now,
        updated_at=now,
    )


def _percent(value: Decimal) -> Decimal:
    """As the column stores it (two places), so the answer shows what was stored."""
    return Decimal(value).quantize(Decimal("0.01"))


def _free_slug(session: Session, org_id: uuid.UUID, base: str) -> str:
    taken = set(
        session.scalars(
            sa.select(EventPackage.slug).where(
                EventPackage.org_id == org_id, sa.or_(EventPackage.slug == base, EventPackage.slug.like(f"{base}-%"))
            )
        )
    )
    number, slug = 2, base
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _commit(session: Session, slug: str) -> None:
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        if SLUG_CONSTRAINT in str(error.orig) or "event_packages.org_id, event_packages.slug" in str(error.orig):
            raise Conflict(
                "slug_taken", f"The slug '{slug}' is already used in this organization.", field="slug"
            ) from None
        raise


def create_package(
    *, session: Session, org_id: uuid.UUID, account_id: uuid.UUID, data: PackageCreate, now: datetime
) -> EventPackage:
    if data.slug is not None and session.scalar(
        sa.select(EventPackage.id).where(EventPackage.org_id == org_id, EventPackage.slug == data.slug)
    ):
        raise Conflict("slug_taken", f"The slug '{data.slug}' is already used in this organization.", field="slug")
    slug = data.slug or _free_slug(session, org_id, slugify(data.name))
    package = EventPackage(
        org_id=org_id,
        account_id=account_id,
        name=data.name,
        slug=slug,
        package_type=data.package_type,
        description=data.description,
        base_price_cents=data.base_price_cents,
        currency=data.currency,
        discount_percent=_percent(data.discount_percent),
        status=PackageStatus.DRAFT,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        settings=data.settings,
        created_at=now,
        updated_at=now,
    )
    session.add(package)
    session.flush()
    items = []
    for index, item in enumerate(data.items):
        _check_reference(session, org_id, item, f"items.{index}")
        items.append(_new_item(package, item, index, now))
    _check_composition(package, items, for_activation=False)
    session.add_all(items)
    _commit(session, slug)
    return package


def update_package(
    *, session: Session, org_id: uuid.UUID, package_id: uuid.UUID, data: PackageUpdate, now: datetime
) -> EventPackage:
    package = _lock_for_change(session, org_id, package_id, now)
    changes = data.model_dump(exclude_unset=True)
    for required in ("name", "slug", "currency", "discount_percent", "settings"):
        if required in changes and changes[required] is None:
            raise InvalidInput("field_required", f"{required} cannot be null.", field=required)
    if changes.get("slug") not in (None, package.slug) and session.scalar(
        sa.select(EventPackage.id).where(EventPackage.org_id == org_id, EventPackage.slug == changes["slug"])
    ):
        raise Conflict(
            "slug_taken", f"The slug '{changes['slug']}' is already used in this organization.", field="slug"
        )
    if changes.get("discount_percent") is not None:
        changes["discount_percent"] = _percent(changes["discount_percent"])
    for name, value in changes.items():
        setattr(package, name, value)
    if package.valid_from and package.valid_until and package.valid_from > package.valid_until:
        raise InvalidInput("invalid_validity_window", "valid_from must not be after valid_until.", field="valid_from")
    _check_composition(package, items_of(session, package.id), for_activation=package.status is PackageStatus.ACTIVE)
    package.updated_at = now
    _commit(session, package.slug)
    return package


def change_status(
    *, session: Session, org_id: uuid.UUID, package_id: uuid.UUID, status: PackageStatus, now: datetime
) -> EventPackage:
    """Activation needs at least one item (``shared.lifecycle``) and the items its type is made of."""
    package = get_package(session=session, org_id=org_id, package_id=package_id, lock=True)
    items = items_of(session, package.id)
    verdict = lifecycle.package_transition(current=package.status, target=status, item_count=len(items))
    if not verdict.allowed:
        session.rollback()
        raise transition_refused(verdict, package.status, status)
    if status is PackageStatus.ACTIVE:
        _check_composition(package, items, for_activation=True)
    package.status = status
    package.updated_at = now
    session.commit()
    return package


def add_item(
    *, session: Session, org_id: uuid.UUID, package_id: uuid.UUID, data: PackageItemIn, now: datetime
) -> EventPackageItem:
    package = _lock_for_change(session, org_id, package_id, now)
    _check_reference(session, org_id, data, "item")
    items = items_of(session, package.id)
    item = _new_item(package, data, max((i.position for i in items), default=-1) + 1, now)
    _check_composition(package, [*items, item], for_activation=package.status is PackageStatus.ACTIVE)
    session.add(item)
    package.updated_at = now
    session.commit()
    return item


def _item(session: Session, package: EventPackage, item_id: uuid.UUID) -> EventPackageItem:
    item = session.scalar(
        sa.select(EventPackageItem).where(EventPackageItem.id == item_id, EventPackageItem.package_id == package.id)
    )
    if item is None:
        raise NotFound("package_item_not_found", f"No item {item_id} in this package.")
    return item


def update_item(
    *,
    session: Session,
    org_id: uuid.UUID,
    package_id: uuid.UUID,
    item_id: uuid.UUID,
    data: PackageItemUpdate,
    now: datetime,
) -> EventPackageItem:
    package = _lock_for_change(session, org_id, package_id, now)
    item = _item(session, package, item_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None:
            raise InvalidInput("field_required", f"{name} cannot be null.", field=name)
        setattr(item, name, value)
    item.updated_at = now
    _check_composition(package, items_of(session, package.id), for_activation=package.status is PackageStatus.ACTIVE)
    package.updated_at = now
    session.commit()
    return item


def remove_item(
    *, session: Session, org_id: uuid.UUID, package_id: uuid.UUID, item_id: uuid.UUID, now: datetime
) -> None:
    package = _lock_for_change(session, org_id, package_id, now)
    item = _item(session, package, item_id)
    remaining = [i for i in items_of(session, package.id) if i.id != item.id]
    if package.status is PackageStatus.ACTIVE:
        if not remaining:
            raise Conflict("no_items", "An active package keeps at least one item; pause it first.", field="items")
        _check_composition(package, remaining, for_activation=True)
    session.delete(item)
    package.updated_at = now
    session.commit()
