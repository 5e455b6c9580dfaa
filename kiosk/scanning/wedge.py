"""Tell a USB barcode scanner in keyboard-wedge mode from a person typing.

A wedge scanner "types" the payload it read, one key every few milliseconds, and presses Enter. People type
10-100 times slower. ``KeyboardWedgeDetector`` watches key presses with their times and reports a scan when a run of
at least ``min_length`` characters, every one within ``max_gap`` seconds of the one before, ends in an Enter that
also came within ``max_gap``. Anything slower is typing, and the run starts over.

It is pure and clock-injected: the Qt layer calls ``key(text, now)`` from its key-press handler (or an event filter)
with ``QKeyEvent.text()``, ``QKeyEvent.isAutoRepeat()`` and a monotonic time in seconds. The detector does not swallow
keys; while ``pending(now)`` is true the keys seen so far may still turn out to be a scan, and when ``key`` returns a
payload, the ``len(payload)`` characters before the Enter were the scanner's, not a person's.
"""

from __future__ import annotations

ENTER_KEYS = frozenset({"\r", "\n"})
DEFAULT_MAX_GAP = 0.05  # seconds between keys; scanners send every 2-30 ms, people rarely twice within 50 ms
DEFAULT_MIN_LENGTH = 6  # the shortest payload worth a scan (confirmation codes have 9-10 characters)
MAX_LENGTH = 4096  # longer runs are a stuck key or a paste, not a ticket


class KeyboardWedgeDetector:
    def __init__(self, *, max_gap: float = DEFAULT_MAX_GAP, min_length: int = DEFAULT_MIN_LENGTH) -> None:
        if max_gap <= 0:
            raise ValueError("max_gap must be positive")
        if min_length < 1:
            raise ValueError("min_length must be at least 1")
        self.max_gap = max_gap
        self.min_length = min_length
        self._run: list[str] = []
        self._last_key_at: float | None = None

    def key(self, text: str, now: float, *, auto_repeat: bool = False) -> str | None:
        """One key press: its text (``"\\r"`` or ``"\\n"`` for Enter; ``""`` for Shift and other silent keys).

        Returns the scanned payload when this Enter completes a scanner's run, else None.
        """
        if not text:
            return None  # a scanner presses Shift for capitals; it neither extends nor breaks a run
        if auto_repeat:
            self.reset()  # a held-down key repeats quickly, but it is a person
            return None
        if self._last_key_at is not None and now - self._last_key_at > self.max_gap:
            self._run.clear()
        self._last_key_at = now
        if text in ENTER_KEYS:
            payload = "".join(self._run)
            self.reset()
            return payload if len(payload) >= self.min_length else None
        self._run.append(text)
        if len(self._run) > MAX_LENGTH:
            self.reset()
        return None

    def pending(self, now: float) -> bool:
        """Whether the keys since the last pause could still become a scan."""
        return bool(self._run) and self._last_key_at is not None and now - self._last_key_at <= self.max_gap

    def reset(self) -> None:
        self._run.clear()
        self._last_key_at = None
