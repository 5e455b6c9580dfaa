"""Waiting, in a test, until another thread's transaction is blocked on a row lock in PostgreSQL: the way to make
a race happen in a fixed order instead of by luck."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

_WAITING = sa.text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def wait_until_blocked_on_a_lock(
    engine: sa.Engine, thread: threading.Thread | None = None, timeout: float = 30
) -> None:
    """Returns once some session of this database waits on a lock. Fails if ``thread`` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    # Autocommit: PostgreSQL keeps one statistics snapshot per transaction, so polling inside one would never see
    # the wait begin.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as monitor:
        while not monitor.scalar(_WAITING):
            assert thread is None or thread.is_alive(), "the other transaction finished without waiting for the lock"
            assert time.monotonic() < deadline, "the other transaction never waited for the lock"
            time.sleep(0.01)
