"""Ticket sales: orders and their holds, idempotency keys, payment events, refund requests, signing keys, the
mail outbox; tickets belong to an order; attendees can be erased.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Reviewed by hand. Notes:
- New enumerations are native types on PostgreSQL and CHECK-constrained VARCHARs on SQLite, as in 0001.
- ``tickets.order_id`` and ``attendees.erased_at`` are added in batch mode: SQLite alters a table by copying it.
- ``orders`` has three indexes for releasing holds: per occurrence and per ticket type (the booking path frees the
  expired holds that stand in its way) and over all pending orders (the sweeper).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

ENUMS: dict[str, tuple[str, ...]] = {
    "order_status": ("pending", "paid", "expired", "canceled", "needs_refund"),
    "sales_channel": ("online", "box_office"),
    "refund_status": ("requested", "succeeded", "failed"),
    "outbox_status": ("pending", "sending", "sent", "failed", "canceled"),
    "message_kind": ("tickets_confirmed", "tickets_canceled", "refund_issued", "payment_not_honoured"),
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
        "orders",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("account_id", "accounts.id"),
        fk("event_occurrence_id", "event_occurrences.id"),
        fk("ticket_type_id", "ticket_types.id"),
        fk("booking_id", "bookings.id", nullable=True),
        sa.Column("status", enum("order_status"), nullable=False),
        sa.Column("channel", enum("sales_channel"), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("subtotal_cents", sa.Integer(), nullable=False),
        sa.Column("fees_cents", sa.Integer(), nullable=False),
        sa.Column("discount_cents", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("quote", JSONB, nullable=False),
        sa.Column("access_secret_hash", sa.String(64), nullable=False),
        sa.Column("hold_expires_at", TIMESTAMP, nullable=True),
        sa.Column("paid_at", TIMESTAMP, nullable=True),
        sa.Column("expired_at", TIMESTAMP, nullable=True),
        sa.Column("canceled_at", TIMESTAMP, nullable=True),
        sa.Column("payment_gateway", sa.String(40), nullable=True),
        sa.Column("payment_reference", sa.String(200), nullable=True),
        sa.Column("payment_details", JSONB, nullable=False),
        *timestamps(),
        sa.CheckConstraint("total_cents >= 0", name="total_non_negative"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.UniqueConstraint("payment_gateway", "payment_reference"),
    )
    op.create_index("ix_orders_org_id", "orders", ["org_id"])
    op.create_index(
        "ix_orders_occurrence_status_expiry", "orders", ["event_occurrence_id", "status", "hold_expires_at"]
    )
    op.create_index(
        "ix_orders_ticket_type_status_expiry", "orders", ["ticket_type_id", "status", "hold_expires_at"]
    )
    op.create_index("ix_orders_status_expiry", "orders", ["status", "hold_expires_at"])
    op.create_index("ix_orders_email", "orders", ["email"])

    op.create_table(
        "idempotency_keys",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        fk("order_id", "orders.id", ondelete="CASCADE"),
        sa.Column("response_secret", sa.String(100), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("org_id", "key"),
    )

    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("order_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_tickets_order_id_orders", "orders", ["order_id"], ["id"], ondelete="RESTRICT")
        batch.create_index("ix_tickets_order_id", ["order_id"])

    with op.batch_alter_table("attendees") as batch:
        batch.add_column(sa.Column("erased_at", TIMESTAMP, nullable=True))

    op.create_table(
        "payment_events",
        uuid_pk(),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("provider_event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(60), nullable=False),
        fk("order_id", "orders.id", nullable=True),
        sa.Column("outcome", sa.String(60), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("provider", "provider_event_id"),
    )

    op.create_table(
        "refund_requests",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        fk("order_id", "orders.id"),
        fk("ticket_id", "tickets.id", nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("reason", sa.String(60), nullable=False),
        sa.Column("status", enum("refund_status"), nullable=False),
        sa.Column("payment_gateway", sa.String(40), nullable=True),
        sa.Column("payment_reference", sa.String(200), nullable=True),
        sa.Column("provider_refund_id", sa.String(200), nullable=True),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        *timestamps(),
        sa.CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
    )
    op.create_index("ix_refund_requests_order_id", "refund_requests", ["order_id"])
    op.create_index("ix_refund_requests_status", "refund_requests", ["status"])
    op.create_index("ix_refund_requests_ticket_id", "refund_requests", ["ticket_id"])

    op.create_table(
        "signing_keys",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("private_key_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("retired_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("org_id", "key_id"),
    )

    op.create_table(
        "outbox_messages",
        uuid_pk(),
        fk("org_id", "organizations.id"),
        sa.Column("kind", enum("message_kind"), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        fk("order_id", "orders.id", nullable=True),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("status", enum("outbox_status"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        *timestamps(),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )
    op.create_index("ix_outbox_messages_status_next_attempt", "outbox_messages", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_messages_order_id", "outbox_messages", ["order_id"])


def downgrade() -> None:
    op.drop_table("outbox_messages")
    op.drop_table("signing_keys")
    op.drop_table("refund_requests")
    op.drop_table("payment_events")
    with op.batch_alter_table("attendees") as batch:
        batch.drop_column("erased_at")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_order_id")
        batch.drop_constraint("fk_tickets_order_id_orders", type_="foreignkey")
        batch.drop_column("order_id")
    op.drop_table("idempotency_keys")
    op.drop_table("orders")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name in ENUMS:
            sa.Enum(name=name).drop(bind, checkfirst=True)
