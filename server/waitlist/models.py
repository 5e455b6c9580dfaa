"""The FIFO queue for sold-out occurrences."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, Timestamped, org_fk, uuid_pk
from server.db.types import UTCDateTime, enum_column_type
from shared.enums import WaitlistStatus


class WaitlistEntry(Timestamped, Base):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        # The spec: one waitlist entry per attendee per occurrence.
        sa.UniqueConstraint("event_occurrence_id", "attendee_id"),
        sa.CheckConstraint("quantity_requested >= 1", name="quantity_requested_positive"),
        sa.CheckConstraint("position >= 1", name="position_positive"),
        sa.Index("idx_waitlist_occurrence_position", "event_occurrence_id", "position"),
        sa.Index(
            "idx_waitlist_status",
            "status",
            postgresql_where=sa.text("status = 'waiting'"),
            sqlite_where=sa.text("status = 'waiting'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    event_occurrence_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_occurrences.id", ondelete="RESTRICT"), nullable=False
    )
    attendee_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("attendees.id", ondelete="RESTRICT"), nullable=False
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    quantity_requested: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    ticket_type_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("ticket_types.id", ondelete="RESTRICT"), nullable=True
    )
    status: Mapped[WaitlistStatus] = mapped_column(
        enum_column_type(WaitlistStatus, "waitlist_status"), nullable=False, default=WaitlistStatus.WAITING
    )
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    converted_ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("tickets.id", ondelete="RESTRICT"), nullable=True
    )
