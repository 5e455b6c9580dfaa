"""Where the booking path asks the shared rules: may this sale happen now, and what does it cost.

The ticket type's verdict is ``shared.lifecycle.can_purchase``; the quote is ``shared.boxoffice.price_tickets``
(``shared.pricing.build_quote`` with the event's fee policy, the total spread over the tickets with
``shared.money.allocate_proportionally`` so that each ticket's ``price_paid_cents`` carries its share of the fee and
the parts add up to the total exactly): a kiosk prices an offline sale with the same function. This module only
gathers the facts and maps verdicts to the API's error codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.boxoffice import price_tickets
from shared.enums import DefinitionStatus, OccurrenceStatus, SalesChannel, TicketTypeStatus
from shared.lifecycle import PurchaseRefusal, SaleRefusal, TicketTypeSnapshot, can_purchase, occurrence_sale_refusal
from shared.money import allocate_proportionally
from shared.pricing import parse_fee_policy


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

    def ticket_type(self) -> TicketTypeSnapshot:
        return TicketTypeSnapshot(
            status=self.ticket_type_status,
            quantity_available=self.quantity_available,
            quantity_sold=self.quantity_sold,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            min_quantity=self.min_quantity,
            max_quantity=self.max_quantity,
        )


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str
    field: str | None = None
    remaining: int | None = None


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
    # What each ticket costs with its share of fees and discounts (``price_paid_cents``), in ticket order.
    per_ticket_cents: tuple[int, ...]
    fee_label: str | None = None

    def as_document(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "lines": [line.__dict__ for line in self.lines],
            "subtotal_cents": self.subtotal_cents,
            "fees_cents": self.fees_cents,
            "fee_label": self.fee_label,
            "discount_cents": self.discount_cents,
            "total_cents": self.total_cents,
        }


_PURCHASE_REFUSALS: dict[PurchaseRefusal, tuple[str, str, str | None]] = {
    PurchaseRefusal.DISABLED: ("ticket_type_not_on_sale", "This ticket type is not on sale.", "ticket_type_id"),
    PurchaseRefusal.NOT_ON_SALE_YET: ("ticket_type_not_yet_on_sale", "This ticket type is not on sale yet.", None),
    PurchaseRefusal.EXPIRED: ("ticket_type_expired", "This ticket type is no longer on sale.", "ticket_type_id"),
    PurchaseRefusal.SOLD_OUT: ("ticket_type_sold_out", "This ticket type is sold out.", "ticket_type_id"),
    PurchaseRefusal.BELOW_MIN_QUANTITY: ("quantity_below_minimum", "Buy more tickets of this type.", "quantity"),
    PurchaseRefusal.ABOVE_MAX_QUANTITY: ("quantity_above_maximum", "Buy fewer tickets at once.", "quantity"),
    PurchaseRefusal.NOT_ENOUGH_LEFT: ("ticket_type_sold_out", "Not enough tickets of this type are left.", "quantity"),
}


_SALE_REFUSALS = {
    SaleRefusal.EVENT_NOT_ON_SALE: "This event is not on sale.",
    SaleRefusal.OCCURRENCE_NOT_ON_SALE: "This occurrence is not on sale.",
    SaleRefusal.OCCURRENCE_STARTED: "This occurrence has already started; the box office at the door still sells.",
    SaleRefusal.OCCURRENCE_ENDED: "This occurrence is over.",
}


def purchase_refusal(context: SaleContext, *, quantity: int, now: datetime, channel: SalesChannel) -> Refusal | None:
    """Why this purchase may not happen now, or ``None``. Stock is not judged here: the reservation's conditional
    UPDATE does it, after releasing expired holds the counters may still include."""
    sale = occurrence_sale_refusal(
        definition_status=context.definition_status,
        occurrence_status=context.occurrence_status,
        start_at=context.start_at,
        end_at=context.end_at,
        now=now,
        at_the_door=channel is SalesChannel.BOX_OFFICE,
    )
    if sale is not None:
        return Refusal(str(sale), f"{_SALE_REFUSALS[sale]} ({context.occurrence_status})")
    verdict = can_purchase(context.ticket_type(), quantity=quantity, now=now, judge_stock=False)
    if verdict.allowed or verdict.reason is None:
        return None
    code, detail, field = _PURCHASE_REFUSALS[verdict.reason]
    if verdict.reason in (PurchaseRefusal.BELOW_MIN_QUANTITY, PurchaseRefusal.ABOVE_MAX_QUANTITY):
        limit = context.min_quantity if verdict.reason is PurchaseRefusal.BELOW_MIN_QUANTITY else context.max_quantity
        detail = f"{detail} (limit {limit})"
    return Refusal(code, detail, field, verdict.remaining)


def quote(context: SaleContext, *, quantity: int, description: str) -> Quote:
    """The price by ``shared.boxoffice.price_tickets``: the very function a kiosk prices an offline sale with."""
    fees = parse_fee_policy(context.definition_settings).unwrap()
    priced = price_tickets(
        unit_price_cents=context.price_cents,
        quantity=quantity,
        currency=context.currency,
        fees=fees,
        label=description,
    )
    line = QuoteLine(description, quantity, context.price_cents, priced.subtotal_cents)
    return Quote(
        currency=priced.currency,
        lines=(line,),
        subtotal_cents=priced.subtotal_cents,
        fees_cents=priced.fee_cents,
        discount_cents=0,
        total_cents=priced.total_cents,
        per_ticket_cents=priced.per_ticket_cents,
        fee_label=priced.fee_label if priced.fee_cents else None,
    )


def complimentary(original: Quote) -> Quote:
    """The same sale given away (a box-office comp): the list price shown, all of it discounted, no fee."""
    return Quote(
        currency=original.currency,
        lines=original.lines,
        subtotal_cents=original.subtotal_cents,
        fees_cents=0,
        discount_cents=original.subtotal_cents,
        total_cents=0,
        per_ticket_cents=(0,) * len(original.per_ticket_cents),
    )


def package_share(original: Quote, total_cents: int) -> Quote:
    """The same tickets sold as part of a package, for ``total_cents`` (their share of the package price,
    ``shared.pricing.package_price``): the list price shown, no fee of their own (the package price is all-in), the
    difference as a discount (negative when a fixed package price is above the parts), spread over the tickets."""
    return Quote(
        currency=original.currency,
        lines=original.lines,
        subtotal_cents=original.subtotal_cents,
        fees_cents=0,
        discount_cents=original.subtotal_cents - total_cents,
        total_cents=total_cents,
        per_ticket_cents=allocate_proportionally(total_cents, [line.unit_price_cents for line in _units(original)]),
        fee_label=None,
    )


def _units(original: Quote) -> list[QuoteLine]:
    """One entry per ticket (the weights of the split): each line repeated ``quantity`` times."""
    return [line for line in original.lines for _ in range(line.quantity)]
