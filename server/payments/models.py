"""What the Payments domain tells us: provider events (deduplicated) and the refunds we ask it for."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, Timestamped, org_fk, uuid_pk
from server.db.types import JSONDocument, UTCDateTime, enum_column_type


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PaymentEvent(Base):
    """One webhook event, stored by the provider's event id: the unique key makes a replayed event a no-op."""

    __tablename__ = "payment_events"
    __table_args__ = (sa.UniqueConstraint("provider", "provider_event_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    provider: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    provider_event_id: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=True
    )
    # What handling the event did (``confirmed``, ``late_confirmed``, ``needs_refund``, ``ignored:<why>`` ...).
    outcome: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class RefundRequest(Timestamped, Base):
    """Money to give back, recorded for the Payments domain; a ticket becomes ``refunded`` when it confirms."""

    __tablename__ = "refund_requests"
    __table_args__ = (
        sa.CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        sa.Index("ix_refund_requests_order_id", "order_id"),
        sa.Index("ix_refund_requests_status", "status"),
        sa.Index("ix_refund_requests_ticket_id", "ticket_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False
    )
    # NULL when the whole order is refunded without tickets to void (a late payment whose seats were gone).
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("tickets.id", ondelete="RESTRICT"), nullable=True
    )
    amount_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    currency: Mapped[str] = mapped_column(sa.CHAR(3), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    status: Mapped[RefundStatus] = mapped_column(
        enum_column_type(RefundStatus, "refund_status"), nullable=False, default=RefundStatus.REQUESTED
    )
    payment_gateway: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    payment_reference: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    provider_refund_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
