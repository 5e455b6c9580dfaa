"""Quotes and package prices in integer minor units.

Fees come from the event definition's ``settings``::

    {"fees": {"percent": "2.5", "fixed_per_ticket_cents": 99, "label": "Service fee"}}

every key optional (no ``fees``: no fee). The fee is ``percent`` of the subtotal (rounded half up) plus
``fixed_per_ticket_cents`` for each ticket that costs something: a free ticket carries no fee.

A package's price is its ``base_price_cents`` when set (an override: ``discount_percent`` is then ignored), else
the total of its components' prices less ``discount_percent`` of it (the discount rounded half up, so in the
guest's favour). The package price is then split back over the components in proportion to their list prices, so
each ticket created for the package has its own ``price_paid_cents`` and the parts add up to the total exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from shared.money import allocate_proportionally, percent_of
from shared.settings import Parsed, SettingsProblem, read_int, read_percent, section

FEES_KEY = "fees"
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class FeePolicy:
    percent: Decimal = Decimal(0)
    fixed_per_ticket_cents: int = 0
    label: str = "Service fee"


def parse_fee_policy(settings: Mapping[str, object] | None) -> Parsed[FeePolicy]:
    block = section(settings, FEES_KEY)
    if block is None:
        return Parsed(FeePolicy())
    if not isinstance(block, Mapping):
        return Parsed(None, (SettingsProblem(FEES_KEY, "must be an object"),))
    problems: list[SettingsProblem] = []
    problems.extend(
        SettingsProblem(f"{FEES_KEY}.{key}", "unknown setting")
        for key in sorted(set(block) - {"percent", "fixed_per_ticket_cents", "label"})
    )
    defaults = FeePolicy()
    percent = read_percent(block.get("percent", defaults.percent), f"{FEES_KEY}.percent", problems)
    fixed = read_int(
        block.get("fixed_per_ticket_cents", defaults.fixed_per_ticket_cents),
        f"{FEES_KEY}.fixed_per_ticket_cents",
        problems,
        minimum=0,
    )
    label = block.get("label", defaults.label)
    if not isinstance(label, str) or not label.strip():
        problems.append(SettingsProblem(f"{FEES_KEY}.label", "must be a non-empty text"))
    if problems or percent is None or fixed is None or not isinstance(label, str):
        return Parsed(None, tuple(problems))
    return Parsed(FeePolicy(percent=percent, fixed_per_ticket_cents=fixed, label=label.strip()))


@dataclass(frozen=True)
class LineItem:
    """``quantity`` tickets (or nights) at ``unit_price_cents`` each."""

    label: str
    unit_price_cents: int
    quantity: int
    currency: str

    def __post_init__(self) -> None:
        if self.unit_price_cents < 0:
            raise ValueError("unit_price_cents must not be negative")
        if self.quantity < 1:
            raise ValueError("quantity must be at least 1")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"currency must be an upper-case ISO 4217 code, got {self.currency!r}")

    @property
    def total_cents(self) -> int:
        return self.unit_price_cents * self.quantity


@dataclass(frozen=True)
class Quote:
    lines: tuple[LineItem, ...]
    currency: str
    subtotal_cents: int
    fee_cents: int
    fee_label: str
    total_cents: int


@dataclass(frozen=True)
class CurrencyMismatch:
    """The lines are priced in more than one currency: no quote can add them up."""

    currencies: tuple[str, ...]


def fee_for(lines: Sequence[LineItem], policy: FeePolicy) -> int:
    subtotal = sum(line.total_cents for line in lines)
    paid_tickets = sum(line.quantity for line in lines if line.unit_price_cents > 0)
    return percent_of(subtotal, policy.percent) + policy.fixed_per_ticket_cents * paid_tickets


def build_quote(*, lines: Sequence[LineItem], fees: FeePolicy | None = None) -> Quote | CurrencyMismatch:
    """Price ``lines`` and add the fee; a ``CurrencyMismatch`` when they are not all in one currency."""
    if not lines:
        raise ValueError("a quote needs at least one line")
    currencies = tuple(sorted({line.currency for line in lines}))
    if len(currencies) > 1:
        return CurrencyMismatch(currencies)
    policy = fees or FeePolicy()
    subtotal = sum(line.total_cents for line in lines)
    fee = fee_for(lines, policy)
    return Quote(
        lines=tuple(lines),
        currency=currencies[0],
        subtotal_cents=subtotal,
        fee_cents=fee,
        fee_label=policy.label,
        total_cents=subtotal + fee,
    )


@dataclass(frozen=True)
class PackagePrice:
    """``allocations`` follow the order of the component prices given. ``discount_cents`` is what the guest saves
    against buying the parts; with a ``base_price_cents`` above that total it is negative."""

    list_total_cents: int
    total_cents: int
    discount_cents: int
    allocations: tuple[int, ...]


def package_price(
    *, component_prices_cents: Sequence[int], discount_percent: Decimal, base_price_cents: int | None = None
) -> PackagePrice:
    """Price a package from its components' list prices (unit price times quantity, one entry per component)."""
    if not component_prices_cents:
        raise ValueError("a package must include at least one item")
    if any(price < 0 for price in component_prices_cents):
        raise ValueError("component prices must not be negative")
    if not Decimal(0) <= discount_percent <= Decimal(100):
        raise ValueError("discount_percent must be between 0 and 100")
    if base_price_cents is not None and base_price_cents < 0:
        raise ValueError("base_price_cents must not be negative")
    list_total = sum(component_prices_cents)
    discounted = list_total - percent_of(list_total, discount_percent)
    total = base_price_cents if base_price_cents is not None else discounted
    return PackagePrice(
        list_total_cents=list_total,
        total_cents=total,
        discount_cents=list_total - total,
        allocations=allocate_proportionally(total, component_prices_cents),
    )
