"""Opening the replica's SQLite file, and how times are stored in it.

Durability: the file runs in WAL mode with ``synchronous=FULL``, so a transaction that returned from COMMIT survives
a power cut, not only a crash of the process (with ``NORMAL`` in WAL mode the last commits may roll back after a
power loss; a check-in that the guest saw accepted must not). ``docs/benchmarks.md`` has what the fsync costs here.

Concurrency: the UI's check-in path and the sync thread each check a connection out of the engine's pool; SQLite
lets one of them write at a time and readers never wait in WAL mode. ``busy_timeout`` makes a writer wait for the
other instead of failing; the sync engine keeps its transactions short (one pulled page at a time) so that a scan
never waits long.

Times are INTEGER microseconds since the Unix epoch, UTC: they sort, compare and index as numbers, and convert
without ambiguity.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

BUSY_TIMEOUT_MS = 5000
IMMEDIATE = "usher_immediate"  # execution option: this transaction will write


def to_us(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}")
    delta = value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)


def opt_to_us(value: datetime | None) -> int | None:
    return None if value is None else to_us(value)


def opt_from_us(value: int | None) -> datetime | None:
    return None if value is None else from_us(value)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is turned off (isolation_level=None) so that BEGIN is ours (``_on_begin``):
    # writers begin IMMEDIATE, taking the write lock up front instead of failing half way on a lock upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _on_begin(connection: sa.Connection) -> None:
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_engine(path: Path) -> sa.Engine:
    """An engine on the replica file at ``path`` (created when missing). Every connection is set up as above; use
    ``writer(engine).begin()`` for a transaction that writes, ``engine.begin()`` for a consistent read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False},
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def writer(engine: sa.Engine) -> sa.Engine:
    return engine.execution_options(**{IMMEDIATE: True})
