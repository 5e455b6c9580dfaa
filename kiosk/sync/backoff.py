"""Exponential backoff with jitter: how long to wait before trying the server again after a failure.

The n-th consecutive failure waits a random time between half and all of ``base * 2**n``, capped at ``cap``: the
wait grows fast while the network is gone, and kiosks that lost it together do not all come back in the same second.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, *, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None) -> None:
        if base <= 0 or cap < base:
            raise ValueError("need 0 < base <= cap")
        self.base = base
        self.cap = cap
        self._rng = rng or random.Random()
        self.failures = 0

    def next_delay(self) -> float:
        """The wait after one more failure, in seconds."""
        ceiling = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0
