"""Package rules: what a package may contain, what a guest may choose when booking one, and whether it is available.

Composition (checked when items are added and again at activation):

* Only a ``villa_event`` package has a stay: at most one villa item, and it is required (a "villa + event" package
  without the villa would be an event bundle). At activation a ``villa_event`` needs its villa and an event, a
  ``multi_event`` at least two events, an ``experience_bundle`` at least one.
* A fixed price (``base_price_cents``) does not go with choices: such a package may have no optional or customizable
  items, since its price could not follow what the guest picked.

Choosing (one booking): a required item cannot be dropped, an optional one can (quantity 0); a customizable item's
quantity is the guest's (at least 1), any other item's is the package's. For the villa the quantity is the number
of nights: the stay's length, which must equal the item's quantity unless the item is customizable. A booking buys
at least one event.

The stay (villa packages only; others take no dates): ``check_in < check_out``, both within the package's
``valid_from`` / ``valid_until``. Each event item names one occurrence, which must start on a local day (in its own
time zone) from the check-in day to the check-out day inclusive (an outing on the day of departure is part of the
stay); without a stay, within the validity dates (either may be open).

Availability (the spec's rule 8): every chosen component must be available for the chosen dates: the villa free on
every night of the stay, each occurrence with the seats (``shared.capacity``) and its ticket type with the
quantity. The server decides again with its conditional writes; this verdict is what the guest is told first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from shared.capacity import fits
from shared.clock import require_aware
from shared.enums import PackageItemType, PackageType

ITEMS_NEEDED = {
    PackageType.VILLA_EVENT: 1,
    PackageType.MULTI_EVENT: 2,
    PackageType.EXPERIENCE_BUNDLE: 1,
}


class CompositionProblem(StrEnum):
    VILLA_NOT_ALLOWED = "villa_not_allowed"
    MORE_THAN_ONE_VILLA = "more_than_one_villa"
    VILLA_MUST_BE_REQUIRED = "villa_must_be_required"
    FIXED_PRICE_WITH_CHOICES = "fixed_price_with_choices"
    VILLA_MISSING = "villa_missing"
    TOO_FEW_EVENTS = "too_few_events"


@dataclass(frozen=True)
class ItemRules:
    """What the rules need to know about one package item."""

    item_type: PackageItemType
    quantity: int
    is_required: bool = True
    is_customizable: bool = False

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError("an item's quantity must be at least 1")


def composition_problems(
    *, package_type: PackageType, items: Sequence[ItemRules], fixed_price: bool, for_activation: bool
) -> tuple[CompositionProblem, ...]:
    """What is wrong with these items for this package (empty: nothing). ``for_activation`` adds the checks that
    only a package going on sale must pass (a package under construction may still lack items)."""
    problems: list[CompositionProblem] = []
    villas = [item for item in items if item.item_type is PackageItemType.VILLA]
    events = [item for item in items if item.item_type is PackageItemType.EVENT]
    if villas and package_type is not PackageType.VILLA_EVENT:
        problems.append(CompositionProblem.VILLA_NOT_ALLOWED)
    if len(villas) > 1:
        problems.append(CompositionProblem.MORE_THAN_ONE_VILLA)
    if any(not villa.is_required for villa in villas):
        problems.append(CompositionProblem.VILLA_MUST_BE_REQUIRED)
    if fixed_price and any(item.is_customizable or not item.is_required for item in items):
        problems.append(CompositionProblem.FIXED_PRICE_WITH_CHOICES)
    if for_activation:
        if package_type is PackageType.VILLA_EVENT and not villas:
            problems.append(CompositionProblem.VILLA_MISSING)
        if len(events) < ITEMS_NEEDED[package_type]:
            problems.append(CompositionProblem.TOO_FEW_EVENTS)
    return tuple(problems)


class ChoiceProblem(StrEnum):
    REQUIRED_ITEM_DROPPED = "required_item_dropped"
    QUANTITY_NOT_CUSTOMIZABLE = "quantity_not_customizable"
    QUANTITY_INVALID = "quantity_invalid"
    STAY_REQUIRED = "stay_required"
    STAY_NOT_ALLOWED = "stay_not_allowed"
    STAY_DATES_ORDER = "stay_dates_order"
    STAY_OUTSIDE_VALIDITY = "stay_outside_validity"
    STAY_LENGTH = "stay_length"
    NO_EVENT_CHOSEN = "no_event_chosen"


@dataclass(frozen=True)
class Choice:
    """A verdict on one item: the quantity to book (0: dropped), or the problem."""

    quantity: int
    problem: ChoiceProblem | None = None


def choose_quantity(item: ItemRules, requested: int | None, *, nights: int | None) -> Choice:
    """The quantity to book for ``item`` given what the guest asked (``None``: the default). For the villa,
    ``nights`` is the stay's length (``None``: no stay given)."""
    if item.item_type is PackageItemType.VILLA:
        if nights is None:
            return Choice(0, ChoiceProblem.STAY_REQUIRED)
        if requested is not None and requested != nights:
            return Choice(0, ChoiceProblem.STAY_LENGTH)
        if not item.is_customizable and nights != item.quantity:
            return Choice(0, ChoiceProblem.STAY_LENGTH)
        return Choice(nights)
    if requested is None:
        return Choice(item.quantity)
    if requested < 0:
        return Choice(0, ChoiceProblem.QUANTITY_INVALID)
    if requested == 0:
        return Choice(0, ChoiceProblem.REQUIRED_ITEM_DROPPED if item.is_required else None)
    if not item.is_customizable and requested != item.quantity:
        return Choice(0, ChoiceProblem.QUANTITY_NOT_CUSTOMIZABLE)
    return Choice(requested)


def selection_problem(chosen: Sequence[tuple[PackageItemType, int]]) -> ChoiceProblem | None:
    """A booking buys at least one event (a villa stay alone is the Bookings domain's business, not a package)."""
    if not any(item_type is PackageItemType.EVENT and quantity > 0 for item_type, quantity in chosen):
        return ChoiceProblem.NO_EVENT_CHOSEN
    return None


def stay_nights(check_in: date, check_out: date) -> tuple[date, ...]:
    """The nights of a stay: check-in day up to the day before check-out."""
    return tuple(check_in + timedelta(days=n) for n in range((check_out - check_in).days))


def stay_problem(
    *, check_in: date, check_out: date, valid_from: date | None, valid_until: date | None
) -> ChoiceProblem | None:
    if check_out <= check_in:
        return ChoiceProblem.STAY_DATES_ORDER
    if (valid_from is not None and check_in < valid_from) or (valid_until is not None and check_out > valid_until):
        return ChoiceProblem.STAY_OUTSIDE_VALIDITY
    return None


def occurrence_in_window(*, start_at: datetime, timezone: str, first_day: date | None, last_day: date | None) -> bool:
    """Whether an occurrence starts on a local day (its own time zone) from ``first_day`` to ``last_day``
    inclusive; ``None`` leaves that side open."""
    day = require_aware(start_at, "start_at").astimezone(ZoneInfo(timezone)).date()
    return (first_day is None or day >= first_day) and (last_day is None or day <= last_day)


class Unavailable(StrEnum):
    NIGHTS_TAKEN = "nights_taken"
    SOLD_OUT = "sold_out"
    TICKET_TYPE_SOLD_OUT = "ticket_type_sold_out"
    NOT_ON_SALE = "not_on_sale"


def villa_available(*, booked_nights: Collection[date], nights: Sequence[date]) -> Unavailable | None:
    return Unavailable.NIGHTS_TAKEN if set(nights) & set(booked_nights) else None


def event_available(
    *,
    quantity: int,
    capacity: int | None,
    seats_sold: int,
    seats_blocked: int,
    type_available: int | None,
    type_sold: int,
    type_blocked: int,
) -> Unavailable | None:
    """Seats on the occurrence and quantity of the ticket type: the capacity rule, at both levels."""
    if not fits(capacity=capacity, seats_sold=seats_sold, seats_blocked=seats_blocked, quantity=quantity):
        return Unavailable.SOLD_OUT
    if not fits(capacity=type_available, seats_sold=type_sold, seats_blocked=type_blocked, quantity=quantity):
        return Unavailable.TICKET_TYPE_SOLD_OUT
    return None


@dataclass(frozen=True)
class Availability:
    """The package verdict: available only when every component is; ``unavailable`` names the ones that are not."""

    unavailable: Mapping[str, Unavailable]

    @property
    def available(self) -> bool:
        return not self.unavailable


def package_availability(components: Mapping[str, Unavailable | None]) -> Availability:
    """Components by a caller's key (an item id), each with its own verdict."""
    if not components:
        raise ValueError("a package booking has at least one component")
    return Availability({key: reason for key, reason in components.items() if reason is not None})
