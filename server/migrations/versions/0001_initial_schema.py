"""Initial schema: the eight entities of the Events & Experiences spec and their neighbours.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Reviewed by hand. Notes:
- Enumerations are native enum types on PostgreSQL and CHECK-constrained VARCHARs on SQLite.
- Timestamps are ``timestamptz`` on PostgreSQL; SQLite stores UTC (the application type adds the zone back).
- JSONB and TEXT[] on PostgreSQL, JSON text on SQLite.
- The no-overlap rule for occurrences at one venue is an exclusion constraint on PostgreSQL (btree_gist); on
  SQLite the same rule is checked in code (``server.events.service``).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TEXT_ARRAY = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

ENUMS: dict[str, tuple[str, ...]] = {
    "space_kind": ("villa", "venue"),
    "event_category": (
        "tour", "activity", "class", "workshop", "dining", "wellness", "cultural", "adventure", "entertainment",
        "other",
    ),
    "event_type": ("one_time", "recurring", "multi_day"),
    "venue_type": ("on_property", "off_property", "virtual", "mobile"),
    "definition_status": ("draft", "active", "paused", "archived"),
    "occurrence_status": ("scheduled", "confirmed", "in_progress", "completed", "canceled"),
    "ticket_tier": ("general", "vip", "early_bird", "group", "child", "senior", "student", "member"),
    "ticket_type_status": ("active", "sold_out", "expired", "disabled"),
    "ticket_status": ("reserved", "confirmed", "checked_in", "canceled", "refunded"),
    "waitlist_status": ("waiting", "notified", "converted", "expired", "canceled"),
    "package_type": ("villa_event", "multi_event", "experience_bundle"),
    "package_status": ("draft", "active", "paused", "archived"),
    "package_item_type": ("event", "villa"),
}


def enum(name: str) -> sa.Enum:
    return sa.Enum(*ENUMS[name], name=name, create_constraint=True)


def uuid_pk() -> sa.Column[Any]:
    return sa.Column("id", sa.Uuid(), primary_key=True)


def fk(column: str, target: str, *, nullable: bool = False, ondelete: str = "RESTRICT") -> sa.Column[Any]:
    return sa.Column(column, sa.Uuid(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def timestamps() -> list[sa.Column[Any]]:
    return [sa.Column("created_at", TIMESTAMP, nullable=False), sa.Column("updated_at", TIMESTAMP, nullable=False)]


def upgrade() -> None:
    op.create_table(
        "organizations",
        uuid_pk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False, unique=True),
        *timestamps(),
    )
    op.create_table(
        "accounts",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        sa.Column("name", sa.String(200), nullable=False),
        *timestamps(),
    )
    op.create_index("ix_accounts_org_id", "accounts", ["org_id"])

    op.create_table(
        "api_tokens",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("account_id", "accounts.id", nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("permissions", TEXT_ARRAY, nullable=False),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        *timestamps(),
    )
    op.create_index("ix_api_tokens_org_id", "api_tokens", ["org_id"])

    op.create_table(
        "spaces",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("account_id", "accounts.id", nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", enum("space_kind"), nullable=False),
        sa.Column("address", JSONB, nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("nightly_price_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        *timestamps(),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("nightly_price_cents IS NULL OR nightly_price_cents >= 0", name="price_non_negative"),
    )
    op.create_index("ix_spaces_org_id", "spaces", ["org_id"])

    op.create_table(
        "attendees",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("given_name", sa.String(200), nullable=False),
        sa.Column("family_name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("emergency_contact", JSONB, nullable=True),
        sa.Column("dietary_restrictions", TEXT_ARRAY, nullable=True),
        sa.Column("accessibility_needs", TEXT_ARRAY, nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        *timestamps(),
    )
    op.create_index("idx_attendees_email", "attendees", ["email"])
    op.create_index(
        "idx_attendees_user",
        "attendees",
        ["user_id"],
        postgresql_where=sa.text("user_id IS NOT NULL"),
        sqlite_where=sa.text("user_id IS NOT NULL"),
    )
    op.create_index("ix_attendees_org_id", "attendees", ["org_id"])

    op.create_table(
        "event_definitions",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("account_id", "accounts.id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("category", enum("event_category"), nullable=False),
        sa.Column("event_type", enum("event_type"), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("venue_type", enum("venue_type"), nullable=False),
        fk("venue_space_id", "spaces.id", nullable=True),
        sa.Column("venue_name", sa.String(200), nullable=True),
        sa.Column("venue_address", JSONB, nullable=True),
        sa.Column("organizer_name", sa.String(200), nullable=True),
        sa.Column("organizer_contact", JSONB, nullable=True),
        sa.Column("max_capacity", sa.Integer(), nullable=True),
        sa.Column("min_capacity", sa.Integer(), nullable=False),
        sa.Column("status", enum("definition_status"), nullable=False),
        sa.Column("settings", JSONB, nullable=False),
        *timestamps(),
        sa.UniqueConstraint("org_id", "slug", name=op.f("event_def_org_slug_unique")),
        sa.CheckConstraint("max_capacity IS NULL OR max_capacity > 0", name=op.f("event_def_capacity_check")),
        sa.CheckConstraint("min_capacity >= 1", name="min_capacity_positive"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )
    op.create_index("idx_event_definitions_org_account", "event_definitions", ["org_id", "account_id"])
    op.create_index(
        "idx_event_definitions_status",
        "event_definitions",
        ["status"],
        postgresql_where=sa.text("status = 'active'"),
        sqlite_where=sa.text("status = 'active'"),
    )
    op.create_index("idx_event_definitions_category", "event_definitions", ["category"])

    op.create_table(
        "event_occurrences",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("account_id", "accounts.id"),
        fk("event_definition_id", "event_definitions.id"),
        sa.Column("occurrence_name", sa.String(200), nullable=True),
        sa.Column("start_at", TIMESTAMP, nullable=False),
        sa.Column("end_at", TIMESTAMP, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("capacity_override", sa.Integer(), nullable=True),
        sa.Column("status", enum("occurrence_status"), nullable=False),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("canceled_at", TIMESTAMP, nullable=True),
        sa.Column("seats_sold", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("seats_blocked", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("waitlist_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("settings", JSONB, nullable=False),
        sa.Column("venue_key", sa.String(260), nullable=True),
        sa.Column("recurrence_id", TIMESTAMP, nullable=True),
        sa.Column("series_id", sa.Uuid(), nullable=True),
        sa.Column("day_number", sa.Integer(), nullable=True),
        *timestamps(),
        sa.CheckConstraint("end_at > start_at", name=op.f("event_occ_time_check")),
        sa.CheckConstraint("seats_sold >= 0", name=op.f("event_occ_seats_check")),
        sa.CheckConstraint("seats_blocked >= 0", name="seats_blocked_non_negative"),
        sa.CheckConstraint("waitlist_count >= 0", name="waitlist_count_non_negative"),
        sa.CheckConstraint("capacity_override IS NULL OR capacity_override >= 0", name="capacity_override_check"),
        sa.UniqueConstraint("event_definition_id", "recurrence_id"),
    )
    op.create_index("idx_event_occurrences_definition", "event_occurrences", ["event_definition_id"])
    op.create_index("idx_event_occurrences_time", "event_occurrences", ["start_at", "end_at"])
    op.create_index("idx_event_occurrences_status", "event_occurrences", ["status"])
    op.create_index("ix_event_occurrences_org_start", "event_occurrences", ["org_id", "start_at"])
    op.create_index("ix_event_occurrences_venue_key", "event_occurrences", ["venue_key", "start_at"])
    if op.get_bind().dialect.name == "postgresql":
        # btree_gist lets a GiST index compare the org and venue with "=" beside the time range's "&&".
        # It is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE event_occurrences ADD CONSTRAINT event_occ_venue_no_overlap "
            "EXCLUDE USING gist (org_id WITH =, venue_key WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
            "WHERE (status <> 'canceled' AND venue_key IS NOT NULL)"
        )

    op.create_table(
        "ticket_types",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("account_id", "accounts.id"),
        fk("event_definition_id", "event_definitions.id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tier", enum("ticket_tier"), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("quantity_available", sa.Integer(), nullable=True),
        sa.Column("quantity_sold", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("valid_from", TIMESTAMP, nullable=True),
        sa.Column("valid_until", TIMESTAMP, nullable=True),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        sa.Column("max_quantity", sa.Integer(), nullable=False),
        sa.Column("status", enum("ticket_type_status"), nullable=False),
        sa.Column("settings", JSONB, nullable=False),
        *timestamps(),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ticket_type_price_check")),
        sa.CheckConstraint("quantity_sold <= quantity_available", name=op.f("ticket_type_quantity_check")),
        sa.CheckConstraint("quantity_sold >= 0", name="quantity_sold_non_negative"),
        sa.CheckConstraint(
            "quantity_available IS NULL OR quantity_available >= 0", name="quantity_available_non_negative"
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until", name="validity_window"
        ),
        sa.CheckConstraint("min_quantity >= 1 AND max_quantity >= min_quantity", name="purchase_quantity_range"),
    )
    op.create_index("ix_ticket_types_event_definition_id", "ticket_types", ["event_definition_id"])

    op.create_table(
        "event_packages",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("account_id", "accounts.id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("package_type", enum("package_type"), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("base_price_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("discount_percent", sa.Numeric(5, 2), nullable=False, server_default="0"),
        sa.Column("status", enum("package_status"), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("settings", JSONB, nullable=False),
        *timestamps(),
        sa.UniqueConstraint("org_id", "slug", name=op.f("package_org_slug_unique")),
        sa.CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount_range"),
        sa.CheckConstraint("base_price_cents IS NULL OR base_price_cents >= 0", name="base_price_non_negative"),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until", name="validity_window"
        ),
    )
    op.create_index("idx_event_packages_org_account", "event_packages", ["org_id", "account_id"])

    op.create_table(
        "event_package_items",
        uuid_pk(),
        fk("package_id", "event_packages.id", ondelete="CASCADE"),
        sa.Column("item_type", enum("package_item_type"), nullable=False),
        fk("event_definition_id", "event_definitions.id", nullable=True),
        fk("space_id", "spaces.id", nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column("is_customizable", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *timestamps(),
        sa.CheckConstraint(
            "(event_definition_id IS NOT NULL AND space_id IS NULL) OR "
            "(event_definition_id IS NULL AND space_id IS NOT NULL)",
            name=op.f("package_item_type_check"),
        ),
        sa.CheckConstraint(
            "(item_type = 'event') = (event_definition_id IS NOT NULL)", name="item_type_matches_reference"
        ),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
    )
    op.create_index("idx_package_items_package", "event_package_items", ["package_id"])

    op.create_table(
        "bookings",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("space_id", "spaces.id", nullable=True),
        fk("package_id", "event_packages.id", nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("guest_email", sa.String(320), nullable=False),
        sa.Column("guest_name", sa.String(200), nullable=True),
        sa.Column("check_in_date", sa.Date(), nullable=True),
        sa.Column("check_out_date", sa.Date(), nullable=True),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        *timestamps(),
        sa.CheckConstraint("check_in_date IS NULL OR check_out_date > check_in_date", name="stay_dates_ordered"),
        sa.CheckConstraint("total_cents >= 0", name="total_non_negative"),
    )
    op.create_index("ix_bookings_org_id", "bookings", ["org_id"])
    op.create_index("ix_bookings_space_id", "bookings", ["space_id"])

    op.create_table(
        "tickets",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("account_id", "accounts.id"),
        fk("event_occurrence_id", "event_occurrences.id"),
        fk("ticket_type_id", "ticket_types.id"),
        fk("attendee_id", "attendees.id"),
        fk("booking_id", "bookings.id", nullable=True),
        sa.Column("confirmation_code", sa.String(16), nullable=True),
        sa.Column("qr_code_data", sa.Text(), nullable=True),
        sa.Column("price_paid_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("status", enum("ticket_status"), nullable=False),
        sa.Column("reserved_at", TIMESTAMP, nullable=True),
        sa.Column("confirmed_at", TIMESTAMP, nullable=True),
        sa.Column("checked_in_at", TIMESTAMP, nullable=True),
        sa.Column("canceled_at", TIMESTAMP, nullable=True),
        sa.Column("refund_amount_cents", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("settings", JSONB, nullable=False),
        *timestamps(),
        sa.UniqueConstraint("confirmation_code", name=op.f("ticket_confirmation_unique")),
        sa.UniqueConstraint("qr_code_data", name=op.f("ticket_qr_unique")),
        sa.CheckConstraint("price_paid_cents >= 0", name="price_paid_non_negative"),
        sa.CheckConstraint("refund_amount_cents >= 0", name="refund_non_negative"),
    )
    op.create_index("idx_tickets_occurrence", "tickets", ["event_occurrence_id"])
    op.create_index("idx_tickets_attendee", "tickets", ["attendee_id"])
    op.create_index("idx_tickets_confirmation", "tickets", ["confirmation_code"])
    op.create_index("idx_tickets_status", "tickets", ["status"])
    op.create_index("ix_tickets_ticket_type_id", "tickets", ["ticket_type_id"])

    op.create_table(
        "waitlist_entries",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("event_occurrence_id", "event_occurrences.id"),
        fk("attendee_id", "attendees.id"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity_requested", sa.Integer(), nullable=False),
        fk("ticket_type_id", "ticket_types.id", nullable=True),
        sa.Column("status", enum("waitlist_status"), nullable=False),
        sa.Column("notified_at", TIMESTAMP, nullable=True),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        fk("converted_ticket_id", "tickets.id", nullable=True),
        *timestamps(),
        sa.UniqueConstraint("event_occurrence_id", "attendee_id"),
        sa.CheckConstraint("quantity_requested >= 1", name="quantity_requested_positive"),
        sa.CheckConstraint("position >= 1", name="position_positive"),
    )
    op.create_index("idx_waitlist_occurrence_position", "waitlist_entries", ["event_occurrence_id", "position"])
    op.create_index(
        "idx_waitlist_status",
        "waitlist_entries",
        ["status"],
        postgresql_where=sa.text("status = 'waiting'"),
        sqlite_where=sa.text("status = 'waiting'"),
    )


def downgrade() -> None:
    for table in (
        "waitlist_entries",
        "tickets",
        "bookings",
        "event_package_items",
        "event_packages",
        "ticket_types",
        "event_occurrences",
        "event_definitions",
        "attendees",
        "spaces",
        "api_tokens",
        "accounts",
        "organizations",
    ):
        op.drop_table(table)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name in ENUMS:
            sa.Enum(name=name).drop(bind, checkfirst=True)
