"""The change sequence kiosks pull by: cursors and the horizon below which the set of changes is final.

Every replicated row carries ``(change_txid, change_seq)``, stamped by triggers (migration 0003). A pull serves rows
in that order, strictly after the device's cursor and strictly below the horizon:

* PostgreSQL: the horizon is the oldest transaction of this database still running (``pg_current_snapshot()``'s
  in-progress list, less what provably runs in other databases of the cluster), or the next transaction id when
  none is. Every transaction below it has ended, so no row can still appear with a smaller ``change_txid``; a
  transaction that took a small ``change_seq`` but commits late is, while it runs, at or above the horizon, and its
  rows are served after it ends, ahead of the cursor. Ordering by ``change_seq`` alone would skip them.
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


# The snapshot's in-progress transactions, less those that certainly belong to another database of the cluster (a
# session can see the transaction id of another session only with the right privileges; an unseen one is kept,
# which only delays pulls). Transaction ids are cluster-wide: without this, an idle transaction in any other
# database of the server would hold every pull back. ``backend_xid`` is 32 bits, the snapshot's ids 64.
_HORIZON_SQL = sa.text(
    """
WITH snap AS (SELECT pg_current_snapshot() AS s),
elsewhere AS (
    SELECT backend_xid::text::bigint AS xid32
      FROM pg_stat_activity
     WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
)
SELECT LEAST(
    pg_snapshot_xmax(s)::text::bigint,
    (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) AS x
      WHERE (x::text::bigint % 4294967296) NOT IN (SELECT xid32 FROM elsewhere))
) FROM snap
"""
)


def horizon(session: Session) -> int:
    """Rows stamped with a ``change_txid`` below this are final (see the module docstring): on PostgreSQL the
    oldest transaction of this database still running, or the next transaction id when none is."""
    if is_postgresql(session):
        return int(session.execute(_HORIZON_SQL).scalar_one())
    return UNBOUNDED
