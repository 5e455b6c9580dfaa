"""Quotes and package prices: exact cents, one currency, discounts spread back without drift."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.pricing import (
    CurrencyMismatch,
    FeePolicy,
    LineItem,
    Quote,
    build_quote,
    package_price,
    parse_fee_policy,
)

GA = LineItem("General Admission", 2500, 2, "USD")
EARLY = LineItem("Early Bird", 2000, 1, "USD")
FREE = LineItem("Child", 0, 2, "USD")


def quote(*lines: LineItem, fees: FeePolicy | None = None) -> Quote:
    result = build_quote(lines=lines, fees=fees)
    assert isinstance(result, Quote)
    return result


def test_a_quote_adds_unit_price_times_quantity() -> None:
    result = quote(GA, EARLY)
    assert (result.subtotal_cents, result.fee_cents, result.total_cents, result.currency) == (7000, 0, 7000, "USD")


def test_the_fee_is_a_percentage_of_the_subtotal_plus_a_fixed_amount_per_paid_ticket() -> None:
    fees = FeePolicy(percent=Decimal("2.5"), fixed_per_ticket_cents=99, label="Booking fee")
    result = quote(GA, EARLY, FREE, fees=fees)
    assert result.fee_cents == 175 + 3 * 99  # 2.5 % of 7000, and the two free tickets carry no fixed fee
    assert result.total_cents == 7000 + 472
    assert result.fee_label == "Booking fee"


def test_a_fee_percentage_rounds_half_up() -> None:
    assert quote(LineItem("x", 10, 1, "EUR"), fees=FeePolicy(percent=Decimal(5))).fee_cents == 1  # 0.5 cent


def test_lines_in_two_currencies_cannot_be_quoted() -> None:
    result = build_quote(lines=[GA, LineItem("Wine tour", 9000, 1, "EUR")])
    assert result == CurrencyMismatch(("EUR", "USD"))


def test_line_items_refuse_negative_prices_empty_quantities_and_odd_currencies() -> None:
    with pytest.raises(ValueError, match="negative"):
        LineItem("x", -1, 1, "USD")
    with pytest.raises(ValueError, match="quantity"):
        LineItem("x", 1, 0, "USD")
    with pytest.raises(ValueError, match="ISO 4217"):
        LineItem("x", 1, 1, "usd")
    with pytest.raises(ValueError, match="at least one line"):
        build_quote(lines=[])


def test_fee_settings_are_read_with_defaults_and_checked() -> None:
    assert parse_fee_policy({}).unwrap() == FeePolicy()
    assert parse_fee_policy({"fees": {"percent": 3}}).unwrap() == FeePolicy(percent=Decimal(3))
    bad = parse_fee_policy({"fees": {"percent": "abc", "fixed_per_ticket_cents": -1, "label": "", "vat": 1}})
    assert {problem.path for problem in bad.problems} == {
        "fees.percent",
        "fees.fixed_per_ticket_cents",
        "fees.label",
        "fees.vat",
    }
    assert not parse_fee_policy({"fees": 5}).ok


def test_a_package_discount_applies_to_the_total_of_its_components() -> None:
    price = package_price(component_prices_cents=[50000, 12000, 8000], discount_percent=Decimal(15))
    assert price.list_total_cents == 70000
    assert price.total_cents == 59500
    assert price.discount_cents == 10500
    assert price.allocations == (42500, 10200, 6800)


@pytest.mark.parametrize(
    ("percent", "total", "allocations"),
    [
        (Decimal(15), 849, (283, 283, 283)),  # 999 less 149.85, rounded to 150 in the guest's favour
        (Decimal("33.33"), 666, (222, 222, 222)),  # 999 less 332.97 -> 333
        (Decimal("12.5"), 874, (292, 291, 291)),  # 999 less 124.875 -> 125; one cent left over goes to the first
    ],
)
def test_awkward_discounts_on_three_components_of_333_cents_split_without_drift(
    percent: Decimal, total: int, allocations: tuple[int, ...]
) -> None:
    price = package_price(component_prices_cents=[333, 333, 333], discount_percent=percent)
    assert price.total_cents == total
    assert price.allocations == allocations
    assert sum(price.allocations) == price.total_cents


def test_a_base_price_overrides_the_discount() -> None:
    price = package_price(component_prices_cents=[333, 333, 334], discount_percent=Decimal(50), base_price_cents=850)
    assert price.total_cents == 850
    assert price.discount_cents == 150
    assert price.allocations == (283, 283, 284)


def test_a_base_price_above_the_parts_shows_as_a_negative_saving() -> None:
    price = package_price(component_prices_cents=[100, 100], discount_percent=Decimal(0), base_price_cents=250)
    assert price.discount_cents == -50
    assert price.allocations == (125, 125)


def test_a_package_needs_an_item_and_a_sane_discount() -> None:
    with pytest.raises(ValueError, match="at least one item"):
        package_price(component_prices_cents=[], discount_percent=Decimal(0))
    with pytest.raises(ValueError, match="between 0 and 100"):
        package_price(component_prices_cents=[100], discount_percent=Decimal(101))


@given(
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8),
    st.decimals(min_value=0, max_value=100, places=2),
)
def test_package_parts_always_sum_to_the_package_total(prices: list[int], percent: Decimal) -> None:
    price = package_price(component_prices_cents=prices, discount_percent=percent)
    assert sum(price.allocations) == price.total_cents <= price.list_total_cents
    assert all(part >= 0 for part in price.allocations)
