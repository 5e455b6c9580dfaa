"""The replica's schema: the server's tables as ``shared.wire`` defines them, and this kiosk's own tables, versioned.

Two kinds of tables, kept apart on purpose:

- **What the server sends** (``events``, ``occurrences``, ``ticket_types``, ``tickets``, ``check_ins``, ``keys``,
  ``conflicts``, ``allotments`` and the cursor in ``sync_state``): created by ``shared.wire.replica_ddl()`` and
  written only by ``shared.wire.apply_pull_page``. They are a cache of the server: when a new version of the wire
  contract changes their DDL, ``ensure_wire_tables`` drops and recreates them and forgets the cursor, and the next
  sync downloads them again.
- **What this kiosk did** (its passages, every attempt, the outbox, conflict handling, local facts): precious,
  never re-downloadable, so they change only through the numbered ``STEPS`` below, each run in its own transaction
  together with the new ``PRAGMA user_version``. A crash during an upgrade leaves the file at the last complete
  version. A file newer than this program (an app downgrade) is refused rather than guessed at.

Times in the local tables are epoch milliseconds (UTC), like the wire's; ids are 32 hex digits, like the wire's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from kiosk.store.db import writer
from shared import wire

Step = str | Callable[[sa.Connection], None]

STEPS: Sequence[Sequence[Step]] = (
    # 1: local facts, this kiosk's passages, the check-in log and the outbox
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE local_passages (
            id INTEGER PRIMARY KEY AUTOINCREMENT, nonce TEXT NOT NULL UNIQUE, ticket_id TEXT NOT NULL,
            occurrence_id TEXT NOT NULL, direction TEXT NOT NULL, at INTEGER NOT NULL, gate TEXT NOT NULL,
            device_id TEXT NOT NULL, annulled_at INTEGER)""",
        "CREATE INDEX ix_local_passages_ticket_id ON local_passages (ticket_id)",
        "CREATE INDEX ix_local_passages_occurrence_id ON local_passages (occurrence_id)",
        """CREATE TABLE attempts (
            nonce TEXT PRIMARY KEY, at INTEGER NOT NULL, device_time INTEGER NOT NULL, scanned TEXT NOT NULL,
            ticket_id TEXT, occurrence_id TEXT, direction TEXT NOT NULL, gate TEXT NOT NULL, status TEXT NOT NULL,
            reason TEXT, decided_by TEXT NOT NULL)""",
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, nonce TEXT,
            document TEXT NOT NULL, created_at INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
            result TEXT, tries INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX ix_outbox_state ON outbox (state)",
        "CREATE INDEX ix_outbox_nonce ON outbox (nonce)",
    ),
    # 2: staff tools: which conflicts (pulled, or an upload the server rejected) staff have dealt with
    ("CREATE TABLE handled_conflicts (key TEXT PRIMARY KEY, handled_at INTEGER NOT NULL)",),
    # 3: the box office: shifts, sales (each one outbox entry: its state is the outbox row's) and the tickets they
    # issued, which the replica's reads merge with the server's until the server sends them back
    (
        """CREATE TABLE shifts (
            id TEXT PRIMARY KEY, opened_at INTEGER NOT NULL, closed_at INTEGER,
            opening_float_cents INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE sales (
            order_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, basket_id TEXT NOT NULL, shift_id TEXT,
            occurrence_id TEXT NOT NULL, ticket_type_id TEXT NOT NULL, ticket_type_name TEXT NOT NULL,
            quantity INTEGER NOT NULL, total_cents INTEGER NOT NULL, currency TEXT NOT NULL, method TEXT NOT NULL,
            tendered_cents INTEGER, change_cents INTEGER NOT NULL DEFAULT 0, terminal_reference TEXT, email TEXT,
            path TEXT NOT NULL, allotment_id TEXT, allotment_seats INTEGER NOT NULL DEFAULT 0,
            reflected INTEGER NOT NULL DEFAULT 0, made_at INTEGER NOT NULL)""",
        "CREATE INDEX ix_sales_shift_id ON sales (shift_id)",
        "CREATE INDEX ix_sales_allotment_id ON sales (allotment_id)",
        """CREATE TABLE sold_tickets (
            id TEXT PRIMARY KEY, order_id TEXT NOT NULL, occurrence_id TEXT NOT NULL, ticket_type_id TEXT NOT NULL,
            code TEXT NOT NULL, token TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,
            price_cents INTEGER NOT NULL)""",
        "CREATE INDEX ix_sold_tickets_code ON sold_tickets (code)",
        "CREATE INDEX ix_sold_tickets_order_id ON sold_tickets (order_id)",
    ),
)

LATEST = len(STEPS)
WIRE_DDL_KEY = "wire_ddl_sha256"


class SchemaTooNew(Exception):
    """The replica was written by a newer kiosk version; this one cannot read it safely."""


def version(connection: sa.Connection) -> int:
    return int(connection.exec_driver_sql("PRAGMA user_version").scalar_one())


def wire_ddl_digest() -> str:
    return hashlib.sha256("\n".join(wire.replica_ddl()).encode()).hexdigest()


def migrate(engine: sa.Engine, *, target: int = LATEST) -> int:
    """Bring the local tables to ``target`` (default: the newest) and the server's tables to the wire contract's
    DDL; returns the version the file was at before."""
    with engine.connect() as connection:
        start = version(connection)
    if start > LATEST:
        raise SchemaTooNew(f"the replica is at schema version {start}; this kiosk knows up to {LATEST}")
    for number in range(start + 1, target + 1):
        with writer(engine).begin() as connection:
            if version(connection) >= number:  # another process upgraded meanwhile
                continue
            for step in STEPS[number - 1]:
                if isinstance(step, str):
                    connection.exec_driver_sql(step)
                else:
                    step(connection)
            connection.exec_driver_sql(f"PRAGMA user_version = {number}")
    with writer(engine).begin() as connection:
        ensure_wire_tables(connection)
    return start


def ensure_wire_tables(connection: sa.Connection) -> bool:
    """Create the server's tables, or rebuild them (empty, cursor forgotten) when the wire DDL changed. Returns
    whether they were (re)built."""
    digest = wire_ddl_digest()
    stored = connection.exec_driver_sql("SELECT value FROM meta WHERE key = ?", (WIRE_DDL_KEY,)).scalar_one_or_none()
    if stored == digest:
        return False
    for table in (*wire.TABLES, wire.Table("sync_state", ())):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
    for statement in wire.replica_ddl():
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (WIRE_DDL_KEY, digest))
    return True
