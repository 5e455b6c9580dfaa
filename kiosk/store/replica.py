"""``Replica``: the kiosk's local copy of its scope, its check-in log and its outbox, in one SQLite file.

Every method is one transaction, and safe to call from any thread (each checks its own connection out of the
engine's pool). Writes that belong together are one method, so that a crash cannot separate them:

- ``record_attempt``: the attempt in the log, and when it admitted someone the passage, the ticket's new state and
  (for a decision made here) the outbox row that uploads it, all with the same nonce;
- ``annul``: the passage annulled, the ticket's state restored, the annulment queued;
- ``apply_pull``: one downloaded page and the cursor after it;
- ``apply_results``: the server's answers to an upload.

A repeated ``record_attempt`` with a nonce already in the log changes nothing and returns False.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from kiosk.store import schema as t
from kiosk.store.db import from_us, open_engine, opt_from_us, opt_to_us, to_us, writer
from kiosk.store.migrations import migrate
from kiosk.store.rows import (
    Attempt,
    Conflict,
    Counters,
    LocalPassage,
    Mutation,
    OccurrenceRow,
    OutboxEntry,
    OutboxResult,
    TicketRow,
    TicketTypeRow,
)
from kiosk.store.text import fold, search_text
from shared.checkin import CheckInSettings
from shared.codes import normalize_confirmation_code
from shared.enums import OccurrenceStatus, TicketStatus
from shared.passages import Direction
from shared.qrtoken import KeyOwner, KeyOwnerKind, Keyring, TrustedKey

REPLICA_FILE = "replica.sqlite3"
MIN_QUERY = 3
_ADMITTED = (TicketStatus.CONFIRMED.value, TicketStatus.CHECKED_IN.value)


class Replica:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._lock = threading.Lock()
        self._keyring: Keyring | None = None

    @classmethod
    def open(cls, path: Path) -> Replica:
        """Open (or create) the replica file and bring its schema to the newest version."""
        engine = open_engine(path)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self._writer.begin() as connection:
            yield connection

    # --- meta -------------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as connection:
            value = connection.execute(sa.select(t.meta.c.value).where(t.meta.c.key == key)).scalar_one_or_none()
        return None if value is None else str(value)

    def set_meta(self, values: dict[str, str | None]) -> None:
        with self._write() as connection:
            _set_meta(connection, values)

    # --- what the server sends ----------------------------------------------------------------------------------

    def apply_pull(
        self,
        *,
        occurrences: Sequence[OccurrenceRow] = (),
        ticket_types: Sequence[TicketTypeRow] = (),
        tickets: Sequence[TicketRow] = (),
        keys: Sequence[TrustedKey] = (),
        deleted_tickets: Sequence[uuid.UUID] = (),
        deleted_occurrences: Sequence[uuid.UUID] = (),
        conflicts: Sequence[Conflict] = (),
        meta: dict[str, str | None] | None = None,
    ) -> None:
        """One downloaded page, with the cursor (in ``meta``) that follows it, in one transaction."""
        with self._write() as connection:
            if occurrences:
                connection.execute(_upsert(t.occurrences), [_occurrence_values(o) for o in occurrences])
            if ticket_types:
                connection.execute(_upsert(t.ticket_types), [_ticket_type_values(tt) for tt in ticket_types])
            if tickets:
                ids = [str(ticket.id) for ticket in tickets]
                codes = [ticket.confirmation_code for ticket in tickets if ticket.confirmation_code]
                if codes:  # a code moved to another ticket (or a stand-in is replaced): free it first
                    connection.execute(
                        t.tickets.update()
                        .where(t.tickets.c.confirmation_code.in_(codes), t.tickets.c.id.not_in(ids))
                        .values(confirmation_code=None)
                    )
                connection.execute(_upsert(t.tickets), [_ticket_values(ticket) for ticket in tickets])
                _keep_pending_local_entries(connection, ids)
            if keys:
                connection.execute(_upsert(t.keys), [_key_values(key) for key in keys])
            if deleted_tickets:
                gone = [str(i) for i in deleted_tickets]
                connection.execute(t.tickets.delete().where(t.tickets.c.id.in_(gone)))
            if deleted_occurrences:
                gone = [str(i) for i in deleted_occurrences]
                connection.execute(t.tickets.delete().where(t.tickets.c.occurrence_id.in_(gone)))
                connection.execute(t.occurrences.delete().where(t.occurrences.c.id.in_(gone)))
            if conflicts:
                connection.execute(
                    sa.insert(t.conflicts).prefix_with("OR IGNORE"), [_conflict_values(c) for c in conflicts]
                )
            if meta:
                _set_meta(connection, meta)
        if keys:
            with self._lock:
                self._keyring = None

    # --- reads for the check-in path ------------------------------------------------------------------------------

    def keyring(self) -> Keyring:
        with self._lock:
            if self._keyring is None:
                with self.engine.connect() as connection:
                    rows = connection.execute(sa.select(t.keys)).all()
                self._keyring = Keyring(_key_from_row(row) for row in rows)
            return self._keyring

    def occurrence(self, occurrence_id: uuid.UUID) -> OccurrenceRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(t.occurrences).where(t.occurrences.c.id == str(occurrence_id))).first()
        return None if row is None else _occurrence_from_row(row)

    def occurrences(self) -> list[OccurrenceRow]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(t.occurrences).order_by(t.occurrences.c.start_at)).all()
        return [_occurrence_from_row(row) for row in rows]

    def ticket(self, ticket_id: uuid.UUID) -> TicketRow | None:
        return self._one_ticket(t.tickets.c.id == str(ticket_id))

    def ticket_by_code(self, code: str) -> TicketRow | None:
        normalized = normalize_confirmation_code(code)
        if normalized is None:
            return None
        return self._one_ticket(t.tickets.c.confirmation_code == normalized)

    def _one_ticket(self, where: sa.ColumnElement[bool]) -> TicketRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(_ticket_select().where(where)).first()
        return None if row is None else _ticket_from_row(row)

    def ticket_type_name(self, ticket_type_id: uuid.UUID) -> str | None:
        with self.engine.connect() as connection:
            name = connection.execute(
                sa.select(t.ticket_types.c.name).where(t.ticket_types.c.id == str(ticket_type_id))
            ).scalar_one_or_none()
        return None if name is None else str(name)

    def passages(self, ticket_id: uuid.UUID) -> list[LocalPassage]:
        """This kiosk's passages of one ticket, annulled ones included, in the order recorded."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(t.passages).where(t.passages.c.ticket_id == str(ticket_id)).order_by(t.passages.c.id)
            ).all()
        return [_passage_from_row(row) for row in rows]

    def last_passage(self, device_id: uuid.UUID) -> LocalPassage | None:
        """The newest passage this device recorded that still stands (what "undo" would annul)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(t.passages)
                .where(t.passages.c.device_id == str(device_id), t.passages.c.annulled_at.is_(None))
                .order_by(t.passages.c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else _passage_from_row(row)

    def counters(self, occurrence_ids: Iterable[uuid.UUID]) -> Counters:
        ids = [str(i) for i in occurrence_ids]
        if not ids:
            return Counters()
        c = t.tickets.c
        with self.engine.connect() as connection:
            sold, checked_in, inside = connection.execute(
                sa.select(
                    sa.func.count().filter(c.status.in_(_ADMITTED), c.on_record == 1),
                    sa.func.count().filter(c.status == TicketStatus.CHECKED_IN.value),
                    sa.func.count().filter(c.inside == 1),
                ).where(c.occurrence_id.in_(ids))
            ).one()
        return Counters(sold=int(sold), checked_in=int(checked_in), inside=int(inside))

    def search(self, query: str, occurrence_ids: Iterable[uuid.UUID], *, limit: int = 50) -> list[TicketRow]:
        """Tickets of the served occurrences whose holder name or email contains ``query``, or whose confirmation
        code starts with it (dashes and case ignored). Fewer than ``MIN_QUERY`` characters find nothing."""
        folded = fold(query)
        if len(folded) < MIN_QUERY:
            return []
        ids = [str(i) for i in occurrence_ids]
        pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches: list[sa.ColumnElement[bool]] = [t.tickets.c.search.like(pattern, escape="\\")]
        code = query.replace("-", "").replace(" ", "").upper()
        if code.isalnum():
            matches.append(t.tickets.c.confirmation_code.like(code + "%"))
        statement = (
            _ticket_select()
            .where(t.tickets.c.occurrence_id.in_(ids), sa.or_(*matches))
            .order_by(t.tickets.c.holder_name, t.tickets.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [_ticket_from_row(row) for row in connection.execute(statement).all()]

    # --- what this kiosk does --------------------------------------------------------------------------------------

    def record_attempt(self, attempt: Attempt, *, upload: Mutation | None = None) -> bool:
        """Log one decided scan; when it admitted (or let out) someone, record the passage and the ticket's new state;
        queue ``upload`` when given. All in one transaction. False when the nonce was recorded before."""
        outcome = attempt.outcome
        with self._write() as connection:
            inserted = connection.execute(
                sa.insert(t.attempts).prefix_with("OR IGNORE"),
                {
                    "nonce": attempt.nonce,
                    "at": to_us(attempt.at),
                    "device_time": to_us(attempt.device_time),
                    "scanned": attempt.scanned,
                    "ticket_id": None if outcome.ticket_id is None else str(outcome.ticket_id),
                    "occurrence_id": None if attempt.occurrence_id is None else str(attempt.occurrence_id),
                    "direction": attempt.direction.value,
                    "gate": attempt.gate,
                    "status": outcome.status.value,
                    "reason": None if outcome.reason is None else outcome.reason.value,
                    "decided_by": attempt.decided_by,
                },
            ).rowcount
            if not inserted:
                return False
            if outcome.ok and outcome.ticket_id is not None and attempt.occurrence_id is not None:
                _record_passage(connection, attempt, outcome.ticket_id, attempt.occurrence_id)
            if upload is not None:
                _enqueue(connection, upload, attempt.device_time)
        return True

    def annul(self, nonce: str, *, at: datetime, upload: Mutation | None = None) -> bool:
        """Annul the passage ``nonce`` (the caller checked ``shared.passages.can_annul``) and restore the ticket's
        state from what still stands. False when there is no such standing passage."""
        p = t.passages.c
        with self._write() as connection:
            row = connection.execute(sa.select(t.passages).where(p.nonce == nonce, p.annulled_at.is_(None))).first()
            if row is None:
                return False
            connection.execute(t.passages.update().where(p.nonce == nonce).values(annulled_at=to_us(at)))
            _restore_ticket(connection, row)
            if upload is not None:
                _enqueue(connection, upload, at)
        return True

    def enqueue(self, mutation: Mutation, *, at: datetime) -> None:
        with self._write() as connection:
            _enqueue(connection, mutation, at)

    # --- the outbox ----------------------------------------------------------------------------------------------

    def pending(self, *, limit: int = 500) -> list[OutboxEntry]:
        o = t.outbox.c
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(t.outbox).where(o.state == "pending").order_by(o.seq).limit(limit)
            ).all()
        return [
            OutboxEntry(
                seq=row.seq,
                client_id=row.client_id,
                kind=row.kind,
                body=json.loads(row.body),
                created_at=from_us(row.created_at),
                tries=row.tries,
            )
            for row in rows
        ]

    def pending_count(self) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(
                sa.select(sa.func.count()).select_from(t.outbox).where(t.outbox.c.state == "pending")
            ).scalar_one()
        return int(count)

    def mark_tried(self, seqs: Sequence[int]) -> None:
        if not seqs:
            return
        with self._write() as connection:
            connection.execute(t.outbox.update().where(t.outbox.c.seq.in_(seqs)).values(tries=t.outbox.c.tries + 1))

    def apply_results(self, results: Sequence[OutboxResult], *, conflicts: Sequence[Conflict] = ()) -> None:
        """Store the server's answers: ``done`` and ``rejected`` entries leave the queue; conflicts are listed."""
        settled = [r for r in results if r.state in ("done", "rejected")]
        with self._write() as connection:
            if settled:
                connection.execute(
                    t.outbox.update()
                    .where(t.outbox.c.seq == sa.bindparam("b_seq"), t.outbox.c.state == "pending")
                    .values(state=sa.bindparam("b_state"), result=sa.bindparam("b_result")),
                    [{"b_seq": r.seq, "b_state": r.state, "b_result": json.dumps(r.result)} for r in settled],
                )
            if conflicts:
                connection.execute(
                    sa.insert(t.conflicts).prefix_with("OR IGNORE"), [_conflict_values(c) for c in conflicts]
                )

    def outbox_entries(self) -> list[tuple[int, str, str]]:
        """Every outbox row as (seq, client_id, state): for tests and diagnostics."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(t.outbox.c.seq, t.outbox.c.client_id, t.outbox.c.state).order_by(t.outbox.c.seq)
            ).all()
        return [(row.seq, row.client_id, row.state) for row in rows]

    # --- conflicts -----------------------------------------------------------------------------------------------

    def add_conflicts(self, conflicts: Sequence[Conflict]) -> None:
        if conflicts:
            with self._write() as connection:
                connection.execute(
                    sa.insert(t.conflicts).prefix_with("OR IGNORE"), [_conflict_values(c) for c in conflicts]
                )

    def conflicts(self, *, include_handled: bool = False) -> list[Conflict]:
        statement = sa.select(t.conflicts).order_by(t.conflicts.c.reported_at.desc(), t.conflicts.c.id.desc())
        if not include_handled:
            statement = statement.where(t.conflicts.c.handled_at.is_(None))
        with self.engine.connect() as connection:
            rows = connection.execute(statement).all()
        return [
            Conflict(
                id=row.id,
                key=row.key,
                kind=row.kind,
                summary=row.summary,
                details=row.details,
                reported_at=from_us(row.reported_at),
                ticket_id=None if row.ticket_id is None else uuid.UUID(row.ticket_id),
                handled_at=opt_from_us(row.handled_at),
            )
            for row in rows
        ]

    def mark_handled(self, conflict_id: int, *, at: datetime) -> None:
        with self._write() as connection:
            connection.execute(t.conflicts.update().where(t.conflicts.c.id == conflict_id).values(handled_at=to_us(at)))

    # --- the end --------------------------------------------------------------------------------------------------

    def wipe(self) -> None:
        """Erase everything the server sent and everything recorded here (the server said this device is revoked),
        and rewrite the file so that the erased rows are not left behind in free pages or the WAL."""
        with self._write() as connection:
            for table in reversed(t.metadata.sorted_tables):
                connection.execute(table.delete())
            connection.exec_driver_sql("DELETE FROM sqlite_sequence")
        raw = self.engine.raw_connection()  # VACUUM cannot run inside the transaction SQLAlchemy would begin
        try:
            raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
        with self._lock:
            self._keyring = None


# --- helpers -----------------------------------------------------------------------------------------------------


def _set_meta(connection: sa.Connection, values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            connection.execute(t.meta.delete().where(t.meta.c.key == key))
        else:
            connection.execute(sa.insert(t.meta).prefix_with("OR REPLACE"), {"key": key, "value": value})


def _upsert(table: sa.Table) -> sa.Insert:
    return sa.insert(table).prefix_with("OR REPLACE")


def _enqueue(connection: sa.Connection, mutation: Mutation, at: datetime) -> None:
    connection.execute(
        sa.insert(t.outbox),
        {
            "client_id": mutation.client_id,
            "kind": mutation.kind,
            "nonce": mutation.nonce,
            "body": json.dumps(mutation.body, separators=(",", ":")),
            "created_at": to_us(at),
        },
    )


def _record_passage(
    connection: sa.Connection, attempt: Attempt, ticket_id: uuid.UUID, occurrence_id: uuid.UUID
) -> None:
    c = t.tickets.c
    current = connection.execute(sa.select(c.status).where(c.id == str(ticket_id))).scalar_one_or_none()
    if current is None:
        # An authentic token the replica had not heard of: a stand-in row, so that the counters, the next scan of
        # the same ticket and an undo see it. The next pull replaces it with the real ticket.
        connection.execute(
            sa.insert(t.tickets),
            {
                "id": str(ticket_id),
                "occurrence_id": str(occurrence_id),
                "ticket_type_id": str(attempt.ticket_type_id or uuid.UUID(int=0)),
                "status": TicketStatus.CONFIRMED.value,
                "on_record": 0,
            },
        )
        current = TicketStatus.CONFIRMED.value
    connection.execute(
        sa.insert(t.passages),
        {
            "nonce": attempt.nonce,
            "ticket_id": str(ticket_id),
            "occurrence_id": str(occurrence_id),
            "direction": attempt.direction.value,
            "at": to_us(attempt.at),
            "gate": attempt.gate,
            "device_id": str(attempt.device_id),
            "prior_status": current,
        },
    )
    if attempt.direction is Direction.ENTRY:
        new_status = TicketStatus.CHECKED_IN.value if current == TicketStatus.CONFIRMED.value else current
        values: dict[str, Any] = {
            "status": new_status,
            "checked_in_at": to_us(attempt.at),
            "checked_in_gate": attempt.gate,
            "inside": 1,
        }
    else:
        values = {"inside": 0}
    connection.execute(t.tickets.update().where(c.id == str(ticket_id)).values(**values))


def _restore_ticket(connection: sa.Connection, annulled: sa.Row[Any]) -> None:
    """After an undo: the ticket's latest standing entry (if any) and whether its holder is inside, from this kiosk's
    passages; its status back to what it was before the first entry when no entry stands."""
    p = t.passages.c
    standing = connection.execute(
        sa.select(p.direction, p.at, p.gate)
        .where(p.ticket_id == annulled.ticket_id, p.annulled_at.is_(None))
        .order_by(p.at, p.id)
    ).all()
    entries = [row for row in standing if row.direction == Direction.ENTRY.value]
    inside = bool(standing) and standing[-1].direction == Direction.ENTRY.value
    values: dict[str, Any] = {"inside": int(inside)}
    if entries:
        values.update(checked_in_at=entries[-1].at, checked_in_gate=entries[-1].gate)
    elif annulled.direction == Direction.ENTRY.value:
        values.update(checked_in_at=None, checked_in_gate=None)
        if annulled.prior_status is not None:
            values["status"] = annulled.prior_status
    connection.execute(t.tickets.update().where(t.tickets.c.id == annulled.ticket_id).values(**values))


def _keep_pending_local_entries(connection: sa.Connection, ticket_ids: Sequence[str]) -> None:
    """A pulled page may carry a ticket's state from before an entry this kiosk recorded and has not uploaded yet
    (the scan came between the upload and the download): that entry still stands until the server has it."""
    placeholders = ",".join("?" * len(ticket_ids))
    connection.exec_driver_sql(
        f"""
        WITH local AS (
            SELECT p.ticket_id, p.at, p.gate FROM passages p JOIN outbox o ON o.nonce = p.nonce
            WHERE o.state = 'pending' AND p.direction = 'entry' AND p.annulled_at IS NULL
              AND p.ticket_id IN ({placeholders}))
        UPDATE tickets SET status = 'checked_in', inside = 1,
            checked_in_at = (SELECT max(at) FROM local WHERE local.ticket_id = tickets.id),
            checked_in_gate = (SELECT gate FROM local WHERE local.ticket_id = tickets.id ORDER BY at DESC LIMIT 1)
        WHERE status = 'confirmed' AND id IN (SELECT ticket_id FROM local)
        """,  # noqa: S608 (placeholders only)
        tuple(ticket_ids),
    )


def _occurrence_values(o: OccurrenceRow) -> dict[str, Any]:
    return {
        "id": str(o.id),
        "title": o.title,
        "venue": o.venue,
        "start_at": to_us(o.start_at),
        "end_at": to_us(o.end_at),
        "status": o.status.value,
        "capacity": o.capacity,
        "doors_open_minutes": o.check_in.doors_open_minutes,
        "allow_reentry": int(o.check_in.allow_reentry),
        "late_entry_minutes": o.check_in.late_entry_minutes,
    }


def _occurrence_from_row(row: sa.Row[Any]) -> OccurrenceRow:
    return OccurrenceRow(
        id=uuid.UUID(row.id),
        title=row.title,
        venue=row.venue,
        start_at=from_us(row.start_at),
        end_at=from_us(row.end_at),
        status=OccurrenceStatus(row.status),
        capacity=row.capacity,
        check_in=CheckInSettings(
            doors_open_minutes=row.doors_open_minutes,
            allow_reentry=bool(row.allow_reentry),
            late_entry_minutes=row.late_entry_minutes,
        ),
    )


def _ticket_type_values(tt: TicketTypeRow) -> dict[str, Any]:
    return {
        "id": str(tt.id),
        "name": tt.name,
        "occurrence_id": None if tt.occurrence_id is None else str(tt.occurrence_id),
    }


def _ticket_values(ticket: TicketRow) -> dict[str, Any]:
    return {
        "id": str(ticket.id),
        "occurrence_id": str(ticket.occurrence_id),
        "ticket_type_id": str(ticket.ticket_type_id),
        "status": ticket.status.value,
        "confirmation_code": ticket.confirmation_code,
        "holder_name": ticket.holder_name,
        "holder_email": ticket.holder_email,
        "notes": json.dumps(list(ticket.notes)),
        "revoked": int(ticket.revoked),
        "token_issued_at": opt_to_us(ticket.token_issued_at),
        "checked_in_at": opt_to_us(ticket.checked_in_at),
        "checked_in_gate": ticket.checked_in_gate,
        "inside": int(ticket.inside),
        "on_record": int(ticket.on_record),
        "search": search_text(ticket.holder_name, ticket.holder_email),
    }


def _ticket_select() -> sa.Select[Any]:
    return sa.select(t.tickets, t.ticket_types.c.name.label("ticket_type_name")).join_from(
        t.tickets, t.ticket_types, t.ticket_types.c.id == t.tickets.c.ticket_type_id, isouter=True
    )


def _ticket_from_row(row: sa.Row[Any]) -> TicketRow:
    return TicketRow(
        id=uuid.UUID(row.id),
        occurrence_id=uuid.UUID(row.occurrence_id),
        ticket_type_id=uuid.UUID(row.ticket_type_id),
        status=TicketStatus(row.status),
        holder_name=row.holder_name,
        holder_email=row.holder_email,
        confirmation_code=row.confirmation_code,
        notes=tuple(json.loads(row.notes)),
        revoked=bool(row.revoked),
        token_issued_at=opt_from_us(row.token_issued_at),
        checked_in_at=opt_from_us(row.checked_in_at),
        checked_in_gate=row.checked_in_gate,
        inside=bool(row.inside),
        on_record=bool(row.on_record),
        ticket_type_name=row.ticket_type_name,
    )


def _key_values(key: TrustedKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "public_key": key.public_key,
        "owner_kind": key.owner.kind.value,
        "owner_id": str(key.owner.id),
        "revoked_at": opt_to_us(key.revoked_at),
    }


def _key_from_row(row: sa.Row[Any]) -> TrustedKey:
    return TrustedKey(
        key_id=bytes(row.key_id),
        public_key=bytes(row.public_key),
        owner=KeyOwner(KeyOwnerKind(row.owner_kind), uuid.UUID(row.owner_id)),
        revoked_at=opt_from_us(row.revoked_at),
    )


def _passage_from_row(row: sa.Row[Any]) -> LocalPassage:
    return LocalPassage(
        nonce=row.nonce,
        ticket_id=uuid.UUID(row.ticket_id),
        occurrence_id=uuid.UUID(row.occurrence_id),
        direction=Direction(row.direction),
        at=from_us(row.at),
        gate=row.gate,
        device_id=uuid.UUID(row.device_id),
        annulled_at=opt_from_us(row.annulled_at),
    )


def _conflict_values(c: Conflict) -> dict[str, Any]:
    return {
        "key": c.key,
        "kind": c.kind,
        "ticket_id": None if c.ticket_id is None else str(c.ticket_id),
        "summary": c.summary,
        "details": c.details,
        "reported_at": to_us(c.reported_at),
        "handled_at": opt_to_us(c.handled_at),
    }
