"""What the sync engine gets from one round trip, already turned into replica values by the client."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from kiosk.store.rows import Conflict, OccurrenceRow, OutboxEntry, OutboxResult, TicketRow, TicketTypeRow
from shared.qrtoken import TrustedKey


class TransportError(Exception):
    """The server could not be reached or failed (timeout, refused connection, 5xx): try again later.

    Tree::

        TransportError          the network's or the server's fault; retried with backoff
        ├── Unauthorized        the device token was refused (not revoked: e.g. the server lost it)
        DeviceRevoked           the server told this device to wipe its replica
    """


class Unauthorized(TransportError):
    pass


class DeviceRevoked(Exception):
    """The server answered "wipe": this device was revoked. Erase the replica and pair again."""


@dataclass(frozen=True)
class PullPage:
    cursor: str
    more: bool
    server_time: datetime
    occurrences: Sequence[OccurrenceRow] = ()
    ticket_types: Sequence[TicketTypeRow] = ()
    tickets: Sequence[TicketRow] = ()
    keys: Sequence[TrustedKey] = ()
    deleted_tickets: Sequence[uuid.UUID] = ()
    deleted_occurrences: Sequence[uuid.UUID] = ()
    conflicts: Sequence[Conflict] = ()
    remaining: int | None = None  # changes after this page, when the server says (progress of the first sync)


@dataclass(frozen=True)
class PushAnswer:
    results: Sequence[OutboxResult]
    conflicts: Sequence[Conflict] = field(default_factory=tuple)
    server_time: datetime | None = None


class SyncTransport(Protocol):
    def push(self, entries: Sequence[OutboxEntry]) -> PushAnswer:
        """Upload queued mutations in sequence order; one result per entry the server settled."""
        ...

    def pull(self, cursor: str | None) -> PullPage:
        """The next page of changes after ``cursor`` (``None``: from the beginning)."""
        ...
