"""What the package API accepts and answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from server.bookings.schemas import AttendeeIn, BoxOfficePayment
from server.payments.gateway import FakeMode
from shared.enums import PackageItemType, PackageStatus, PackageType


class PackageItemIn(BaseModel):
    """An event (``event_definition_id``) or a villa (``space_id``): exactly one of them."""

    model_config = ConfigDict(extra="forbid")

    item_type: PackageItemType
    event_definition_id: uuid.UUID | None = None
    space_id: uuid.UUID | None = None
    quantity: int = Field(default=1, ge=1, le=365, description="Tickets for an event, nights for a villa.")
    is_required: bool = True
    is_customizable: bool = False
    position: int | None = Field(default=None, ge=0, description="Display order; after the others when absent.")

    @model_validator(mode="after")
    def _one_reference(self) -> PackageItemIn:
        wanted = "event_definition_id" if self.item_type is PackageItemType.EVENT else "space_id"
        other = "space_id" if wanted == "event_definition_id" else "event_definition_id"
        if getattr(self, wanted) is None or getattr(self, other) is not None:
            raise ValueError(f"an {self.item_type} item names its {wanted} and nothing else")
        return self


class PackageItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: int | None = Field(default=None, ge=1, le=365)
    is_required: bool | None = None
    is_customizable: bool | None = None
    position: int | None = Field(default=None, ge=0)


class PackageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=120)
    package_type: PackageType
    description: str | None = Field(default=None, max_length=10000)
    base_price_cents: int | None = Field(default=None, ge=0, description="A fixed package price (no discount).")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    discount_percent: Decimal = Field(default=Decimal(0), ge=0, le=100, decimal_places=2)
    valid_from: date | None = None
    valid_until: date | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    items: list[PackageItemIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _validity(self) -> PackageCreate:
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError("valid_from must not be after valid_until")
        return self


class PackageUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=120)
    description: str | None = Field(default=None, max_length=10000)
    base_price_cents: int | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    discount_percent: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    valid_from: date | None = None
    valid_until: date | None = None
    settings: dict[str, Any] | None = None


class PackageStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: PackageStatus


class PackageItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_type: PackageItemType
    event_definition_id: uuid.UUID | None
    space_id: uuid.UUID | None
    quantity: int
    is_required: bool
    is_customizable: bool
    position: int


class PackageRead(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    package_type: PackageType
    description: str | None
    base_price_cents: int | None
    currency: str
    discount_percent: Decimal
    status: PackageStatus
    valid_from: date | None
    valid_until: date | None
    settings: dict[str, Any]
    items: list[PackageItemRead]
    created_at: datetime


class ItemChoice(BaseModel):
    """The guest's pick for one item: the occurrence of an event item (and a ticket type, else the cheapest on
    sale), a quantity where the item is customizable, 0 to drop an optional item."""

    model_config = ConfigDict(extra="forbid")

    item_id: uuid.UUID
    occurrence_id: uuid.UUID | None = None
    ticket_type_id: uuid.UUID | None = None
    quantity: int | None = Field(default=None, ge=0, le=100)


class PackageBookingCreate(BaseModel):
    """The stay (villa packages), the choices per item, and the party: the first attendee is the lead guest; an
    event with N tickets takes the first N attendees (an attendee without an address gets the lead's)."""

    model_config = ConfigDict(extra="forbid")

    check_in: date | None = None
    check_out: date | None = None
    email: EmailStr
    attendees: list[AttendeeIn] = Field(min_length=1, max_length=100)
    items: list[ItemChoice] = Field(default_factory=list, max_length=50)


class StaffPackageBookingCreate(PackageBookingCreate):
    payment: BoxOfficePayment | None = Field(
        default=None, description="Paid at the desk now; held for payment if absent."
    )


class PackagePayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: FakeMode = FakeMode.PAY


class PackageQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check_in: date | None = None
    check_out: date | None = None
    items: list[ItemChoice] = Field(default_factory=list, max_length=50)


class ComponentRead(BaseModel):
    item_id: uuid.UUID
    item_type: PackageItemType
    label: str
    quantity: int
    unit_price_cents: int
    list_cents: int
    price_cents: int
    occurrence_id: uuid.UUID | None = None
    ticket_type_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    unavailable: str | None = None


class PackageQuoteRead(BaseModel):
    available: bool
    currency: str
    list_total_cents: int
    discount_cents: int
    total_cents: int
    components: list[ComponentRead]


class BookingTicketRead(BaseModel):
    id: uuid.UUID
    occurrence_id: uuid.UUID
    order_id: uuid.UUID | None
    status: str
    price_paid_cents: int
    confirmation_code: str | None
    qr_code_data: str | None


class PackageBookingRead(BaseModel):
    id: uuid.UUID
    package_id: uuid.UUID | None
    status: str
    space_id: uuid.UUID | None
    check_in: date | None
    check_out: date | None
    guest_email: str
    total_cents: int
    currency: str
    hold_expires_at: datetime | None
    paid_at: datetime | None
    quote: dict[str, Any] | None
    tickets: list[BookingTicketRead]
    access_secret: str | None = None
