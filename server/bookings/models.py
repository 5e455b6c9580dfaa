"""Attendees and tickets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, Timestamped, account_fk, named, org_fk, settings_column, uuid_pk
from server.db.types import JSONDocument, TextList, UTCDateTime, enum_column_type
from shared.enums import TicketStatus


class Attendee(Timestamped, Base):
    """A person attending (not necessarily a registered user; ``user_id`` belongs to the Identity domain)."""

    __tablename__ = "attendees"
    __table_args__ = (
        sa.Index("idx_attendees_email", "email"),
        sa.Index(
            "idx_attendees_user",
            "user_id",
            postgresql_where=sa.text("user_id IS NOT NULL"),
            sqlite_where=sa.text("user_id IS NOT NULL"),
        ),
        sa.Index("ix_attendees_org_id", "org_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    email: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    given_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    family_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(sa.String(50), nullable=True)
    emergency_contact: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    dietary_restrictions: Mapped[list[str] | None] = mapped_column(TextList, nullable=True)
    accessibility_needs: Mapped[list[str] | None] = mapped_column(TextList, nullable=True)
    notes: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class Ticket(Timestamped, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.UniqueConstraint("confirmation_code", name=named("ticket_confirmation_unique")),
        sa.UniqueConstraint("qr_code_data", name=named("ticket_qr_unique")),
        sa.CheckConstraint("price_paid_cents >= 0", name="price_paid_non_negative"),
        sa.CheckConstraint("refund_amount_cents >= 0", name="refund_non_negative"),
        sa.Index("idx_tickets_occurrence", "event_occurrence_id"),
        sa.Index("idx_tickets_attendee", "attendee_id"),
        sa.Index("idx_tickets_confirmation", "confirmation_code"),
        sa.Index("idx_tickets_status", "status"),
        sa.Index("ix_tickets_ticket_type_id", "ticket_type_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    account_id: Mapped[uuid.UUID] = account_fk()
    event_occurrence_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_occurrences.id", ondelete="RESTRICT"), nullable=False
    )
    ticket_type_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("ticket_types.id", ondelete="RESTRICT"), nullable=False
    )
    attendee_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("attendees.id", ondelete="RESTRICT"), nullable=False
    )
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("bookings.id", ondelete="RESTRICT"), nullable=True
    )
    # Issued on confirmation; NULL while only reserved (both databases allow many NULLs under UNIQUE).
    confirmation_code: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    qr_code_data: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    price_paid_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    currency: Mapped[str] = mapped_column(sa.CHAR(3), nullable=False)
    status: Mapped[TicketStatus] = mapped_column(
        enum_column_type(TicketStatus, "ticket_status"), nullable=False, default=TicketStatus.RESERVED
    )
    reserved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refund_amount_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    settings: Mapped[dict[str, Any]] = settings_column()
