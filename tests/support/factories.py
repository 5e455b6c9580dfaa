"""Rows straight into the database, for tests that are about something downstream of the catalog API.

Every factory takes keyword overrides for any column; defaults describe a plausible, sellable event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from server.bookings.models import Attendee, Ticket
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.villas.models import Space
from shared.enums import (
    DefinitionStatus,
    EventCategory,
    EventType,
    OccurrenceStatus,
    SpaceKind,
    TicketStatus,
    TicketTier,
    VenueType,
)
from tests.support.orgs import SeededOrg


def make_space(session: Session, org: SeededOrg, **overrides: Any) -> Space:
    values: dict[str, Any] = {
        "org_id": org.org_id,
        "account_id": org.account_id,
        "name": f"Space {uuid.uuid4().hex[:6]}",
        "kind": SpaceKind.VENUE,
        "currency": "USD",
    }
    values.update(overrides)
    space = Space(**values)
    session.add(space)
    session.flush()
    return space


def make_definition(session: Session, org: SeededOrg, **overrides: Any) -> EventDefinition:
    suffix = uuid.uuid4().hex[:6]
    values: dict[str, Any] = {
        "org_id": org.org_id,
        "account_id": org.account_id,
        "name": f"Sunset Yoga {suffix}",
        "slug": f"sunset-yoga-{suffix}",
        "category": EventCategory.WELLNESS,
        "event_type": EventType.ONE_TIME,
        "duration_minutes": 60,
        "venue_type": VenueType.OFF_PROPERTY,
        "venue_name": f"Beach Deck {suffix}",
        "max_capacity": 50,
        "min_capacity": 1,
        "status": DefinitionStatus.ACTIVE,
        "settings": {},
    }
    values.update(overrides)
    definition = EventDefinition(**values)
    session.add(definition)
    session.flush()
    return definition


def make_occurrence(
    session: Session, definition: EventDefinition, *, start_at: datetime, **overrides: Any
) -> EventOccurrence:
    values: dict[str, Any] = {
        "org_id": definition.org_id,
        "account_id": definition.account_id,
        "event_definition_id": definition.id,
        "start_at": start_at,
        "end_at": start_at + timedelta(minutes=definition.duration_minutes),
        "timezone": "UTC",
        "status": OccurrenceStatus.SCHEDULED,
        "settings": {},
    }
    values.update(overrides)
    occurrence = EventOccurrence(**values)
    session.add(occurrence)
    session.flush()
    return occurrence


def make_ticket_type(session: Session, definition: EventDefinition, **overrides: Any) -> TicketType:
    values: dict[str, Any] = {
        "org_id": definition.org_id,
        "account_id": definition.account_id,
        "event_definition_id": definition.id,
        "name": "General Admission",
        "tier": TicketTier.GENERAL,
        "price_cents": 2500,
        "currency": "USD",
        "settings": {},
    }
    values.update(overrides)
    ticket_type = TicketType(**values)
    session.add(ticket_type)
    session.flush()
    return ticket_type


def make_attendee(session: Session, org: SeededOrg, **overrides: Any) -> Attendee:
    values: dict[str, Any] = {
        "org_id": org.org_id,
        "email": f"guest-{uuid.uuid4().hex[:8]}@example.com",
        "given_name": "Ada",
        "family_name": "Lovelace",
    }
    values.update(overrides)
    attendee = Attendee(**values)
    session.add(attendee)
    session.flush()
    return attendee


def make_ticket(
    session: Session,
    occurrence: EventOccurrence,
    ticket_type: TicketType,
    attendee: Attendee,
    **overrides: Any,
) -> Ticket:
    """A ticket row as it is after a sale; bumps the occurrence's and ticket type's counters to match."""
    values: dict[str, Any] = {
        "org_id": occurrence.org_id,
        "account_id": occurrence.account_id,
        "event_occurrence_id": occurrence.id,
        "ticket_type_id": ticket_type.id,
        "attendee_id": attendee.id,
        "price_paid_cents": ticket_type.price_cents,
        "currency": ticket_type.currency,
        "status": TicketStatus.CONFIRMED,
        "settings": {},
    }
    values.update(overrides)
    ticket = Ticket(**values)
    session.add(ticket)
    if ticket.status in (TicketStatus.RESERVED, TicketStatus.CONFIRMED, TicketStatus.CHECKED_IN):
        occurrence.seats_sold += 1
        ticket_type.quantity_sold += 1
    session.flush()
    return ticket


@dataclass(frozen=True)
class SellableEvent:
    """Ids of an active event with one occurrence and one ticket type, committed."""

    definition_id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    start_at: datetime


def make_sellable_event(
    session_factory: sessionmaker[Session],
    org: SeededOrg,
    *,
    start_at: datetime,
    capacity: int | None = 50,
    quantity_available: int | None = None,
    price_cents: int = 2500,
    definition_settings: dict[str, Any] | None = None,
    **ticket_type_overrides: Any,
) -> SellableEvent:
    with session_factory() as session:
        definition = make_definition(session, org, max_capacity=capacity, settings=definition_settings or {})
        occurrence = make_occurrence(session, definition, start_at=start_at)
        ticket_type = make_ticket_type(
            session,
            definition,
            quantity_available=quantity_available,
            price_cents=price_cents,
            **ticket_type_overrides,
        )
        session.commit()
        return SellableEvent(definition.id, occurrence.id, ticket_type.id, start_at)


def reservation_body(event: SellableEvent, quantity: int = 1, **overrides: Any) -> dict[str, Any]:
    """A storefront reservation request for ``quantity`` attendees."""
    body: dict[str, Any] = {
        "occurrence_id": str(event.occurrence_id),
        "ticket_type_id": str(event.ticket_type_id),
        "attendees": [
            {"given_name": f"Guest {i}", "family_name": "Doe", "email": f"guest{i}-{uuid.uuid4().hex[:6]}@example.com"}
            for i in range(quantity)
        ],
    }
    body.update(overrides)
    return body
