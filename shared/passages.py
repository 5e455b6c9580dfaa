"""Entries and exits recorded at the gates: who is inside, undoing a mistaken scan, and settling offline duplicates.

A passage is one scan that let someone in or out. Passages are never deleted: a mistaken one is annulled (it keeps
its row and gains ``annulled_at``), so every helper here ignores annulled passages and both sides can feed their rows
as they are.

Order: passages are ordered by ``at``, and passages with equal ``at`` keep the order they were given in. Give them in
the order they were recorded (id or insertion order) and the tie-break is the same on both sides.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.clock import require_aware

ANNUL_WINDOW = timedelta(minutes=5)


class Direction(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


@dataclass(frozen=True)
class Passage:
    """One recorded entry or exit. ``at`` is on the server's clock (device time plus the device's clock offset)."""

    ticket_id: uuid.UUID
    direction: Direction
    at: datetime
    gate: str
    device_id: uuid.UUID
    annulled_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_aware(self.at, "at"))
        if self.annulled_at is not None:
            object.__setattr__(self, "annulled_at", require_aware(self.annulled_at, "annulled_at"))

    @property
    def annulled(self) -> bool:
        return self.annulled_at is not None


def standing(passages: Iterable[Passage]) -> list[Passage]:
    """The passages that count, oldest first."""
    return sorted((p for p in passages if not p.annulled), key=lambda p: p.at)


def is_inside(history: Iterable[Passage]) -> bool:
    """Whether one ticket's holder is inside now: their last standing passage was an entry."""
    counted = standing(history)
    return bool(counted) and counted[-1].direction is Direction.ENTRY


def last_entry(history: Iterable[Passage]) -> Passage | None:
    """The most recent standing entry of one ticket (the "when and where" of an already-checked-in refusal)."""
    entries = [p for p in standing(history) if p.direction is Direction.ENTRY]
    return entries[-1] if entries else None


def _by_ticket(passages: Iterable[Passage]) -> dict[uuid.UUID, list[Passage]]:
    grouped: dict[uuid.UUID, list[Passage]] = defaultdict(list)
    for passage in passages:
        grouped[passage.ticket_id].append(passage)
    return grouped


def count_inside(passages: Iterable[Passage]) -> int:
    """How many people are inside now, from the passages of any number of tickets."""
    return sum(1 for history in _by_ticket(passages).values() if is_inside(history))


def count_checked_in(passages: Iterable[Passage]) -> int:
    """How many tickets have been admitted at least once (attendance, whether or not they left again)."""
    return sum(1 for history in _by_ticket(passages).values() if last_entry(history) is not None)


class AnnulRefusal(StrEnum):
    ALREADY_ANNULLED = "already_annulled"
    OTHER_DEVICE = "other_device"  # only the device whose operator made the mistake can see it and undo it
    WINDOW_PASSED = "window_passed"  # after a few minutes the person is inside; undoing would need a supervisor


@dataclass(frozen=True)
class AnnulVerdict:
    allowed: bool
    reason: AnnulRefusal | None
    deadline: datetime


def can_annul(
    passage: Passage, *, device_id: uuid.UUID, now: datetime, window: timedelta = ANNUL_WINDOW
) -> AnnulVerdict:
    """Whether ``device_id`` may annul ``passage`` at ``now``: only the device that recorded it, within ``window``.

    ``now`` must be on the same clock as ``passage.at`` (the device's corrected clock, or the server's).
    """
    now = require_aware(now, "now")
    deadline = passage.at + window
    if passage.annulled:
        return AnnulVerdict(False, AnnulRefusal.ALREADY_ANNULLED, deadline)
    if passage.device_id != device_id:
        return AnnulVerdict(False, AnnulRefusal.OTHER_DEVICE, deadline)
    if now > deadline:
        return AnnulVerdict(False, AnnulRefusal.WINDOW_PASSED, deadline)
    return AnnulVerdict(True, None, deadline)


@dataclass(frozen=True)
class EntryAttempt:
    """A check-in of one ticket as a device recorded it, possibly offline.

    ``device_time`` is the device's clock; ``clock_offset`` is what that device's clock was measured to be behind the
    server's (``shared.clock.estimate_clock_offset``); an entry the server recorded itself has offset zero.
    ``nonce`` is the random id the device gave the attempt, which also makes upload retries idempotent.
    """

    ticket_id: uuid.UUID
    device_id: uuid.UUID
    device_time: datetime
    clock_offset: timedelta
    nonce: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "device_time", require_aware(self.device_time, "device_time"))

    @property
    def corrected_at(self) -> datetime:
        return self.device_time + self.clock_offset


@dataclass(frozen=True)
class EntryResolution:
    """Which attempt is the check-in, and which are duplicate entries to report as conflicts."""

    check_in: EntryAttempt
    duplicates: tuple[EntryAttempt, ...]


def resolve_entry_attempts(attempts: Sequence[EntryAttempt]) -> EntryResolution:
    """Settle several devices admitting one ticket while they could not see each other.

    The earliest attempt on the server's clock wins; ties go to the lower device id, then the lower nonce, so every
    server process reaches the same verdict. Uploads repeated with the same device and nonce count once. This is
    for events without re-entry; where re-entry is allowed, the server replays entries and exits in corrected-time
    order through ``shared.checkin.decide_check_in`` instead.
    """
    unique: dict[tuple[uuid.UUID, str], EntryAttempt] = {}
    for attempt in attempts:
        unique.setdefault((attempt.device_id, attempt.nonce), attempt)
    if not unique:
        raise ValueError("no entry attempts to resolve")
    if len({attempt.ticket_id for attempt in unique.values()}) != 1:
        raise ValueError("entry attempts for more than one ticket: resolve each ticket separately")
    ordered = sorted(unique.values(), key=lambda a: (a.corrected_at, a.device_id, a.nonce))
    return EntryResolution(check_in=ordered[0], duplicates=tuple(ordered[1:]))
