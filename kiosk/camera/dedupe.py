"""A code held in front of the camera counts once.

The camera sees a ticket in thirty frames a second, and the decoder misses some of them (blur while the hand moves,
a reflection). ``InViewDeduplicator`` turns that stream of per-frame readings into one event per *appearance*:

- a payload counts when it is read and was not in view;
- it stays "in view" while readings keep coming, with gaps of at most ``grace`` seconds between them;
- once it has not been read for longer than ``grace``, it has left; read again, it counts again.

It is pure: the caller passes ``now`` (seconds from a monotonic clock) with every frame, and nothing here sleeps,
reads a clock or knows about Qt.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_GRACE = 1.0  # seconds a code may go unread and still be the same appearance


class InViewDeduplicator:
    def __init__(self, grace: float = DEFAULT_GRACE) -> None:
        if grace < 0:
            raise ValueError("grace must not be negative")
        self.grace = grace
        self._last_read: dict[str, float] = {}

    def observe(self, payloads: Iterable[str], now: float) -> list[str]:
        """Record one frame's readings; return the payloads that just came into view, in the order given.

        Call it for every frame, also the ones where nothing was read, so that codes that left are forgotten.
        """
        self._forget_gone(now)
        arrived = []
        for payload in payloads:
            if payload not in self._last_read and payload not in arrived:
                arrived.append(payload)
            self._last_read[payload] = now
        return arrived

    def in_view(self, now: float) -> frozenset[str]:
        """The payloads currently counted as in view (read within ``grace`` of ``now``)."""
        return frozenset(p for p, seen in self._last_read.items() if now - seen <= self.grace)

    def reset(self) -> None:
        """Forget everything: the next reading of any code counts (e.g. after the operator switched events)."""
        self._last_read.clear()

    def _forget_gone(self, now: float) -> None:
        gone = [p for p, seen in self._last_read.items() if now - seen > self.grace]
        for payload in gone:
            del self._last_read[payload]
