"""Where the booking path asks the shared rules: purchase eligibility and the quote.

Kept in one module so the service reads as "ask the rules, then act". The decisions themselves belong in
``shared.lifecycle`` (``can_purchase``) and ``shared.pricing`` (quotes, fees); until those land this module holds the
narrowest stand-ins that let the booking path run, each marked, to be replaced by a call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.enums import DefinitionStatus, OccurrenceStatus, TicketTypeStatus


@dataclass(frozen=True)
class SaleContext:
    """What the rules need to know about the occurrence and ticket type being bought (plain data, read once)."""

    definition_status: DefinitionStatus
    definition_settings: dict[str, Any]
    occurrence_status: OccurrenceStatus
    start_at: datetime
    end_at: datetime
    ticket_type_status: TicketTypeStatus
    price_cents: int
    currency: str
    quantity_available: int | None
    quantity_sold: int
    valid_from: datetime | None
    valid_until: datetime | None
    min_quantity: int
    max_quantity: int


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str
    field: str | None = None


@dataclass(frozen=True)
class QuoteLine:
    description: str
    quantity: int
    unit_price_cents: int
    total_cents: int


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]
    subtotal_cents: int
    fees_cents: int
    discount_cents: int
    total_cents: int
    # What each ticket costs once fees and discounts are spread over them (``price_paid_cents``), in ticket order.
    per_ticket_cents: tuple[int, ...] = field(default=())

    def as_document(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "lines": [line.__dict__ for line in self.lines],
            "subtotal_cents": self.subtotal_cents,
            "fees_cents": self.fees_cents,
            "discount_cents": self.discount_cents,
            "total_cents": self.total_cents,
        }


def purchase_refusal(context: SaleContext, *, quantity: int, now: datetime) -> Refusal | None:
    """Why this purchase may not happen now, or ``None``. STAND-IN for ``shared.lifecycle.can_purchase``."""
    if context.definition_status is not DefinitionStatus.ACTIVE:
        return Refusal("event_not_on_sale", "This event is not on sale.")
    if context.occurrence_status not in (OccurrenceStatus.SCHEDULED, OccurrenceStatus.CONFIRMED):
        return Refusal("occurrence_not_on_sale", f"This occurrence is {context.occurrence_status}.")
    if now >= context.start_at:
        return Refusal("occurrence_started", "This occurrence has already started.")
    if context.ticket_type_status is TicketTypeStatus.DISABLED:
        return Refusal("ticket_type_not_on_sale", "This ticket type is not on sale.", "ticket_type_id")
    if context.valid_from is not None and now < context.valid_from:
        return Refusal("ticket_type_not_yet_on_sale", "This ticket type is not on sale yet.", "ticket_type_id")
    if context.valid_until is not None and now >= context.valid_until:
        return Refusal("ticket_type_expired", "This ticket type is no longer on sale.", "ticket_type_id")
    if quantity < context.min_quantity:
        return Refusal("quantity_below_minimum", f"Buy at least {context.min_quantity}.", "quantity")
    if quantity > context.max_quantity:
        return Refusal("quantity_above_maximum", f"Buy at most {context.max_quantity} at once.", "quantity")
    return None


def quote(context: SaleContext, *, quantity: int, description: str) -> Quote:
    """STAND-IN for ``shared.pricing``: list price times quantity, no fees."""
    total = context.price_cents * quantity
    line = QuoteLine(description, quantity, context.price_cents, total)
    return Quote(
        currency=context.currency,
        lines=(line,),
        subtotal_cents=total,
        fees_cents=0,
        discount_cents=0,
        total_cents=total,
        per_ticket_cents=(context.price_cents,) * quantity,
    )


def complimentary(original: Quote) -> Quote:
    """The same quote given away (a box-office comp): everything discounted, nothing to pay."""
    return Quote(
        currency=original.currency,
        lines=original.lines,
        subtotal_cents=original.subtotal_cents,
        fees_cents=0,
        discount_cents=original.subtotal_cents,
        total_cents=0,
        per_ticket_cents=(0,) * len(original.per_ticket_cents),
    )
