"""The organizer's attendee list from the replica: every ticket of the served occurrences (the server's and the ones
this desk sold that the server has not sent back yet) with its check-in state, the first standing entry merged from
the server's check-ins and this kiosk's own passages, as the door sees it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kiosk.store.rows import AttendeeRow
from kiosk.store.search import text_match
from shared import wire

if TYPE_CHECKING:
    from kiosk.store.replica import Replica


class AttendeeState(StrEnum):
    CHECKED_IN = "checked_in"
    NOT_YET = "not_yet"
    CANCELED = "canceled"  # canceled, refunded, or blocked by staff


_STATE = """CASE
    WHEN t.status IN ('canceled', 'refunded') OR t.revoked = 1 THEN 'canceled'
    WHEN f.at IS NOT NULL OR t.status = 'checked_in' THEN 'checked_in'
    ELSE 'not_yet' END"""

_ENTRIES = """entries AS (
    SELECT c.ticket_id, c.at, c.gate, coalesce(c.annulled_at, l.annulled_at) AS annulled_at
    FROM check_ins c LEFT JOIN local_passages l ON l.nonce = c.nonce
    WHERE c.counted = 1 AND c.direction = 'entry'
    UNION ALL
    SELECT l.ticket_id, l.at, l.gate, l.annulled_at FROM local_passages l
    WHERE l.direction = 'entry' AND NOT EXISTS (SELECT 1 FROM check_ins c WHERE c.nonce = l.nonce)
),
first_entry AS (
    SELECT ticket_id, min(at) AS at FROM entries WHERE annulled_at IS NULL GROUP BY ticket_id
)"""


def attendee_list(
    replica: Replica,
    occurrence_ids: Iterable[uuid.UUID],
    *,
    query: str = "",
    state: AttendeeState | None = None,
    ticket_type_id: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[AttendeeRow]:
    """Tickets of these occurrences, by name; ``query`` matches name, email or code (any length), the filters the
    check-in state and the ticket type."""
    from kiosk.store.replica import ALL_TICKETS

    ids = tuple(i.hex for i in occurrence_ids)
    if not ids:
        return []
    where = [f"t.occurrence_id IN ({','.join('?' * len(ids))})"]
    params: list[Any] = list(ids)
    text = query.strip()
    if text:
        match = text_match(text)
        where.append(match.sql)
        params += match.params
    if state is not None:
        where.append(f"({_STATE}) = ?")
        params.append(state.value)
    if ticket_type_id is not None:
        where.append("t.ticket_type_id = ?")
        params.append(ticket_type_id.hex)
    sql = f"""WITH {_ENTRIES}
        SELECT t.id, t.occurrence_id, t.name, t.email, t.code, t.status, tt.name AS type_name, f.at AS checked_in_at,
            (SELECT e.gate FROM entries e WHERE e.ticket_id = t.id AND e.at = f.at LIMIT 1) AS gate,
            {_STATE} AS state
        FROM {ALL_TICKETS} t
        LEFT JOIN ticket_types tt ON tt.id = t.ticket_type_id
        LEFT JOIN first_entry f ON f.ticket_id = t.id
        WHERE {" AND ".join(where)}
        ORDER BY t.name COLLATE NOCASE, t.id"""  # noqa: S608 (placeholders only)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    with replica._read() as c:
        rows = c.exec_driver_sql(sql, tuple(params)).mappings().all()
    return [
        AttendeeRow(
            ticket_id=uuid.UUID(hex=row["id"]),
            occurrence_id=uuid.UUID(hex=row["occurrence_id"]),
            name=row["name"],
            email=row["email"],
            code=row["code"],
            ticket_type=row["type_name"] or "",
            status=row["status"],
            state=row["state"],
            checked_in_at=None if row["checked_in_at"] is None else wire.time_from_wire(row["checked_in_at"], "at"),
            gate=row["gate"],
        )
        for row in rows
    ]
