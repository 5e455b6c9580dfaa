"""The box-office rules both the server and an offline kiosk apply: refusals, prices, payment and change, where the
seats come from, and the shift report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.boxoffice import (
    CapacityRefusal,
    PaymentRefusal,
    SalePath,
    Settlement,
    ShiftSale,
    choose_sale_path,
    door_sale_refusal,
    format_money,
    offline_seats_left,
    pick_allotment,
    price_tickets,
    settle_payment,
    shift_report,
    split_tendered,
)
from shared.enums import DefinitionStatus, OccurrenceStatus, TicketTypeStatus
from shared.lifecycle import PurchaseRefusal, SaleRefusal, TicketTypeSnapshot
from shared.pricing import FeePolicy
from shared.wire import Allotment, PaymentMethod

NOW = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
OCCURRENCE = uuid.UUID(int=1)
GENERAL, VIP = uuid.UUID(int=2), uuid.UUID(int=3)
ACTIVE_TYPE = TicketTypeSnapshot(TicketTypeStatus.ACTIVE, quantity_available=None, quantity_sold=0)


def refusal(**changes: object) -> object:
    facts: dict[str, object] = {
        "definition_status": DefinitionStatus.ACTIVE,
        "occurrence_status": OccurrenceStatus.IN_PROGRESS,
        "start_at": NOW - timedelta(minutes=30),
        "end_at": NOW + timedelta(hours=2),
        "ticket_type": ACTIVE_TYPE,
        "quantity": 2,
        "now": NOW,
    }
    facts.update(changes)
    return door_sale_refusal(**facts)  # type: ignore[arg-type]


def test_the_door_sells_while_the_occurrence_runs_but_not_after_it_ends() -> None:
    assert refusal() is None
    assert refusal(now=NOW + timedelta(hours=2)) is SaleRefusal.OCCURRENCE_ENDED
    assert refusal(occurrence_status=OccurrenceStatus.CANCELED) is SaleRefusal.OCCURRENCE_NOT_ON_SALE


def test_a_door_sale_obeys_the_ticket_types_limits() -> None:
    limited = TicketTypeSnapshot(TicketTypeStatus.ACTIVE, None, 0, max_quantity=4)
    assert refusal(ticket_type=limited, quantity=5) is PurchaseRefusal.ABOVE_MAX_QUANTITY
    disabled = TicketTypeSnapshot(TicketTypeStatus.DISABLED, None, 0)
    assert refusal(ticket_type=disabled) is PurchaseRefusal.DISABLED


def test_prices_add_the_fee_and_spread_the_total_over_the_tickets() -> None:
    fees = FeePolicy(percent=Decimal("2.5"), fixed_per_ticket_cents=50)
    prices = price_tickets(unit_price_cents=1999, quantity=3, currency="EUR", fees=fees)
    assert (prices.subtotal_cents, prices.fee_cents) == (5997, 150 + 150)
    assert prices.total_cents == 6297
    assert sum(prices.per_ticket_cents) == prices.total_cents


def test_a_complimentary_sale_costs_nothing_and_keeps_its_list_price() -> None:
    prices = price_tickets(unit_price_cents=2500, quantity=2, currency="EUR", complimentary=True)
    assert (prices.subtotal_cents, prices.fee_cents, prices.total_cents) == (5000, 0, 0)
    assert prices.per_ticket_cents == (0, 0)


def test_cash_gives_change_and_must_cover_the_amount() -> None:
    assert settle_payment(method=PaymentMethod.CASH, amount_cents=4250, tendered_cents=5000) == Settlement(
        PaymentMethod.CASH, 4250, 5000, 750
    )
    assert settle_payment(method=PaymentMethod.CASH, amount_cents=4250, tendered_cents=4000) is (
        PaymentRefusal.INSUFFICIENT_CASH
    )
    assert settle_payment(method=PaymentMethod.CASH, amount_cents=4250) is PaymentRefusal.INSUFFICIENT_CASH


def test_a_card_payment_needs_the_terminal_slip_and_a_comp_must_be_free() -> None:
    assert settle_payment(method=PaymentMethod.CARD_TERMINAL, amount_cents=100, terminal_reference=" ") is (
        PaymentRefusal.TERMINAL_REFERENCE_REQUIRED
    )
    card = settle_payment(method=PaymentMethod.CARD_TERMINAL, amount_cents=100, terminal_reference=" 4471 ")
    assert isinstance(card, Settlement)
    assert card.terminal_reference == "4471"
    assert settle_payment(method=PaymentMethod.COMPLIMENTARY, amount_cents=100) is (
        PaymentRefusal.COMPLIMENTARY_NOT_FREE
    )


def test_cash_for_a_basket_covers_each_sale_and_the_change_lands_on_the_last() -> None:
    assert split_tendered([3500, 1500], 6000) == (3500, 2500)
    with pytest.raises(ValueError, match="does not cover"):
        split_tendered([3500, 1500], 4999)


def allotment(seats: int, used: int = 0, ticket_type: uuid.UUID | None = None, status: str = "active") -> Allotment:
    return Allotment(uuid.uuid4(), OCCURRENCE, ticket_type, seats, used, status)


def test_seats_left_offline_count_the_sales_the_server_has_not_counted_yet() -> None:
    open_block, typed, ended = allotment(10, 3), allotment(4, 0, VIP), allotment(6, 0, status="released")
    unreflected = {open_block.id: 2}
    blocks = [open_block, typed, ended]

    assert offline_seats_left(blocks, occurrence_id=OCCURRENCE, unreflected=unreflected) == 5 + 4
    assert offline_seats_left(blocks, occurrence_id=OCCURRENCE, ticket_type_id=GENERAL, unreflected=unreflected) == 5
    assert offline_seats_left(blocks, occurrence_id=uuid.uuid4(), unreflected=unreflected) == 0


def test_a_sale_draws_from_the_allotment_held_for_its_type_first() -> None:
    open_block, typed = allotment(10), allotment(2, 0, VIP)
    assert pick_allotment([open_block, typed], occurrence_id=OCCURRENCE, ticket_type_id=VIP, unreflected={}) == (
        typed,
        2,
    )
    assert pick_allotment([typed], occurrence_id=OCCURRENCE, ticket_type_id=GENERAL, unreflected={}) == (None, 0)


def test_beyond_the_allotment_offline_needs_a_supervisor_and_online_asks_the_server() -> None:
    assert choose_sale_path(quantity=2, seats_left_offline=2, online=False) is SalePath.ALLOTMENT
    assert choose_sale_path(quantity=3, seats_left_offline=2, online=True) is SalePath.SERVER
    assert choose_sale_path(quantity=3, seats_left_offline=2, online=False) is CapacityRefusal.BEYOND_ALLOTMENT
    assert choose_sale_path(quantity=3, seats_left_offline=2, online=False, override=True) is SalePath.PROVISIONAL


def test_the_shift_report_adds_up_by_method_and_ticket_type_and_counts_the_drawer() -> None:
    sales = [
        ShiftSale("Adult", PaymentMethod.CASH, 2, 7000, "EUR", tendered_cents=10000, change_cents=3000),
        ShiftSale("Child", PaymentMethod.CASH, 1, 1500, "EUR", tendered_cents=2000, change_cents=500),
        ShiftSale("Adult", PaymentMethod.CARD_TERMINAL, 3, 10500, "EUR"),
        ShiftSale("Adult", PaymentMethod.COMPLIMENTARY, 1, 0, "EUR"),
        ShiftSale("Child", PaymentMethod.CASH, 1, 1500, "EUR", tendered_cents=1500, refused=True),
    ]

    report = shift_report(sales, opening_float_cents=5000)

    assert [(line.label, line.sales, line.tickets, line.total_cents) for line in report.by_method] == [
        ("cash", 3, 4, 10000),
        ("card_terminal", 1, 3, 10500),
        ("complimentary", 1, 1, 0),
    ]
    assert [(line.label, line.tickets, line.total_cents) for line in report.by_ticket_type] == [
        ("Adult", 6, 17500),
        ("Child", 2, 3000),
    ]
    assert (report.sales, report.tickets, report.total_cents) == (5, 8, 20500)
    assert (report.cash_tendered_cents, report.change_given_cents, report.cash_taken_cents) == (13500, 3500, 10000)
    assert (report.refunds_due, report.cash_refunds_due_cents) == (1, 1500)
    assert report.cash_expected_cents == 5000 + 10000 - 1500
    assert sum(line.total_cents for line in report.by_method) == report.total_cents
    assert sum(line.total_cents for line in report.by_ticket_type) == report.total_cents


def test_a_shift_cannot_add_up_two_currencies() -> None:
    with pytest.raises(ValueError, match="more than one currency"):
        shift_report(
            [ShiftSale("A", PaymentMethod.CASH, 1, 100, "EUR"), ShiftSale("A", PaymentMethod.CASH, 1, 1, "GBP")]
        )


def test_money_reads_with_its_currency_code() -> None:
    assert format_money(123456, "EUR") == "EUR 1,234.56"
    assert format_money(-5, "EUR") == "-EUR 0.05"
