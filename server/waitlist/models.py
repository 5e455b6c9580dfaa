"""The FIFO queue for sold-out occurrences.

An entry's life: ``waiting`` in the queue; ``notified`` when seats opened for it, which are then held for it (the
occurrence's ``seats_blocked`` and the held ticket type's ``quantity_blocked``) until ``expires_at``; ``converted``
once the tickets it bought through its link are paid; ``expired`` when the window passed unused (or the occurrence
started or was canceled first); ``canceled`` when the guest left. A notified entry whose guest is paying has
``order_id`` set: its seats are then that order's reserved tickets, no longer blocked.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, Timestamped, org_fk, uuid_pk
from server.db.types import UTCDateTime, enum_column_type
from shared.enums import WaitlistStatus

# Entries still in line: what ``event_occurrences.waitlist_count`` counts.
ACTIVE_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.NOTIFIED)


class WaitlistEntry(Timestamped, Base):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        # The spec: one waitlist entry per attendee per occurrence.
        sa.UniqueConstraint("event_occurrence_id", "attendee_id"),
        # ... and the attendee is the person, known by their address: the same person cannot queue twice.
        sa.UniqueConstraint("event_occurrence_id", "email_key"),
        sa.CheckConstraint("quantity_requested >= 1", name="quantity_requested_positive"),
        sa.CheckConstraint("position >= 1", name="position_positive"),
        # The spec's index, unique: two joins racing can never be given the same place.
        sa.Index("idx_waitlist_occurrence_position", "event_occurrence_id", "position", unique=True),
        sa.Index(
            "idx_waitlist_status",
            "status",
            postgresql_where=sa.text("status = 'waiting'"),
            sqlite_where=sa.text("status = 'waiting'"),
        ),
        # The sweeper: offers whose window passed.
        sa.Index("ix_waitlist_entries_status_expires_at", "status", "expires_at"),
        sa.Index("ix_waitlist_entries_order_id", "order_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    event_occurrence_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_occurrences.id", ondelete="RESTRICT"), nullable=False
    )
    attendee_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("attendees.id", ondelete="RESTRICT"), nullable=False
    )
    # The attendee's address, trimmed and lower-cased: who the person is (blanked with the attendee on erasure).
    email_key: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    # Never reused: a newcomer goes after everyone who ever queued (the place in line is counted, see the service).
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    quantity_requested: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    # The guest's preferred ticket type, if any.
    ticket_type_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("ticket_types.id", ondelete="RESTRICT"), nullable=True
    )
    status: Mapped[WaitlistStatus] = mapped_column(
        enum_column_type(WaitlistStatus, "waitlist_status"), nullable=False, default=WaitlistStatus.WAITING
    )
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The ticket type the offer's seats are held against (the preferred one, or the one with the most left).
    held_ticket_type_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("ticket_types.id", ondelete="RESTRICT"), nullable=True
    )
    # The order bought through the link (pending while the guest pays, then paid: converted).
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=True
    )
    converted_ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("tickets.id", ondelete="RESTRICT"), nullable=True
    )
