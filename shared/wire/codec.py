"""The protocol's building blocks: constants, paths, problem codes, the scalar codecs every message uses, and
the clock headers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from shared.clock import ClockOffset, require_aware

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
