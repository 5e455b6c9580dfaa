"""Spaces (villas and venues), villa bookings and their nights: neighbours owned by the Supply, Bookings and
Availability domains, kept here as small as the package bookings need them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, Timestamped, org_fk, uuid_pk
from server.db.types import JSONDocument, UTCDateTime, enum_column_type
from shared.enums import SpaceKind


class Space(Timestamped, Base):
    __tablename__ = "spaces"
    __table_args__ = (
        sa.Index("ix_spaces_org_id", "org_id"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("nightly_price_cents IS NULL OR nightly_price_cents >= 0", name="price_non_negative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="RESTRICT"), nullable=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[SpaceKind] = mapped_column(enum_column_type(SpaceKind, "space_kind"), nullable=False)
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    capacity: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    nightly_price_cents: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    currency: Mapped[str] = mapped_column(sa.CHAR(3), nullable=False, default="USD")


class BookingStatus(StrEnum):
    """A package booking: ``pending`` while its components are held for payment (until ``hold_expires_at``),
    ``confirmed`` once paid, ``expired`` when the hold ran out unpaid (everything released), ``needs_refund`` when
    money came for one that had expired. ``canceled`` is the Bookings domain's (a stay called off)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELED = "canceled"
    NEEDS_REFUND = "needs_refund"


class Booking(Timestamped, Base):
    """A villa stay (the Bookings domain's entity), minimal: what a package booking links to. A package booking
    is one row here with the package, the villa and its dates (none for a package without a villa), the orders of
    its event tickets (``orders.booking_id``, ``tickets.booking_id``) and the price split over all of them."""

    __tablename__ = "bookings"
    __table_args__ = (
        sa.Index("ix_bookings_org_id", "org_id"),
        sa.Index("ix_bookings_space_id", "space_id"),
        sa.Index("ix_bookings_package_id", "package_id"),
        sa.Index("ix_bookings_status_hold_expires_at", "status", "hold_expires_at"),
        sa.CheckConstraint("check_in_date IS NULL OR check_out_date > check_in_date", name="stay_dates_ordered"),
        sa.CheckConstraint("total_cents >= 0", name="total_non_negative"),
        sa.UniqueConstraint("payment_gateway", "payment_reference"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    space_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="RESTRICT"), nullable=True
    )
    package_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_packages.id", ondelete="RESTRICT"), nullable=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=BookingStatus.PENDING)
    guest_email: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    guest_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    check_in_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    check_out_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    total_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    currency: Mapped[str] = mapped_column(sa.CHAR(3), nullable=False, default="USD")
    # The price as shown to the guest: each component's list price and its share of the package price.
    quote: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    # SHA-256 of the secret handed to the guest once (view and pay without an account), as for orders.
    access_secret_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    payment_gateway: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    payment_reference: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    payment_details: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)


class BookedNight(Base):
    """One night of one villa, sold to one booking. The primary key (villa, night) is the rule that a night is never
    sold twice: of two transactions inserting the same night, on PostgreSQL the second waits for the first and then
    fails on the key, and on SQLite they run one after the other. Releasing a stay deletes its nights."""

    __tablename__ = "villa_nights"
    __table_args__ = (sa.Index("ix_villa_nights_booking_id", "booking_id"),)

    space_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="RESTRICT"), primary_key=True
    )
    night: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    org_id: Mapped[uuid.UUID] = org_fk()
    booking_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("bookings.id", ondelete="RESTRICT"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
