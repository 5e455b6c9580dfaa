"""Numbered schema steps; the file's version is ``PRAGMA user_version`` (0 for a new file).

``migrate`` runs the steps after the file's version, each in its own transaction together with the new version
number, so a crash during an upgrade leaves the file at the last complete version and the next start goes on from
there. A file newer than this program (a downgrade of the app) is refused rather than guessed at.

Each step is plain DDL, written by hand and never edited once released: a change is a new step. ``schema`` describes
the tables as the last step leaves them, and a test checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa

from kiosk.store.db import writer
from kiosk.store.text import search_text

Step = str | Callable[[sa.Connection], None]


def _fill_search(connection: sa.Connection) -> None:
    rows = connection.exec_driver_sql("SELECT id, holder_name, holder_email FROM tickets").all()
    if not rows:
        return
    connection.exec_driver_sql(
        "UPDATE tickets SET search = ? WHERE id = ?",
        [(search_text(name, email), ticket_id) for ticket_id, name, email in rows],
    )


STEPS: Sequence[Sequence[Step]] = (
    # 1: the replica, the local check-in log and the outbox
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE occurrences (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, venue TEXT NOT NULL DEFAULT '',
            start_at INTEGER NOT NULL, end_at INTEGER NOT NULL, status TEXT NOT NULL, capacity INTEGER,
            doors_open_minutes INTEGER NOT NULL DEFAULT 0, allow_reentry INTEGER NOT NULL DEFAULT 0,
            late_entry_minutes INTEGER)""",
        "CREATE TABLE ticket_types (id TEXT PRIMARY KEY, occurrence_id TEXT, name TEXT NOT NULL)",
        """CREATE TABLE tickets (
            id TEXT PRIMARY KEY, occurrence_id TEXT NOT NULL, ticket_type_id TEXT NOT NULL, status TEXT NOT NULL,
            confirmation_code TEXT UNIQUE, holder_name TEXT NOT NULL DEFAULT '', holder_email TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '[]', revoked INTEGER NOT NULL DEFAULT 0, token_issued_at INTEGER,
            checked_in_at INTEGER, checked_in_gate TEXT, inside INTEGER NOT NULL DEFAULT 0,
            on_record INTEGER NOT NULL DEFAULT 1)""",
        "CREATE INDEX ix_tickets_occurrence_id ON tickets (occurrence_id)",
        """CREATE TABLE keys (
            key_id BLOB PRIMARY KEY, public_key BLOB NOT NULL, owner_kind TEXT NOT NULL, owner_id TEXT NOT NULL,
            revoked_at INTEGER)""",
        """CREATE TABLE passages (
            id INTEGER PRIMARY KEY AUTOINCREMENT, nonce TEXT NOT NULL UNIQUE, ticket_id TEXT NOT NULL,
            occurrence_id TEXT NOT NULL, direction TEXT NOT NULL, at INTEGER NOT NULL, gate TEXT NOT NULL,
            device_id TEXT NOT NULL, annulled_at INTEGER, prior_status TEXT)""",
        "CREATE INDEX ix_passages_ticket_id ON passages (ticket_id)",
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT, nonce TEXT NOT NULL UNIQUE, at INTEGER NOT NULL,
            device_time INTEGER NOT NULL, scanned TEXT NOT NULL, ticket_id TEXT, occurrence_id TEXT,
            direction TEXT NOT NULL, gate TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
            decided_by TEXT NOT NULL)""",
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
            nonce TEXT, body TEXT NOT NULL, created_at INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
            result TEXT, tries INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX ix_outbox_nonce ON outbox (nonce)",
    ),
    # 2: staff tools: a search column (filled for the tickets already there) and the conflicts to act on
    (
        "ALTER TABLE tickets ADD COLUMN search TEXT NOT NULL DEFAULT ''",
        lambda connection: _fill_search(connection),
        """CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, ticket_id TEXT,
            summary TEXT NOT NULL, details TEXT NOT NULL DEFAULT '', reported_at INTEGER NOT NULL,
            handled_at INTEGER)""",
    ),
)

LATEST = len(STEPS)


class SchemaTooNew(Exception):
    """The replica was written by a newer kiosk version; this one cannot read it safely."""


def version(connection: sa.Connection) -> int:
    return int(connection.exec_driver_sql("PRAGMA user_version").scalar_one())


def migrate(engine: sa.Engine, *, target: int = LATEST) -> int:
    """Bring the file to ``target`` (default: the newest); returns the version it was at before."""
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
    return start
