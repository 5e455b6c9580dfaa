"""Refund policy: how much of what a guest paid comes back when a ticket is canceled.

The policy lives in the event definition's ``settings``::

    {
      "refund_policy": [
        {"min_hours_before": 48, "percent": 100},
        {"min_hours_before": 24, "percent": 50}
      ],
      "guest_cancellation_cutoff_hours": 2
    }

A guest canceling at least 48 hours before ``start_at`` gets 100 %, at least 24 hours before 50 %, later nothing
("none after" is implied). Tiers may come in any order; with fewer hours to go the percentage may only fall, since a
policy that pays more the later one cancels is a typo, not a policy. ``percent`` may have two decimals. With no
``refund_policy`` a guest cancellation refunds nothing. ``guest_cancellation_cutoff_hours`` (default 0: until the
start) is the last moment a guest may cancel at all; it is not the occurrence's ``cancellation_cutoff_hours``
(``shared.lifecycle``), which is about the organizer canceling the occurrence.

When the organizer cancels a ticket, or the occurrence is canceled, the refund is always in full.

Rounding: amounts are whole minor units, rounded half up in the guest's favour (50 % of 999 is 500), by
``shared.money.percent_of``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from shared.clock import require_aware
from shared.money import percent_of
from shared.settings import Parsed, SettingsProblem, read_int, read_percent, section

REFUND_POLICY_KEY = "refund_policy"
GUEST_CUTOFF_KEY = "guest_cancellation_cutoff_hours"
FULL = Decimal(100)


@dataclass(frozen=True)
class RefundTier:
    min_hours_before: int
    percent: Decimal


@dataclass(frozen=True)
class RefundPolicy:
    tiers: tuple[RefundTier, ...] = ()  # most hours first
    guest_cancellation_cutoff_hours: int = 0


def parse_refund_policy(settings: Mapping[str, object] | None) -> Parsed[RefundPolicy]:
    """Read the refund policy out of a definition's settings, or every problem with it."""
    problems: list[SettingsProblem] = []
    tiers: list[RefundTier] = []
    raw_tiers = section(settings, REFUND_POLICY_KEY)
    if raw_tiers is not None and not isinstance(raw_tiers, list):
        problems.append(SettingsProblem(REFUND_POLICY_KEY, "must be a list of {min_hours_before, percent}"))
    for index, raw in enumerate(raw_tiers if isinstance(raw_tiers, list) else []):
        path = f"{REFUND_POLICY_KEY}[{index}]"
        if not isinstance(raw, Mapping) or set(raw) != {"min_hours_before", "percent"}:
            problems.append(SettingsProblem(path, "must have exactly min_hours_before and percent"))
            continue
        hours = read_int(raw["min_hours_before"], f"{path}.min_hours_before", problems, minimum=0)
        percent = read_percent(raw["percent"], f"{path}.percent", problems)
        if hours is not None and percent is not None:
            tiers.append(RefundTier(hours, percent))
    tiers.sort(key=lambda tier: tier.min_hours_before, reverse=True)
    for earlier, later in pairwise(tiers):
        if earlier.min_hours_before == later.min_hours_before:
            problems.append(SettingsProblem(REFUND_POLICY_KEY, f"two tiers for {later.min_hours_before} hours"))
        elif later.percent > earlier.percent:
            problems.append(
                SettingsProblem(
                    REFUND_POLICY_KEY,
                    f"canceling {later.min_hours_before} hours before would refund more "
                    f"({later.percent} %) than canceling {earlier.min_hours_before} hours before ({earlier.percent} %)",
                )
            )
    cutoff = 0
    raw_cutoff = section(settings, GUEST_CUTOFF_KEY)
    if raw_cutoff is not None:
        cutoff = read_int(raw_cutoff, GUEST_CUTOFF_KEY, problems, minimum=0) or 0
    if problems:
        return Parsed(None, tuple(problems))
    return Parsed(RefundPolicy(tuple(tiers), cutoff))


class CancellationInitiator(StrEnum):
    GUEST = "guest"
    ORGANIZER = "organizer"  # the organizer canceled this ticket
    OCCURRENCE_CANCELED = "occurrence_canceled"  # the whole occurrence was canceled


class RefundBasis(StrEnum):
    ORGANIZER_CANCELED = "organizer_canceled"
    OCCURRENCE_CANCELED = "occurrence_canceled"
    POLICY_TIER = "policy_tier"
    TOO_CLOSE_TO_START = "too_close_to_start"  # no tier reaches this close to the start
    STARTED = "started"


@dataclass(frozen=True)
class RefundDecision:
    amount_cents: int
    percent: Decimal
    basis: RefundBasis
    tier: RefundTier | None = None


def refund_amount(
    *,
    price_paid_cents: int,
    start_at: datetime,
    now: datetime,
    policy: RefundPolicy,
    initiator: CancellationInitiator = CancellationInitiator.GUEST,
) -> RefundDecision:
    """The refund for canceling a ticket bought for ``price_paid_cents`` at ``now``.

    Whether a guest may still cancel at all is ``guest_may_cancel``'s question; this one only prices it.
    """
    if price_paid_cents < 0:
        raise ValueError("price_paid_cents must not be negative")
    start_at, now = require_aware(start_at, "start_at"), require_aware(now, "now")
    if initiator is CancellationInitiator.ORGANIZER:
        return RefundDecision(price_paid_cents, FULL, RefundBasis.ORGANIZER_CANCELED)
    if initiator is CancellationInitiator.OCCURRENCE_CANCELED:
        return RefundDecision(price_paid_cents, FULL, RefundBasis.OCCURRENCE_CANCELED)
    if now >= start_at:
        return RefundDecision(0, Decimal(0), RefundBasis.STARTED)
    notice = start_at - now
    for tier in policy.tiers:
        if notice >= timedelta(hours=tier.min_hours_before):
            return RefundDecision(
                percent_of(price_paid_cents, tier.percent), tier.percent, RefundBasis.POLICY_TIER, tier
            )
    return RefundDecision(0, Decimal(0), RefundBasis.TOO_CLOSE_TO_START)


@dataclass(frozen=True)
class GuestCancellationVerdict:
    allowed: bool
    cutoff_at: datetime


def guest_may_cancel(*, start_at: datetime, now: datetime, policy: RefundPolicy) -> GuestCancellationVerdict:
    """Whether a guest may still cancel: strictly before ``start_at`` minus the guest cancellation cutoff."""
    start_at, now = require_aware(start_at, "start_at"), require_aware(now, "now")
    cutoff_at = start_at - timedelta(hours=policy.guest_cancellation_cutoff_hours)
    return GuestCancellationVerdict(allowed=now < cutoff_at, cutoff_at=cutoff_at)
