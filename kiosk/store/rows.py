"""Plain values the replica reads and writes: what the sync engine hands in and what the check-in path reads out.

They convert to the ``shared`` snapshots the rules take (``OccurrenceRow.snapshot()``, ``TicketRow.snapshot()``),
so the decision never sees a database row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.checkin import CheckInOutcome, CheckInSettings, OccurrenceSnapshot, TicketSnapshot
from shared.enums import OccurrenceStatus, TicketStatus
from shared.passages import Direction


@dataclass(frozen=True)
class OccurrenceRow:
    id: uuid.UUID
    title: str
    start_at: datetime
    end_at: datetime
    status: OccurrenceStatus
    venue: str = ""
    capacity: int | None = None
    check_in: CheckInSettings = field(default_factory=CheckInSettings)

    def snapshot(self) -> OccurrenceSnapshot:
        return OccurrenceSnapshot(
            id=self.id, start_at=self.start_at, end_at=self.end_at, status=self.status, check_in=self.check_in
        )


@dataclass(frozen=True)
class TicketTypeRow:
    id: uuid.UUID
    name: str
    occurrence_id: uuid.UUID | None = None


@dataclass(frozen=True)
class TicketRow:
    """A ticket as the replica knows it. ``checked_in_at``/``checked_in_gate``: its latest standing entry, as the
    server reported it or this kiosk recorded it; ``inside``: whether its holder is in now (re-entry events)."""

    id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    status: TicketStatus
    holder_name: str = ""
    holder_email: str = ""
    confirmation_code: str | None = None
    notes: tuple[str, ...] = ()
    revoked: bool = False
    token_issued_at: datetime | None = None
    checked_in_at: datetime | None = None
    checked_in_gate: str | None = None
    inside: bool = False
    on_record: bool = True
    ticket_type_name: str | None = None  # filled when read, from ticket_types

    def snapshot(self) -> TicketSnapshot:
        return TicketSnapshot(
            id=self.id,
            occurrence_id=self.occurrence_id,
            ticket_type_id=self.ticket_type_id,
            status=self.status,
            holder_name=self.holder_name,
            ticket_type_name=self.ticket_type_name,
            notes=self.notes,
            revoked=self.revoked,
            token_issued_at=self.token_issued_at,
        )


@dataclass(frozen=True)
class Attempt:
    """One decided scan, as the local check-in log records it.

    ``at`` is on the server's clock (``device_time`` plus the estimated offset); ``decided_by`` is ``"server"`` when
    the online redeem answered and ``"local"`` when the replica decided. ``scanned`` says how the ticket was found.
    """

    nonce: str
    at: datetime
    device_time: datetime
    scanned: str
    direction: Direction
    gate: str
    device_id: uuid.UUID
    outcome: CheckInOutcome
    decided_by: str
    occurrence_id: uuid.UUID | None = None
    ticket_type_id: uuid.UUID | None = None  # from the token, for a ticket not on record yet


@dataclass(frozen=True)
class Mutation:
    """A queued upload: ``kind`` and a JSON-able ``body``; ``client_id`` makes retries idempotent on the server.
    ``nonce``: the check-in attempt it uploads or annuls, when it is about one."""

    client_id: str
    kind: str
    body: dict[str, Any]
    nonce: str | None = None


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    client_id: str
    kind: str
    body: dict[str, Any]
    created_at: datetime
    tries: int


@dataclass(frozen=True)
class OutboxResult:
    """What the server said about one uploaded mutation: ``done`` (applied, or applied earlier) or ``rejected``
    (a permanent error: never retried). Anything else leaves the entry pending."""

    seq: int
    state: str
    result: dict[str, Any]


@dataclass(frozen=True)
class Conflict:
    key: str
    kind: str
    summary: str
    reported_at: datetime
    ticket_id: uuid.UUID | None = None
    details: str = ""
    id: int | None = None
    handled_at: datetime | None = None


@dataclass(frozen=True)
class Counters:
    """For the served occurrences: tickets sold (confirmed or checked in), checked in, inside now."""

    sold: int = 0
    checked_in: int = 0
    inside: int = 0


@dataclass(frozen=True)
class LocalPassage:
    """A passage this kiosk recorded, with the nonce that names it (for undo and upload)."""

    nonce: str
    ticket_id: uuid.UUID
    occurrence_id: uuid.UUID
    direction: Direction
    at: datetime
    gate: str
    device_id: uuid.UUID
    annulled_at: datetime | None = None
