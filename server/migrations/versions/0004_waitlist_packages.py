"""Waitlist and packages: held seats on ticket types, who a waitlist entry is and what it holds, package bookings on
the bookings table, the villa nights they take, and three new kinds of mail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Reviewed by hand. Notes:
- ``ticket_types.quantity_blocked``: quantity held for notified waitlist entries, the twin of the occurrence's
  ``seats_blocked`` (which 0001 already has).
- ``waitlist_entries``: ``email_key`` (the person, unique per occurrence), ``held_ticket_type_id``, ``order_id``;
  the spec's ``idx_waitlist_occurrence_position`` becomes unique. The table had no writer before this revision; any
  row there gets its attendee's address (or, failing that, its own id) as key.
- ``bookings`` gets what a package booking needs (hold, payment, quote, access secret); ``villa_nights`` has the
  primary key (space_id, night) that keeps a night from being sold twice.
- ``message_kind``: PostgreSQL adds the values to the native type (allowed inside a transaction since PostgreSQL 12,
  usable once committed); SQLite re-creates the table with the wider CHECK constraint (batch mode). Downgrading drops
  the mails of the new kinds first, then rebuilds the type without them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

OLD_KINDS = ("tickets_confirmed", "tickets_canceled", "refund_issued", "payment_not_honoured")
NEW_KINDS = ("waitlist_joined", "waitlist_offer", "package_confirmed")


def kind_enum(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="message_kind", create_constraint=True)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"

    # Not in batch mode: on SQLite a batch operation rebuilds the table, which would drop the change-tracking
    # triggers revision 0003 put on ticket_types. SQLite adds a column with its CHECK in place.
    if postgres:
        op.add_column("ticket_types", sa.Column("quantity_blocked", sa.Integer(), nullable=False, server_default="0"))
        op.create_check_constraint(
            op.f("ck_ticket_types_quantity_blocked_non_negative"), "ticket_types", "quantity_blocked >= 0"
        )
    else:
        op.execute(
            "ALTER TABLE ticket_types ADD COLUMN quantity_blocked INTEGER NOT NULL DEFAULT 0 "
            "CONSTRAINT ck_ticket_types_quantity_blocked_non_negative CHECK (quantity_blocked >= 0)"
        )

    with op.batch_alter_table("waitlist_entries") as batch:
        batch.add_column(sa.Column("email_key", sa.String(320), nullable=True))
        batch.add_column(sa.Column("held_ticket_type_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("order_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE waitlist_entries SET email_key = COALESCE("
        "(SELECT lower(trim(a.email)) FROM attendees a WHERE a.id = waitlist_entries.attendee_id), "
        "'entry:' || CAST(id AS VARCHAR(40)))"
    )
    with op.batch_alter_table("waitlist_entries") as batch:
        batch.alter_column("email_key", existing_type=sa.String(320), nullable=False)
        batch.create_foreign_key(
            "fk_waitlist_entries_held_ticket_type_id_ticket_types",
            "ticket_types",
            ["held_ticket_type_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_foreign_key(
            "fk_waitlist_entries_order_id_orders", "orders", ["order_id"], ["id"], ondelete="RESTRICT"
        )
        batch.create_unique_constraint(
            "uq_waitlist_entries_event_occurrence_id_email_key", ["event_occurrence_id", "email_key"]
        )
        batch.drop_index("idx_waitlist_occurrence_position")
        batch.create_index("idx_waitlist_occurrence_position", ["event_occurrence_id", "position"], unique=True)
        batch.create_index("ix_waitlist_entries_status_expires_at", ["status", "expires_at"])
        batch.create_index("ix_waitlist_entries_order_id", ["order_id"])

    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("quote", JSONB, nullable=True))
        batch.add_column(sa.Column("access_secret_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hold_expires_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("paid_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("expired_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("payment_gateway", sa.String(40), nullable=True))
        batch.add_column(sa.Column("payment_reference", sa.String(200), nullable=True))
        batch.add_column(sa.Column("payment_details", JSONB, nullable=True))
        batch.create_unique_constraint(
            "uq_bookings_payment_gateway_payment_reference", ["payment_gateway", "payment_reference"]
        )
        batch.create_index("ix_bookings_package_id", ["package_id"])
        batch.create_index("ix_bookings_status_hold_expires_at", ["status", "hold_expires_at"])

    op.create_table(
        "villa_nights",
        sa.Column("space_id", sa.Uuid(), sa.ForeignKey("spaces.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("org_id", sa.Uuid(), sa.ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("booking_id", sa.Uuid(), sa.ForeignKey("bookings.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("space_id", "night", name="pk_villa_nights"),
    )
    op.create_index("ix_villa_nights_booking_id", "villa_nights", ["booking_id"])

    if postgres:
        for value in NEW_KINDS:
            op.execute(f"ALTER TYPE message_kind ADD VALUE IF NOT EXISTS '{value}'")
    else:
        with op.batch_alter_table("outbox_messages") as batch:
            batch.alter_column(
                "kind", existing_type=kind_enum(OLD_KINDS), type_=kind_enum(OLD_KINDS + NEW_KINDS), nullable=False
            )


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"

    op.execute(
        sa.text("DELETE FROM outbox_messages WHERE CAST(kind AS VARCHAR(40)) IN :kinds").bindparams(
            sa.bindparam("kinds", NEW_KINDS, expanding=True)
        )
    )
    if postgres:
        op.execute("ALTER TYPE message_kind RENAME TO message_kind_before_0003")
        kind_enum(OLD_KINDS).create(bind)
        op.execute(
            "ALTER TABLE outbox_messages ALTER COLUMN kind TYPE message_kind USING CAST(CAST(kind AS TEXT) AS message_kind)"
        )
        op.execute("DROP TYPE message_kind_before_0003")
    else:
        with op.batch_alter_table("outbox_messages") as batch:
            batch.alter_column(
                "kind", existing_type=kind_enum(OLD_KINDS + NEW_KINDS), type_=kind_enum(OLD_KINDS), nullable=False
            )

    op.drop_index("ix_villa_nights_booking_id", table_name="villa_nights")
    op.drop_table("villa_nights")

    with op.batch_alter_table("bookings") as batch:
        batch.drop_index("ix_bookings_status_hold_expires_at")
        batch.drop_index("ix_bookings_package_id")
        batch.drop_constraint("uq_bookings_payment_gateway_payment_reference", type_="unique")
        for column in (
            "payment_details",
            "payment_reference",
            "payment_gateway",
            "expired_at",
            "paid_at",
            "hold_expires_at",
            "access_secret_hash",
            "quote",
        ):
            batch.drop_column(column)

    with op.batch_alter_table("waitlist_entries") as batch:
        batch.drop_index("ix_waitlist_entries_order_id")
        batch.drop_index("ix_waitlist_entries_status_expires_at")
        batch.drop_index("idx_waitlist_occurrence_position")
        batch.create_index("idx_waitlist_occurrence_position", ["event_occurrence_id", "position"])
        batch.drop_constraint("uq_waitlist_entries_event_occurrence_id_email_key", type_="unique")
        batch.drop_constraint("fk_waitlist_entries_order_id_orders", type_="foreignkey")
        batch.drop_constraint("fk_waitlist_entries_held_ticket_type_id_ticket_types", type_="foreignkey")
        batch.drop_column("order_id")
        batch.drop_column("held_ticket_type_id")
        batch.drop_column("email_key")

    # In place on SQLite too, keeping revision 0003's triggers (see upgrade).
    if bind.dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_ticket_types_quantity_blocked_non_negative"), "ticket_types", type_="check")
        op.drop_column("ticket_types", "quantity_blocked")
    else:
        op.execute("ALTER TABLE ticket_types DROP COLUMN quantity_blocked")
