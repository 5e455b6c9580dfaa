"""``Replica``: the kiosk's local copy of its scope, its check-in log and its outbox, in one SQLite file.

The server's tables are written only by ``shared.wire.apply_pull_page`` (``apply_page``); this kiosk's own effects
live beside them (``local_passages``, ``attempts``, ``outbox``) and are merged in when read: a ticket's history is
the server's counted check-ins plus this kiosk's passages the server has not sent back yet (matched by nonce), and
an undo made here overrides the server's row until the server has it too.

Every method is one transaction, and safe to call from any thread (each checks its own connection out of the
engine's pool). Writes that belong together are one method, so that a crash cannot separate them:

- ``record_attempt``: the attempt in the log, the passage when it admitted (or let out) someone, and for a decision
  made here the outbox row that uploads it, all with the same nonce;
- ``annul``: the passage annulled and the annulment queued;
- ``apply_page``: one downloaded page, the cursor after it and the clock estimate;
- ``apply_push``: the server's answers to an upload.

A repeated ``record_attempt`` with a nonce already in the log changes nothing and returns False.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from kiosk.store.attendees import AttendeeState, attendee_list
from kiosk.store.db import open_engine, writer
from kiosk.store.migrations import migrate
from kiosk.store.rows import (
    Attempt,
    AttendeeRow,
    Conflict,
    Counters,
    LocalPassage,
    OccurrenceRow,
    OutboxEntry,
    TicketRow,
)
from kiosk.store.sales import SalesStore
from kiosk.store.search import text_match
from shared import wire
from shared.boxoffice import format_money
from shared.codes import normalize_confirmation_code
from shared.passages import Direction, Passage
from shared.qrtoken import Keyring

MIN_QUERY = 3
ms = wire.time_to_wire


def at_ms(value: int) -> datetime:
    return wire.time_from_wire(int(value), "at")


def _placeholders(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class Replica:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._lock = threading.Lock()
        self._keyring: Keyring | None = None
        self._pulls = 0  # pages that changed something: the server-side counts are cached per value
        self._counts_cache: tuple[int, dict[str, tuple[int, int, int]] | None] = (-1, None)

    @property
    def sales(self) -> SalesStore:
        """The box office's tables: what it sells from, its sales and the tickets they issued, its shifts."""
        return SalesStore(self)

    def attendees(
        self,
        occurrence_ids: Iterable[uuid.UUID],
        *,
        query: str = "",
        state: AttendeeState | None = None,
        ticket_type_id: uuid.UUID | None = None,
        limit: int | None = None,
    ) -> list[AttendeeRow]:
        """The organizer's attendee list (``kiosk.store.attendees``)."""
        return attendee_list(self, occurrence_ids, query=query, state=state, ticket_type_id=ticket_type_id, limit=limit)

    @classmethod
    def open(cls, path: Path, *, synchronous: str = "FULL") -> Replica:
        """Open (or create) the replica file and bring its schema up to date."""
        engine = open_engine(path, synchronous=synchronous)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self._writer.begin() as connection:
            yield connection

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as connection:
            yield connection

    # --- local facts ----------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._read() as c:
            value = c.exec_driver_sql("SELECT value FROM meta WHERE key = ?", (key,)).scalar_one_or_none()
        return None if value is None else str(value)

    def set_meta(self, values: Mapping[str, str | None]) -> None:
        with self._write() as c:
            _set_meta(c, values)

    def cursor(self) -> str | None:
        with self._read() as c:
            value = c.exec_driver_sql("SELECT value FROM sync_state WHERE key = ?", (wire.CURSOR_KEY,)).scalar()
        return None if value is None else str(value)

    # --- what the server sends ------------------------------------------------------------------------------------

    def apply_page(self, page: wire.PullPage, *, meta: Mapping[str, str | None] | None = None) -> None:
        """One downloaded page with its cursor (``shared.wire.apply_pull_page``) and ``meta``, in one transaction."""
        with self._write() as c:
            raw = c.connection.driver_connection
            wire.apply_pull_page(raw, page)  # type: ignore[arg-type]
            allotment_ids = [row[0] for row in page.tables.get(wire.ALLOTMENTS.name, ())]
            if allotment_ids:
                # The server's figures for these allotments now include every sale of them it had applied.
                c.exec_driver_sql(
                    f"""UPDATE sales SET reflected = 1 WHERE reflected = 0
                    AND allotment_id IN ({_placeholders(allotment_ids)})
                    AND seq IN (SELECT seq FROM outbox WHERE state = 'applied')""",  # noqa: S608
                    tuple(allotment_ids),
                )
            if meta:
                _set_meta(c, meta)
        changed = page.reset or any(page.tables.values()) or any(page.deleted.values())
        with self._lock:
            if changed:  # a round that brought nothing keeps the cached counts (165 ms to redo at 100k tickets)
                self._pulls += 1
            if page.reset or wire.KEYS.name in page.tables or wire.KEYS.name in page.deleted:
                self._keyring = None

    # --- reads for the check-in path ------------------------------------------------------------------------------

    def keyring(self) -> Keyring:
        with self._lock:
            if self._keyring is None:
                with self._read() as c:
                    rows = c.exec_driver_sql("SELECT * FROM keys").mappings().all()
                self._keyring = wire.keyring(dict(row) for row in rows)
            return self._keyring

    def occurrences(self, ids: Iterable[uuid.UUID] | None = None) -> list[OccurrenceRow]:
        with self._read() as c:
            if ids is None:
                rows = c.exec_driver_sql("SELECT * FROM occurrences ORDER BY start_at").mappings().all()
            else:
                wanted = [i.hex for i in ids]
                rows = (
                    c.exec_driver_sql(
                        f"SELECT * FROM occurrences WHERE id IN ({_placeholders(wanted)}) ORDER BY start_at",  # noqa: S608
                        tuple(wanted),
                    )
                    .mappings()
                    .all()
                )
            event_ids = sorted({row["event_id"] for row in rows})
            events = {
                row["id"]: row
                for row in c.exec_driver_sql(
                    f"SELECT * FROM events WHERE id IN ({_placeholders(event_ids)})",  # noqa: S608
                    tuple(event_ids),
                ).mappings()
            }
        return [_occurrence(dict(row), dict(events[row["event_id"]])) for row in rows if row["event_id"] in events]

    def occurrence(self, occurrence_id: uuid.UUID) -> OccurrenceRow | None:
        found = self.occurrences([occurrence_id])
        return found[0] if found else None

    def ticket(self, ticket_id: uuid.UUID) -> TicketRow | None:
        return self._one_ticket("t.id = ?", ticket_id.hex)

    def ticket_by_code(self, code: str) -> TicketRow | None:
        normalized = normalize_confirmation_code(code)
        return None if normalized is None else self._one_ticket("t.code = ?", normalized)

    def _one_ticket(self, where: str, value: str) -> TicketRow | None:
        with self._read() as c:
            row = c.exec_driver_sql(f"{_TICKET_SELECT} WHERE {where}", (value,)).mappings().first()
        return None if row is None else _ticket(dict(row))

    def ticket_type_name(self, ticket_type_id: uuid.UUID) -> str | None:
        with self._read() as c:
            name = c.exec_driver_sql("SELECT name FROM ticket_types WHERE id = ?", (ticket_type_id.hex,)).scalar()
        return None if name is None else str(name)

    def history(self, ticket_id: uuid.UUID) -> list[Passage]:
        """The ticket's passages that the check-in rule should see: the server's counted check-ins (with an undo
        made here applied) and this kiosk's passages the server has not sent back yet."""
        with self._read() as c:
            server = c.exec_driver_sql("SELECT * FROM check_ins WHERE ticket_id = ?", (ticket_id.hex,)).mappings().all()
            local = self._local_passages(c, "ticket_id = ?", (ticket_id.hex,))
        by_nonce = {p.nonce: p for p in local}
        result: list[Passage] = []
        for row in server:
            passage = wire.passage(dict(row))
            if passage is None:
                continue  # a duplicate entry the server does not count
            mine = by_nonce.get(row["nonce"])
            if mine is not None and mine.annulled_at is not None and passage.annulled_at is None:
                passage = replace(passage, annulled_at=mine.annulled_at)
            result.append(passage)
        seen = {row["nonce"] for row in server}
        result.extend(_as_passage(p) for p in local if p.nonce not in seen)
        return result

    def last_passage(self, device_id: uuid.UUID) -> LocalPassage | None:
        """The newest passage this device recorded that still stands (what "undo" would annul)."""
        with self._read() as c:
            found = self._local_passages(
                c, "device_id = ? AND annulled_at IS NULL ORDER BY id DESC LIMIT 1", (device_id.hex,)
            )
        return found[0] if found else None

    @staticmethod
    def _local_passages(c: sa.Connection, where: str, params: tuple[Any, ...]) -> list[LocalPassage]:
        rows = c.exec_driver_sql(f"SELECT * FROM local_passages WHERE {where}", params).mappings().all()  # noqa: S608
        return [
            LocalPassage(
                nonce=row["nonce"],
                ticket_id=uuid.UUID(hex=row["ticket_id"]),
                occurrence_id=uuid.UUID(hex=row["occurrence_id"]),
                direction=Direction(row["direction"]),
                at=at_ms(row["at"]),
                gate=row["gate"],
                device_id=uuid.UUID(hex=row["device_id"]),
                annulled_at=None if row["annulled_at"] is None else at_ms(row["annulled_at"]),
            )
            for row in rows
        ]

    def counters(self, occurrence_ids: Iterable[uuid.UUID]) -> Counters:
        """Sold, checked in and inside now, for these occurrences, as this kiosk sees it: the server's figures
        (computed once per downloaded change, ``_server_counts``) adjusted by what this kiosk did that the server has
        not sent back yet, which only touches a few tickets and stays fast however large the replica."""
        ids = tuple(i.hex for i in occurrence_ids)
        if not ids:
            return Counters()
        base = self._server_counts()
        sold = sum(base.get(i, (0, 0, 0))[0] for i in ids)
        checked_in = sum(base.get(i, (0, 0, 0))[1] for i in ids)
        inside = sum(base.get(i, (0, 0, 0))[2] for i in ids)
        marks = _placeholders(ids)
        with self._read() as c:
            touched = f"""SELECT l.ticket_id FROM local_passages l LEFT JOIN check_ins c ON c.nonce = l.nonce
                WHERE l.occurrence_id IN ({marks})
                  AND (c.nonce IS NULL OR (l.annulled_at IS NOT NULL AND c.annulled_at IS NULL))"""  # noqa: S608
            merged_in, merged_inside, server_in, server_inside = c.exec_driver_sql(
                f"""
                WITH touched AS ({touched}),
                merged AS (
                    SELECT c.ticket_id, c.direction, c.at, coalesce(c.annulled_at, l.annulled_at) AS annulled_at
                    FROM check_ins c LEFT JOIN local_passages l ON l.nonce = c.nonce
                    WHERE c.counted = 1 AND c.ticket_id IN touched
                    UNION ALL
                    SELECT l.ticket_id, l.direction, l.at, l.annulled_at FROM local_passages l
                    WHERE l.ticket_id IN touched AND NOT EXISTS (SELECT 1 FROM check_ins c WHERE c.nonce = l.nonce)
                ),
                server AS (
                    SELECT ticket_id, direction, at, annulled_at FROM check_ins
                    WHERE counted = 1 AND ticket_id IN touched
                ),
                merged_latest AS (
                    SELECT direction, row_number() OVER (PARTITION BY ticket_id ORDER BY at DESC) AS n
                    FROM merged WHERE annulled_at IS NULL
                ),
                server_latest AS (
                    SELECT direction, row_number() OVER (PARTITION BY ticket_id ORDER BY at DESC) AS n
                    FROM server WHERE annulled_at IS NULL
                )
                SELECT
                    (SELECT count(DISTINCT ticket_id) FROM merged WHERE annulled_at IS NULL AND direction = 'entry'),
                    (SELECT count(*) FROM merged_latest WHERE n = 1 AND direction = 'entry'),
                    (SELECT count(DISTINCT ticket_id) FROM server WHERE annulled_at IS NULL AND direction = 'entry'),
                    (SELECT count(*) FROM server_latest WHERE n = 1 AND direction = 'entry')
                """,  # noqa: S608 (placeholders only)
                ids,
            ).one()
            local_sold = int(
                c.exec_driver_sql(
                    f"SELECT count(*) FROM ({_LOCAL_SOLD}) WHERE status = 'confirmed' AND occurrence_id IN ({marks})",  # noqa: S608
                    ids,
                ).scalar_one()
            )
        return Counters(
            sold=sold + local_sold,
            checked_in=checked_in + int(merged_in) - int(server_in),
            inside=inside + int(merged_inside) - int(server_inside),
        )

    def _server_counts(self) -> dict[str, tuple[int, int, int]]:
        """Per occurrence (hex id): sold, checked in and inside by the server's rows alone. Cached until the next
        downloaded page; ``SyncRunner`` warms it on its own thread after a download, so the UI never waits for it."""
        with self._lock:
            version, cached = self._counts_cache
            if cached is not None and version == self._pulls:
                return cached
            version = self._pulls
        counts: dict[str, list[int]] = {}
        with self._read() as c:
            for occurrence, sold in c.exec_driver_sql(
                "SELECT occurrence_id, count(*) FROM tickets WHERE status IN ('confirmed', 'checked_in')"
                " GROUP BY occurrence_id"
            ):
                counts.setdefault(occurrence, [0, 0, 0])[0] = int(sold)
            for occurrence, checked_in in c.exec_driver_sql(
                "SELECT occurrence_id, count(DISTINCT ticket_id) FROM check_ins"
                " WHERE counted = 1 AND annulled_at IS NULL AND direction = 'entry' GROUP BY occurrence_id"
            ):
                counts.setdefault(occurrence, [0, 0, 0])[1] = int(checked_in)
            for occurrence, inside in c.exec_driver_sql(
                """SELECT occurrence_id, count(*) FROM (
                    SELECT occurrence_id, direction,
                           row_number() OVER (PARTITION BY ticket_id ORDER BY at DESC) AS n
                    FROM check_ins WHERE counted = 1 AND annulled_at IS NULL)
                WHERE n = 1 AND direction = 'entry' GROUP BY occurrence_id"""
            ):
                counts.setdefault(occurrence, [0, 0, 0])[2] = int(inside)
        result = {occurrence: (v[0], v[1], v[2]) for occurrence, v in counts.items()}
        with self._lock:
            if self._pulls == version:
                self._counts_cache = (version, result)
        return result

    def warm_counters(self) -> None:
        self._server_counts()

    def search(self, query: str, occurrence_ids: Iterable[uuid.UUID], *, limit: int = 50) -> list[TicketRow]:
        """Tickets of the served occurrences whose holder name or email contains ``query`` (accents and case
        ignored), or whose confirmation code starts with it (dashes and case ignored). Under ``MIN_QUERY``
        characters: none."""
        text = query.strip()
        if len(text) < MIN_QUERY:
            return []
        ids = tuple(i.hex for i in occurrence_ids)
        if not ids:
            return []
        match = text_match(text)
        with self._read() as c:
            rows = (
                c.exec_driver_sql(
                    f"""{_TICKET_SELECT}
                    WHERE t.occurrence_id IN ({_placeholders(ids)}) AND {match.sql}
                    ORDER BY t.name, t.id LIMIT ?""",
                    (*ids, *match.params, limit),
                )
                .mappings()
                .all()
            )
        return [_ticket(dict(row)) for row in rows]

    def admitted(self, ticket_id: uuid.UUID) -> bool:
        """Whether the ticket has a standing entry (server's or this kiosk's): for lists, not for decisions."""
        return any(p.direction is Direction.ENTRY and not p.annulled for p in self.history(ticket_id))

    # --- what this kiosk does -----------------------------------------------------------------------------------

    def record_attempt(
        self, attempt: Attempt, *, upload: wire.MutationBody | None = None, clock_offset: timedelta | None = None
    ) -> bool:
        """Log one decided scan; when it admitted (or let out) someone, record the passage; queue ``upload`` when
        given. All in one transaction. False when the nonce was recorded before (then nothing changes)."""
        outcome = attempt.outcome
        with self._write() as c:
            inserted = c.exec_driver_sql(
                "INSERT OR IGNORE INTO attempts (nonce, at, device_time, scanned, ticket_id, occurrence_id, direction,"
                " gate, status, reason, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    attempt.nonce,
                    ms(attempt.at),
                    ms(attempt.device_time),
                    attempt.scanned,
                    None if outcome.ticket_id is None else outcome.ticket_id.hex,
                    None if attempt.occurrence_id is None else attempt.occurrence_id.hex,
                    attempt.direction.value,
                    attempt.gate,
                    outcome.status.value,
                    None if outcome.reason is None else outcome.reason.value,
                    attempt.decided_by,
                ),
            ).rowcount
            if not inserted:
                return False
            if outcome.ok and outcome.ticket_id is not None and attempt.occurrence_id is not None:
                c.exec_driver_sql(
                    "INSERT INTO local_passages (nonce, ticket_id, occurrence_id, direction, at, gate, device_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        attempt.nonce,
                        outcome.ticket_id.hex,
                        attempt.occurrence_id.hex,
                        attempt.direction.value,
                        ms(attempt.at),
                        attempt.gate,
                        attempt.device_id.hex,
                    ),
                )
            if upload is not None:
                _enqueue(c, upload, clock_offset=clock_offset, nonce=attempt.nonce, at=attempt.device_time)
        return True

    def annul(
        self,
        nonce: str,
        *,
        at: datetime,
        upload: wire.MutationBody | None = None,
        clock_offset: timedelta | None = None,
    ) -> bool:
        """Annul this kiosk's passage ``nonce`` (the caller checked ``shared.passages.can_annul``) and queue
        ``upload``. False when there is no such standing passage."""
        with self._write() as c:
            changed = c.exec_driver_sql(
                "UPDATE local_passages SET annulled_at = ? WHERE nonce = ? AND annulled_at IS NULL", (ms(at), nonce)
            ).rowcount
            if not changed:
                return False
            if upload is not None:
                _enqueue(c, upload, clock_offset=clock_offset, nonce=nonce, at=at)
        return True

    def enqueue(self, body: wire.MutationBody, *, at: datetime, clock_offset: timedelta | None = None) -> int:
        """Queue a mutation with no local effect of its own here (box-office sales bring theirs); returns its seq."""
        with self._write() as c:
            return _enqueue(c, body, clock_offset=clock_offset, nonce=None, at=at)

    # --- the outbox -----------------------------------------------------------------------------------------------

    def pending(self, *, limit: int = wire.MAX_PUSH_BATCH) -> list[OutboxEntry]:
        with self._read() as c:
            rows = c.exec_driver_sql(
                "SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,)
            ).mappings()
            return [
                OutboxEntry(
                    seq=row["seq"],
                    id=uuid.UUID(hex=row["id"]),
                    kind=row["kind"],
                    document=json.loads(row["document"]),
                    created_at=at_ms(row["created_at"]),
                    tries=row["tries"],
                )
                for row in rows
            ]

    def pending_count(self) -> int:
        with self._read() as c:
            return int(c.exec_driver_sql("SELECT count(*) FROM outbox WHERE state = 'pending'").scalar_one())

    def mark_tried(self, seqs: Sequence[int]) -> None:
        if seqs:
            with self._write() as c:
                c.exec_driver_sql(
                    f"UPDATE outbox SET tries = tries + 1 WHERE seq IN ({_placeholders(seqs)})",  # noqa: S608
                    tuple(seqs),
                )

    def apply_push(self, response: wire.PushResponse) -> int:
        """Store the server's answers: final results (applied, rejected) take their entries off the queue; deferred
        ones stay. Everything at or below ``last_applied_seq`` is applied. Returns how many entries were settled."""
        final = [r for r in response.results if r.final]
        with self._write() as c:
            settled = 0
            for result in final:
                changed = c.exec_driver_sql(
                    "UPDATE outbox SET state = ?, result = ? WHERE seq = ? AND id = ? AND state = 'pending'",
                    (result.status.value, json.dumps(wire.encode_result(result)), result.seq, result.id.hex),
                ).rowcount
                settled += changed
                if changed and "seats_from_allotment" in result.data:
                    # How many seats of the sale the server took from the allotment (the rest came from capacity).
                    c.exec_driver_sql(
                        "UPDATE sales SET allotment_seats = ? WHERE seq = ?",
                        (int(result.data["seats_from_allotment"]), result.seq),
                    )
            settled += c.exec_driver_sql(
                "UPDATE outbox SET state = 'applied' WHERE seq <= ? AND state = 'pending'", (response.last_applied_seq,)
            ).rowcount
        return settled

    def outbox_states(self) -> list[tuple[int, str, str]]:
        """Every outbox row as (seq, id hex, state): for tests and diagnostics."""
        with self._read() as c:
            rows = c.exec_driver_sql("SELECT seq, id, state FROM outbox ORDER BY seq").all()
        return [(int(row[0]), str(row[1]), str(row[2])) for row in rows]

    # --- conflicts ----------------------------------------------------------------------------------------------

    def conflicts(self, device_id: uuid.UUID | None = None, *, include_handled: bool = False) -> list[Conflict]:
        """What staff should look at: conflicts the server reported that involve this device, and uploads it
        rejected for good, newest first."""
        handled_clause = "" if include_handled else "AND k.key NOT IN (SELECT key FROM handled_conflicts)"
        device = device_id.hex if device_id is not None else None
        with self._read() as c:
            pulled = c.exec_driver_sql(
                f"""SELECT k.*, t.name AS holder_name, s.ticket_type_name, s.quantity, s.total_cents, s.currency,
                    s.method
                FROM (SELECT 'conflict:' || id AS key, * FROM conflicts) k
                LEFT JOIN tickets t ON t.id = k.ticket_id
                LEFT JOIN outbox ob ON ob.id = k.mutation_id LEFT JOIN sales s ON s.seq = ob.seq
                WHERE k.resolved_at IS NULL AND (? IS NULL OR k.device_id = ? OR k.other_device_id = ?)
                {handled_clause}""",  # noqa: S608
                (device, device, device),
            ).mappings()
            found = [
                Conflict(
                    key=row["key"],
                    kind=row["kind"],
                    summary=_sale_summary(row) or conflict_summary(row["kind"], row["holder_name"]),
                    details=_refund_words(row, row["detail"]),
                    reported_at=at_ms(row["detected_at"]),
                    ticket_id=None if row["ticket_id"] is None else uuid.UUID(hex=row["ticket_id"]),
                )
                for row in pulled
            ]
            # An upload the server refused; a refused sale is shown once, by the conflict the server reports for it.
            rejected = c.exec_driver_sql(
                f"""SELECT k.*, s.ticket_type_name, s.quantity, s.total_cents, s.currency, s.method
                FROM (SELECT 'rejected:' || seq AS key, * FROM outbox WHERE state = 'rejected') k
                LEFT JOIN sales s ON s.seq = k.seq
                WHERE k.id NOT IN (SELECT mutation_id FROM conflicts WHERE mutation_id IS NOT NULL)
                {handled_clause}"""  # noqa: S608
            ).mappings()
            for row in rejected:
                result = json.loads(row["result"] or "{}")
                found.append(
                    Conflict(
                        key=row["key"],
                        kind=f"rejected_{row['kind']}",
                        summary=_sale_summary(row, result.get("code"))
                        or f"Upload refused by the server ({result.get('code') or 'rejected'})",
                        details=_refund_words(row, result.get("message") or ""),
                        reported_at=at_ms(row["created_at"]),
                    )
                )
        return sorted(found, key=lambda conflict: conflict.reported_at, reverse=True)

    def mark_handled(self, key: str, *, at: datetime) -> None:
        with self._write() as c:
            c.exec_driver_sql("INSERT OR REPLACE INTO handled_conflicts (key, handled_at) VALUES (?, ?)", (key, ms(at)))

    # --- the end --------------------------------------------------------------------------------------------------

    def wipe(self) -> None:
        """Erase everything the server sent and everything recorded here (the server revoked this device), and
        rewrite the file so that the erased rows are not left behind in free pages or the WAL."""
        with self._write() as c:
            names = [
                row[0]
                for row in c.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%' AND name != 'meta'"
                )
            ]
            for name in names:
                c.exec_driver_sql(f"DELETE FROM {name}")  # noqa: S608 (names from the schema)
            c.exec_driver_sql("DELETE FROM sqlite_sequence")
            c.exec_driver_sql("DELETE FROM meta WHERE key != ?", ("wire_ddl_sha256",))
        raw = self.engine.raw_connection()  # VACUUM cannot run inside the transaction SQLAlchemy would begin
        try:
            raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
        with self._lock:
            self._keyring = None
            self._pulls += 1


# --- helpers -----------------------------------------------------------------------------------------------------

# The server's tickets, and the tickets this kiosk sold that the server has not sent back yet (canceled once the
# server rejected their sale): a sale is searchable and admissible here the moment it is made.
_TICKET_COLUMNS = "id, occurrence_id, ticket_type_id, status, code, name, email, notes, revoked, token_issued_at"
_LOCAL_SOLD = """SELECT s.id, s.occurrence_id, s.ticket_type_id,
        CASE WHEN o.state = 'rejected' THEN 'canceled' ELSE 'confirmed' END AS status,
        s.code, s.name, s.email, '[]' AS notes, 0 AS revoked, NULL AS token_issued_at
    FROM sold_tickets s JOIN sales sa ON sa.order_id = s.order_id LEFT JOIN outbox o ON o.seq = sa.seq
    WHERE NOT EXISTS (SELECT 1 FROM tickets x WHERE x.id = s.id)"""
ALL_TICKETS = f"(SELECT {_TICKET_COLUMNS} FROM tickets UNION ALL {_LOCAL_SOLD})"  # noqa: S608 (constants)
_TICKET_SELECT = (
    f"SELECT t.*, tt.name AS type_name FROM {ALL_TICKETS} t"  # noqa: S608 (constants)
    " LEFT JOIN ticket_types tt ON tt.id = t.ticket_type_id"
)

_CONFLICT_WORDS = {
    "duplicate_entry": "Entered twice: also admitted at another gate",
    "checked_in_refused_ticket": "Admitted offline, but the server refuses this ticket",
    "exit_not_inside": "Exit recorded for someone the server does not see inside",
    "over_capacity": "Sale over capacity: refund it",
    "sale_adjusted": "Sale accepted with a new confirmation code",
}


def _sale_summary(row: Any, code: str | None = None) -> str | None:
    """A refused sale in the desk's words: what was sold, and why the server said no."""
    if row["quantity"] is None:
        return None
    reason = {"over_capacity": "no seats were left"}.get(code or row.get("kind") or "", "the server refused it")
    return f"Sale of {row['quantity']} x {row['ticket_type_name']} refused: {reason}"


def _refund_words(row: Any, detail: str) -> str:
    """What to do about a refused sale: refund it, by the way it was paid."""
    if row["quantity"] is None:
        return detail
    amount = format_money(int(row["total_cents"]), row["currency"])
    how = {"cash": f"Refund {amount} in cash", "card_terminal": f"Refund {amount} on the card terminal"}.get(
        row["method"], "Complimentary: nothing to refund; take the tickets back"
    )
    return f"{how}, or offer the waitlist. {detail}".strip()


def conflict_summary(kind: str, holder_name: str | None) -> str:
    words = _CONFLICT_WORDS.get(kind, kind.replace("_", " ").capitalize())
    return f"{holder_name}: {words}" if holder_name else words


def _set_meta(c: sa.Connection, values: Mapping[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            c.exec_driver_sql("DELETE FROM meta WHERE key = ?", (key,))
        else:
            c.exec_driver_sql("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def _enqueue(
    c: sa.Connection, body: wire.MutationBody, *, clock_offset: timedelta | None, nonce: str | None, at: datetime
) -> int:
    """The outbox row, its per-device sequence number (1, 2, 3 ... without gaps: AUTOINCREMENT in the same
    transaction never skips a number that committed) and the wire document, written together."""
    mutation_id = uuid.uuid4()
    seq = int(
        c.exec_driver_sql(
            "INSERT INTO outbox (id, kind, nonce, document, created_at) VALUES (?, ?, ?, '', ?) RETURNING seq",
            (mutation_id.hex, _kind_of(body), nonce, ms(at)),
        ).scalar_one()
    )
    document = wire.encode_mutation(wire.Mutation(mutation_id, seq, body, clock_offset))
    c.exec_driver_sql("UPDATE outbox SET document = ? WHERE seq = ?", (json.dumps(document), seq))
    return seq


def _kind_of(body: wire.MutationBody) -> str:
    return wire.Mutation(uuid.UUID(int=0), 1, body).kind.value


def _occurrence(row: Mapping[str, Any], event: Mapping[str, Any]) -> OccurrenceRow:
    return OccurrenceRow(
        snapshot=wire.occurrence_snapshot(row, event),
        title=row["name"] or event["name"],
        timezone=row["timezone"],
        event_id=uuid.UUID(hex=row["event_id"]),
    )


def _ticket(row: Mapping[str, Any]) -> TicketRow:
    return TicketRow(
        snapshot=wire.ticket_snapshot(row, ticket_type_name=row["type_name"]),
        confirmation_code=row["code"],
        holder_email=row["email"],
    )


def _as_passage(p: LocalPassage) -> Passage:
    return Passage(p.ticket_id, p.direction, p.at, p.gate, p.device_id, p.annulled_at)
