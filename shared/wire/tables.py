"""What the server sends: the replicated tables, pull pages, the replica's DDL and writer, and the builders from
replica rows to the check-in rule's inputs."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.checkin import (
    OccurrenceSnapshot,
    TicketSnapshot,
    parse_check_in_settings,
)
from shared.enums import OccurrenceStatus, TicketStatus
from shared.passages import Direction, Passage
from shared.qrtoken import KeyOwner, KeyOwnerKind, Keyring, TrustedKey
from shared.wire.codec import (
    _EPOCH,
    WIRE_VERSION,
    WireError,
    _bool,
    _field,
    _int,
    _list,
    _object,
    _str,
    dumps,
    loads,
    time_from_wire,
    time_to_wire,
)

# --- what the server sends: tables --------------------------------------------------------------------------------


class Kind(StrEnum):
    """How a column travels and how the replica stores it."""

    ID = "id"  # 32 hex digits; TEXT
    TEXT = "text"
    INT = "int"
    BOOL = "bool"  # JSON true/false; INTEGER 0/1
    TIME = "time"  # epoch ms; INTEGER
    JSON = "json"  # any JSON value; TEXT holding JSON
    TEXT_LIST = "text_list"  # list of strings; TEXT holding a JSON list


_SQLITE_TYPES = {
    Kind.ID: "TEXT",
    Kind.TEXT: "TEXT",
    Kind.INT: "INTEGER",
    Kind.BOOL: "INTEGER",
    Kind.TIME: "INTEGER",
    Kind.JSON: "TEXT",
    Kind.TEXT_LIST: "TEXT",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    """One entity the server sends. The first column is the key: a row replaces the replica's row with that key."""

    name: str
    columns: tuple[Column, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def key(self) -> str:
        return self.columns[0].name


def _c(name: str, kind: Kind, nullable: bool = False) -> Column:
    return Column(name, kind, nullable)


EVENTS = Table(
    "events",
    (
        _c("id", Kind.ID),
        _c("name", Kind.TEXT),
        _c("status", Kind.TEXT),
        # The definition's ``settings["check_in"]`` block (doors open, re-entry, late entry), or null.
        _c("check_in", Kind.JSON, True),
        # The definition's ``settings["fees"]`` block (``shared.pricing``), or null: a box office prices offline
        # sales with it exactly as the server will.
        _c("fees", Kind.JSON, True),
    ),
)
OCCURRENCES = Table(
    "occurrences",
    (
        _c("id", Kind.ID),
        _c("event_id", Kind.ID),
        _c("name", Kind.TEXT, True),  # the occurrence's own name, if it has one
        _c("start_at", Kind.TIME),
        _c("end_at", Kind.TIME),
        _c("timezone", Kind.TEXT),
        _c("status", Kind.TEXT),
        _c("check_in", Kind.JSON, True),  # the occurrence's ``settings["check_in"]`` block (overrides the event's)
        # No seat counters: they change with every sale and would make every occurrence row travel again; a box
        # office reads its own allotment (``allotments``) and asks the server for live figures.
    ),
    indexes=(("event_id",),),
)
TICKET_TYPES = Table(
    "ticket_types",
    (
        _c("id", Kind.ID),
        _c("event_id", Kind.ID),
        _c("name", Kind.TEXT),
        _c("tier", Kind.TEXT),
        _c("price_cents", Kind.INT),
        _c("currency", Kind.TEXT),
        _c("status", Kind.TEXT),
        # What ``shared.lifecycle.can_purchase`` needs to judge an offline sale (null: the defaults, 1 and 10; no
        # window). The counts sold do not travel (they change with every sale); allotments stand in for them.
        _c("min_quantity", Kind.INT, True),
        _c("max_quantity", Kind.INT, True),
        _c("valid_from", Kind.TIME, True),
        _c("valid_until", Kind.TIME, True),
    ),
)
TICKETS = Table(
    "tickets",
    (
        _c("id", Kind.ID),
        _c("occurrence_id", Kind.ID),
        _c("ticket_type_id", Kind.ID),
        _c("status", Kind.TEXT),
        _c("code", Kind.TEXT, True),  # confirmation code, stored form (no dash); null while only reserved
        _c("name", Kind.TEXT),  # holder display name ("" once erased)
        _c("email", Kind.TEXT),  # holder email, for search ("" once erased or when none was given)
        _c("notes", Kind.TEXT_LIST),  # what staff see on admission: accessibility, diet, requests
        _c("revoked", Kind.BOOL),  # blocked by staff without canceling the sale
        _c("token_issued_at", Kind.TIME, True),  # set only when the ticket's token was replaced
    ),
    # Search by name or email is a substring match (a scan of 100,000 rows takes milliseconds), so only the exact
    # lookups get indexes: every index costs time on the initial sync.
    indexes=(("code",),),
)
CHECK_INS = Table(
    "check_ins",
    (
        _c("id", Kind.ID),
        _c("nonce", Kind.TEXT),  # the recording device's nonce: a kiosk finds its own provisional rows by it
        _c("ticket_id", Kind.ID),
        _c("occurrence_id", Kind.ID),
        _c("direction", Kind.TEXT),
        _c("at", Kind.TIME),  # on the server's clock (device time corrected by the device's clock offset)
        _c("gate", Kind.TEXT),
        _c("device_id", Kind.ID, True),  # null when staff checked the ticket in from the organizer tools
        _c("annulled_at", Kind.TIME, True),
        # False for a duplicate entry (another device admitted the ticket earlier) or an exit that found nobody
        # inside: kept on record and reported as a conflict, but not a passage.
        _c("counted", Kind.BOOL),
    ),
    indexes=(("ticket_id",), ("nonce",)),
)
KEYS = Table(
    "keys",
    (
        _c("key_id", Kind.TEXT),  # 8 hex digits, as carried in tokens
        _c("public_key", Kind.TEXT),  # 64 hex digits
        _c("owner_kind", Kind.TEXT),  # organization | device
        _c("owner_id", Kind.ID),
        _c("revoked_at", Kind.TIME, True),  # tokens issued from this instant on are not trusted
    ),
)
CONFLICTS = Table(
    "conflicts",
    (
        _c("id", Kind.ID),
        _c("kind", Kind.TEXT),
        _c("ticket_id", Kind.ID, True),
        _c("occurrence_id", Kind.ID, True),
        _c("device_id", Kind.ID, True),  # the device whose action the server overruled or flagged
        _c("other_device_id", Kind.ID, True),  # the device it collided with, if any
        _c("mutation_id", Kind.ID, True),
        _c("detail", Kind.TEXT),
        _c("detected_at", Kind.TIME),
        _c("resolved_at", Kind.TIME, True),
    ),
)
ALLOTMENTS = Table(
    "allotments",
    (
        _c("id", Kind.ID),
        _c("occurrence_id", Kind.ID),
        _c("ticket_type_id", Kind.ID, True),
        _c("seats", Kind.INT),
        _c("seats_used", Kind.INT),
        _c("status", Kind.TEXT),  # active | released | reclaimed | closed
    ),
)

TABLES: tuple[Table, ...] = (EVENTS, OCCURRENCES, TICKET_TYPES, TICKETS, CHECK_INS, KEYS, CONFLICTS, ALLOTMENTS)
TABLES_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}


def replica_ddl(prefix: str = "") -> list[str]:
    """``CREATE TABLE`` (and index) statements for a plain SQLite replica of every table, plus the ``sync_state``
    table that holds the cursor. ``prefix`` namespaces the tables (``replica_``) inside a larger database."""
    statements = []
    for table in TABLES:
        columns = ", ".join(
            f"{column.name} {_SQLITE_TYPES[column.kind]}{'' if column.nullable else ' NOT NULL'}"
            + (" PRIMARY KEY" if column.name == table.key else "")
            for column in table.columns
        )
        statements.append(f"CREATE TABLE IF NOT EXISTS {prefix}{table.name} ({columns}) WITHOUT ROWID")
        for index_columns in table.indexes:
            name = f"ix_{prefix}{table.name}_{'_'.join(index_columns)}"
            statements.append(f"CREATE INDEX IF NOT EXISTS {name} ON {prefix}{table.name} ({', '.join(index_columns)})")
    statements.append(
        f"CREATE TABLE IF NOT EXISTS {prefix}sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"
    )
    return statements


# --- pull pages -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PullPage:
    """One answer to a pull. ``tables`` holds rows as tuples in ``Table.columns`` order, with values as the replica
    stores them (hex ids, epoch ms, JSON text for JSON and list columns, 0/1 for booleans).

    ``reset``: the device's scope changed (or its cursor predates it): drop every replica table before applying
    this page. ``deleted``: keys per table to delete. ``more``: pull again at once with ``cursor``. ``remaining``:
    the server's estimate of the changes still to come (for a progress bar), ``None`` when it sent none."""

    server_time: datetime
    cursor: str
    more: bool
    reset: bool = False
    remaining: int | None = None
    tables: Mapping[str, Sequence[tuple[Any, ...]]] = field(default_factory=dict)
    deleted: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def count(self, table: str) -> int:
        return len(self.tables.get(table, ()))


def encode_pull_page(
    *,
    server_time: datetime,
    cursor: str,
    more: bool,
    reset: bool,
    columns: Mapping[str, Mapping[str, Sequence[Any]]],
    deleted: Mapping[str, Sequence[str]] | None = None,
    remaining: int | None = None,
) -> bytes:
    """The JSON body of a pull answer. ``columns`` is column-major and already in wire form (the server builds it
    straight from its query results: ``{"tickets": {"id": [...], ...}}``), with every column of each table."""
    for name, data in columns.items():
        table = TABLES_BY_NAME[name]
        if set(data) != set(table.column_names):
            raise ValueError(f"table {name}: columns {sorted(data)} are not {sorted(table.column_names)}")
    document = {
        "v": WIRE_VERSION,
        "server_time": time_to_wire(server_time),
        "cursor": cursor,
        "more": more,
        "reset": reset,
        "tables": {name: data for name, data in columns.items() if data and len(next(iter(data.values())))},
        "deleted": {name: list(keys) for name, keys in (deleted or {}).items() if keys},
    }
    if remaining is not None:
        document["remaining"] = remaining
    return dumps(document)


def _replica_value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind is Kind.JSON or kind is Kind.TEXT_LIST:
        return "[]" if value == [] else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if kind is Kind.BOOL:
        return 1 if value else 0
    return value


def decode_pull_page(raw: bytes | str) -> PullPage:
    body = _object(loads(raw), "")
    if body.get("v") != WIRE_VERSION:
        raise WireError("v", f"this client speaks version {WIRE_VERSION}")
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for name, data in _object(body.get("tables", {}), "tables").items():
        table = TABLES_BY_NAME.get(name)
        if table is None:
            continue  # a newer server's table: ignore it
        data = _object(data, f"tables.{name}")
        lists = []
        length = None
        for column in table.columns:
            values = data.get(column.name)
            if not isinstance(values, list):
                raise WireError(f"tables.{name}.{column.name}", "is missing")
            if length is not None and len(values) != length:
                raise WireError(f"tables.{name}.{column.name}", "has another length than the other columns")
            length = len(values)
            if column.kind in (Kind.JSON, Kind.TEXT_LIST, Kind.BOOL):
                values = [_replica_value(column.kind, value) for value in values]
            lists.append(values)
        tables[name] = list(zip(*lists, strict=True))
    deleted: dict[str, list[str]] = {}
    for name, keys in _object(body.get("deleted", {}), "deleted").items():
        if name in TABLES_BY_NAME:
            deleted[name] = [str(key) for key in _list(keys, f"deleted.{name}", max_items=10**7)]
    return PullPage(
        server_time=time_from_wire(_field(body, "server_time", ""), "server_time"),
        cursor=_str(body, "cursor", "", max_length=200),
        more=_bool(body, "more", "", default=False),
        reset=_bool(body, "reset", "", default=False),
        remaining=_int(body, "remaining", "", minimum=0, optional=True),
        tables=tables,
        deleted=deleted,
    )


CURSOR_KEY = "cursor"


def read_cursor(replica: sqlite3.Connection, prefix: str = "") -> str | None:
    row = replica.execute(f"SELECT value FROM {prefix}sync_state WHERE key = ?", (CURSOR_KEY,)).fetchone()  # noqa: S608
    return None if row is None else str(row[0])


def apply_pull_page(replica: sqlite3.Connection, page: PullPage, prefix: str = "") -> None:
    """Write one page into a replica made by ``replica_ddl(prefix)`` and store its cursor, in one transaction (the
    caller's, if one is open; the page and its cursor are committed together or not at all)."""
    own_transaction = not replica.in_transaction
    if own_transaction:
        replica.execute("BEGIN")
    try:
        if page.reset:
            for table in TABLES:
                replica.execute(f"DELETE FROM {prefix}{table.name}")  # noqa: S608
        for name, rows in page.tables.items():
            table = TABLES_BY_NAME[name]
            placeholders = ", ".join("?" for _ in table.columns)
            replica.executemany(
                f"INSERT OR REPLACE INTO {prefix}{name} ({', '.join(table.column_names)}) VALUES ({placeholders})",  # noqa: S608
                rows,
            )
        for name, keys in page.deleted.items():
            table = TABLES_BY_NAME[name]
            replica.executemany(
                f"DELETE FROM {prefix}{name} WHERE {table.key} = ?",  # noqa: S608
                [(key,) for key in keys],
            )
        replica.execute(
            f"INSERT OR REPLACE INTO {prefix}sync_state (key, value) VALUES (?, ?)",  # noqa: S608
            (CURSOR_KEY, page.cursor),
        )
        if own_transaction:
            replica.execute("COMMIT")
    except BaseException:
        if own_transaction:
            replica.execute("ROLLBACK")
        raise


# --- from replica rows to the shared rules' inputs ------------------------------------------------------------------


def holder_display(
    *,
    given_name: str | None,
    family_name: str | None,
    email: str | None,
    erased: bool,
) -> tuple[str, str]:
    """The holder's display name and search email as both ends show them. An erased person shows nothing."""
    if erased:
        return "", ""
    name = " ".join(part.strip() for part in (given_name, family_name) if part and part.strip())
    return name, (email or "").strip()


def admission_notes(
    *,
    accessibility_needs: Iterable[str] | None,
    dietary_restrictions: Iterable[str] | None,
    notes: str | None,
    erased: bool = False,
) -> tuple[str, ...]:
    """What staff see on admission, in this order: accessibility needs (they change what staff do at the door),
    dietary restrictions, then free-text requests."""
    if erased:
        return ()
    lines = [f"Accessibility: {item.strip()}" for item in accessibility_needs or () if item and item.strip()]
    lines += [f"Dietary: {item.strip()}" for item in dietary_restrictions or () if item and item.strip()]
    if notes and notes.strip():
        lines.append(notes.strip())
    return tuple(lines)


def _row(table: Table, row: Sequence[Any] | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(row, Mapping):
        return row
    return dict(zip(table.column_names, row, strict=True))


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _replica_time(value: Any) -> datetime | None:
    return None if value is None else _EPOCH + timedelta(milliseconds=int(value))


def ticket_snapshot(row: Sequence[Any] | Mapping[str, Any], *, ticket_type_name: str | None = None) -> TicketSnapshot:
    """A ``tickets`` replica row (a tuple in column order, or a mapping such as ``sqlite3.Row``) as the check-in
    rule's input."""
    values = _row(TICKETS, row)
    return TicketSnapshot(
        id=uuid.UUID(hex=values["id"]),
        occurrence_id=uuid.UUID(hex=values["occurrence_id"]),
        ticket_type_id=uuid.UUID(hex=values["ticket_type_id"]),
        status=TicketStatus(values["status"]),
        holder_name=values["name"],
        ticket_type_name=ticket_type_name,
        notes=tuple(_json_value(values["notes"]) or ()),
        revoked=bool(values["revoked"]),
        token_issued_at=_replica_time(values["token_issued_at"]),
    )


def occurrence_snapshot(
    occurrence_row: Sequence[Any] | Mapping[str, Any], event_row: Sequence[Any] | Mapping[str, Any]
) -> OccurrenceSnapshot:
    """An ``occurrences`` row with its ``events`` row, as the check-in rule's input: the check-in settings are the
    event's, overridden key by key by the occurrence's (``shared.checkin.parse_check_in_settings``)."""
    occurrence = _row(OCCURRENCES, occurrence_row)
    event = _row(EVENTS, event_row)
    definition_block = _json_value(event["check_in"])
    occurrence_block = _json_value(occurrence["check_in"])
    settings = parse_check_in_settings(
        definition_settings={"check_in": definition_block} if definition_block is not None else None,
        occurrence_settings={"check_in": occurrence_block} if occurrence_block is not None else None,
    ).unwrap()
    start_at = _replica_time(occurrence["start_at"])
    end_at = _replica_time(occurrence["end_at"])
    assert start_at is not None
    assert end_at is not None
    return OccurrenceSnapshot(
        id=uuid.UUID(hex=occurrence["id"]),
        start_at=start_at,
        end_at=end_at,
        status=OccurrenceStatus(occurrence["status"]),
        check_in=settings,
    )


def passage(row: Sequence[Any] | Mapping[str, Any]) -> Passage | None:
    """A ``check_ins`` row as a passage, or ``None`` when it does not count (a duplicate entry)."""
    values = _row(CHECK_INS, row)
    if not values["counted"]:
        return None
    at = _replica_time(values["at"])
    assert at is not None
    device = values["device_id"]
    return Passage(
        ticket_id=uuid.UUID(hex=values["ticket_id"]),
        direction=Direction(values["direction"]),
        at=at,
        gate=values["gate"],
        device_id=uuid.UUID(hex=device) if device else uuid.UUID(int=0),
        annulled_at=_replica_time(values["annulled_at"]),
    )


def trusted_key(row: Sequence[Any] | Mapping[str, Any]) -> TrustedKey:
    values = _row(KEYS, row)
    return TrustedKey(
        key_id=bytes.fromhex(values["key_id"]),
        public_key=bytes.fromhex(values["public_key"]),
        owner=KeyOwner(KeyOwnerKind(values["owner_kind"]), uuid.UUID(hex=values["owner_id"])),
        revoked_at=_replica_time(values["revoked_at"]),
    )


def keyring(rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> Keyring:
    """Every key of the org, from the ``keys`` replica table: what the kiosk verifies tokens with offline."""
    return Keyring(trusted_key(row) for row in rows)
