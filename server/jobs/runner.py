"""Runs the periodic jobs in a background thread of the server process (``settings.run_jobs``), or once from the
command line (``usher jobs run-once``, ``usher sweep``)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from server.config import Settings
from server.devices.allotments import close_allotments_at_doors_close
from server.jobs import tasks
from server.notifications.delivery import deliver_pending
from server.waitlist import offers as waitlist_offers

logger = logging.getLogger(__name__)


# Recurring events need new occurrences only as days pass; an hourly run keeps the horizon full within the hour.
GENERATION_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class RunReport:
    holds_released: int
    occurrences_changed: int
    mails_sent: int
    occurrences_generated: int = 0
    failed: tuple[str, ...] = ()  # jobs that raised this round (logged); the others ran all the same


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


_T = TypeVar("_T")


def run_once(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    deliver_mail: bool = True,
    generate_occurrences: bool = True,
) -> RunReport:
    """Every periodic job once. A job that fails is logged and reported; it does not stop the ones after it (one
    bad row must not stop mail delivery or the waitlist for everyone)."""
    failed: list[str] = []

    def attempt(name: str, job: Callable[[], _T], otherwise: _T) -> _T:
        try:
            return job()
        except Exception:
            logger.exception("periodic job %s failed; the others go on", name)
            failed.append(name)
            return otherwise

    def deliver() -> int:
        return len(
            deliver_pending(session_factory=session_factory, settings=settings, now=now, worker=worker_name()).sent
        )

    released = attempt("release holds", lambda: tasks.sweep_expired_holds(session_factory=session_factory, now=now), 0)
    changed = attempt(
        "advance occurrences",
        lambda: len(tasks.advance_occurrences(session_factory=session_factory, now=now).changed),
        0,
    )
    attempt("purge idempotency keys", lambda: tasks.purge_idempotency_keys(session_factory=session_factory, now=now), 0)
    attempt("close allotments", lambda: close_allotments_at_doors_close(session_factory=session_factory, now=now), None)
    # After the two above: holds they released and occurrences they closed settle the waitlists in place; this
    # catches the rest (lapsed offers, occurrences that started).
    attempt("waitlist", lambda: waitlist_offers.sweep(session_factory=session_factory, now=now), 0)
    sent = attempt("deliver mail", deliver, 0) if deliver_mail else 0
    generated = 0
    if generate_occurrences:
        generated = attempt(
            "generate occurrences",
            lambda: tasks.generate_occurrences(
                session_factory=session_factory, now=now, horizon_days=settings.occurrence_horizon_days
            ),
            0,
        )
    return RunReport(released, changed, sent, generated, tuple(failed))


class JobRunner:
    """Calls ``run_once`` every ``interval`` seconds until stopped; an error is logged and the next round tried."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        settings: Settings,
        clock: Callable[[], datetime],
        interval: float = 30.0,
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._clock = clock
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="usher-jobs", daemon=True)
        self._next_generation: datetime | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = self._clock()
            generate = self._next_generation is None or now >= self._next_generation
            try:
                run_once(
                    session_factory=self._session_factory,
                    settings=self._settings,
                    now=now,
                    generate_occurrences=generate,
                )
                if generate:
                    self._next_generation = now + GENERATION_INTERVAL
            except Exception:  # keep the runner alive; the next round retries
                logger.exception("periodic jobs failed")
            self._stop.wait(self._interval)
