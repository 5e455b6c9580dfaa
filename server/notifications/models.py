"""The transactional outbox: mails to send, written in the same transaction as the change they report."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, Timestamped, org_fk, uuid_pk
from server.db.types import JSONDocument, UTCDateTime, enum_column_type


class OutboxStatus(StrEnum):
    """pending -> sending -> sent; a transient failure goes back to pending with a later ``next_attempt_at``;
    ``failed`` after the last attempt or a permanent refusal; ``canceled`` when nothing should be sent any more
    (the recipient's data was erased)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELED = "canceled"


class MessageKind(StrEnum):
    TICKETS_CONFIRMED = "tickets_confirmed"
    TICKETS_CANCELED = "tickets_canceled"
    REFUND_ISSUED = "refund_issued"
    PAYMENT_NOT_HONOURED = "payment_not_honoured"
    WAITLIST_JOINED = "waitlist_joined"  # payload: entry_id (the place in line is read at delivery)
    WAITLIST_OFFER = "waitlist_offer"  # payload: entry_id (the purchase link is signed at delivery)
    PACKAGE_CONFIRMED = "package_confirmed"  # payload: booking_id (itinerary and PDF tickets)


class OutboxMessage(Timestamped, Base):
    """What to send and to whom. The body is rendered at delivery time from the rows it refers to, so that an
    erasure in between leaves nothing personal behind and nothing personal is copied here but the address."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        sa.Index("ix_outbox_messages_status_next_attempt", "status", "next_attempt_at"),
        sa.Index("ix_outbox_messages_order_id", "order_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    kind: Mapped[MessageKind] = mapped_column(enum_column_type(MessageKind, "message_kind"), nullable=False)
    recipient: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=True
    )
    # References the renderer needs (ticket ids, refund amounts, a reason); no names, no addresses.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column_type(OutboxStatus, "outbox_status"), nullable=False, default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # A worker that claimed the row; while ``sending`` nobody else touches it.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
