"""EventDefinition, EventOccurrence and TicketType, with the spec's constraints and indexes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, ChangeTracked, Timestamped, account_fk, named, org_fk, settings_column, uuid_pk
from server.db.types import JSONDocument, UTCDateTime, enum_column_type
from shared.enums import (
    DefinitionStatus,
    EventCategory,
    EventType,
    OccurrenceStatus,
    TicketTier,
    TicketTypeStatus,
    VenueType,
)


class EventDefinition(ChangeTracked, Timestamped, Base):
    __tablename__ = "event_definitions"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "slug", name=named("event_def_org_slug_unique")),
        sa.CheckConstraint("max_capacity IS NULL OR max_capacity > 0", name=named("event_def_capacity_check")),
        sa.CheckConstraint("min_capacity >= 1", name="min_capacity_positive"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
        sa.Index("idx_event_definitions_org_account", "org_id", "account_id"),
        sa.Index(
            "idx_event_definitions_status",
            "status",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        ),
        sa.Index("idx_event_definitions_category", "category"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    account_id: Mapped[uuid.UUID] = account_fk()
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    category: Mapped[EventCategory] = mapped_column(enum_column_type(EventCategory, "event_category"), nullable=False)
    event_type: Mapped[EventType] = mapped_column(enum_column_type(EventType, "event_type"), nullable=False)
    duration_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    venue_type: Mapped[VenueType] = mapped_column(enum_column_type(VenueType, "venue_type"), nullable=False)
    venue_space_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="RESTRICT"), nullable=True
    )
    venue_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    venue_address: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    organizer_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    organizer_contact: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    max_capacity: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    min_capacity: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    status: Mapped[DefinitionStatus] = mapped_column(
        enum_column_type(DefinitionStatus, "definition_status"), nullable=False, default=DefinitionStatus.DRAFT
    )
    settings: Mapped[dict[str, Any]] = settings_column()


class EventOccurrence(ChangeTracked, Timestamped, Base):
    """One dated instance of an event.

    ``venue_key`` copies the definition's venue (``space:<id>`` or ``name:<normalized name>``) so that PostgreSQL
    can refuse overlapping occurrences at one venue with an exclusion constraint, which may only look at this
    table's own columns (the constraint lives in the migration; SQLite gets the same rule in code).
    ``recurrence_id`` is the rule instant a generated occurrence came from (RFC 5545 RECURRENCE-ID): running the
    generator again finds it even after the organizer moved or canceled that occurrence.
    ``series_id`` and ``day_number`` link the days of one run of a multi-day event.
    ``seats_available`` is not stored: it is derived from the capacity and the counters (``shared.capacity``).
    """

    __tablename__ = "event_occurrences"
    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name=named("event_occ_time_check")),
        sa.CheckConstraint("seats_sold >= 0", name=named("event_occ_seats_check")),
        sa.CheckConstraint("seats_blocked >= 0", name="seats_blocked_non_negative"),
        sa.CheckConstraint("waitlist_count >= 0", name="waitlist_count_non_negative"),
        sa.CheckConstraint("capacity_override IS NULL OR capacity_override >= 0", name="capacity_override_check"),
        sa.UniqueConstraint("event_definition_id", "recurrence_id"),
        sa.Index("idx_event_occurrences_definition", "event_definition_id"),
        sa.Index("idx_event_occurrences_time", "start_at", "end_at"),
        sa.Index("idx_event_occurrences_status", "status"),
        sa.Index("ix_event_occurrences_org_start", "org_id", "start_at"),
        sa.Index("ix_event_occurrences_venue_key", "venue_key", "start_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    account_id: Mapped[uuid.UUID] = account_fk()
    event_definition_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_definitions.id", ondelete="RESTRICT"), nullable=False
    )
    occurrence_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    capacity_override: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    status: Mapped[OccurrenceStatus] = mapped_column(
        enum_column_type(OccurrenceStatus, "occurrence_status"),
        nullable=False,
        default=OccurrenceStatus.SCHEDULED,
    )
    cancellation_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    seats_sold: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # Seats out of capacity that are not (yet) tickets: device allotments, seats held for a notified waitlist entry.
    seats_blocked: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    waitlist_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    settings: Mapped[dict[str, Any]] = settings_column()
    venue_key: Mapped[str | None] = mapped_column(sa.String(260), nullable=True)
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    series_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    day_number: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)


class TicketType(ChangeTracked, Timestamped, Base):
    __tablename__ = "ticket_types"
    __table_args__ = (
        sa.CheckConstraint("price_cents >= 0", name=named("ticket_type_price_check")),
        sa.CheckConstraint("quantity_sold <= quantity_available", name=named("ticket_type_quantity_check")),
        sa.CheckConstraint("quantity_sold >= 0", name="quantity_sold_non_negative"),
        sa.CheckConstraint("quantity_blocked >= 0", name="quantity_blocked_non_negative"),
        sa.CheckConstraint(
            "quantity_available IS NULL OR quantity_available >= 0", name="quantity_available_non_negative"
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until", name="validity_window"
        ),
        sa.CheckConstraint("min_quantity >= 1 AND max_quantity >= min_quantity", name="purchase_quantity_range"),
        sa.Index("ix_ticket_types_event_definition_id", "event_definition_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    account_id: Mapped[uuid.UUID] = account_fk()
    event_definition_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_definitions.id", ondelete="RESTRICT"), nullable=False
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    tier: Mapped[TicketTier] = mapped_column(
        enum_column_type(TicketTier, "ticket_tier"), nullable=False, default=TicketTier.GENERAL
    )
    price_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    currency: Mapped[str] = mapped_column(sa.CHAR(3), nullable=False, default="USD")
    quantity_available: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    quantity_sold: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # Quantity out of stock that is not (yet) tickets: held for notified waitlist entries (``server.waitlist``).
    # The sales rule is ``quantity_sold + quantity_blocked + n <= quantity_available``, like the occurrence's seats.
    quantity_blocked: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    min_quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    max_quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=10)
    status: Mapped[TicketTypeStatus] = mapped_column(
        enum_column_type(TicketTypeStatus, "ticket_type_status"),
        nullable=False,
        default=TicketTypeStatus.ACTIVE,
    )
    settings: Mapped[dict[str, Any]] = settings_column()
