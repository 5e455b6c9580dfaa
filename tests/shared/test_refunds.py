"""Refund policy: tiers by notice given, full refunds when the organizer cancels, rounding in the guest's favour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.refunds import (
    CancellationInitiator,
    RefundBasis,
    RefundDecision,
    RefundPolicy,
    RefundTier,
    guest_may_cancel,
    parse_refund_policy,
    refund_amount,
)

START = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
POLICY = parse_refund_policy(
    {
        "refund_policy": [{"min_hours_before": 24, "percent": 50}, {"min_hours_before": 48, "percent": 100}],
        "guest_cancellation_cutoff_hours": 2,
    }
).unwrap()


def refund(
    hours_before: float, *, price: int = 2500, initiator: CancellationInitiator = CancellationInitiator.GUEST
) -> RefundDecision:
    return refund_amount(
        price_paid_cents=price,
        start_at=START,
        now=START - timedelta(hours=hours_before),
        policy=POLICY,
        initiator=initiator,
    )


def test_tiers_are_read_in_any_order_and_kept_most_notice_first() -> None:
    assert POLICY.tiers == (RefundTier(48, Decimal(100)), RefundTier(24, Decimal(50)))
    assert POLICY.guest_cancellation_cutoff_hours == 2


def test_a_guest_canceling_early_enough_gets_everything_back() -> None:
    decision = refund(72)
    assert decision.amount_cents == 2500
    assert decision.basis is RefundBasis.POLICY_TIER
    assert decision.tier == RefundTier(48, Decimal(100))


def test_a_tier_applies_from_exactly_its_number_of_hours() -> None:
    assert refund(48).percent == 100
    assert refund(47.99).percent == 50
    assert refund(24).amount_cents == 1250


def test_closer_than_the_last_tier_a_guest_gets_nothing() -> None:
    decision = refund(23)
    assert decision.amount_cents == 0
    assert decision.basis is RefundBasis.TOO_CLOSE_TO_START


def test_after_the_start_a_guest_gets_nothing() -> None:
    assert refund(0).basis is RefundBasis.STARTED
    assert refund(-1).amount_cents == 0


def test_organizer_and_occurrence_cancellations_refund_in_full_whenever_they_happen() -> None:
    organizer = refund(-1, initiator=CancellationInitiator.ORGANIZER)
    occurrence = refund(1, initiator=CancellationInitiator.OCCURRENCE_CANCELED)
    assert (organizer.amount_cents, organizer.basis) == (2500, RefundBasis.ORGANIZER_CANCELED)
    assert (occurrence.amount_cents, occurrence.basis) == (2500, RefundBasis.OCCURRENCE_CANCELED)


def test_half_cents_are_rounded_up_in_the_guests_favour() -> None:
    assert refund(30, price=999).amount_cents == 500


@given(st.integers(min_value=0, max_value=10**7), st.floats(min_value=-10, max_value=100))
def test_a_refund_is_never_negative_nor_more_than_was_paid(price: int, hours_before: float) -> None:
    assert 0 <= refund(hours_before, price=price).amount_cents <= price


def test_without_a_policy_a_guest_cancellation_refunds_nothing() -> None:
    policy = parse_refund_policy({}).unwrap()
    assert policy == RefundPolicy()
    decision = refund_amount(price_paid_cents=2500, start_at=START, now=START - timedelta(days=30), policy=policy)
    assert decision.amount_cents == 0


def test_a_guest_may_cancel_only_before_the_guest_cutoff() -> None:
    assert guest_may_cancel(start_at=START, now=START - timedelta(hours=3), policy=POLICY).allowed
    at_cutoff = guest_may_cancel(start_at=START, now=START - timedelta(hours=2), policy=POLICY)
    assert not at_cutoff.allowed
    assert at_cutoff.cutoff_at == START - timedelta(hours=2)
    assert not guest_may_cancel(start_at=START, now=START, policy=RefundPolicy()).allowed


def test_a_policy_that_pays_more_for_later_cancellation_is_refused() -> None:
    parsed = parse_refund_policy(
        {"refund_policy": [{"min_hours_before": 48, "percent": 50}, {"min_hours_before": 24, "percent": 100}]}
    )
    assert not parsed.ok
    assert "would refund more" in parsed.problems[0].message


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"refund_policy": {"min_hours_before": 48, "percent": 100}}, "refund_policy"),
        ({"refund_policy": [{"min_hours_before": 48}]}, "refund_policy[0]"),
        ({"refund_policy": [{"min_hours_before": -1, "percent": 10}]}, "refund_policy[0].min_hours_before"),
        ({"refund_policy": [{"min_hours_before": 1.5, "percent": 10}]}, "refund_policy[0].min_hours_before"),
        ({"refund_policy": [{"min_hours_before": 1, "percent": 101}]}, "refund_policy[0].percent"),
        ({"refund_policy": [{"min_hours_before": 1, "percent": "12.345"}]}, "refund_policy[0].percent"),
        ({"refund_policy": [{"min_hours_before": 1, "percent": True}]}, "refund_policy[0].percent"),
        (
            {"refund_policy": [{"min_hours_before": 1, "percent": 10}, {"min_hours_before": 1, "percent": 5}]},
            "refund_policy",
        ),
        ({"guest_cancellation_cutoff_hours": "2"}, "guest_cancellation_cutoff_hours"),
    ],
)
def test_a_malformed_policy_is_refused_with_the_path_of_the_problem(settings: dict[str, object], path: str) -> None:
    parsed = parse_refund_policy(settings)
    assert not parsed.ok
    assert parsed.value is None
    assert parsed.problems[0].path == path


def test_decimal_percentages_are_allowed_as_strings_or_numbers() -> None:
    policy = parse_refund_policy({"refund_policy": [{"min_hours_before": 10, "percent": 12.5}]}).unwrap()
    assert policy.tiers[0].percent == Decimal("12.5")


def test_refunds_refuse_naive_times_and_negative_prices() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        refund_amount(price_paid_cents=1, start_at=datetime(2026, 6, 1), now=START, policy=POLICY)
    with pytest.raises(ValueError, match="negative"):
        refund_amount(price_paid_cents=-1, start_at=START, now=START, policy=POLICY)
