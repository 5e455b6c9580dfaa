"""Status rules: which status changes are allowed, and which status the clock says something should be in.

Event definitions and packages: ``draft -> active <-> paused``, and any of those ``-> archived`` (final). Becoming
active needs at least one ticket type (a definition) or one item (a package), from draft and from paused alike.

Occurrences: ``scheduled -> confirmed -> in_progress -> completed``, and ``canceled`` from the first three.
Settings in the definition (or, key by key, the occurrence)::

    {"cancellation_cutoff_hours": 24, "auto_cancel_below_min_capacity": true}

* The cutoff is ``start_at`` minus ``cancellation_cutoff_hours``. Until then the organizer may cancel a scheduled
  or confirmed occurrence; after it, and once it is in progress, only with ``force`` (weather, illness: the
  routine button must not cancel at the last minute, an emergency must be able to).
* Minimum capacity: a scheduled occurrence is confirmed as soon as ``seats_sold`` reaches ``min_capacity``. If it
  has not by the cutoff it is canceled (the spec's auto-cancel) or, with ``auto_cancel_below_min_capacity`` false,
  confirmed anyway. Note the spec's default ``min_capacity`` of 1: an occurrence with no sales at the cutoff is
  canceled unless the organizer turns auto-cancel off (walk-up-only events should).
* A confirmed occurrence stays confirmed if later cancellations take it below ``min_capacity``.

Ticket types: ``disabled`` is the organizer's and stays; otherwise ``expired`` from ``valid_until``, ``sold_out``
when ``quantity_sold >= quantity_available``, else ``active`` (so adding quantity or extending ``valid_until``
reactivates a type). Before ``valid_from`` a type is active but not on sale yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from shared.capacity import seats_available
from shared.clock import require_aware
from shared.enums import DefinitionStatus, OccurrenceStatus, PackageStatus, TicketTypeStatus
from shared.settings import Parsed, SettingsProblem, read_bool, read_int

RESERVATION_TTL = timedelta(minutes=15)

S = TypeVar("S", DefinitionStatus, PackageStatus, OccurrenceStatus)


class TransitionRefusal(StrEnum):
    UNCHANGED = "unchanged"  # already in that status: the caller may treat it as done
    NOT_ALLOWED = "not_allowed"
    NO_TICKET_TYPES = "no_ticket_types"
    NO_ITEMS = "no_items"
    NOT_STARTED = "not_started"
    CUTOFF_PASSED = "cutoff_passed"  # a cancellation after the cutoff needs force


@dataclass(frozen=True)
class TransitionVerdict:
    allowed: bool
    reason: TransitionRefusal | None = None


ALLOWED = TransitionVerdict(True)

DEFINITION_TRANSITIONS: Mapping[DefinitionStatus, frozenset[DefinitionStatus]] = {
    DefinitionStatus.DRAFT: frozenset({DefinitionStatus.ACTIVE, DefinitionStatus.ARCHIVED}),
    DefinitionStatus.ACTIVE: frozenset({DefinitionStatus.PAUSED, DefinitionStatus.ARCHIVED}),
    DefinitionStatus.PAUSED: frozenset({DefinitionStatus.ACTIVE, DefinitionStatus.ARCHIVED}),
    DefinitionStatus.ARCHIVED: frozenset(),
}
# Packages follow the definitions' graph; the two enums share their values.
PACKAGE_TRANSITIONS: Mapping[PackageStatus, frozenset[PackageStatus]] = {
    PackageStatus(current): frozenset(PackageStatus(target) for target in targets)
    for current, targets in DEFINITION_TRANSITIONS.items()
}
OCCURRENCE_TRANSITIONS: Mapping[OccurrenceStatus, frozenset[OccurrenceStatus]] = {
    OccurrenceStatus.SCHEDULED: frozenset({OccurrenceStatus.CONFIRMED, OccurrenceStatus.CANCELED}),
    OccurrenceStatus.CONFIRMED: frozenset({OccurrenceStatus.IN_PROGRESS, OccurrenceStatus.CANCELED}),
    OccurrenceStatus.IN_PROGRESS: frozenset({OccurrenceStatus.COMPLETED, OccurrenceStatus.CANCELED}),
    OccurrenceStatus.COMPLETED: frozenset(),
    OccurrenceStatus.CANCELED: frozenset(),
}


def _edge(transitions: Mapping[S, frozenset[S]], current: S, target: S) -> TransitionVerdict | None:
    """A refusal when the graph forbids the step, else ``None``."""
    if current == target:
        return TransitionVerdict(False, TransitionRefusal.UNCHANGED)
    if target not in transitions[current]:
        return TransitionVerdict(False, TransitionRefusal.NOT_ALLOWED)
    return None


def definition_transition(
    *, current: DefinitionStatus, target: DefinitionStatus, ticket_type_count: int
) -> TransitionVerdict:
    refusal = _edge(DEFINITION_TRANSITIONS, current, target)
    if refusal is not None:
        return refusal
    if target is DefinitionStatus.ACTIVE and ticket_type_count < 1:
        return TransitionVerdict(False, TransitionRefusal.NO_TICKET_TYPES)
    return ALLOWED


def package_transition(*, current: PackageStatus, target: PackageStatus, item_count: int) -> TransitionVerdict:
    refusal = _edge(PACKAGE_TRANSITIONS, current, target)
    if refusal is not None:
        return refusal
    if target is PackageStatus.ACTIVE and item_count < 1:
        return TransitionVerdict(False, TransitionRefusal.NO_ITEMS)
    return ALLOWED


@dataclass(frozen=True)
class OccurrenceRules:
    cancellation_cutoff_hours: int = 24
    auto_cancel_below_min_capacity: bool = True

    @property
    def cutoff(self) -> timedelta:
        return timedelta(hours=self.cancellation_cutoff_hours)


def parse_occurrence_rules(
    *, definition_settings: Mapping[str, object] | None, occurrence_settings: Mapping[str, object] | None = None
) -> Parsed[OccurrenceRules]:
    """Read the cutoff and auto-cancel settings; the occurrence's keys win over the definition's."""
    merged: dict[str, object] = {}
    for document in (definition_settings, occurrence_settings):
        for key in ("cancellation_cutoff_hours", "auto_cancel_below_min_capacity"):
            if document is not None and key in document:
                merged[key] = document[key]
    problems: list[SettingsProblem] = []
    defaults = OccurrenceRules()
    cutoff = read_int(
        merged.get("cancellation_cutoff_hours", defaults.cancellation_cutoff_hours),
        "cancellation_cutoff_hours",
        problems,
        minimum=0,
        maximum=24 * 365,
    )
    auto_cancel = read_bool(
        merged.get("auto_cancel_below_min_capacity", defaults.auto_cancel_below_min_capacity),
        "auto_cancel_below_min_capacity",
        problems,
    )
    if problems or cutoff is None or auto_cancel is None:
        return Parsed(None, tuple(problems))
    return Parsed(OccurrenceRules(cutoff, auto_cancel))


def occurrence_transition(
    *,
    current: OccurrenceStatus,
    target: OccurrenceStatus,
    start_at: datetime,
    now: datetime,
    rules: OccurrenceRules,
    force: bool = False,
) -> TransitionVerdict:
    """Whether someone may move an occurrence from ``current`` to ``target`` by hand at ``now``."""
    start_at, now = require_aware(start_at, "start_at"), require_aware(now, "now")
    refusal = _edge(OCCURRENCE_TRANSITIONS, current, target)
    if refusal is not None:
        return refusal
    if target in {OccurrenceStatus.IN_PROGRESS, OccurrenceStatus.COMPLETED} and now < start_at:
        return TransitionVerdict(False, TransitionRefusal.NOT_STARTED)
    past_cutoff = current is OccurrenceStatus.IN_PROGRESS or now >= start_at - rules.cutoff
    if target is OccurrenceStatus.CANCELED and past_cutoff and not force:
        return TransitionVerdict(False, TransitionRefusal.CUTOFF_PASSED)
    return ALLOWED


class StatusChangeReason(StrEnum):
    MIN_CAPACITY_REACHED = "min_capacity_reached"
    MIN_CAPACITY_NOT_MET = "min_capacity_not_met"  # auto-canceled at the cutoff
    PROCEEDING_BELOW_MIN_CAPACITY = "proceeding_below_min_capacity"
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True)
class DueStatus:
    """The status an occurrence should be in now. ``reason`` explains the last step taken, ``None`` if unchanged.
    It may be several steps on from the stored status (a job that did not run for a while): set it directly."""

    status: OccurrenceStatus
    reason: StatusChangeReason | None


def occurrence_status_due(
    *,
    status: OccurrenceStatus,
    start_at: datetime,
    end_at: datetime,
    seats_sold: int,
    min_capacity: int,
    rules: OccurrenceRules,
    now: datetime,
) -> DueStatus:
    start_at, end_at, now = (
        require_aware(start_at, "start_at"),
        require_aware(end_at, "end_at"),
        require_aware(now, "now"),
    )
    if status in {OccurrenceStatus.COMPLETED, OccurrenceStatus.CANCELED}:
        return DueStatus(status, None)
    due: OccurrenceStatus = status
    reason: StatusChangeReason | None = None
    if due is OccurrenceStatus.SCHEDULED:
        if seats_sold >= min_capacity:
            due, reason = OccurrenceStatus.CONFIRMED, StatusChangeReason.MIN_CAPACITY_REACHED
        elif now >= start_at - rules.cutoff:
            if rules.auto_cancel_below_min_capacity:
                return DueStatus(OccurrenceStatus.CANCELED, StatusChangeReason.MIN_CAPACITY_NOT_MET)
            due, reason = OccurrenceStatus.CONFIRMED, StatusChangeReason.PROCEEDING_BELOW_MIN_CAPACITY
    if due is OccurrenceStatus.CONFIRMED and now >= start_at:
        due, reason = OccurrenceStatus.IN_PROGRESS, StatusChangeReason.STARTED
    if due is OccurrenceStatus.IN_PROGRESS and now >= end_at:
        due, reason = OccurrenceStatus.COMPLETED, StatusChangeReason.ENDED
    return DueStatus(due, reason)


@dataclass(frozen=True)
class TicketTypeSnapshot:
    status: TicketTypeStatus
    quantity_available: int | None
    quantity_sold: int
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    min_quantity: int = 1
    max_quantity: int = 10

    def __post_init__(self) -> None:
        for name in ("valid_from", "valid_until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_aware(value, name))

    @property
    def remaining(self) -> int | None:
        """Tickets of this type still for sale (``None``: unlimited); the same arithmetic as an occurrence's seats."""
        return seats_available(capacity=self.quantity_available, seats_sold=self.quantity_sold)


def ticket_type_status_due(ticket_type: TicketTypeSnapshot, *, now: datetime) -> TicketTypeStatus:
    now = require_aware(now, "now")
    if ticket_type.status is TicketTypeStatus.DISABLED:
        return TicketTypeStatus.DISABLED
    if ticket_type.valid_until is not None and now >= ticket_type.valid_until:
        return TicketTypeStatus.EXPIRED
    if ticket_type.remaining == 0:
        return TicketTypeStatus.SOLD_OUT
    return TicketTypeStatus.ACTIVE


class PurchaseRefusal(StrEnum):
    DISABLED = "disabled"
    NOT_ON_SALE_YET = "not_on_sale_yet"
    EXPIRED = "expired"
    SOLD_OUT = "sold_out"
    BELOW_MIN_QUANTITY = "below_min_quantity"
    ABOVE_MAX_QUANTITY = "above_max_quantity"
    NOT_ENOUGH_LEFT = "not_enough_left"


@dataclass(frozen=True)
class PurchaseVerdict:
    allowed: bool
    reason: PurchaseRefusal | None
    remaining: int | None  # what is left of this type (None: unlimited), to say "only 3 left"


class SaleRefusal(StrEnum):
    EVENT_NOT_ON_SALE = "event_not_on_sale"  # the definition is a draft, paused or archived
    OCCURRENCE_NOT_ON_SALE = "occurrence_not_on_sale"  # canceled or completed
    OCCURRENCE_STARTED = "occurrence_started"  # online sales close at the start
    OCCURRENCE_ENDED = "occurrence_ended"  # the door sells until the end


def occurrence_sale_refusal(
    *,
    definition_status: DefinitionStatus,
    occurrence_status: OccurrenceStatus,
    start_at: datetime,
    end_at: datetime,
    now: datetime,
    at_the_door: bool,
) -> SaleRefusal | None:
    """Why no ticket of this occurrence may be sold at ``now``, or ``None``. Online sales stop when it starts; the
    box office at the door goes on selling walk-ups while it runs."""
    start_at, end_at, now = require_aware(start_at, "start_at"), require_aware(end_at, "end_at"), require_aware(now)
    if definition_status is not DefinitionStatus.ACTIVE:
        return SaleRefusal.EVENT_NOT_ON_SALE
    selling = (OccurrenceStatus.SCHEDULED, OccurrenceStatus.CONFIRMED)
    if occurrence_status not in (*selling, OccurrenceStatus.IN_PROGRESS) or (
        occurrence_status is OccurrenceStatus.IN_PROGRESS and not at_the_door
    ):
        return SaleRefusal.OCCURRENCE_NOT_ON_SALE
    if at_the_door:
        return SaleRefusal.OCCURRENCE_ENDED if now >= end_at else None
    return SaleRefusal.OCCURRENCE_STARTED if now >= start_at else None


def can_purchase(
    ticket_type: TicketTypeSnapshot, *, quantity: int, now: datetime, judge_stock: bool = True
) -> PurchaseVerdict:
    """Whether ``quantity`` tickets of this type may be bought at ``now``, as far as the type is concerned; the
    occurrence's capacity is ``shared.capacity``'s question. Refusals in this order: disabled, not on sale yet,
    expired, sold out, below the minimum, above the maximum, not enough left.

    ``judge_stock=False`` leaves sold out and not enough left to the caller: the server's conditional UPDATE judges
    stock, after releasing expired holds that the counters still include. Every other rule still applies."""
    now = require_aware(now, "now")
    remaining = ticket_type.remaining
    status = ticket_type_status_due(ticket_type, now=now)

    def refuse(reason: PurchaseRefusal) -> PurchaseVerdict:
        return PurchaseVerdict(False, reason, remaining)

    if status is TicketTypeStatus.DISABLED:
        return refuse(PurchaseRefusal.DISABLED)
    if ticket_type.valid_from is not None and now < ticket_type.valid_from:
        return refuse(PurchaseRefusal.NOT_ON_SALE_YET)
    if status is TicketTypeStatus.EXPIRED:
        return refuse(PurchaseRefusal.EXPIRED)
    if judge_stock and status is TicketTypeStatus.SOLD_OUT:
        return refuse(PurchaseRefusal.SOLD_OUT)
    if quantity < ticket_type.min_quantity:
        return refuse(PurchaseRefusal.BELOW_MIN_QUANTITY)
    if quantity > ticket_type.max_quantity:
        return refuse(PurchaseRefusal.ABOVE_MAX_QUANTITY)
    if judge_stock and remaining is not None and quantity > remaining:
        return refuse(PurchaseRefusal.NOT_ENOUGH_LEFT)
    return PurchaseVerdict(True, None, remaining)


def reservation_expires_at(reserved_at: datetime, *, ttl: timedelta = RESERVATION_TTL) -> datetime:
    """When a hold made at ``reserved_at`` ends (``ttl``: the deployment's hold time, 15 minutes by default)."""
    return require_aware(reserved_at, "reserved_at") + ttl


def reservation_expired(*, reserved_at: datetime, now: datetime) -> bool:
    """Whether a reserved (unpaid) ticket's hold is over and its seat goes back to the occurrence."""
    return require_aware(now, "now") >= reservation_expires_at(reserved_at)
