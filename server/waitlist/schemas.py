"""What the waitlist API accepts and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from server.bookings.schemas import AttendeeIn
from shared.enums import WaitlistStatus


class WaitlistJoin(BaseModel):
    """The person who waits (one entry per person and occurrence, known by the address) and what they want."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str | None = Field(default=None, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=50)
    quantity: int = Field(default=1, ge=1, le=100)
    ticket_type_id: uuid.UUID | None = Field(default=None, description="A preferred ticket type; any on sale if none.")


class WaitlistEntryRead(BaseModel):
    id: uuid.UUID
    occurrence_id: uuid.UUID
    status: WaitlistStatus
    place_in_line: int | None = Field(description="1 = next to be offered seats; only while waiting.")
    quantity_requested: int
    ticket_type_id: uuid.UUID | None
    held_ticket_type_id: uuid.UUID | None
    notified_at: datetime | None
    expires_at: datetime | None = Field(description="Until when the offered seats are held.")
    order_id: uuid.UUID | None
    converted_ticket_id: uuid.UUID | None
    created_at: datetime
    access_secret: str | None = Field(
        default=None, description="The entry's key (send it as X-Waitlist-Secret); shown when joining."
    )


class StaffWaitlistEntryRead(WaitlistEntryRead):
    position: int
    given_name: str
    family_name: str | None
    email: str


class WaitlistPurchase(BaseModel):
    """Buy the seats held for you: one attendee per seat."""

    model_config = ConfigDict(extra="forbid")

    attendees: list[AttendeeIn] = Field(min_length=1, max_length=100)
    email: EmailStr | None = Field(default=None, description="Where the tickets go; the entry's address by default.")
