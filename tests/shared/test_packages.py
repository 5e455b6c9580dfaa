"""Package rules: what a package may hold, what a guest may choose, and the all-components-available verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.enums import PackageItemType, PackageType
from shared.packages import (
    ChoiceProblem,
    CompositionProblem,
    ItemRules,
    Unavailable,
    choose_quantity,
    composition_problems,
    event_available,
    occurrence_in_window,
    package_availability,
    selection_problem,
    stay_nights,
    stay_problem,
    villa_available,
)

VILLA = ItemRules(PackageItemType.VILLA, 5)
EVENT = ItemRules(PackageItemType.EVENT, 2)
OPTIONAL_EVENT = ItemRules(PackageItemType.EVENT, 2, is_required=False)
CUSTOM_EVENT = ItemRules(PackageItemType.EVENT, 2, is_customizable=True)


def problems(package_type: PackageType, *items: ItemRules, fixed: bool = False, activating: bool = False) -> set:
    return set(
        composition_problems(package_type=package_type, items=items, fixed_price=fixed, for_activation=activating)
    )


def test_only_a_villa_event_package_may_hold_a_villa() -> None:
    assert problems(PackageType.VILLA_EVENT, VILLA, EVENT) == set()
    assert problems(PackageType.MULTI_EVENT, VILLA, EVENT) == {CompositionProblem.VILLA_NOT_ALLOWED}
    assert problems(PackageType.EXPERIENCE_BUNDLE, VILLA) == {CompositionProblem.VILLA_NOT_ALLOWED}


def test_a_package_has_one_required_villa_at_most() -> None:
    assert CompositionProblem.MORE_THAN_ONE_VILLA in problems(PackageType.VILLA_EVENT, VILLA, VILLA)
    optional_villa = ItemRules(PackageItemType.VILLA, 3, is_required=False)
    assert problems(PackageType.VILLA_EVENT, optional_villa) == {CompositionProblem.VILLA_MUST_BE_REQUIRED}


def test_a_fixed_price_package_offers_no_choices() -> None:
    assert problems(PackageType.MULTI_EVENT, EVENT, EVENT, fixed=True) == set()
    assert problems(PackageType.MULTI_EVENT, EVENT, OPTIONAL_EVENT, fixed=True) == {
        CompositionProblem.FIXED_PRICE_WITH_CHOICES
    }
    assert problems(PackageType.MULTI_EVENT, CUSTOM_EVENT, fixed=True) == {CompositionProblem.FIXED_PRICE_WITH_CHOICES}


def test_activation_needs_the_items_each_package_type_is_made_of() -> None:
    assert problems(PackageType.VILLA_EVENT, EVENT, activating=True) == {CompositionProblem.VILLA_MISSING}
    assert problems(PackageType.VILLA_EVENT, VILLA, activating=True) == {CompositionProblem.TOO_FEW_EVENTS}
    assert problems(PackageType.MULTI_EVENT, EVENT, activating=True) == {CompositionProblem.TOO_FEW_EVENTS}
    assert problems(PackageType.MULTI_EVENT, EVENT, OPTIONAL_EVENT, activating=True) == set()
    assert problems(PackageType.EXPERIENCE_BUNDLE, EVENT, activating=True) == set()
    # Under construction, a package may still lack items.
    assert problems(PackageType.VILLA_EVENT, EVENT) == set()


def test_required_items_cannot_be_dropped_and_optional_ones_can() -> None:
    assert choose_quantity(EVENT, 0, nights=None).problem is ChoiceProblem.REQUIRED_ITEM_DROPPED
    assert choose_quantity(OPTIONAL_EVENT, 0, nights=None).quantity == 0
    assert choose_quantity(OPTIONAL_EVENT, 0, nights=None).problem is None
    assert choose_quantity(OPTIONAL_EVENT, None, nights=None).quantity == 2


def test_only_customizable_items_take_the_guests_quantity() -> None:
    assert choose_quantity(EVENT, 3, nights=None).problem is ChoiceProblem.QUANTITY_NOT_CUSTOMIZABLE
    assert choose_quantity(EVENT, 2, nights=None).quantity == 2
    assert choose_quantity(CUSTOM_EVENT, 4, nights=None).quantity == 4
    assert choose_quantity(CUSTOM_EVENT, -1, nights=None).problem is ChoiceProblem.QUANTITY_INVALID


def test_the_villa_books_the_nights_of_the_stay() -> None:
    assert choose_quantity(VILLA, None, nights=5).quantity == 5
    assert choose_quantity(VILLA, None, nights=4).problem is ChoiceProblem.STAY_LENGTH
    assert choose_quantity(VILLA, None, nights=None).problem is ChoiceProblem.STAY_REQUIRED
    flexible = ItemRules(PackageItemType.VILLA, 5, is_customizable=True)
    assert choose_quantity(flexible, None, nights=3).quantity == 3
    assert choose_quantity(flexible, 4, nights=3).problem is ChoiceProblem.STAY_LENGTH


def test_a_booking_buys_at_least_one_event() -> None:
    assert selection_problem([(PackageItemType.VILLA, 5), (PackageItemType.EVENT, 0)]) is ChoiceProblem.NO_EVENT_CHOSEN
    assert selection_problem([(PackageItemType.VILLA, 5), (PackageItemType.EVENT, 1)]) is None


def test_a_stay_runs_from_check_in_to_the_night_before_check_out_within_the_validity() -> None:
    assert stay_nights(date(2026, 7, 30), date(2026, 8, 2)) == (date(2026, 7, 30), date(2026, 7, 31), date(2026, 8, 1))
    ok = {"valid_from": date(2026, 7, 1), "valid_until": date(2026, 8, 31)}
    assert stay_problem(check_in=date(2026, 7, 1), check_out=date(2026, 8, 31), **ok) is None
    assert stay_problem(check_in=date(2026, 7, 5), check_out=date(2026, 7, 5), **ok) is ChoiceProblem.STAY_DATES_ORDER
    late = stay_problem(check_in=date(2026, 8, 30), check_out=date(2026, 9, 1), **ok)
    assert late is ChoiceProblem.STAY_OUTSIDE_VALIDITY
    assert (
        stay_problem(check_in=date(2030, 1, 1), check_out=date(2030, 1, 2), valid_from=None, valid_until=None) is None
    )


def test_an_occurrence_belongs_to_the_stay_by_its_local_start_day() -> None:
    # 23:30 UTC on 2 August is already 3 August in Bali (UTC+8).
    late_evening = datetime(2026, 8, 2, 23, 30, tzinfo=UTC)
    window = {"first_day": date(2026, 7, 30), "last_day": date(2026, 8, 2)}
    assert occurrence_in_window(start_at=late_evening, timezone="UTC", **window)
    assert not occurrence_in_window(start_at=late_evening, timezone="Asia/Makassar", **window)
    assert occurrence_in_window(start_at=late_evening, timezone="Asia/Makassar", first_day=None, last_day=None)


def test_a_package_is_available_only_when_every_component_is() -> None:
    nights = stay_nights(date(2026, 8, 1), date(2026, 8, 4))
    villa = villa_available(booked_nights={date(2026, 8, 4), date(2026, 7, 31)}, nights=nights)
    full = event_available(
        quantity=2, capacity=10, seats_sold=8, seats_blocked=1, type_available=None, type_sold=8, type_blocked=0
    )
    verdict = package_availability({"villa": villa, "cooking": full})
    assert villa is None
    assert full is Unavailable.SOLD_OUT
    assert not verdict.available
    assert dict(verdict.unavailable) == {"cooking": Unavailable.SOLD_OUT}
    assert package_availability({"villa": villa}).available


def test_villa_nights_already_booked_make_the_villa_unavailable() -> None:
    nights = stay_nights(date(2026, 8, 1), date(2026, 8, 4))
    assert villa_available(booked_nights=[date(2026, 8, 3)], nights=nights) is Unavailable.NIGHTS_TAKEN


def test_a_ticket_types_own_stock_counts_its_held_quantity_too() -> None:
    verdict = event_available(
        quantity=2, capacity=None, seats_sold=0, seats_blocked=0, type_available=5, type_sold=2, type_blocked=2
    )
    assert verdict is Unavailable.TICKET_TYPE_SOLD_OUT


def test_a_package_booking_has_components() -> None:
    with pytest.raises(ValueError, match="component"):
        package_availability({})
