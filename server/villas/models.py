"""Spaces (villas and venues) and villa bookings: neighbours owned by the Supply and Bookings domains."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, Timestamped, org_fk, uuid_pk
from server.db.types import JSONDocument, enum_column_type
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


class Booking(Timestamped, Base):
    """A villa stay (the Bookings domain's entity), minimal: what a package booking links to."""

    __tablename__ = "bookings"
    __table_args__ = (
        sa.Index("ix_bookings_org_id", "org_id"),
        sa.Index("ix_bookings_space_id", "space_id"),
        sa.CheckConstraint("check_in_date IS NULL OR check_out_date > check_in_date", name="stay_dates_ordered"),
        sa.CheckConstraint("total_cents >= 0", name="total_non_negative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    space_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="RESTRICT"), nullable=True
    )
    package_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_packages.id", ondelete="RESTRICT"), nullable=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    guest_email: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    guest_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    check_in_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    check_out_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    total_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    currency: Mapped[str] = mapped_column(sa.CHAR(3), nullable=False, default="USD")
