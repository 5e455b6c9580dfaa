"""Villa + event packages and their items."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, Timestamped, account_fk, named, org_fk, settings_column, uuid_pk
from server.db.types import enum_column_type
from shared.enums import PackageItemType, PackageStatus, PackageType


class EventPackage(Timestamped, Base):
    __tablename__ = "event_packages"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "slug", name=named("package_org_slug_unique")),
        sa.CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount_range"),
        sa.CheckConstraint("base_price_cents IS NULL OR base_price_cents >= 0", name="base_price_non_negative"),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until", name="validity_window"
        ),
        sa.Index("idx_event_packages_org_account", "org_id", "account_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    account_id: Mapped[uuid.UUID] = account_fk()
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    package_type: Mapped[PackageType] = mapped_column(enum_column_type(PackageType, "package_type"), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    base_price_cents: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    currency: Mapped[str] = mapped_column(sa.CHAR(3), nullable=False, default="USD")
    discount_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False, default=Decimal("0"))
    status: Mapped[PackageStatus] = mapped_column(
        enum_column_type(PackageStatus, "package_status"), nullable=False, default=PackageStatus.DRAFT
    )
    valid_from: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    settings: Mapped[dict[str, Any]] = settings_column()


class EventPackageItem(Timestamped, Base):
    __tablename__ = "event_package_items"
    __table_args__ = (
        sa.CheckConstraint(
            "(event_definition_id IS NOT NULL AND space_id IS NULL) OR "
            "(event_definition_id IS NULL AND space_id IS NOT NULL)",
            name=named("package_item_type_check"),
        ),
        sa.CheckConstraint(
            "(item_type = 'event') = (event_definition_id IS NOT NULL)", name="item_type_matches_reference"
        ),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.Index("idx_package_items_package", "package_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    package_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_packages.id", ondelete="CASCADE"), nullable=False
    )
    item_type: Mapped[PackageItemType] = mapped_column(
        enum_column_type(PackageItemType, "package_item_type"), nullable=False
    )
    event_definition_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_definitions.id", ondelete="RESTRICT"), nullable=True
    )
    space_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="RESTRICT"), nullable=True
    )
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    is_required: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    is_customizable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
