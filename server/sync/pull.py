"""Pull: the changes a device's scope covers, after its cursor, as one column-major page (``shared.wire``).

Each wire table has a source query: the rows of its scope stamped after the cursor and below the horizon, in change
order, at most ``limit`` of them. The page is the first ``limit`` rows of all sources merged in change order; the new
cursor is the last row served. Rows are read with Core (no ORM objects) and ids are turned into hex by the database,
since the initial sync of a big event moves 100,000 rows.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings.models import Attendee, Ticket
from server.checkin.models import CheckIn
from server.devices.models import Device, SeatAllotment
from server.devices.scope import Scope
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.signing.models import SigningKey
from server.sync.models import SyncConflict, SyncTombstone
from server.sync.tracking import START, Cursor, Position, horizon
from shared import wire

GZIP_LEVEL = 1  # measured in docs/benchmarks.md: 4x faster than level 6 for ~10% more bytes


@dataclass(frozen=True)
class Context:
    session: Session
    device: Device
    scope: Scope
    after: Position
    horizon: int
    limit: int
    dialect: str


Row = tuple[int, int, str, tuple[Any, ...]]  # (txid, seq, wire table, values in the table's column order)


def _hex(column: Any, dialect: str) -> Any:
    """An id column as 32 hex digits, computed by the database."""
    if dialect == "postgresql":
        return sa.func.replace(sa.cast(column, sa.Text), "-", "")
    return sa.type_coerce(column, sa.String)  # SQLite stores uuids as 32 hex digits already


def _raw(column: Any) -> Any:
    return sa.type_coerce(column, sa.String)


def _json_key(column: Any, key: str, dialect: str) -> Any:
    if dialect == "postgresql":
        return column.op("->")(key)
    return sa.func.json_extract(column, f"$.{key}")


def _changed(model: Any, ctx: Context) -> list[Any]:
    return [
        sa.tuple_(model.change_txid, model.change_seq) > sa.tuple_(ctx.after.txid, ctx.after.seq),
        model.change_txid < ctx.horizon,
    ]


def _ordered(statement: Any, model: Any, ctx: Context) -> Any:
    return statement.where(*_changed(model, ctx)).order_by(model.change_txid, model.change_seq).limit(ctx.limit)


def _remaining(ctx: Context, after: Position) -> int:
    """About how many changes are left after ``after``: the issued tickets and admissions of the scope, which are
    nearly all of a big sync. Only for the progress bar of a long download, so the small tables are not counted."""
    if not ctx.scope.occurrence_ids:
        return 0
    later = Context(ctx.session, ctx.device, ctx.scope, after, ctx.horizon, ctx.limit, ctx.dialect)
    tickets = sa.select(sa.func.count()).where(
        Ticket.event_occurrence_id.in_(ctx.scope.occurrence_ids),
        Ticket.confirmation_code.is_not(None),
        *_changed(Ticket, later),
    )
    check_ins = sa.select(sa.func.count()).where(
        CheckIn.event_occurrence_id.in_(ctx.scope.occurrence_ids),
        CheckIn.admitted,
        CheckIn.org_id == ctx.scope.org_id,
        *_changed(CheckIn, later),
    )
    return int(ctx.session.scalar(tickets) or 0) + int(ctx.session.scalar(check_ins) or 0)


def _ms(value: datetime | None) -> int | None:
    return None if value is None else wire.time_to_wire(value)


def _settings_block(value: Any) -> Any:
    if isinstance(value, str):  # SQLite's json_extract of an object answers its JSON text
        return wire.loads(value)
    return value


def _events(ctx: Context) -> list[Row]:
    if not ctx.scope.event_ids:
        return []
    m = EventDefinition
    statement = sa.select(
        m.change_txid,
        m.change_seq,
        _hex(m.id, ctx.dialect),
        m.name,
        _raw(m.status),
        _json_key(m.settings, "check_in", ctx.dialect),
        _json_key(m.settings, "fees", ctx.dialect),
    ).where(m.org_id == ctx.scope.org_id, m.id.in_(ctx.scope.event_ids))
    return [
        (r[0], r[1], "events", (r[2], r[3], r[4], _settings_block(r[5]), _settings_block(r[6])))
        for r in ctx.session.execute(_ordered(statement, m, ctx))
    ]


def _occurrences(ctx: Context) -> list[Row]:
    if not ctx.scope.occurrence_ids:
        return []
    m = EventOccurrence
    statement = sa.select(
        m.change_txid,
        m.change_seq,
        _hex(m.id, ctx.dialect),
        _hex(m.event_definition_id, ctx.dialect),
        m.occurrence_name,
        m.start_at,
        m.end_at,
        m.timezone,
        _raw(m.status),
        _json_key(m.settings, "check_in", ctx.dialect),
    ).where(m.org_id == ctx.scope.org_id, m.id.in_(ctx.scope.occurrence_ids))
    return [
        (r[0], r[1], "occurrences", (r[2], r[3], r[4], _ms(r[5]), _ms(r[6]), r[7], r[8], _settings_block(r[9])))
        for r in ctx.session.execute(_ordered(statement, m, ctx))
    ]


def _ticket_types(ctx: Context) -> list[Row]:
    if not ctx.scope.event_ids:
        return []
    m = TicketType
    statement = sa.select(
        m.change_txid,
        m.change_seq,
        _hex(m.id, ctx.dialect),
        _hex(m.event_definition_id, ctx.dialect),
        m.name,
        _raw(m.tier),
        m.price_cents,
        m.currency,
        _raw(m.status),
        m.min_quantity,
        m.max_quantity,
        m.valid_from,
        m.valid_until,
    ).where(m.org_id == ctx.scope.org_id, m.event_definition_id.in_(ctx.scope.event_ids))
    return [
        (r[0], r[1], "ticket_types", (*r[2:11], _ms(r[11]), _ms(r[12])))
        for r in ctx.session.execute(_ordered(statement, m, ctx))
    ]


def _tickets(ctx: Context) -> list[Row]:
    if not ctx.scope.occurrence_ids:
        return []
    t, a = Ticket, Attendee
    revoked = _json_key(t.settings, "revoked_at", ctx.dialect)
    statement = (
        sa.select(
            t.change_txid,
            t.change_seq,
            _hex(t.id, ctx.dialect),
            _hex(t.event_occurrence_id, ctx.dialect),
            _hex(t.ticket_type_id, ctx.dialect),
            _raw(t.status),
            t.confirmation_code,
            a.given_name,
            a.family_name,
            a.email,
            a.accessibility_needs,
            a.dietary_restrictions,
            a.notes,
            a.erased_at.is_not(None),
            revoked.is_not(None),
        )
        .join(a, a.id == t.attendee_id)
        # Only tickets that were ever issued: a hold that expired unpaid never reached a door.
        .where(t.event_occurrence_id.in_(ctx.scope.occurrence_ids), t.confirmation_code.is_not(None))
    )
    rows: list[Row] = []
    display = wire.holder_display
    notes_of = wire.admission_notes
    for r in ctx.session.execute(_ordered(statement, t, ctx)):
        erased = bool(r[13])
        name, email = display(given_name=r[7], family_name=r[8], email=r[9], erased=erased)
        if r[10] or r[11] or r[12]:
            notes = list(notes_of(accessibility_needs=r[10], dietary_restrictions=r[11], notes=r[12], erased=erased))
        else:
            notes = []
        rows.append((r[0], r[1], "tickets", (r[2], r[3], r[4], r[5], r[6], name, email, notes, bool(r[14]), None)))
    return rows


def _check_ins(ctx: Context) -> list[Row]:
    if not ctx.scope.occurrence_ids:
        return []
    m = CheckIn
    statement = sa.select(
        m.change_txid,
        m.change_seq,
        _hex(m.id, ctx.dialect),
        m.nonce,
        _hex(m.ticket_id, ctx.dialect),
        _hex(m.event_occurrence_id, ctx.dialect),
        _raw(m.direction),
        m.at,
        m.gate,
        _hex(m.device_id, ctx.dialect),
        m.annulled_at,
        m.counted,
    ).where(m.event_occurrence_id.in_(ctx.scope.occurrence_ids), m.admitted, m.org_id == ctx.scope.org_id)
    return [
        (r[0], r[1], "check_ins", (r[2], r[3], r[4], r[5], r[6], _ms(r[7]), r[8], r[9], _ms(r[10]), bool(r[11])))
        for r in ctx.session.execute(_ordered(statement, m, ctx))
    ]


def _org_keys(ctx: Context) -> list[Row]:
    m = SigningKey
    statement = sa.select(m.change_txid, m.change_seq, m.key_id, m.public_key, m.retired_at, m.revoked_at).where(
        m.org_id == ctx.scope.org_id
    )
    owner = ctx.scope.org_id.hex
    rows: list[Row] = []
    for r in ctx.session.execute(_ordered(statement, m, ctx)):
        cutoffs = [moment for moment in (r[4], r[5]) if moment is not None]
        rows.append(
            (
                r[0],
                r[1],
                "keys",
                (r[2], bytes(r[3]).hex(), "organization", owner, _ms(min(cutoffs) if cutoffs else None)),
            )
        )
    return rows


def _device_keys(ctx: Context) -> list[Row]:
    m = Device
    statement = sa.select(m.change_txid, m.change_seq, m.key_id, m.public_key, m.id, m.revoked_at).where(
        m.org_id == ctx.scope.org_id, m.public_key.is_not(None), m.key_id.is_not(None)
    )
    return [
        (r[0], r[1], "keys", (r[2], bytes(r[3]).hex(), "device", r[4].hex, _ms(r[5])))
        for r in ctx.session.execute(_ordered(statement, m, ctx))
    ]


def _conflicts(ctx: Context) -> list[Row]:
    m = SyncConflict
    me = ctx.device.id
    statement = sa.select(
        m.change_txid,
        m.change_seq,
        m.id,
        m.kind,
        m.ticket_id,
        m.event_occurrence_id,
        m.device_id,
        m.other_device_id,
        m.mutation_id,
        m.detail,
        m.detected_at,
        m.resolved_at,
    ).where(m.org_id == ctx.scope.org_id, sa.or_(m.device_id == me, m.other_device_id == me))

    def hx(value: uuid.UUID | None) -> str | None:
        return None if value is None else value.hex

    return [
        (
            r[0],
            r[1],
            "conflicts",
            (hx(r[2]), r[3], hx(r[4]), hx(r[5]), hx(r[6]), hx(r[7]), hx(r[8]), r[9], _ms(r[10]), _ms(r[11])),
        )
        for r in ctx.session.execute(_ordered(statement, m, ctx))
    ]


def _allotments(ctx: Context) -> list[Row]:
    m = SeatAllotment
    statement = sa.select(
        m.change_txid,
        m.change_seq,
        m.id,
        m.event_occurrence_id,
        m.ticket_type_id,
        m.seats,
        m.seats_used,
        _raw(m.status),
    ).where(m.device_id == ctx.device.id)
    return [
        (r[0], r[1], "allotments", (r[2].hex, r[3].hex, r[4].hex if r[4] else None, r[5], r[6], r[7]))
        for r in ctx.session.execute(_ordered(statement, m, ctx))
    ]


def _tombstones(ctx: Context) -> list[Row]:
    m = SyncTombstone
    conditions = []
    if ctx.scope.event_ids:
        conditions.append(m.event_definition_id.in_(ctx.scope.event_ids))
    if ctx.scope.named_occurrence_ids:
        conditions.append(m.row_id.in_(ctx.scope.named_occurrence_ids))
    if not conditions:
        return []
    statement = sa.select(m.change_txid, m.change_seq, m.entity, m.row_id).where(
        m.org_id == ctx.scope.org_id, sa.or_(*conditions)
    )
    return [(r[0], r[1], "-" + r[2], (r[3].hex,)) for r in ctx.session.execute(_ordered(statement, m, ctx))]


SOURCES: tuple[Callable[[Context], list[Row]], ...] = (
    _events,
    _occurrences,
    _ticket_types,
    _tickets,
    _check_ins,
    _org_keys,
    _device_keys,
    _conflicts,
    _allotments,
    _tombstones,
)


@dataclass(frozen=True)
class Page:
    body: bytes
    rows: int
    more: bool
    cursor: str


def build_page(
    *, session: Session, device: Device, scope: Scope, cursor: Cursor | None, limit: int, now: datetime
) -> Page:
    """The next page for ``device``: JSON bytes as ``wire.decode_pull_page`` reads them."""
    reset = cursor is None or cursor.scope_version != device.scope_version
    after = START if reset or cursor is None else cursor.position
    ctx = Context(session, device, scope, after, horizon(session), limit, session.get_bind().dialect.name)
    fetched: list[Row] = []
    full = False
    for source in SOURCES:
        rows = source(ctx)
        full = full or len(rows) >= limit
        fetched.extend(rows)
    fetched.sort(key=lambda row: (row[0], row[1]))
    served = fetched[:limit]
    more = full or len(fetched) > limit
    last = Position(served[-1][0], served[-1][1]) if served else after
    columns: dict[str, dict[str, list[Any]]] = {}
    deleted: dict[str, list[str]] = {}
    for _, _, table, values in served:
        if table.startswith("-"):
            deleted.setdefault(table[1:], []).append(values[0])
            continue
        data = columns.get(table)
        if data is None:
            data = columns[table] = {name: [] for name in wire.TABLES_BY_NAME[table].column_names}
        for name, value in zip(data, values, strict=True):
            data[name].append(value)
    next_cursor = Cursor(device.scope_version, last).encode()
    # Counted only when another page follows, so the frequent small pulls of a synced kiosk pay nothing for it.
    remaining = _remaining(ctx, last) if more else 0
    body = wire.encode_pull_page(
        server_time=now,
        cursor=next_cursor,
        more=more,
        reset=reset,
        columns=columns,
        deleted=deleted,
        remaining=remaining,
    )
    return Page(body, len(served), more, next_cursor)


def compress(body: bytes, accept_encoding: str | None) -> tuple[bytes, dict[str, str]]:
    """gzip when the client accepts it (every httpx client does by default)."""
    if accept_encoding and "gzip" in accept_encoding.lower():
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0), {"Content-Encoding": "gzip"}
    return body, {}
