"""Opening the replica's SQLite file, and how times are stored in it.

Durability: the file runs in WAL mode with ``synchronous=FULL``, so a transaction that returned from COMMIT survives
a power cut, not only a crash of the process (with ``NORMAL`` in WAL mode the last commits may roll back after a
power loss; a check-in that the guest saw accepted must not). ``docs/benchmarks.md`` has what the fsync costs here.

Concurrency: the UI's check-in path and the sync thread each check a connection out of the engine's pool; SQLite
lets one of them write at a time and readers never wait in WAL mode. ``busy_timeout`` makes a writer wait for the
other instead of failing; the sync engine keeps its transactions short (one pulled page at a time) so that a scan
never waits long.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

from kiosk.store import search

BUSY_TIMEOUT_MS = 5000
IMMEDIATE = "usher_immediate"  # execution option: this transaction will write


def _connect_hook(synchronous: str) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        _set_up(dbapi_connection, synchronous)

    return on_connect


def _set_up(dbapi_connection: Any, synchronous: str) -> None:
    # pysqlite's own transaction handling is turned off (isolation_level=None) so that BEGIN is ours (``_on_begin``):
    # writers begin IMMEDIATE, taking the write lock up front instead of failing half way on a lock upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
    search.register(dbapi_connection)


def _on_begin(connection: sa.Connection) -> None:
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_engine(path: Path, *, synchronous: str = "FULL") -> sa.Engine:
    """An engine on the replica file at ``path`` (created when missing). Every connection is set up as above; use
    ``writer(engine).begin()`` for a transaction that writes, ``engine.begin()`` for a consistent read.
    ``synchronous`` is for measuring what FULL costs (``bench/scan.py --synchronous``); the kiosk keeps FULL."""
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False},
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
    )
    event.listen(engine, "connect", _connect_hook(synchronous))
    event.listen(engine, "begin", _on_begin)
    return engine


def writer(engine: sa.Engine) -> sa.Engine:
    return engine.execution_options(**{IMMEDIATE: True})
