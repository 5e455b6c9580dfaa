"""What the booking API accepts and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from server.bookings.models import OrderStatus, SalesChannel
from server.payments.gateway import FakeMode, ManualMethod
from shared.enums import TicketStatus


class AttendeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    emergency_contact: dict[str, Any] | None = None
    dietary_restrictions: list[str] | None = Field(default=None, max_length=20)
    accessibility_needs: list[str] | None = Field(default=None, max_length=20)
    notes: str | None = Field(default=None, max_length=2000)


class ReservationCreate(BaseModel):
    """One attendee per ticket; the quantity is the number of attendees."""

    model_config = ConfigDict(extra="forbid")

    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    attendees: list[AttendeeIn] = Field(min_length=1, max_length=100)
    email: EmailStr | None = Field(default=None, description="Where the tickets go; the first attendee's by default.")


class BoxOfficePayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: ManualMethod
    cash_tendered_cents: int | None = Field(default=None, ge=0)
    terminal_reference: str | None = Field(default=None, max_length=100)


class BoxOfficeSaleCreate(ReservationCreate):
    payment: BoxOfficePayment


class PayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: FakeMode = Field(default=FakeMode.PAY, description="The fake gateway's outcome: pay, decline, or late.")


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_ids: list[uuid.UUID] | None = Field(default=None, description="Some tickets of the order; all when absent.")


class StaffCancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    reason: str = Field(default="organizer_canceled", min_length=1, max_length=120)


class TicketLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirmation_code: str = Field(min_length=4, max_length=40)
    email: EmailStr


class LinkUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID | None


class TokenCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=1000)


class QuoteLineRead(BaseModel):
    description: str
    quantity: int
    unit_price_cents: int
    total_cents: int


class QuoteRead(BaseModel):
    currency: str
    lines: list[QuoteLineRead]
    subtotal_cents: int
    fees_cents: int
    discount_cents: int
    total_cents: int


class TicketRead(BaseModel):
    id: uuid.UUID
    attendee_id: uuid.UUID
    status: TicketStatus
    price_paid_cents: int
    currency: str
    confirmation_code: str | None = None
    qr_code_data: str | None = None
    refund_amount_cents: int = 0
    attendee_name: str | None = None


class OrderRead(BaseModel):
    id: uuid.UUID
    status: OrderStatus
    channel: SalesChannel
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    email: str | None
    hold_expires_at: datetime | None
    paid_at: datetime | None = None
    quote: QuoteRead
    tickets: list[TicketRead]
    payment: dict[str, Any] | None = None
    access_secret: str | None = Field(
        default=None, description="Shown once: send it as X-Order-Secret to view, pay or cancel this order."
    )
    replayed: bool = False


class CanceledTicketRead(BaseModel):
    ticket_id: uuid.UUID
    refund_amount_cents: int
    refund_request_id: uuid.UUID | None


class AttendeeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID | None
    email: str
    given_name: str
    family_name: str | None
    phone: str | None
    dietary_restrictions: list[str] | None
    accessibility_needs: list[str] | None
    notes: str | None
    erased_at: datetime | None


class AttendeeTicketRead(BaseModel):
    ticket: TicketRead
    attendee: AttendeeRead


class RefundRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: uuid.UUID
    ticket_id: uuid.UUID | None
    amount_cents: int
    currency: str
    reason: str
    status: str
    requested_at: datetime
    completed_at: datetime | None


class TokenCheckRead(BaseModel):
    status: str
    ticket_id: uuid.UUID | None = None
    occurrence_id: uuid.UUID | None = None
    ticket_type_id: uuid.UUID | None = None
    ticket_status: TicketStatus | None = None


class SigningKeyRead(BaseModel):
    key_id: str
    public_key: str = Field(description="The raw Ed25519 public key, base64.")
    created_at: datetime
    retired_at: datetime | None
    revoked_at: datetime | None
