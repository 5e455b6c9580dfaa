"""Request and response shapes of the event catalog."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.enums import (
    DefinitionStatus,
    EventCategory,
    EventType,
    OccurrenceStatus,
    TicketTier,
    TicketTypeStatus,
    VenueType,
)

_TIMEZONES = frozenset(available_timezones())
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def check_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError(f"'{value}' is not an IANA time zone (e.g. 'America/New_York')")
    return value


def check_aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone offset, e.g. 2026-07-01T19:00:00+02:00")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DefinitionFields(_Strict):
    category: EventCategory | None = None
    event_type: EventType | None = None
    duration_minutes: int | None = Field(default=None, gt=0, le=60 * 24 * 31)
    venue_type: VenueType | None = None
    venue_space_id: uuid.UUID | None = None
    venue_name: str | None = Field(default=None, max_length=200)
    venue_address: dict[str, Any] | None = None
    organizer_name: str | None = Field(default=None, max_length=200)
    organizer_contact: dict[str, Any] | None = None
    max_capacity: int | None = Field(default=None, gt=0)
    min_capacity: int | None = Field(default=None, ge=1)
    settings: dict[str, Any] | None = None


class DefinitionCreate(DefinitionFields):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=120, pattern=SLUG_PATTERN)
    category: EventCategory
    event_type: EventType = EventType.ONE_TIME
    duration_minutes: int = Field(gt=0, le=60 * 24 * 31)
    venue_type: VenueType
    min_capacity: int = Field(default=1, ge=1)
    account_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _capacities_ordered(self) -> DefinitionCreate:
        if self.max_capacity is not None and self.min_capacity > self.max_capacity:
            raise ValueError("min_capacity cannot exceed max_capacity")
        return self


class DefinitionUpdate(DefinitionFields):
    """Only the fields sent are changed; send ``null`` to clear a nullable one."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=120, pattern=SLUG_PATTERN)


class DefinitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    account_id: uuid.UUID
    name: str
    slug: str
    category: EventCategory
    event_type: EventType
    duration_minutes: int
    venue_type: VenueType
    venue_space_id: uuid.UUID | None
    venue_name: str | None
    venue_address: dict[str, Any] | None
    organizer_name: str | None
    organizer_contact: dict[str, Any] | None
    max_capacity: int | None
    min_capacity: int
    status: DefinitionStatus
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class StatusChange(_Strict):
    status: DefinitionStatus


class TicketTypeFields(_Strict):
    description: str | None = None
    tier: TicketTier | None = None
    quantity_available: int | None = Field(default=None, ge=0)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    min_quantity: int | None = Field(default=None, ge=1)
    max_quantity: int | None = Field(default=None, ge=1)
    settings: dict[str, Any] | None = None

    _aware = field_validator("valid_from", "valid_until")(check_aware)


class TicketTypeCreate(TicketTypeFields):
    name: str = Field(min_length=1, max_length=200)
    tier: TicketTier = TicketTier.GENERAL
    price_cents: int = Field(ge=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    min_quantity: int = Field(default=1, ge=1)
    max_quantity: int = Field(default=10, ge=1)


class TicketTypeUpdate(TicketTypeFields):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    price_cents: int | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    status: TicketTypeStatus | None = None


class TicketTypeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_definition_id: uuid.UUID
    name: str
    description: str | None
    tier: TicketTier
    price_cents: int
    currency: str
    quantity_available: int | None
    quantity_sold: int
    valid_from: datetime | None
    valid_until: datetime | None
    min_quantity: int
    max_quantity: int
    status: TicketTypeStatus
    settings: dict[str, Any]


class OccurrenceCreate(_Strict):
    start_at: datetime
    end_at: datetime | None = Field(default=None, description="Defaults to start_at + the event's duration.")
    timezone: str
    occurrence_name: str | None = Field(default=None, max_length=200)
    capacity_override: int | None = Field(default=None, ge=0)
    settings: dict[str, Any] = Field(default_factory=dict)
    days: int = Field(default=1, ge=1, le=60, description="Multi-day events: how many sequential days to schedule.")

    _aware = field_validator("start_at", "end_at")(check_aware)
    _zone = field_validator("timezone")(check_timezone)

    @model_validator(mode="after")
    def _end_after_start(self) -> OccurrenceCreate:
        if self.end_at is not None and self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class OccurrenceUpdate(_Strict):
    start_at: datetime | None = None
    end_at: datetime | None = None
    timezone: str | None = None
    occurrence_name: str | None = Field(default=None, max_length=200)
    capacity_override: int | None = Field(default=None, ge=0)
    settings: dict[str, Any] | None = None

    _aware = field_validator("start_at", "end_at")(check_aware)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)


class OccurrenceTransition(_Strict):
    status: OccurrenceStatus


class OccurrenceCancel(_Strict):
    reason: str = Field(min_length=1, max_length=2000)
    force: bool = Field(default=False, description="Cancel even after the cancellation cutoff.")


class OccurrenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_definition_id: uuid.UUID
    occurrence_name: str | None
    start_at: datetime
    end_at: datetime
    timezone: str
    capacity_override: int | None
    capacity: int | None
    status: OccurrenceStatus
    cancellation_reason: str | None
    canceled_at: datetime | None
    seats_sold: int
    seats_blocked: int
    seats_available: int | None
    waitlist_count: int
    settings: dict[str, Any]
    series_id: uuid.UUID | None
    day_number: int | None
    recurrence_id: datetime | None


class OccurrenceListing(OccurrenceRead):
    """An occurrence in search results, with what a guest needs to choose it."""

    event_name: str
    event_slug: str
    category: EventCategory
    venue_type: VenueType
    venue_name: str | None


class OccurrencePage(BaseModel):
    items: list[OccurrenceListing]
    next_cursor: str | None


class SkippedSlot(BaseModel):
    start_at: datetime
    conflicting_occurrence_id: uuid.UUID | None


class GenerationResult(BaseModel):
    created: list[OccurrenceRead]
    skipped_existing: int
    skipped_venue_conflicts: list[SkippedSlot]


class PublicOccurrence(BaseModel):
    occurrence: OccurrenceRead
    event_name: str
    description: str | None
    venue_name: str | None
    ticket_types: list[TicketTypeRead]
