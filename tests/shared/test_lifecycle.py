"""Status rules for definitions, packages, occurrences, ticket types and reservations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.enums import DefinitionStatus, OccurrenceStatus, PackageStatus, TicketTypeStatus
from shared.lifecycle import (
    DueStatus,
    OccurrenceRules,
    PurchaseRefusal,
    StatusChangeReason,
    TicketTypeSnapshot,
    TransitionRefusal,
    TransitionVerdict,
    can_purchase,
    definition_transition,
    occurrence_status_due,
    occurrence_transition,
    package_transition,
    parse_occurrence_rules,
    reservation_expired,
    reservation_expires_at,
    ticket_type_status_due,
)

DS = DefinitionStatus
OS = OccurrenceStatus
START = datetime(2026, 6, 10, 19, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
RULES = OccurrenceRules(cancellation_cutoff_hours=24, auto_cancel_below_min_capacity=True)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (DS.DRAFT, DS.ACTIVE),
        (DS.ACTIVE, DS.PAUSED),
        (DS.PAUSED, DS.ACTIVE),
        (DS.ACTIVE, DS.ARCHIVED),
        (DS.DRAFT, DS.ARCHIVED),
    ],
)
def test_a_definition_may_move_along_its_lifecycle(current: DefinitionStatus, target: DefinitionStatus) -> None:
    assert definition_transition(current=current, target=target, ticket_type_count=1).allowed


@pytest.mark.parametrize(
    ("current", "target"),
    [(DS.ARCHIVED, DS.ACTIVE), (DS.ACTIVE, DS.DRAFT), (DS.PAUSED, DS.DRAFT), (DS.ARCHIVED, DS.DRAFT)],
)
def test_a_definition_never_goes_back_to_draft_nor_out_of_the_archive(
    current: DefinitionStatus, target: DefinitionStatus
) -> None:
    verdict = definition_transition(current=current, target=target, ticket_type_count=1)
    assert verdict.reason is TransitionRefusal.NOT_ALLOWED


def test_activating_a_definition_needs_a_ticket_type_from_draft_and_from_paused() -> None:
    for current in (DS.DRAFT, DS.PAUSED):
        verdict = definition_transition(current=current, target=DS.ACTIVE, ticket_type_count=0)
        assert verdict.reason is TransitionRefusal.NO_TICKET_TYPES
    assert definition_transition(current=DS.ACTIVE, target=DS.PAUSED, ticket_type_count=0).allowed


def test_moving_to_the_same_status_is_reported_as_unchanged() -> None:
    assert definition_transition(current=DS.ACTIVE, target=DS.ACTIVE, ticket_type_count=1).reason is (
        TransitionRefusal.UNCHANGED
    )


def test_packages_follow_the_same_lifecycle_and_need_an_item_to_activate() -> None:
    assert package_transition(current=PackageStatus.DRAFT, target=PackageStatus.ACTIVE, item_count=2).allowed
    no_items = package_transition(current=PackageStatus.DRAFT, target=PackageStatus.ACTIVE, item_count=0)
    assert no_items.reason is TransitionRefusal.NO_ITEMS
    archived = package_transition(current=PackageStatus.ARCHIVED, target=PackageStatus.PAUSED, item_count=2)
    assert archived.reason is TransitionRefusal.NOT_ALLOWED


def transition(
    current: OccurrenceStatus, target: OccurrenceStatus, *, hours_before: float, force: bool = False
) -> TransitionVerdict:
    return occurrence_transition(
        current=current,
        target=target,
        start_at=START,
        now=START - timedelta(hours=hours_before),
        rules=RULES,
        force=force,
    )


def test_an_occurrence_may_be_canceled_by_hand_until_the_cutoff() -> None:
    assert transition(OS.SCHEDULED, OS.CANCELED, hours_before=25).allowed
    assert transition(OS.CONFIRMED, OS.CANCELED, hours_before=24.01).allowed
    assert transition(OS.CONFIRMED, OS.CANCELED, hours_before=24).reason is TransitionRefusal.CUTOFF_PASSED


def test_after_the_cutoff_and_while_in_progress_only_a_forced_cancellation_goes_through() -> None:
    assert transition(OS.CONFIRMED, OS.CANCELED, hours_before=1, force=True).allowed
    assert transition(OS.IN_PROGRESS, OS.CANCELED, hours_before=-1).reason is TransitionRefusal.CUTOFF_PASSED
    assert transition(OS.IN_PROGRESS, OS.CANCELED, hours_before=-1, force=True).allowed


def test_completed_and_canceled_occurrences_are_final() -> None:
    for final in (OS.COMPLETED, OS.CANCELED):
        for target in OS:
            assert not transition(final, target, hours_before=-5, force=True).allowed


def test_an_occurrence_cannot_be_started_or_completed_before_its_start() -> None:
    assert transition(OS.CONFIRMED, OS.IN_PROGRESS, hours_before=0.5).reason is TransitionRefusal.NOT_STARTED
    assert transition(OS.CONFIRMED, OS.IN_PROGRESS, hours_before=0).allowed
    assert transition(OS.SCHEDULED, OS.IN_PROGRESS, hours_before=-1).reason is TransitionRefusal.NOT_ALLOWED


def due(status: OccurrenceStatus, *, seats_sold: int, hours_before: float, rules: OccurrenceRules = RULES) -> DueStatus:
    return occurrence_status_due(
        status=status,
        start_at=START,
        end_at=END,
        seats_sold=seats_sold,
        min_capacity=5,
        rules=rules,
        now=START - timedelta(hours=hours_before),
    )


def test_reaching_min_capacity_confirms_an_occurrence_at_once() -> None:
    expected = DueStatus(OS.CONFIRMED, StatusChangeReason.MIN_CAPACITY_REACHED)
    assert due(OS.SCHEDULED, seats_sold=5, hours_before=100) == expected


def test_below_min_capacity_an_occurrence_waits_until_the_cutoff_then_is_canceled() -> None:
    assert due(OS.SCHEDULED, seats_sold=4, hours_before=25).status is OS.SCHEDULED
    assert due(OS.SCHEDULED, seats_sold=4, hours_before=25).reason is None
    at_cutoff = due(OS.SCHEDULED, seats_sold=4, hours_before=24)
    assert (at_cutoff.status, at_cutoff.reason) == (OS.CANCELED, StatusChangeReason.MIN_CAPACITY_NOT_MET)


def test_without_auto_cancel_an_occurrence_below_min_capacity_goes_ahead_at_the_cutoff() -> None:
    lenient = OccurrenceRules(cancellation_cutoff_hours=24, auto_cancel_below_min_capacity=False)
    verdict = due(OS.SCHEDULED, seats_sold=0, hours_before=2, rules=lenient)
    assert (verdict.status, verdict.reason) == (OS.CONFIRMED, StatusChangeReason.PROCEEDING_BELOW_MIN_CAPACITY)


def test_a_confirmed_occurrence_starts_and_ends_with_the_clock() -> None:
    assert due(OS.CONFIRMED, seats_sold=9, hours_before=0).status is OS.IN_PROGRESS
    ended = due(OS.IN_PROGRESS, seats_sold=9, hours_before=-2)
    assert (ended.status, ended.reason) == (OS.COMPLETED, StatusChangeReason.ENDED)


def test_a_confirmed_occurrence_stays_confirmed_when_sales_drop_below_the_minimum() -> None:
    assert due(OS.CONFIRMED, seats_sold=1, hours_before=2).status is OS.CONFIRMED


def test_a_stale_status_jumps_straight_to_where_it_should_be() -> None:
    assert due(OS.SCHEDULED, seats_sold=6, hours_before=-3).status is OS.COMPLETED
    assert due(OS.SCHEDULED, seats_sold=0, hours_before=-3).status is OS.CANCELED


def test_final_statuses_are_never_due_to_change() -> None:
    assert due(OS.CANCELED, seats_sold=50, hours_before=-5).reason is None
    assert due(OS.COMPLETED, seats_sold=0, hours_before=-5).status is OS.COMPLETED


def test_occurrence_rules_merge_occurrence_over_definition_and_refuse_nonsense() -> None:
    rules = parse_occurrence_rules(
        definition_settings={"cancellation_cutoff_hours": 48, "auto_cancel_below_min_capacity": False},
        occurrence_settings={"cancellation_cutoff_hours": 6},
    ).unwrap()
    assert rules == OccurrenceRules(6, False)
    assert parse_occurrence_rules(definition_settings=None).unwrap() == OccurrenceRules(24, True)
    bad = parse_occurrence_rules(
        definition_settings={"cancellation_cutoff_hours": -1, "auto_cancel_below_min_capacity": 1}
    )
    assert {p.path for p in bad.problems} == {"cancellation_cutoff_hours", "auto_cancel_below_min_capacity"}


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
GA = TicketTypeSnapshot(
    status=TicketTypeStatus.ACTIVE,
    quantity_available=100,
    quantity_sold=90,
    valid_from=NOW - timedelta(days=10),
    valid_until=NOW + timedelta(days=10),
    min_quantity=2,
    max_quantity=8,
)


def test_a_ticket_type_is_sold_out_when_everything_is_sold_and_active_again_when_quantity_grows() -> None:
    sold_out = replace(GA, quantity_sold=100, status=TicketTypeStatus.SOLD_OUT)
    assert ticket_type_status_due(sold_out, now=NOW) is TicketTypeStatus.SOLD_OUT
    assert ticket_type_status_due(replace(sold_out, quantity_available=120), now=NOW) is TicketTypeStatus.ACTIVE


def test_a_ticket_type_expires_at_valid_until_even_with_tickets_left() -> None:
    assert ticket_type_status_due(GA, now=NOW + timedelta(days=10)) is TicketTypeStatus.EXPIRED


def test_a_disabled_ticket_type_stays_disabled() -> None:
    disabled = replace(GA, status=TicketTypeStatus.DISABLED, quantity_sold=100)
    assert ticket_type_status_due(disabled, now=NOW) is TicketTypeStatus.DISABLED


def test_an_unlimited_ticket_type_never_sells_out() -> None:
    unlimited = replace(GA, quantity_available=None, quantity_sold=10**6)
    assert ticket_type_status_due(unlimited, now=NOW) is TicketTypeStatus.ACTIVE
    assert can_purchase(unlimited, quantity=8, now=NOW).remaining is None


def test_a_purchase_within_the_limits_is_allowed_and_says_what_is_left() -> None:
    verdict = can_purchase(GA, quantity=4, now=NOW)
    assert verdict.allowed
    assert verdict.remaining == 10


def test_leaving_stock_to_the_caller_still_applies_every_other_rule() -> None:
    sold_out = replace(GA, quantity_sold=100)
    assert can_purchase(sold_out, quantity=4, now=NOW, judge_stock=False).allowed
    assert can_purchase(replace(GA, quantity_sold=95), quantity=6, now=NOW, judge_stock=False).allowed
    refused = can_purchase(sold_out, quantity=9, now=NOW, judge_stock=False)
    assert refused.reason is PurchaseRefusal.ABOVE_MAX_QUANTITY
    assert can_purchase(sold_out, quantity=1, now=NOW, judge_stock=False).reason is PurchaseRefusal.BELOW_MIN_QUANTITY
    disabled = replace(sold_out, status=TicketTypeStatus.DISABLED)
    assert can_purchase(disabled, quantity=4, now=NOW, judge_stock=False).reason is PurchaseRefusal.DISABLED


@pytest.mark.parametrize(
    ("ticket_type", "quantity", "now", "reason"),
    [
        (replace(GA, status=TicketTypeStatus.DISABLED), 2, NOW, PurchaseRefusal.DISABLED),
        (GA, 2, NOW - timedelta(days=11), PurchaseRefusal.NOT_ON_SALE_YET),
        (GA, 2, NOW + timedelta(days=10), PurchaseRefusal.EXPIRED),
        (replace(GA, quantity_sold=100), 2, NOW, PurchaseRefusal.SOLD_OUT),
        (GA, 1, NOW, PurchaseRefusal.BELOW_MIN_QUANTITY),
        (GA, 9, NOW, PurchaseRefusal.ABOVE_MAX_QUANTITY),
        (replace(GA, quantity_sold=95), 6, NOW, PurchaseRefusal.NOT_ENOUGH_LEFT),
        (replace(GA, status=TicketTypeStatus.DISABLED, quantity_sold=100), 1, NOW, PurchaseRefusal.DISABLED),
        (replace(GA, quantity_sold=100), 20, NOW + timedelta(days=11), PurchaseRefusal.EXPIRED),
    ],
)
def test_a_purchase_is_refused_with_the_first_reason_that_applies(
    ticket_type: TicketTypeSnapshot, quantity: int, now: datetime, reason: PurchaseRefusal
) -> None:
    verdict = can_purchase(ticket_type, quantity=quantity, now=now)
    assert not verdict.allowed
    assert verdict.reason is reason


def test_a_reservation_is_held_for_15_minutes() -> None:
    assert reservation_expires_at(NOW) == NOW + timedelta(minutes=15)
    assert reservation_expires_at(NOW, ttl=timedelta(minutes=20)) == NOW + timedelta(minutes=20)
    assert not reservation_expired(reserved_at=NOW, now=NOW + timedelta(minutes=14, seconds=59))
    assert reservation_expired(reserved_at=NOW, now=NOW + timedelta(minutes=15))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(GA, valid_from=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        can_purchase(GA, quantity=2, now=datetime(2026, 6, 1))


class TestOccurrenceSaleWindow:
    START = datetime(2026, 7, 1, 20, 0, tzinfo=UTC)
    END = datetime(2026, 7, 1, 23, 0, tzinfo=UTC)

    def refusal(self, *, now: datetime, door: bool, **overrides: object) -> object:
        from shared.lifecycle import occurrence_sale_refusal

        arguments: dict[str, object] = {
            "definition_status": DefinitionStatus.ACTIVE,
            "occurrence_status": OccurrenceStatus.SCHEDULED,
            "start_at": self.START,
            "end_at": self.END,
        }
        arguments.update(overrides)
        return occurrence_sale_refusal(now=now, at_the_door=door, **arguments)  # type: ignore[arg-type]

    def test_online_sales_close_at_the_start_the_door_at_the_end(self) -> None:
        from shared.lifecycle import SaleRefusal

        before, during = self.START - timedelta(seconds=1), self.START + timedelta(hours=1)
        assert self.refusal(now=before, door=False) is None
        assert self.refusal(now=self.START, door=False) is SaleRefusal.OCCURRENCE_STARTED
        assert self.refusal(now=during, door=True, occurrence_status=OccurrenceStatus.IN_PROGRESS) is None
        assert self.refusal(now=self.END, door=True) is SaleRefusal.OCCURRENCE_ENDED

    def test_paused_or_draft_events_and_closed_occurrences_sell_nothing(self) -> None:
        from shared.lifecycle import SaleRefusal

        early = self.START - timedelta(days=1)
        for status in (DefinitionStatus.DRAFT, DefinitionStatus.PAUSED, DefinitionStatus.ARCHIVED):
            assert self.refusal(now=early, door=True, definition_status=status) is SaleRefusal.EVENT_NOT_ON_SALE
        for closed in (OccurrenceStatus.CANCELED, OccurrenceStatus.COMPLETED):
            assert self.refusal(now=early, door=True, occurrence_status=closed) is SaleRefusal.OCCURRENCE_NOT_ON_SALE
        in_progress = OccurrenceStatus.IN_PROGRESS
        assert self.refusal(now=early, door=False, occurrence_status=in_progress) is SaleRefusal.OCCURRENCE_NOT_ON_SALE
