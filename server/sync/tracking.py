"""The change sequence kiosks pull by: cursors and the horizon below which the set of changes is final.

Every replicated row carries ``(change_txid, change_seq)``, stamped by triggers (migration 0003). A pull serves rows
in that order, strictly after the device's cursor and strictly below the horizon:

* PostgreSQL: the horizon is ``pg_snapshot_xmin(pg_current_snapshot())``, the oldest transaction still running.
  Every transaction below it has ended, so no row can still appear with a smaller ``change_txid``; a transaction
  that took a small ``change_seq`` but commits late is, while it runs, at or above the horizon, and its rows are
  served after it ends, ahead of the cursor. Ordering by ``change_seq`` alone would skip them.
* SQLite: transactions begin IMMEDIATE, one writer at a time, and the triggers stamp a counter in commit order, so
  everything committed is final: the horizon is unbounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.db.engine import is_postgresql
from server.errors import InvalidInput
from shared.wire import Problem

UNBOUNDED = 2**62
CURSOR_VERSION = "1"


@dataclass(frozen=True, order=True)
class Position:
    """A point in the change order: ``(change_txid, change_seq)``; ``START`` is before every change."""

    txid: int
    seq: int


START = Position(-1, -1)


@dataclass(frozen=True)
class Cursor:
    scope_version: int
    position: Position

    def encode(self) -> str:
        return f"{CURSOR_VERSION}.{self.scope_version}.{self.position.txid}.{self.position.seq}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        parts = text.split(".")
        try:
            if len(parts) != 4 or parts[0] != CURSOR_VERSION:
                raise ValueError(text)
            return cls(int(parts[1]), Position(int(parts[2]), int(parts[3])))
        except ValueError:
            raise InvalidInput(
                Problem.CURSOR_INVALID, "This cursor was not made by this server: pull from the start.", field="cursor"
            ) from None


def horizon(session: Session) -> int:
    """Rows stamped with a ``change_txid`` below this are final (see the module docstring)."""
    if is_postgresql(session):
        return int(
            session.execute(sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one()
        )
    return UNBOUNDED
