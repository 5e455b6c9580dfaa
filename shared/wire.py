"""The kiosk sync protocol on the wire: what a paired device sends and receives, encoded and decoded by the same
functions on both ends, so the server and the kiosk cannot disagree about a field. ``docs/sync-protocol.md`` explains
the protocol; this module is its executable form.

Conventions:

* ids travel as 32 lower-case hex digits (``uuid.hex``); instants as integer milliseconds since the Unix epoch, UTC;
* every decoder refuses what it does not understand with ``WireError`` (a field path and a message), never a
  ``KeyError`` or ``TypeError``: the server answers it as a 422, or as a permanent rejection of one mutation;
* pull pages are **column-major** (``{"tickets": {"id": [...], "name": [...]}}``): one list per column compresses far
  better than one object per row, and is inserted into the replica with a single ``executemany`` per table.

What a client does, in order (see the docs for the HTTP side):

1. pair: ``encode_pair_request`` -> ``POST /api/v1/devices/pair`` -> ``decode_pair_response`` (the device token is
   shown once: keep it);
2. pull until ``more`` is false: ``GET /api/v1/device/sync/pull?cursor=...`` -> ``decode_pull_page`` ->
   ``apply_pull_page(replica, page)`` (a plain ``sqlite3`` connection whose tables ``replica_ddl()`` creates);
3. redeem online: ``encode_redeem_request`` -> ``POST /api/v1/device/check-ins/redeem`` -> ``decode_redeem_response``;
   on timeout decide offline with ``shared.checkin.decide_check_in`` over the replica (``ticket_snapshot``,
   ``occurrence_snapshot``, ``passage``, ``keyring``) and queue a ``CheckInMutation`` with the **same nonce**;
4. push the outbox: ``encode_push_request`` -> ``POST /api/v1/device/sync/push`` -> ``decode_push_response``; drop
   the mutations whose result is final (``applied`` or ``rejected``), keep the ``deferred`` ones;
5. any answer that ``is_wipe_instruction`` says so: erase the replica and the outbox, forget the token.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from shared.checkin import (
    CheckInOutcome,
    CheckInStatus,
    OccurrenceSnapshot,
    RefusalReason,
    TicketSnapshot,
    parse_check_in_settings,
)
from shared.clock import ClockOffset, require_aware
from shared.enums import OccurrenceStatus, TicketStatus
from shared.passages import Direction, Passage
from shared.qrtoken import KeyOwner, KeyOwnerKind, Keyring, TokenStatus, TrustedKey

WIRE_VERSION = 1
DEVICE_TOKEN_PREFIX = "usherdev_"  # noqa: S105 - a public prefix, not a secret
API_PREFIX = "/api/v1"


class Path:
    """The device-facing endpoints (organizer endpoints are in the docs)."""

    PAIR = f"{API_PREFIX}/devices/pair"
    ME = f"{API_PREFIX}/device/me"
    PULL = f"{API_PREFIX}/device/sync/pull"
    PUSH = f"{API_PREFIX}/device/sync/push"
    REDEEM = f"{API_PREFIX}/device/check-ins/redeem"
    ALLOTMENTS = f"{API_PREFIX}/device/allotments"

    @staticmethod
    def release_allotment(allotment_id: uuid.UUID) -> str:
        return f"{API_PREFIX}/device/allotments/{allotment_id.hex}/release"


# Headers a device sends with every request so the server knows its clock (see ``clock_headers``).
DEVICE_TIME_HEADER = "Usher-Device-Time"  # the device's clock when it sent the request, epoch ms
CLOCK_OFFSET_HEADER = "Usher-Clock-Offset"  # the device's own estimate (server - device), ms, when it has one
CLOCK_UNCERTAINTY_HEADER = "Usher-Clock-Uncertainty"  # half the round trip of that estimate, ms

MAX_PULL_LIMIT = 20_000
DEFAULT_PULL_LIMIT = 20_000
MAX_PUSH_BATCH = 2_000


class WireError(ValueError):
    """A message that does not follow the protocol. ``path`` names the offending field (``mutations.3.nonce``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class DeviceRole(StrEnum):
    DOOR_SCANNER = "door_scanner"  # check-in and exit scans, attendee search
    BOX_OFFICE = "box_office"  # also sells, holds seat allotments and edits attendees
    SELF_CHECK_IN = "self_check_in"  # guest-facing: entry scans only


class Problem:
    """Stable ``code`` values of the problem+json answers a device must act on (the HTTP status in brackets)."""

    INVALID_DEVICE_TOKEN = "invalid_device_token"  # noqa: S105 - [401] unknown token: pair again
    DEVICE_REVOKED = "device_revoked"  # [410] ``wipe: true``: erase the replica and the outbox, forget the token
    PAIRING_CODE_INVALID = "pairing_code_invalid"  # [404] unknown, used or expired code
    CURSOR_INVALID = "cursor_invalid"  # [422] not a cursor this server made: pull again from the start
    OUT_OF_SCOPE = "out_of_scope"  # [403] an occurrence the device does not serve
    ROLE_NOT_ALLOWED = "role_not_allowed"  # [403] e.g. a door scanner asking for an allotment
    VALIDATION_ERROR = "validation_error"  # [422] the request body does not follow this module


WIPE_STATUS = 410


def is_wipe_instruction(status_code: int, body: Mapping[str, Any] | None) -> bool:
    """Whether an answer tells the device to erase everything it holds (its device was revoked)."""
    if status_code != WIPE_STATUS or body is None:
        return False
    return body.get("code") == Problem.DEVICE_REVOKED and bool(body.get("wipe"))


# --- scalar codecs ----------------------------------------------------------------------------------------------


def id_to_wire(value: uuid.UUID) -> str:
    return value.hex


def id_from_wire(value: object, path: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise WireError(path, "must be an id (32 hex digits)")
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        raise WireError(path, "must be an id (32 hex digits)") from None


def time_to_wire(value: datetime) -> int:
    """Milliseconds since the epoch; sub-millisecond digits are dropped."""
    aware = require_aware(value, "time")
    return (aware - _EPOCH) // timedelta(milliseconds=1)


def time_from_wire(value: object, path: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WireError(path, "must be milliseconds since the epoch (an integer)")
    try:
        return _EPOCH + timedelta(milliseconds=value)
    except OverflowError:
        raise WireError(path, "is out of range") from None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _optional_time_to_wire(value: datetime | None) -> int | None:
    return None if value is None else time_to_wire(value)


def _field(document: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in document:
        raise WireError(f"{path}{key}", "is required")
    return document[key]


def _str(document: Mapping[str, Any], key: str, path: str, *, max_length: int = 1000, optional: bool = False) -> Any:
    value = document.get(key) if optional else _field(document, key, path)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise WireError(f"{path}{key}", f"must be a string of at most {max_length} characters")
    return value


def _int(
    document: Mapping[str, Any], key: str, path: str, *, minimum: int | None = None, optional: bool = False
) -> Any:
    value = document.get(key) if optional else _field(document, key, path)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
        raise WireError(f"{path}{key}", "must be a whole number" + (f" of at least {minimum}" if minimum else ""))
    return value


def _bool(document: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
    value = document.get(key, default)
    if not isinstance(value, bool):
        raise WireError(f"{path}{key}", "must be true or false")
    return value


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], document: Mapping[str, Any], key: str, path: str) -> _E:
    value = _field(document, key, path)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise WireError(f"{path}{key}", f"must be one of {allowed}") from None


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WireError(path or "body", "must be an object")
    return value


def _list(value: object, path: str, *, max_items: int) -> list[Any]:
    if not isinstance(value, list) or len(value) > max_items:
        raise WireError(path, f"must be a list of at most {max_items} items")
    return value


def _ids(document: Mapping[str, Any], key: str, path: str, *, max_items: int = 500) -> tuple[uuid.UUID, ...]:
    values = _list(document.get(key, []), f"{path}{key}", max_items=max_items)
    return tuple(id_from_wire(value, f"{path}{key}.{index}") for index, value in enumerate(values))


def dumps(document: object) -> bytes:
    """Compact JSON, as every message of the protocol is sent."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def loads(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as error:
        raise WireError("body", f"is not JSON: {error}") from None


# --- clock ----------------------------------------------------------------------------------------------------------


def clock_headers(*, sent_at: datetime, offset: ClockOffset | None) -> dict[str, str]:
    """Headers for any device request: the device's clock now, and its latest offset estimate if it has one."""
    headers = {DEVICE_TIME_HEADER: str(time_to_wire(sent_at))}
    if offset is not None:
        headers[CLOCK_OFFSET_HEADER] = str(offset.offset // timedelta(milliseconds=1))
        headers[CLOCK_UNCERTAINTY_HEADER] = str(offset.uncertainty // timedelta(milliseconds=1))
    return headers


@dataclass(frozen=True)
class ReportedClock:
    device_time: datetime | None
    offset: ClockOffset | None


def read_clock_headers(headers: Mapping[str, str]) -> ReportedClock:
    """The server's side of ``clock_headers``; malformed values are ignored (a clock is a hint, not a credential)."""
    lowered = {key.lower(): value for key, value in headers.items()}

    def number(name: str) -> int | None:
        raw = lowered.get(name.lower())
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            return None

    device_ms = number(DEVICE_TIME_HEADER)
    offset_ms = number(CLOCK_OFFSET_HEADER)
    uncertainty_ms = number(CLOCK_UNCERTAINTY_HEADER)
    device_time = None
    if device_ms is not None:
        try:
            device_time = _EPOCH + timedelta(milliseconds=device_ms)
        except OverflowError:
            device_time = None
    offset = None
    if offset_ms is not None and abs(offset_ms) < 10 * 365 * 86_400_000:
        uncertainty = timedelta(milliseconds=max(uncertainty_ms or 0, 0))
        offset = ClockOffset(offset=timedelta(milliseconds=offset_ms), uncertainty=uncertainty)
    return ReportedClock(device_time, offset)


# --- pairing --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairRequest:
    """The one-time code the organizer gave, and the public half of the key the kiosk generated for itself
    (``shared.qrtoken.SigningKey.generate()``): the key that signs its offline box-office sales."""

    pairing_code: str
    public_key: bytes
    software: str = ""


def encode_pair_request(request: PairRequest) -> dict[str, Any]:
    return {"pairing_code": request.pairing_code, "public_key": request.public_key.hex(), "software": request.software}


def decode_pair_request(document: object) -> PairRequest:
    body = _object(document, "")
    code = _str(body, "pairing_code", "", max_length=40)
    raw_key = _str(body, "public_key", "", max_length=64)
    try:
        public_key = bytes.fromhex(raw_key)
    except ValueError:
        raise WireError("public_key", "must be 64 hex digits (a raw Ed25519 public key)") from None
    if len(public_key) != 32:
        raise WireError("public_key", "must be 64 hex digits (a raw Ed25519 public key)")
    return PairRequest(code, public_key, _str(body, "software", "", max_length=200, optional=True) or "")


@dataclass(frozen=True)
class PairResponse:
    """``device_token`` is shown this once. ``key_id`` is the id the device's tokens must carry: use
    ``SigningKey.from_private_bytes(raw, key_id=key_id)`` (it is the key's default id unless that clashed)."""

    device_id: uuid.UUID
    org_id: uuid.UUID
    name: str
    role: DeviceRole
    device_token: str
    key_id: bytes
    event_ids: tuple[uuid.UUID, ...]
    occurrence_ids: tuple[uuid.UUID, ...]
    server_time: datetime


def encode_pair_response(response: PairResponse) -> dict[str, Any]:
    return {
        "v": WIRE_VERSION,
        "device_id": response.device_id.hex,
        "org_id": response.org_id.hex,
        "name": response.name,
        "role": response.role.value,
        "device_token": response.device_token,
        "key_id": response.key_id.hex(),
        "event_ids": [value.hex for value in response.event_ids],
        "occurrence_ids": [value.hex for value in response.occurrence_ids],
        "server_time": time_to_wire(response.server_time),
    }


def decode_pair_response(document: object) -> PairResponse:
    body = _object(document, "")
    try:
        key_id = bytes.fromhex(_str(body, "key_id", "", max_length=8))
    except ValueError:
        raise WireError("key_id", "must be 8 hex digits") from None
    return PairResponse(
        device_id=id_from_wire(_field(body, "device_id", ""), "device_id"),
        org_id=id_from_wire(_field(body, "org_id", ""), "org_id"),
        name=_str(body, "name", ""),
        role=_enum(DeviceRole, body, "role", ""),
        device_token=_str(body, "device_token", ""),
        key_id=key_id,
        event_ids=_ids(body, "event_ids", ""),
        occurrence_ids=_ids(body, "occurrence_ids", ""),
        server_time=time_from_wire(_field(body, "server_time", ""), "server_time"),
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
    indexes=(("occurrence_id",), ("code",), ("name",), ("email",)),
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
    this page. ``deleted``: keys per table to delete. ``more``: pull again at once with ``cursor``."""

    server_time: datetime
    cursor: str
    more: bool
    reset: bool = False
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


# --- redeem (online check-in) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedeemRequest:
    """One scan, decided by the server now. ``payload``: the scanned token or the typed confirmation code.
    ``occurrence_ids``: what this gate admits to (within the device's scope). ``nonce``: random, made by the device
    for this scan; the same nonce again returns the stored outcome, and an offline upload of the scan after a
    timeout must carry it too. ``ticket_id`` instead of a payload: staff picked the ticket in attendee search."""

    nonce: str
    occurrence_ids: tuple[uuid.UUID, ...]
    gate: str
    direction: Direction
    device_time: datetime
    payload: str | None = None
    ticket_id: uuid.UUID | None = None


def _encode_scan(request: RedeemRequest | CheckInMutation) -> dict[str, Any]:
    return {
        "nonce": request.nonce,
        "occurrence_ids": [value.hex for value in request.occurrence_ids],
        "gate": request.gate,
        "direction": request.direction.value,
        "device_time": time_to_wire(request.device_time),
        "payload": request.payload,
        "ticket_id": None if request.ticket_id is None else request.ticket_id.hex,
    }


def _decode_scan_fields(body: Mapping[str, Any], path: str) -> dict[str, Any]:
    nonce = _str(body, "nonce", path, max_length=100)
    if len(nonce) < 8:
        raise WireError(f"{path}nonce", "must have at least 8 characters (use a random id)")
    occurrence_ids = _ids(body, "occurrence_ids", path, max_items=50)
    if not occurrence_ids:
        raise WireError(f"{path}occurrence_ids", "name at least one occurrence this gate admits to")
    payload = _str(body, "payload", path, max_length=1000, optional=True)
    raw_ticket = body.get("ticket_id")
    ticket_id = None if raw_ticket is None else id_from_wire(raw_ticket, f"{path}ticket_id")
    if (payload is None) == (ticket_id is None):
        raise WireError(f"{path}payload", "give either the scanned payload or the ticket_id")
    return {
        "nonce": nonce,
        "occurrence_ids": occurrence_ids,
        "gate": _str(body, "gate", path, max_length=100),
        "direction": _enum(Direction, body, "direction", path),
        "device_time": time_from_wire(_field(body, "device_time", path), f"{path}device_time"),
        "payload": payload,
        "ticket_id": ticket_id,
    }


def encode_redeem_request(request: RedeemRequest) -> dict[str, Any]:
    return _encode_scan(request)


def decode_redeem_request(document: object) -> RedeemRequest:
    return RedeemRequest(**_decode_scan_fields(_object(document, ""), ""))


def encode_outcome(outcome: CheckInOutcome) -> dict[str, Any]:
    previous = outcome.previous_entry
    return {
        "status": outcome.status.value,
        "direction": outcome.direction.value,
        "reason": None if outcome.reason is None else outcome.reason.value,
        "ticket_id": None if outcome.ticket_id is None else outcome.ticket_id.hex,
        "holder_name": outcome.holder_name,
        "ticket_type_name": outcome.ticket_type_name,
        "notes": list(outcome.notes),
        "previous_entry": None
        if previous is None
        else {
            "at": time_to_wire(previous.at),
            "gate": previous.gate,
            "device_id": previous.device_id.hex,
        },
        "token_status": None if outcome.token_status is None else outcome.token_status.value,
        "ticket_on_record": outcome.ticket_on_record,
    }


def decode_outcome(document: object, path: str = "outcome.") -> CheckInOutcome:
    body = _object(document, path)
    direction = _enum(Direction, body, "direction", path)
    ticket_raw = body.get("ticket_id")
    ticket_id = None if ticket_raw is None else id_from_wire(ticket_raw, f"{path}ticket_id")
    previous_raw = body.get("previous_entry")
    previous = None
    if previous_raw is not None:
        entry = _object(previous_raw, f"{path}previous_entry")
        if ticket_id is None:
            raise WireError(f"{path}previous_entry", "needs the ticket_id")
        previous = Passage(
            ticket_id=ticket_id,
            direction=Direction.ENTRY,
            at=time_from_wire(_field(entry, "at", f"{path}previous_entry."), f"{path}previous_entry.at"),
            gate=_str(entry, "gate", f"{path}previous_entry."),
            device_id=id_from_wire(_field(entry, "device_id", f"{path}previous_entry."), f"{path}previous_entry."),
        )
    reason = None if body.get("reason") is None else _enum(RefusalReason, body, "reason", path)
    token_status = None if body.get("token_status") is None else _enum(TokenStatus, body, "token_status", path)
    notes = _list(body.get("notes", []), f"{path}notes", max_items=100)
    return CheckInOutcome(
        status=_enum(CheckInStatus, body, "status", path),
        direction=direction,
        reason=reason,
        ticket_id=ticket_id,
        holder_name=_str(body, "holder_name", path, optional=True),
        ticket_type_name=_str(body, "ticket_type_name", path, optional=True),
        notes=tuple(str(note) for note in notes),
        previous_entry=previous,
        token_status=token_status,
        ticket_on_record=_bool(body, "ticket_on_record", path, default=True),
    )


@dataclass(frozen=True)
class RedeemResponse:
    """``check_in_id``: the logged attempt (an annulment names it by the nonce). ``replayed``: this nonce was seen
    before and this is the outcome stored then; nothing changed."""

    outcome: CheckInOutcome
    check_in_id: uuid.UUID
    server_time: datetime
    replayed: bool = False


def encode_redeem_response(response: RedeemResponse) -> dict[str, Any]:
    return {
        "v": WIRE_VERSION,
        "outcome": encode_outcome(response.outcome),
        "check_in_id": response.check_in_id.hex,
        "server_time": time_to_wire(response.server_time),
        "replayed": response.replayed,
    }


def decode_redeem_response(document: object) -> RedeemResponse:
    body = _object(document, "")
    return RedeemResponse(
        outcome=decode_outcome(_field(body, "outcome", "")),
        check_in_id=id_from_wire(_field(body, "check_in_id", ""), "check_in_id"),
        server_time=time_from_wire(_field(body, "server_time", ""), "server_time"),
        replayed=_bool(body, "replayed", "", default=False),
    )


# --- push (queued mutations) ----------------------------------------------------------------------------------------


class MutationKind(StrEnum):
    CHECK_IN = "check_in"
    ANNUL = "annul"
    SALE = "sale"
    ATTENDEE_EDIT = "attendee_edit"


@dataclass(frozen=True)
class CheckInMutation:
    """A scan the kiosk decided offline (or could not get an online answer for). The same fields as a redeem,
    plus what the kiosk decided: every attempt is uploaded, refused ones too (the check-in log keeps them)."""

    nonce: str
    occurrence_ids: tuple[uuid.UUID, ...]
    gate: str
    direction: Direction
    device_time: datetime
    local_status: CheckInStatus
    local_reason: RefusalReason | None = None
    payload: str | None = None
    ticket_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AnnulMutation:
    """Undo this device's own check-in, named by its nonce, within the annul window (``shared.passages``)."""

    nonce: str
    device_time: datetime


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD_TERMINAL = "card_terminal"
    COMPLIMENTARY = "complimentary"


@dataclass(frozen=True)
class SoldTicket:
    """A ticket the kiosk issued: its id, confirmation code and token are the kiosk's (the token signed with the
    device key), printed or shown before the server heard of them, so the server keeps them as they are."""

    id: uuid.UUID
    confirmation_code: str
    token: str
    given_name: str = ""
    family_name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class SaleMutation:
    """A box-office sale. ``order_id`` is chosen by the kiosk. ``allotment_id``: the allotment it was sold from
    (offline: it must have been; beyond it, ``override`` says a supervisor allowed a provisional sale)."""

    order_id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    tickets: tuple[SoldTicket, ...]
    payment_method: PaymentMethod
    device_time: datetime
    allotment_id: uuid.UUID | None = None
    cash_tendered_cents: int | None = None
    terminal_reference: str | None = None
    email: str | None = None
    override: bool = False


@dataclass(frozen=True)
class AttendeeEdit:
    """Correct the holder's details at the desk; fields left ``None`` stay as they are."""

    ticket_id: uuid.UUID
    device_time: datetime
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    notes: str | None = None


MutationBody = CheckInMutation | AnnulMutation | SaleMutation | AttendeeEdit

_KIND_OF: dict[type[Any], MutationKind] = {
    CheckInMutation: MutationKind.CHECK_IN,
    AnnulMutation: MutationKind.ANNUL,
    SaleMutation: MutationKind.SALE,
    AttendeeEdit: MutationKind.ATTENDEE_EDIT,
}


@dataclass(frozen=True)
class Mutation:
    """One entry of the outbox. ``id`` is random and made once; ``seq`` counts 1, 2, 3... per device with no gaps
    (the server applies them in that order, exactly once). ``clock_offset`` is the kiosk's best offset estimate
    when it recorded the mutation (``None``: the server uses the one it last measured for the device)."""

    id: uuid.UUID
    seq: int
    body: MutationBody
    clock_offset: timedelta | None = None

    @property
    def kind(self) -> MutationKind:
        return _KIND_OF[type(self.body)]


def _encode_body(body: MutationBody) -> dict[str, Any]:
    if isinstance(body, CheckInMutation):
        document = _encode_scan(body)
        document["local_status"] = body.local_status.value
        document["local_reason"] = None if body.local_reason is None else body.local_reason.value
        return document
    if isinstance(body, AnnulMutation):
        return {"nonce": body.nonce, "device_time": time_to_wire(body.device_time)}
    if isinstance(body, SaleMutation):
        return {
            "order_id": body.order_id.hex,
            "occurrence_id": body.occurrence_id.hex,
            "ticket_type_id": body.ticket_type_id.hex,
            "tickets": [
                {
                    "id": ticket.id.hex,
                    "confirmation_code": ticket.confirmation_code,
                    "token": ticket.token,
                    "given_name": ticket.given_name,
                    "family_name": ticket.family_name,
                    "email": ticket.email,
                }
                for ticket in body.tickets
            ],
            "payment_method": body.payment_method.value,
            "device_time": time_to_wire(body.device_time),
            "allotment_id": None if body.allotment_id is None else body.allotment_id.hex,
            "cash_tendered_cents": body.cash_tendered_cents,
            "terminal_reference": body.terminal_reference,
            "email": body.email,
            "override": body.override,
        }
    return {
        "ticket_id": body.ticket_id.hex,
        "device_time": time_to_wire(body.device_time),
        "given_name": body.given_name,
        "family_name": body.family_name,
        "email": body.email,
        "notes": body.notes,
    }


def encode_mutation(mutation: Mutation) -> dict[str, Any]:
    return {
        "id": mutation.id.hex,
        "seq": mutation.seq,
        "kind": mutation.kind.value,
        "clock_offset_ms": None
        if mutation.clock_offset is None
        else mutation.clock_offset // timedelta(milliseconds=1),
        "body": _encode_body(mutation.body),
    }


def _decode_body(kind: MutationKind, body: Mapping[str, Any], path: str) -> MutationBody:
    if kind is MutationKind.CHECK_IN:
        fields = _decode_scan_fields(body, path)
        local_reason = None if body.get("local_reason") is None else _enum(RefusalReason, body, "local_reason", path)
        return CheckInMutation(
            **fields, local_status=_enum(CheckInStatus, body, "local_status", path), local_reason=local_reason
        )
    device_time = time_from_wire(_field(body, "device_time", path), f"{path}device_time")
    if kind is MutationKind.ANNUL:
        return AnnulMutation(nonce=_str(body, "nonce", path, max_length=100), device_time=device_time)
    if kind is MutationKind.SALE:
        raw_tickets = _list(_field(body, "tickets", path), f"{path}tickets", max_items=100)
        if not raw_tickets:
            raise WireError(f"{path}tickets", "a sale has at least one ticket")
        tickets = []
        for index, raw in enumerate(raw_tickets):
            item_path = f"{path}tickets.{index}."
            item = _object(raw, item_path)
            tickets.append(
                SoldTicket(
                    id=id_from_wire(_field(item, "id", item_path), f"{item_path}id"),
                    confirmation_code=_str(item, "confirmation_code", item_path, max_length=40),
                    token=_str(item, "token", item_path, max_length=1000),
                    given_name=_str(item, "given_name", item_path, max_length=200, optional=True) or "",
                    family_name=_str(item, "family_name", item_path, max_length=200, optional=True),
                    email=_str(item, "email", item_path, max_length=320, optional=True),
                )
            )
        allotment_raw = body.get("allotment_id")
        return SaleMutation(
            order_id=id_from_wire(_field(body, "order_id", path), f"{path}order_id"),
            occurrence_id=id_from_wire(_field(body, "occurrence_id", path), f"{path}occurrence_id"),
            ticket_type_id=id_from_wire(_field(body, "ticket_type_id", path), f"{path}ticket_type_id"),
            tickets=tuple(tickets),
            payment_method=_enum(PaymentMethod, body, "payment_method", path),
            device_time=device_time,
            allotment_id=None if allotment_raw is None else id_from_wire(allotment_raw, f"{path}allotment_id"),
            cash_tendered_cents=_int(body, "cash_tendered_cents", path, minimum=0, optional=True),
            terminal_reference=_str(body, "terminal_reference", path, max_length=100, optional=True),
            email=_str(body, "email", path, max_length=320, optional=True),
            override=_bool(body, "override", path, default=False),
        )
    return AttendeeEdit(
        ticket_id=id_from_wire(_field(body, "ticket_id", path), f"{path}ticket_id"),
        device_time=device_time,
        given_name=_str(body, "given_name", path, max_length=200, optional=True),
        family_name=_str(body, "family_name", path, max_length=200, optional=True),
        email=_str(body, "email", path, max_length=320, optional=True),
        notes=_str(body, "notes", path, max_length=2000, optional=True),
    )


def decode_mutation(document: object, path: str = "") -> Mutation:
    envelope = _object(document, path)
    offset_ms = _int(envelope, "clock_offset_ms", path, optional=True)
    kind = _enum(MutationKind, envelope, "kind", path)
    return Mutation(
        id=id_from_wire(_field(envelope, "id", path), f"{path}id"),
        seq=_int(envelope, "seq", path, minimum=1),
        body=_decode_body(kind, _object(_field(envelope, "body", path), f"{path}body"), f"{path}body."),
        clock_offset=None if offset_ms is None else timedelta(milliseconds=offset_ms),
    )


def encode_push_request(mutations: Sequence[Mutation]) -> dict[str, Any]:
    return {"v": WIRE_VERSION, "mutations": [encode_mutation(mutation) for mutation in mutations]}


@dataclass(frozen=True)
class PushEnvelope:
    """A push as the server first reads it: each mutation decoded, or the ``WireError`` that made it undecodable
    (its id and seq are still read when they can be, so the server can reject it permanently and move on)."""

    mutations: tuple[Mutation | UndecodableMutation, ...]


@dataclass(frozen=True)
class UndecodableMutation:
    id: uuid.UUID
    seq: int
    error: WireError


def decode_push_request(document: object) -> PushEnvelope:
    body = _object(document, "")
    raw = _list(_field(body, "mutations", ""), "mutations", max_items=MAX_PUSH_BATCH)
    decoded: list[Mutation | UndecodableMutation] = []
    for index, item in enumerate(raw):
        path = f"mutations.{index}."
        try:
            decoded.append(decode_mutation(item, path))
        except WireError as error:
            envelope = _object(item, path)
            # Without an id and a sequence number nothing can be stored for it: the whole request is refused.
            mutation_id = id_from_wire(_field(envelope, "id", path), f"{path}id")
            seq = _int(envelope, "seq", path, minimum=1)
            decoded.append(UndecodableMutation(mutation_id, seq, error))
    return PushEnvelope(tuple(decoded))


class ResultStatus(StrEnum):
    APPLIED = "applied"  # done (possibly with a conflict recorded): final, drop it from the outbox
    REJECTED = "rejected"  # refused for good (invalid, over capacity...): final, show it to staff if it matters
    DEFERRED = "deferred"  # not applied now (a gap in the sequence, a server fault): send it again later


@dataclass(frozen=True)
class MutationResult:
    """The server's answer to one mutation, stored and returned again on replay.

    ``code``: why it was rejected or deferred (``over_capacity``, ``sequence_gap``, ``server_error``...).
    ``conflicts``: the ids of conflicts recorded while applying it (also pulled from the ``conflicts`` table).
    ``outcome``: for a check-in, the server's verdict; ``counted`` whether its passage counts (false for a
    duplicate entry). ``data``: kind-specific facts (a sale's order id, confirmation codes the server replaced)."""

    id: uuid.UUID
    seq: int
    status: ResultStatus
    code: str | None = None
    message: str | None = None
    conflicts: tuple[uuid.UUID, ...] = ()
    outcome: CheckInOutcome | None = None
    counted: bool | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status is not ResultStatus.DEFERRED


def encode_result(result: MutationResult) -> dict[str, Any]:
    return {
        "id": result.id.hex,
        "seq": result.seq,
        "status": result.status.value,
        "code": result.code,
        "message": result.message,
        "conflicts": [value.hex for value in result.conflicts],
        "outcome": None if result.outcome is None else encode_outcome(result.outcome),
        "counted": result.counted,
        "data": dict(result.data),
    }


def decode_result(document: object, path: str = "") -> MutationResult:
    body = _object(document, path)
    outcome_raw = body.get("outcome")
    counted = body.get("counted")
    data = body.get("data") or {}
    return MutationResult(
        id=id_from_wire(_field(body, "id", path), f"{path}id"),
        seq=_int(body, "seq", path, minimum=1),
        status=_enum(ResultStatus, body, "status", path),
        code=_str(body, "code", path, optional=True),
        message=_str(body, "message", path, max_length=2000, optional=True),
        conflicts=_ids(body, "conflicts", path),
        outcome=None if outcome_raw is None else decode_outcome(outcome_raw, f"{path}outcome."),
        counted=counted if isinstance(counted, bool) else None,
        data=dict(_object(data, f"{path}data")),
    )


@dataclass(frozen=True)
class PushResponse:
    """``last_applied_seq``: the highest sequence number the server has applied for this device; the outbox may
    forget everything up to it."""

    server_time: datetime
    results: tuple[MutationResult, ...]
    last_applied_seq: int


def encode_push_response(response: PushResponse) -> dict[str, Any]:
    return {
        "v": WIRE_VERSION,
        "server_time": time_to_wire(response.server_time),
        "last_applied_seq": response.last_applied_seq,
        "results": [encode_result(result) for result in response.results],
    }


def decode_push_response(document: object) -> PushResponse:
    body = _object(document, "")
    raw = _list(_field(body, "results", ""), "results", max_items=MAX_PUSH_BATCH)
    return PushResponse(
        server_time=time_from_wire(_field(body, "server_time", ""), "server_time"),
        results=tuple(decode_result(item, f"results.{index}.") for index, item in enumerate(raw)),
        last_applied_seq=_int(body, "last_applied_seq", "", minimum=0),
    )


# --- seat allotments ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllotmentRequest:
    occurrence_id: uuid.UUID
    seats: int
    ticket_type_id: uuid.UUID | None = None


def encode_allotment_request(request: AllotmentRequest) -> dict[str, Any]:
    return {
        "occurrence_id": request.occurrence_id.hex,
        "seats": request.seats,
        "ticket_type_id": None if request.ticket_type_id is None else request.ticket_type_id.hex,
    }


def decode_allotment_request(document: object) -> AllotmentRequest:
    body = _object(document, "")
    seats = _int(body, "seats", "", minimum=1)
    if seats > 10_000:
        raise WireError("seats", "must be at most 10000")
    raw_type = body.get("ticket_type_id")
    return AllotmentRequest(
        occurrence_id=id_from_wire(_field(body, "occurrence_id", ""), "occurrence_id"),
        seats=seats,
        ticket_type_id=None if raw_type is None else id_from_wire(raw_type, "ticket_type_id"),
    )


@dataclass(frozen=True)
class Allotment:
    id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID | None
    seats: int
    seats_used: int
    status: str

    @property
    def seats_left(self) -> int:
        return max(self.seats - self.seats_used, 0) if self.status == "active" else 0


def encode_allotment(allotment: Allotment) -> dict[str, Any]:
    return {
        "id": allotment.id.hex,
        "occurrence_id": allotment.occurrence_id.hex,
        "ticket_type_id": None if allotment.ticket_type_id is None else allotment.ticket_type_id.hex,
        "seats": allotment.seats,
        "seats_used": allotment.seats_used,
        "status": allotment.status,
    }


def decode_allotment(document: object) -> Allotment:
    body = _object(document, "")
    raw_type = body.get("ticket_type_id")
    return Allotment(
        id=id_from_wire(_field(body, "id", ""), "id"),
        occurrence_id=id_from_wire(_field(body, "occurrence_id", ""), "occurrence_id"),
        ticket_type_id=None if raw_type is None else id_from_wire(raw_type, "ticket_type_id"),
        seats=_int(body, "seats", "", minimum=0),
        seats_used=_int(body, "seats_used", "", minimum=0),
        status=_str(body, "status", ""),
    )
