"""Attendees, tickets, and the orders that hold and pay for them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, ChangeTracked, Timestamped, account_fk, named, org_fk, settings_column, uuid_pk
from server.db.types import JSONDocument, TextList, UTCDateTime, enum_column_type
from shared.enums import SalesChannel, TicketStatus


class OrderStatus(StrEnum):
    """Where an order (one checkout: the tickets held together and paid together) stands.

    pending       seats held until ``hold_expires_at``; waiting for payment
    paid          payment confirmed; its tickets are issued (some may be canceled later, one by one)
    expired       the hold ran out unpaid; its tickets were canceled and their seats released
    canceled      the guest or staff abandoned it before payment
    needs_refund  money arrived for it but its seats could not be honoured (late payment after a sell-out)
    """

    PENDING = "pending"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELED = "canceled"
    NEEDS_REFUND = "needs_refund"


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
    # Set when the person's data was erased on request (GDPR): the row stays, its personal fields are blanked, and
    # replicas (kiosks) learn from this column that they must drop what they hold about the person.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Ticket(ChangeTracked, Timestamped, Base):
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
        sa.Index("ix_tickets_order_id", "order_id"),
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
    # The checkout the ticket was sold in (NULL only for rows made outside the booking path, e.g. old imports).
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=True
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


class Order(Timestamped, Base):
    """One checkout for one occurrence: the tickets reserved together, the quote, and how they were paid.

    The hold is the order's: its tickets stay ``reserved`` until ``hold_expires_at``; a payment makes the order
    ``paid`` and the tickets ``confirmed``. The guest views, pays and cancels their own order without an account,
    with a key derived from the order's id (``server.access_keys``); nothing of it is stored.
    """

    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint("total_cents >= 0", name="total_non_negative"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.Index("ix_orders_org_id", "org_id"),
        # Releasing the expired holds of one occurrence, in the transaction that needs the seats.
        sa.Index("ix_orders_occurrence_status_expiry", "event_occurrence_id", "status", "hold_expires_at"),
        # ... and of its ticket type, whose stock spans the occurrences of the event.
        sa.Index("ix_orders_ticket_type_status_expiry", "ticket_type_id", "status", "hold_expires_at"),
        # The sweeper: every pending order whose hold ran out.
        sa.Index("ix_orders_status_expiry", "status", "hold_expires_at"),
        sa.Index("ix_orders_email", "email"),
        sa.UniqueConstraint("payment_gateway", "payment_reference"),
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
    # A villa + event package groups the orders of its events under one booking (issue 4).
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("bookings.id", ondelete="RESTRICT"), nullable=True
    )
    status: Mapped[OrderStatus] = mapped_column(
        enum_column_type(OrderStatus, "order_status"), nullable=False, default=OrderStatus.PENDING
    )
    channel: Mapped[SalesChannel] = mapped_column(enum_column_type(SalesChannel, "sales_channel"), nullable=False)
    # The buyer's contact address: where the confirmation goes (personal data: blanked on erasure).
    email: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    currency: Mapped[str] = mapped_column(sa.CHAR(3), nullable=False)
    subtotal_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    fees_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    discount_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    total_cents: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # The quote as shown to the buyer: line items, fees, total.
    quote: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    payment_gateway: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    payment_reference: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    # Gateway-specific facts about the payment: cash tendered and change, a card terminal's slip number.
    payment_details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key`` for a request that creates an order: a replay returns the same order."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("org_id", "key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    key: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # SHA-256 of the request it was first used with: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
