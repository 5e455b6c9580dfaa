"""Plain values the replica hands out and takes in. The server's rows become the ``shared`` snapshots through the
builders of ``shared.wire`` (``ticket_snapshot``, ``occurrence_snapshot``, ``passage``, ``keyring``), so the
decision never sees a database row and the kiosk reads the server's tables exactly as the server meant them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared import wire
from shared.checkin import CheckInOutcome, OccurrenceSnapshot, TicketSnapshot
from shared.passages import Direction


@dataclass(frozen=True)
class OccurrenceRow:
    """An occurrence as the door shows it: its title (the occurrence's own name, else its event's) and time zone,
    and the snapshot the check-in rule takes (check-in settings already merged from event and occurrence)."""

    snapshot: OccurrenceSnapshot
    title: str
    timezone: str
    event_id: uuid.UUID

    @property
    def id(self) -> uuid.UUID:
        return self.snapshot.id

    @property
    def start_at(self) -> datetime:
        return self.snapshot.start_at


@dataclass(frozen=True)
class TicketRow:
    """A ticket of the replica, as the rule takes it (``snapshot``) plus what staff search and read."""

    snapshot: TicketSnapshot
    confirmation_code: str | None
    holder_email: str

    @property
    def id(self) -> uuid.UUID:
        return self.snapshot.id

    @property
    def holder_name(self) -> str:
        return self.snapshot.holder_name

    @property
    def occurrence_id(self) -> uuid.UUID:
        return self.snapshot.occurrence_id


@dataclass(frozen=True)
class Attempt:
    """One decided scan, as the local check-in log records it.

    ``at`` is on the server's clock (``device_time`` plus the estimated offset); ``decided_by`` is ``"server"`` when
    the online redeem answered and ``"local"`` when the replica decided. ``scanned`` says how the ticket was found.
    ``occurrence_id`` is the ticket's occurrence, for the passage of an admitted ticket.
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


@dataclass(frozen=True)
class OutboxEntry:
    """A queued mutation: ``document`` is exactly what ``shared.wire.encode_mutation`` made of it."""

    seq: int
    id: uuid.UUID
    kind: str
    document: dict[str, Any]
    created_at: datetime
    tries: int


@dataclass(frozen=True)
class Conflict:
    """Something for staff to look at: a conflict the server reported (``key`` ``conflict:<id>``) or an upload it
    rejected for good (``key`` ``rejected:<seq>``)."""

    key: str
    kind: str
    summary: str
    reported_at: datetime
    ticket_id: uuid.UUID | None = None
    details: str = ""


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


# --- the box office ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketTypeRow:
    """A ticket type as the desk sells it: price, limits and window from the replica (the counts sold do not
    travel: the allotment stands in for them)."""

    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    price_cents: int
    currency: str
    status: str
    min_quantity: int = 1
    max_quantity: int = 10
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class SaleFacts:
    """What the box-office rules decide an offline sale of one occurrence on."""

    occurrence: OccurrenceRow
    definition_status: str
    occurrence_status: str
    fees: dict[str, Any] | None
    ticket_types: tuple[TicketTypeRow, ...]


@dataclass(frozen=True)
class SaleToRecord:
    """One sale of a basket (one ticket type), as the desk made it: the wire mutation that uploads it and what the
    shift report and the receipt need."""

    mutation: wire.SaleMutation
    ticket_type_name: str
    total_cents: int
    currency: str
    per_ticket_cents: tuple[int, ...]
    change_cents: int
    path: str  # shared.boxoffice.SalePath
    allotment_seats: int


@dataclass(frozen=True)
class SaleState:
    """A recorded sale as the outbox knows it: ``pending`` (not uploaded yet), ``applied`` or ``rejected``."""

    order_id: uuid.UUID
    seq: int
    state: str
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class IssuedTicket:
    """A ticket this desk sold: what the receipt, the screen and the printer show."""

    id: uuid.UUID
    order_id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    ticket_type_name: str
    code: str
    token: str
    name: str
    email: str
    price_cents: int
    currency: str


@dataclass(frozen=True)
class Shift:
    id: uuid.UUID
    opened_at: datetime
    opening_float_cents: int
    closed_at: datetime | None = None


@dataclass(frozen=True)
class AttendeeRow:
    """A line of the organizer's attendee list. ``state``: ``checked_in``, ``not_yet`` or ``canceled``."""

    ticket_id: uuid.UUID
    occurrence_id: uuid.UUID
    name: str
    email: str
    code: str | None
    ticket_type: str
    status: str
    state: str
    checked_in_at: datetime | None
    gate: str | None
