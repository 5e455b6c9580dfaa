"""The shared ManualClock, callable like the server's clock (``now = clock()``): time is an edge of the world,
so the tests move it by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared import clock as shared_clock

DEFAULT_START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class ManualClock(shared_clock.ManualClock):
    def __init__(self, start: datetime = DEFAULT_START) -> None:
        super().__init__(start)

    def __call__(self) -> datetime:
        return self.now()

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        return super().advance(delta if delta is not None else timedelta(**parts))
