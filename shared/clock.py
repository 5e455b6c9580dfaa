"""Time at the edge of the world: the one place that asks the system what time it is.

Every rule in ``shared`` takes ``now`` as an argument; whoever calls a rule gets ``now`` from a ``Clock``. Tests use
``ManualClock``, which is a fake of the outside world rather than of our own code.

The kiosk's own clock may be wrong. ``estimate_clock_offset`` measures how far it is from the server's, the way NTP
does, so that offline check-in times can be corrected before the server compares devices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """``value`` in UTC; a naive datetime is a programming error (its meaning depends on the machine it runs on)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move: for tests and for replaying recorded sessions."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "start")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("a clock only moves forward; use set() to jump back")
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = require_aware(when, "when")


@dataclass(frozen=True)
class ClockOffset:
    """How far a device's clock is behind the server's: ``server time ≈ device time + offset``.

    ``uncertainty`` is half the round trip: the true offset lies within ``offset ± uncertainty`` as long as the
    network delay was the same both ways.
    """

    offset: timedelta
    uncertainty: timedelta

    def correct(self, device_time: datetime) -> datetime:
        """A time read from the device's clock, expressed on the server's clock."""
        return require_aware(device_time, "device_time") + self.offset


def estimate_clock_offset(*, sent_at: datetime, received_at: datetime, server_time: datetime) -> ClockOffset:
    """Estimate the offset from one request: the server read its clock, we assume, halfway through the round trip.

    ``sent_at`` and ``received_at`` come from the device's clock, ``server_time`` from the response.
    """
    sent_at = require_aware(sent_at, "sent_at")
    received_at = require_aware(received_at, "received_at")
    server_time = require_aware(server_time, "server_time")
    round_trip = received_at - sent_at
    if round_trip < timedelta(0):
        raise ValueError("received_at is before sent_at: the device clock jumped during the request")
    midpoint = sent_at + round_trip / 2
    return ClockOffset(offset=server_time - midpoint, uncertainty=round_trip / 2)


def best_clock_offset(samples: Iterable[ClockOffset]) -> ClockOffset:
    """The sample with the shortest round trip: the one least distorted by uneven network delay."""
    ordered = sorted(samples, key=lambda sample: sample.uncertainty)
    if not ordered:
        raise ValueError("no clock offset samples")
    return ordered[0]
