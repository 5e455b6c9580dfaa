"""Event definitions and their ticket types: creation, changes and lifecycle."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.bookings.models import Ticket
from server.errors import Conflict, InvalidInput, NotFound
from server.events import venues
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.events.schemas import DefinitionCreate, DefinitionUpdate, TicketTypeCreate, TicketTypeUpdate
from server.events.settings import validate_definition_settings
from server.tenancy.models import Account
from server.tenancy.service import slugify
from server.villas.models import Space
from server.waitlist import offers as waitlist_offers
from shared import lifecycle
from shared.enums import DefinitionStatus, OccurrenceStatus, TicketTypeStatus
from shared.settings import SettingsProblem

LIVE_OCCURRENCE_STATUSES = (OccurrenceStatus.SCHEDULED, OccurrenceStatus.CONFIRMED, OccurrenceStatus.IN_PROGRESS)
SLUG_CONSTRAINT = "event_def_org_slug_unique"


def get_definition(*, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID) -> EventDefinition:
    definition = session.scalar(
        sa.select(EventDefinition).where(EventDefinition.id == definition_id, EventDefinition.org_id == org_id)
    )
    if definition is None:
        raise NotFound("event_not_found", f"No event {definition_id}.")
    return definition


def list_definitions(
    *,
    session: Session,
    org_id: uuid.UUID,
    status: DefinitionStatus | None,
    limit: int,
    offset: int,
) -> list[EventDefinition]:
    query = sa.select(EventDefinition).where(EventDefinition.org_id == org_id)
    if status is not None:
        query = query.where(EventDefinition.status == status)
    query = query.order_by(EventDefinition.created_at, EventDefinition.id).limit(limit).offset(offset)
    return list(session.scalars(query))


def _check_account(*, session: Session, org_id: uuid.UUID, account_id: uuid.UUID) -> None:
    if session.scalar(sa.select(Account.id).where(Account.id == account_id, Account.org_id == org_id)) is None:
        raise InvalidInput("account_not_found", f"No account {account_id} in this organization.", field="account_id")


def _check_space(*, session: Session, org_id: uuid.UUID, space_id: uuid.UUID | None) -> None:
    if space_id is None:
        return
    if session.scalar(sa.select(Space.id).where(Space.id == space_id, Space.org_id == org_id)) is None:
        raise InvalidInput("space_not_found", f"No space {space_id} in this organization.", field="venue_space_id")


def _free_slug(*, session: Session, org_id: uuid.UUID, base: str) -> str:
    taken = set(
        session.scalars(
            sa.select(EventDefinition.slug).where(
                EventDefinition.org_id == org_id,
                sa.or_(EventDefinition.slug == base, EventDefinition.slug.like(f"{base}-%")),
            )
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _slug_conflict(slug: str) -> Conflict:
    return Conflict("slug_taken", f"The slug '{slug}' is already used in this organization.", field="slug")


def _commit_definition(session: Session, slug: str) -> None:
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        if SLUG_CONSTRAINT in str(error.orig) or "event_definitions.org_id, event_definitions.slug" in str(error.orig):
            raise _slug_conflict(slug) from error
        raise


def settings_error(problems: list[SettingsProblem]) -> InvalidInput:
    return InvalidInput(
        "invalid_settings",
        "; ".join(str(problem) for problem in problems),
        field=f"settings.{problems[0].path}",
        errors=[{"field": f"settings.{p.path}", "message": p.message} for p in problems],
    )


def _validated_settings(settings: dict[str, Any]) -> dict[str, Any]:
    problems = validate_definition_settings(settings)
    if problems:
        raise settings_error(problems)
    return settings


TRANSITION_MESSAGES = {
    lifecycle.TransitionRefusal.UNCHANGED: "It is already in that status.",
    lifecycle.TransitionRefusal.NOT_ALLOWED: "That status change is not allowed from the current status.",
    lifecycle.TransitionRefusal.NO_TICKET_TYPES: "Add at least one ticket type before activating the event.",
    lifecycle.TransitionRefusal.NO_ITEMS: "Add at least one item before activating the package.",
    lifecycle.TransitionRefusal.NOT_STARTED: "The occurrence has not started yet.",
    lifecycle.TransitionRefusal.CUTOFF_PASSED: "The cancellation cutoff has passed; cancel with force to override.",
}


def transition_refused(verdict: lifecycle.TransitionVerdict, current: str, target: str) -> Conflict:
    reason = verdict.reason or lifecycle.TransitionRefusal.NOT_ALLOWED
    return Conflict(
        str(reason), f"{current} -> {target}: {TRANSITION_MESSAGES[reason]}", field="status", current_status=current
    )


def create_definition(
    *, session: Session, org_id: uuid.UUID, account_id: uuid.UUID, data: DefinitionCreate, now: datetime
) -> EventDefinition:
    account_id = data.account_id or account_id
    _check_account(session=session, org_id=org_id, account_id=account_id)
    _check_space(session=session, org_id=org_id, space_id=data.venue_space_id)
    if data.slug is not None:
        if session.scalar(
            sa.select(EventDefinition.id).where(EventDefinition.org_id == org_id, EventDefinition.slug == data.slug)
        ):
            raise _slug_conflict(data.slug)
        slug = data.slug
    else:
        slug = _free_slug(session=session, org_id=org_id, base=slugify(data.name))
    values = data.model_dump(exclude={"slug", "account_id"})
    values["settings"] = _validated_settings(values.get("settings") or {})
    definition = EventDefinition(
        org_id=org_id,
        account_id=account_id,
        slug=slug,
        status=DefinitionStatus.DRAFT,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(definition)
    _commit_definition(session, slug)
    return definition


def _live_occurrences(session: Session, definition: EventDefinition, now: datetime) -> list[EventOccurrence]:
    return list(
        session.scalars(
            sa.select(EventOccurrence).where(
                EventOccurrence.event_definition_id == definition.id,
                EventOccurrence.status.in_(LIVE_OCCURRENCE_STATUSES),
                EventOccurrence.end_at > now,
            )
        )
    )


def _check_capacity_not_below_sales(definition: EventDefinition, live: list[EventOccurrence]) -> None:
    if definition.max_capacity is None:
        return
    for occurrence in live:
        taken = occurrence.seats_sold + occurrence.seats_blocked
        if occurrence.capacity_override is None and taken > definition.max_capacity:
            raise Conflict(
                "capacity_below_sold",
                f"Occurrence {occurrence.id} already has {taken} seats taken; max_capacity cannot go below that.",
                field="max_capacity",
            )


def _move_to_new_venue(session: Session, definition: EventDefinition, live: list[EventOccurrence]) -> None:
    key = venues.venue_key(definition)
    moving = {occurrence.id for occurrence in live}
    for occurrence in live:
        venues.ensure_free(
            session=session,
            org_id=definition.org_id,
            key=key,
            start_at=occurrence.start_at,
            end_at=occurrence.end_at,
            ignore_ids=moving,
        )
        occurrence.venue_key = key


def update_definition(
    *, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID, data: DefinitionUpdate, now: datetime
) -> EventDefinition:
    definition = get_definition(session=session, org_id=org_id, definition_id=definition_id)
    if definition.status is DefinitionStatus.ARCHIVED:
        raise Conflict("event_archived", "An archived event cannot be changed.")
    changes = data.model_dump(exclude_unset=True)
    if "slug" in changes and changes["slug"] is None:
        raise InvalidInput("slug_required", "The slug cannot be removed.", field="slug")
    for required in ("name", "category", "event_type", "duration_minutes", "venue_type", "min_capacity"):
        if required in changes and changes[required] is None:
            raise InvalidInput("field_required", f"{required} cannot be null.", field=required)
    if changes.get("slug") not in (None, definition.slug) and session.scalar(
        sa.select(EventDefinition.id).where(EventDefinition.org_id == org_id, EventDefinition.slug == changes["slug"])
    ):
        raise _slug_conflict(changes["slug"])
    if "venue_space_id" in changes:
        _check_space(session=session, org_id=org_id, space_id=changes["venue_space_id"])
    if "settings" in changes:
        changes["settings"] = _validated_settings(changes["settings"] or {})
    old_key = venues.venue_key(definition)
    for name, value in changes.items():
        setattr(definition, name, value)
    if definition.max_capacity is not None and definition.min_capacity > definition.max_capacity:
        raise InvalidInput("min_above_max", "min_capacity cannot exceed max_capacity.", field="min_capacity")
    live = _live_occurrences(session, definition, now)
    _check_capacity_not_below_sales(definition, live)
    if venues.venue_key(definition) != old_key:
        with venues.translating_overlap(session=session, org_id=org_id, key=venues.venue_key(definition)):
            _move_to_new_venue(session, definition, live)
            session.flush()
    definition.updated_at = now
    if "max_capacity" in changes:
        # Seats opened on every occurrence without its own capacity: the waitlist's first, in this transaction.
        session.flush()
        waitlist_offers.seats_opened(
            session=session, now=now, occurrences=[o.id for o in live if o.capacity_override is None]
        )
    _commit_definition(session, definition.slug)
    return definition


def change_definition_status(
    *, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID, status: DefinitionStatus, now: datetime
) -> EventDefinition:
    definition = get_definition(session=session, org_id=org_id, definition_id=definition_id)
    ticket_types = session.scalar(
        sa.select(sa.func.count()).select_from(TicketType).where(TicketType.event_definition_id == definition.id)
    )
    verdict = lifecycle.definition_transition(
        current=definition.status, target=status, ticket_type_count=ticket_types or 0
    )
    if not verdict.allowed:
        raise transition_refused(verdict, definition.status, status)
    definition.status = status
    definition.updated_at = now
    if status is DefinitionStatus.ACTIVE:
        # Back on sale: whoever waited through the pause is offered what is free.
        session.flush()
        waitlist_offers.seats_opened(
            session=session, now=now, occurrences=[o.id for o in _live_occurrences(session, definition, now)]
        )
    session.commit()
    return definition


def delete_definition(*, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID, now: datetime) -> None:
    definition = get_definition(session=session, org_id=org_id, definition_id=definition_id)
    if _live_occurrences(session, definition, now):
        raise Conflict(
            "event_has_active_occurrences",
            "This event still has active occurrences; archive it instead of deleting it.",
        )
    sold = session.scalar(
        sa.select(sa.func.count())
        .select_from(Ticket)
        .join(EventOccurrence, Ticket.event_occurrence_id == EventOccurrence.id)
        .where(EventOccurrence.event_definition_id == definition.id)
    )
    if sold:
        raise Conflict("event_has_sales", "Tickets were sold for this event; archive it to keep its history.")
    session.execute(sa.delete(EventOccurrence).where(EventOccurrence.event_definition_id == definition.id))
    session.execute(sa.delete(TicketType).where(TicketType.event_definition_id == definition.id))
    session.delete(definition)
    session.commit()


def list_ticket_types(*, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID) -> list[TicketType]:
    get_definition(session=session, org_id=org_id, definition_id=definition_id)
    return list(
        session.scalars(
            sa.select(TicketType)
            .where(TicketType.event_definition_id == definition_id)
            .order_by(TicketType.price_cents, TicketType.created_at)
        )
    )


def get_ticket_type(*, session: Session, org_id: uuid.UUID, ticket_type_id: uuid.UUID) -> TicketType:
    ticket_type = session.scalar(
        sa.select(TicketType).where(TicketType.id == ticket_type_id, TicketType.org_id == org_id)
    )
    if ticket_type is None:
        raise NotFound("ticket_type_not_found", f"No ticket type {ticket_type_id}.")
    return ticket_type


def _check_ticket_type_values(ticket_type: TicketType) -> None:
    if (
        ticket_type.valid_from is not None
        and ticket_type.valid_until is not None
        and ticket_type.valid_from >= ticket_type.valid_until
    ):
        raise InvalidInput("invalid_validity_window", "valid_from must be before valid_until.", field="valid_from")
    if ticket_type.max_quantity < ticket_type.min_quantity:
        raise InvalidInput("invalid_quantity_range", "max_quantity cannot be below min_quantity.", field="max_quantity")
    taken = ticket_type.quantity_sold + (ticket_type.quantity_blocked or 0)
    if ticket_type.quantity_available is not None and ticket_type.quantity_available < taken:
        raise Conflict(
            "quantity_below_sold",
            f"{taken} are already sold or held for the waitlist; quantity_available cannot go below that.",
            field="quantity_available",
        )


def create_ticket_type(
    *, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID, data: TicketTypeCreate, now: datetime
) -> TicketType:
    definition = get_definition(session=session, org_id=org_id, definition_id=definition_id)
    if definition.status is DefinitionStatus.ARCHIVED:
        raise Conflict("event_archived", "An archived event cannot get new ticket types.")
    values = data.model_dump()
    values["settings"] = values.get("settings") or {}
    ticket_type = TicketType(
        org_id=org_id,
        account_id=definition.account_id,
        event_definition_id=definition.id,
        status=TicketTypeStatus.ACTIVE,
        quantity_sold=0,
        created_at=now,
        updated_at=now,
        **values,
    )
    _check_ticket_type_values(ticket_type)
    session.add(ticket_type)
    session.commit()
    return ticket_type


# Sold out and expired follow from the numbers and the clock; only these two are the organizer's to set.
_SETTABLE_TICKET_TYPE_STATUSES = (TicketTypeStatus.ACTIVE, TicketTypeStatus.DISABLED)


def update_ticket_type(
    *, session: Session, org_id: uuid.UUID, ticket_type_id: uuid.UUID, data: TicketTypeUpdate, now: datetime
) -> TicketType:
    ticket_type = get_ticket_type(session=session, org_id=org_id, ticket_type_id=ticket_type_id)
    changes = data.model_dump(exclude_unset=True)
    for required in ("name", "tier", "price_cents", "currency", "min_quantity", "max_quantity", "status"):
        if required in changes and changes[required] is None:
            raise InvalidInput("field_required", f"{required} cannot be null.", field=required)
    if changes.get("status") not in (None, *_SETTABLE_TICKET_TYPE_STATUSES):
        raise InvalidInput(
            "status_not_settable",
            "sold_out and expired follow from sales and the validity window; set active or disabled.",
            field="status",
        )
    if "settings" in changes:
        changes["settings"] = changes["settings"] or {}
    for name, value in changes.items():
        setattr(ticket_type, name, value)
    _check_ticket_type_values(ticket_type)
    ticket_type.updated_at = now
    if changes.keys() & {"quantity_available", "status", "valid_from", "valid_until", "min_quantity", "max_quantity"}:
        # More of the type may be on sale now: the waitlist's first, in this transaction.
        session.flush()
        waitlist_offers.seats_opened(session=session, now=now, ticket_types=[ticket_type.id])
    session.commit()
    return ticket_type


def ticket_type_snapshot(ticket_type: TicketType) -> lifecycle.TicketTypeSnapshot:
    return lifecycle.TicketTypeSnapshot(
        status=ticket_type.status,
        quantity_available=ticket_type.quantity_available,
        quantity_sold=ticket_type.quantity_sold,
        valid_from=ticket_type.valid_from,
        valid_until=ticket_type.valid_until,
        min_quantity=ticket_type.min_quantity,
        max_quantity=ticket_type.max_quantity,
    )


def effective_ticket_type_status(ticket_type: TicketType, now: datetime) -> TicketTypeStatus:
    """The stored status with what follows from sales and the clock (sold out, expired) applied."""
    return lifecycle.ticket_type_status_due(ticket_type_snapshot(ticket_type), now=now)
