"""Box-office rules: what a sale at the door costs, whether it may happen, how it is paid, where its seats come from,
and what a shift took. Plain functions over plain data, called by the server (``server.bookings.policy``,
``server.payments.gateway``) and by the kiosk while it is offline, so both sides reach the same figures.

A basket at the desk may hold several ticket types; each type is one sale on the wire (one order on the server),
priced on its own exactly as the server prices that order, and the basket's total is the sum. Cash for the basket
is split over its sales with ``split_tendered`` so that every sale is covered and the change lands on the last one.

Where the seats come from (``choose_sale_path``):

- inside this device's seat allotment: guaranteed, online or offline (the server moved those seats out of capacity
  when it granted the allotment);
- beyond it, online: the server decides at once (it has the final say on capacity);
- beyond it, offline: refused, unless a supervisor overrides it; the sale is then provisional, and the server accepts
  it at the next sync if capacity is left, or rejects it as ``over_capacity`` for staff to refund.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.enums import DefinitionStatus, OccurrenceStatus
from shared.lifecycle import PurchaseRefusal, SaleRefusal, TicketTypeSnapshot, can_purchase, occurrence_sale_refusal
from shared.money import allocate_proportionally
from shared.pricing import CurrencyMismatch, FeePolicy, LineItem, build_quote
from shared.wire.messages import Allotment, PaymentMethod

# --- may this sale happen ---------------------------------------------------------------------------------------


def door_sale_refusal(
    *,
    definition_status: DefinitionStatus,
    occurrence_status: OccurrenceStatus,
    start_at: datetime,
    end_at: datetime,
    ticket_type: TicketTypeSnapshot,
    quantity: int,
    now: datetime,
) -> SaleRefusal | PurchaseRefusal | None:
    """Why ``quantity`` tickets of this type may not be sold at the door at ``now``, or ``None``. The occurrence's
    rule first (the door sells until the end), then the ticket type's (``can_purchase``). Capacity is not asked
    here: see ``choose_sale_path``."""
    refusal = occurrence_sale_refusal(
        definition_status=definition_status,
        occurrence_status=occurrence_status,
        start_at=start_at,
        end_at=end_at,
        now=now,
        at_the_door=True,
    )
    if refusal is not None:
        return refusal
    verdict = can_purchase(ticket_type, quantity=quantity, now=now)
    return None if verdict.allowed else verdict.reason


# --- what it costs ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketPrices:
    """One sale of ``quantity`` tickets of one type. ``per_ticket_cents`` spreads the total (fee included) over the
    tickets so that they add up to it exactly: each ticket's ``price_paid_cents``."""

    currency: str
    unit_price_cents: int
    quantity: int
    subtotal_cents: int
    fee_cents: int
    fee_label: str
    total_cents: int
    per_ticket_cents: tuple[int, ...]
    complimentary: bool = False


def price_tickets(
    *,
    unit_price_cents: int,
    quantity: int,
    currency: str,
    fees: FeePolicy | None = None,
    label: str = "Tickets",
    complimentary: bool = False,
) -> TicketPrices:
    """The price of one sale: ``shared.pricing.build_quote`` with the event's fee policy; a complimentary sale costs
    nothing and carries no fee (the list price stays on record as the subtotal)."""
    quote = build_quote(lines=[LineItem(label, unit_price_cents, quantity, currency)], fees=fees)
    assert not isinstance(quote, CurrencyMismatch)  # one line, one currency
    if complimentary:
        return TicketPrices(
            currency=quote.currency,
            unit_price_cents=unit_price_cents,
            quantity=quantity,
            subtotal_cents=quote.subtotal_cents,
            fee_cents=0,
            fee_label=quote.fee_label,
            total_cents=0,
            per_ticket_cents=(0,) * quantity,
            complimentary=True,
        )
    return TicketPrices(
        currency=quote.currency,
        unit_price_cents=unit_price_cents,
        quantity=quantity,
        subtotal_cents=quote.subtotal_cents,
        fee_cents=quote.fee_cents,
        fee_label=quote.fee_label,
        total_cents=quote.total_cents,
        per_ticket_cents=allocate_proportionally(quote.total_cents, [unit_price_cents] * quantity),
    )


# --- how it is paid ---------------------------------------------------------------------------------------------


class PaymentRefusal(StrEnum):
    INSUFFICIENT_CASH = "insufficient_cash"
    TERMINAL_REFERENCE_REQUIRED = "terminal_reference_required"
    COMPLIMENTARY_NOT_FREE = "complimentary_not_free"


@dataclass(frozen=True)
class Settlement:
    """How a sale was paid. ``change_cents`` is what goes back to the buyer (cash only)."""

    method: PaymentMethod
    amount_cents: int
    tendered_cents: int | None = None
    change_cents: int = 0
    terminal_reference: str | None = None


def settle_payment(
    *,
    method: PaymentMethod,
    amount_cents: int,
    tendered_cents: int | None = None,
    terminal_reference: str | None = None,
) -> Settlement | PaymentRefusal:
    """Cash must cover the amount (the change is the rest), a card payment names the terminal's slip, and a
    complimentary sale is free."""
    if amount_cents < 0:
        raise ValueError("amount_cents must not be negative")
    if method is PaymentMethod.COMPLIMENTARY:
        return Settlement(method, 0) if amount_cents == 0 else PaymentRefusal.COMPLIMENTARY_NOT_FREE
    if method is PaymentMethod.CARD_TERMINAL:
        slip = (terminal_reference or "").strip()
        if not slip:
            return PaymentRefusal.TERMINAL_REFERENCE_REQUIRED
        return Settlement(method, amount_cents, terminal_reference=slip)
    if tendered_cents is None or tendered_cents < amount_cents:
        return PaymentRefusal.INSUFFICIENT_CASH
    return Settlement(method, amount_cents, tendered_cents, tendered_cents - amount_cents)


def split_tendered(totals: Sequence[int], tendered_cents: int) -> tuple[int, ...]:
    """Cash handed over for a basket of several sales, as each sale's tendered amount: every sale gets exactly its
    own total and the last one the rest, so each is covered and the change of the basket is the last one's."""
    if not totals:
        raise ValueError("nothing to pay for")
    if tendered_cents < sum(totals):
        raise ValueError("the cash tendered does not cover the basket")
    return (*totals[:-1], tendered_cents - sum(totals[:-1]))


# --- where the seats come from ----------------------------------------------------------------------------------


def allotment_serves(allotment: Allotment, *, occurrence_id: uuid.UUID, ticket_type_id: uuid.UUID | None) -> bool:
    """An active allotment serves sales of its occurrence; one held for a ticket type serves only that type."""
    return (
        allotment.status == "active"
        and allotment.occurrence_id == occurrence_id
        and (allotment.ticket_type_id is None or ticket_type_id is None or allotment.ticket_type_id == ticket_type_id)
    )


def allotment_seats_left(allotment: Allotment, *, unreflected: Mapping[uuid.UUID, int]) -> int:
    """Seats of an allotment still to sell: the server's figure less this device's sales from it that the server's
    figure does not include yet (made offline, or accepted since the allotment was last downloaded)."""
    return max(allotment.seats_left - unreflected.get(allotment.id, 0), 0)


def offline_seats_left(
    allotments: Iterable[Allotment],
    *,
    occurrence_id: uuid.UUID,
    ticket_type_id: uuid.UUID | None = None,
    unreflected: Mapping[uuid.UUID, int],
) -> int:
    """ "N seats left to sell offline" for an occurrence (of one ticket type, when given): the allotments that serve
    it, added up."""
    return sum(
        allotment_seats_left(a, unreflected=unreflected)
        for a in allotments
        if allotment_serves(a, occurrence_id=occurrence_id, ticket_type_id=ticket_type_id)
    )


def pick_allotment(
    allotments: Iterable[Allotment],
    *,
    occurrence_id: uuid.UUID,
    ticket_type_id: uuid.UUID,
    unreflected: Mapping[uuid.UUID, int],
) -> tuple[Allotment | None, int]:
    """The allotment a sale of this type draws from (a sale names one) and its seats left: the one held for this
    type if any, else the one with most seats left; ``(None, 0)`` when none serves it."""
    serving = [a for a in allotments if allotment_serves(a, occurrence_id=occurrence_id, ticket_type_id=ticket_type_id)]
    if not serving:
        return None, 0
    best = max(
        serving,
        key=lambda a: (a.ticket_type_id is not None, allotment_seats_left(a, unreflected=unreflected), a.id.hex),
    )
    return best, allotment_seats_left(best, unreflected=unreflected)


class SalePath(StrEnum):
    ALLOTMENT = "allotment"  # inside the allotment: guaranteed
    SERVER = "server"  # online, beyond the allotment: the server decides now
    PROVISIONAL = "provisional"  # offline, beyond the allotment, a supervisor allowed it: decided at the next sync


class CapacityRefusal(StrEnum):
    BEYOND_ALLOTMENT = "beyond_allotment"  # offline with too few allotted seats and no supervisor override


def choose_sale_path(
    *, quantity: int, seats_left_offline: int, online: bool, override: bool = False
) -> SalePath | CapacityRefusal:
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    if quantity <= seats_left_offline:
        return SalePath.ALLOTMENT
    if online:
        return SalePath.SERVER
    return SalePath.PROVISIONAL if override else CapacityRefusal.BEYOND_ALLOTMENT


# --- the shift report -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftSale:
    """One sale of a shift. ``refused``: the server rejected it after the money was taken (a refund is due)."""

    ticket_type: str
    method: PaymentMethod
    quantity: int
    total_cents: int
    currency: str
    tendered_cents: int | None = None
    change_cents: int = 0
    refused: bool = False


@dataclass(frozen=True)
class ShiftLine:
    label: str
    sales: int
    tickets: int
    total_cents: int


@dataclass(frozen=True)
class ShiftReport:
    """What a shift sold and what the cash drawer should hold.

    ``cash_expected_cents`` = opening float + cash taken for the sales (tendered less change given) less the cash of
    sales the server refused (refunds due at once). Card payments and comps never touch the drawer."""

    currency: str
    by_method: tuple[ShiftLine, ...]
    by_ticket_type: tuple[ShiftLine, ...]
    sales: int
    tickets: int
    total_cents: int
    opening_float_cents: int
    cash_tendered_cents: int
    change_given_cents: int
    cash_taken_cents: int
    refunds_due: int
    refunds_due_cents: int
    cash_refunds_due_cents: int
    cash_expected_cents: int


_METHOD_ORDER = (PaymentMethod.CASH, PaymentMethod.CARD_TERMINAL, PaymentMethod.COMPLIMENTARY)


def _lines(groups: Mapping[str, list[ShiftSale]]) -> tuple[ShiftLine, ...]:
    return tuple(
        ShiftLine(label, len(sales), sum(s.quantity for s in sales), sum(s.total_cents for s in sales))
        for label, sales in groups.items()
    )


def shift_report(sales: Sequence[ShiftSale], *, opening_float_cents: int = 0, currency: str = "EUR") -> ShiftReport:
    """Add a shift's sales up, by payment method and by ticket type. ``currency`` names the report when it has no
    sale yet; sales in more than one currency cannot be added up (``ValueError``)."""
    if opening_float_cents < 0:
        raise ValueError("the opening float must not be negative")
    currencies = {sale.currency for sale in sales}
    if len(currencies) > 1:
        raise ValueError(f"sales in more than one currency: {sorted(currencies)}")
    by_method: dict[str, list[ShiftSale]] = {method.value: [] for method in _METHOD_ORDER}
    by_type: dict[str, list[ShiftSale]] = {}
    for sale in sales:
        by_method[sale.method.value].append(sale)
        by_type.setdefault(sale.ticket_type, []).append(sale)
    cash = by_method[PaymentMethod.CASH.value]
    tendered = sum(s.tendered_cents if s.tendered_cents is not None else s.total_cents for s in cash)
    change = sum(s.change_cents for s in cash)
    refused = [s for s in sales if s.refused]
    cash_refunds = sum(s.total_cents for s in refused if s.method is PaymentMethod.CASH)
    taken = tendered - change
    return ShiftReport(
        currency=next(iter(currencies), currency),
        by_method=_lines(by_method),
        by_ticket_type=_lines(dict(sorted(by_type.items()))),
        sales=len(sales),
        tickets=sum(s.quantity for s in sales),
        total_cents=sum(s.total_cents for s in sales),
        opening_float_cents=opening_float_cents,
        cash_tendered_cents=tendered,
        change_given_cents=change,
        cash_taken_cents=taken,
        refunds_due=len(refused),
        refunds_due_cents=sum(s.total_cents for s in refused),
        cash_refunds_due_cents=cash_refunds,
        cash_expected_cents=opening_float_cents + taken - cash_refunds,
    )


def format_money(cents: int, currency: str) -> str:
    """``EUR 12.50``: the amount as the desk reads it aloud, in the currency's code (no locale guessing)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{currency} {cents // 100:,}.{cents % 100:02d}"
