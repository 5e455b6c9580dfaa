"""The check-in ledger: one transaction's view of the tickets it scans, shared by online redeem and pushed batches.

A ledger is loaded for a set of scans at once (a redeem is a batch of one): it resolves every payload to a ticket
(its exact stored token, a confirmation code, a ticket id, or an authentic token not on record yet), locks those
tickets in one order (an advisory lock per ticket id on PostgreSQL, which also covers tickets not on record, then
the ticket rows ``FOR UPDATE`` ordered by id), and reads their passages and the nonces already used. Scans are then
decided in memory by ``shared.checkin.decide_check_in`` and settled by ``shared.settlement.settle``; ``flush``
writes every new log row, changed flag, ticket status and conflict with one statement per kind.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings.models import Attendee, Ticket
from server.checkin.models import CheckIn, CheckInSource
from server.db import bulk
from server.db.engine import is_postgresql
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.signing import service as signing_service
from server.sync.models import ConflictKind, SyncConflict
from shared import wire
from shared.checkin import (
    CheckInOutcome,
    CheckInStatus,
    Gate,
    OccurrenceSnapshot,
    RefusalReason,
    TicketSnapshot,
    decide_check_in,
    parse_check_in_settings,
)
from shared.codes import ScanKind, classify_scan
from shared.enums import TicketStatus
from shared.passages import Direction, Passage
from shared.qrtoken import Keyring, TokenVerification, verify_ticket
from shared.settlement import Admission, settle

STAFF_DEVICE = uuid.UUID(int=0)  # stands for "no device" where the shared rules need one
PRESENCE_REASONS = (RefusalReason.ALREADY_CHECKED_IN, RefusalReason.NOT_INSIDE)


@dataclass(frozen=True)
class Resolved:
    """What a scanned payload names. ``token`` is set only for a token not on record (verified here)."""

    kind: str  # token | code | ticket | unrecognized
    ticket_id: uuid.UUID | None
    token: TokenVerification | None = None


@dataclass
class TicketState:
    snapshot: TicketSnapshot
    checked_in_at: datetime | None
    dirty: bool = False


@dataclass
class Record:
    """A ``check_ins`` row as the ledger knows it."""

    id: uuid.UUID
    nonce: str
    ticket_id: uuid.UUID | None
    occurrence_id: uuid.UUID | None
    device_id: uuid.UUID | None
    gate: str
    direction: Direction
    at: datetime
    admitted: bool
    counted: bool
    annulled_at: datetime | None
    outcome: dict[str, Any]
    new: bool = False
    dirty: bool = False

    def passage(self) -> Passage:
        assert self.ticket_id is not None
        return Passage(
            self.ticket_id, self.direction, self.at, self.gate, self.device_id or STAFF_DEVICE, self.annulled_at
        )


@dataclass(frozen=True)
class ScanResult:
    record: Record
    outcome: CheckInOutcome
    replayed: bool
    conflicts: tuple[uuid.UUID, ...] = ()


@dataclass
class Ledger:
    session: Session
    org_id: uuid.UUID
    scope_occurrences: frozenset[uuid.UUID]
    now: datetime
    tickets: dict[uuid.UUID, TicketState] = field(default_factory=dict)
    records: dict[uuid.UUID, list[Record]] = field(default_factory=lambda: defaultdict(list))
    by_nonce: dict[str, Record] = field(default_factory=dict)
    nonce_owner: dict[str, uuid.UUID | None] = field(default_factory=dict)
    occurrences: dict[uuid.UUID, OccurrenceSnapshot] = field(default_factory=dict)
    open_conflicts: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # check-in id -> conflict id
    new_conflicts: list[dict[str, Any]] = field(default_factory=list)
    resolved_conflicts: list[uuid.UUID] = field(default_factory=list)
    _keyring: Keyring | None = None
    _pending_rows: list[tuple[Record, dict[str, Any]]] = field(default_factory=list)
    # Codes of the tickets this batch's offline sales issued, by the kiosk's code and the server's: the batch's
    # codes were resolved before those tickets existed.
    sold_codes: dict[str, uuid.UUID] = field(default_factory=dict)

    # --- loading --------------------------------------------------------------------------------------------------

    @property
    def keyring(self) -> Keyring:
        if self._keyring is None:
            self._keyring = signing_service.load_keyring(session=self.session, org_id=self.org_id)
        return self._keyring

    def resolve_all(self, scans: Iterable[tuple[str | None, uuid.UUID | None]]) -> list[Resolved]:
        """Each ``(payload, ticket_id)`` to the ticket it names, with as few queries as the batch allows."""
        items = list(scans)
        classified = [classify_scan(payload) if payload is not None else None for payload, _ in items]
        tokens = {c.value.strip().upper() for c in classified if c and c.kind is ScanKind.SIGNED_TOKEN and c.value}
        codes = {c.value for c in classified if c and c.kind is ScanKind.CONFIRMATION_CODE and c.value}
        by_token: dict[str, uuid.UUID] = {}
        by_code: dict[str, uuid.UUID] = {}
        if tokens:
            rows = self.session.execute(
                sa.select(Ticket.qr_code_data, Ticket.id).where(
                    Ticket.org_id == self.org_id, bulk.among(self.session, Ticket.qr_code_data, sorted(tokens))
                )
            )
            by_token = {str(row.qr_code_data): row.id for row in rows}
        if codes:
            rows = self.session.execute(
                sa.select(Ticket.confirmation_code, Ticket.id).where(
                    Ticket.org_id == self.org_id, bulk.among(self.session, Ticket.confirmation_code, sorted(codes))
                )
            )
            by_code = {str(row.confirmation_code): row.id for row in rows}
        resolved = []
        for (_, ticket_id), scanned in zip(items, classified, strict=True):
            if scanned is None:
                resolved.append(Resolved("ticket", ticket_id))
            elif scanned.kind is ScanKind.CONFIRMATION_CODE:
                resolved.append(Resolved("code", by_code.get(scanned.value or "")))
            elif scanned.kind is ScanKind.SIGNED_TOKEN:
                text = (scanned.value or "").strip().upper()
                if text in by_token:
                    # The exact token the server stored for this ticket: it names the ticket, like a code does.
                    resolved.append(Resolved("token", by_token[text]))
                else:
                    verdict = verify_ticket(text, self.keyring, now=self.now)
                    claimed = verdict.claims.ticket_id if verdict.claims is not None else None
                    resolved.append(Resolved("token", claimed, verdict))
            else:
                resolved.append(Resolved("unrecognized", None))
        return resolved

    def resolve_after_sales(self, payload: str | None, resolved: Resolved) -> Resolved:
        """``resolved`` again for a code that names a ticket sold earlier in this batch (an offline sale checked in
        by its code at the kiosk that sold it). The selling device meant its own ticket, so its code wins."""
        if resolved.kind != "code" or payload is None or not self.sold_codes:
            return resolved
        ticket_id = self.sold_codes.get(classify_scan(payload).value or "")
        if ticket_id is None:
            return resolved
        self.load([ticket_id], [])
        return Resolved("code", ticket_id)

    def load(self, ticket_ids: Iterable[uuid.UUID], nonces: Iterable[str]) -> None:
        """Lock and read the tickets (and their passages), and the nonces already recorded."""
        ids = sorted(set(ticket_ids) - set(self.tickets), key=lambda value: value.int)
        if ids and is_postgresql(self.session):
            keys = [_lock_key(value) for value in ids]
            self.session.execute(
                sa.text(
                    "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) s"
                ),
                {"keys": sorted(keys)},
            )
        if ids:
            self._load_tickets(ids)
            self._load_records(
                sa.and_(
                    CheckIn.org_id == self.org_id, bulk.among(self.session, CheckIn.ticket_id, ids), CheckIn.admitted
                )
            )
        wanted = sorted(set(nonces) - set(self.nonce_owner))
        if wanted:
            rows = self.session.execute(
                sa.select(CheckIn).where(CheckIn.org_id == self.org_id, bulk.among(self.session, CheckIn.nonce, wanted))
            ).scalars()
            for row in rows:
                record = self._remember(row)
                self.nonce_owner[row.nonce] = row.device_id
                self.by_nonce[row.nonce] = record
        for ticket in self.tickets.values():
            self._occurrence(ticket.snapshot.occurrence_id)

    def _load_tickets(self, ids: list[uuid.UUID]) -> None:
        """The tickets with what the door shows, their rows locked (``FOR UPDATE OF tickets``, in id order)."""
        rows = self.session.execute(
            sa.select(
                Ticket.id,
                Ticket.event_occurrence_id,
                Ticket.ticket_type_id,
                Ticket.status,
                Ticket.checked_in_at,
                Ticket.settings,
                TicketType.name.label("type_name"),
                Attendee.given_name,
                Attendee.family_name,
                Attendee.email,
                Attendee.accessibility_needs,
                Attendee.dietary_restrictions,
                Attendee.notes,
                Attendee.erased_at,
            )
            .join(TicketType, TicketType.id == Ticket.ticket_type_id)
            .join(Attendee, Attendee.id == Ticket.attendee_id)
            .where(Ticket.org_id == self.org_id, bulk.among(self.session, Ticket.id, ids))
            .order_by(Ticket.id)
            .with_for_update(of=Ticket)
        )
        for row in rows:
            in_scope = row.event_occurrence_id in self.scope_occurrences
            erased = row.erased_at is not None or not in_scope
            name, _ = wire.holder_display(
                given_name=row.given_name, family_name=row.family_name, email=row.email, erased=erased
            )
            snapshot = TicketSnapshot(
                id=row.id,
                occurrence_id=row.event_occurrence_id,
                ticket_type_id=row.ticket_type_id,
                status=row.status,
                holder_name=name,
                ticket_type_name=row.type_name if in_scope else None,
                notes=wire.admission_notes(
                    accessibility_needs=row.accessibility_needs,
                    dietary_restrictions=row.dietary_restrictions,
                    notes=row.notes,
                    erased=erased,
                ),
                revoked=bool((row.settings or {}).get("revoked_at")),
            )
            self.tickets[row.id] = TicketState(snapshot, row.checked_in_at)

    def _load_records(self, condition: sa.ColumnElement[bool]) -> None:
        rows = list(self.session.scalars(sa.select(CheckIn).where(condition).order_by(CheckIn.at, CheckIn.id)))
        for row in rows:
            self._remember(row)
        ids = [row.id for row in rows]
        if ids:
            open_rows = self.session.execute(
                sa.select(SyncConflict.check_in_id, SyncConflict.id).where(
                    bulk.among(self.session, SyncConflict.check_in_id, ids),
                    SyncConflict.resolved_at.is_(None),
                    SyncConflict.kind.in_((ConflictKind.DUPLICATE_ENTRY, ConflictKind.EXIT_NOT_INSIDE)),
                )
            )
            for check_in_id, conflict_id in open_rows:
                if check_in_id is not None:
                    self.open_conflicts[check_in_id] = conflict_id

    def _remember(self, row: CheckIn) -> Record:
        existing = self.by_nonce.get(row.nonce)
        if existing is not None:
            return existing
        record = Record(
            id=row.id,
            nonce=row.nonce,
            ticket_id=row.ticket_id,
            occurrence_id=row.event_occurrence_id,
            device_id=row.device_id,
            gate=row.gate,
            direction=row.direction,
            at=row.at,
            admitted=row.admitted,
            counted=row.counted,
            annulled_at=row.annulled_at,
            outcome=row.outcome,
        )
        self.by_nonce[row.nonce] = record
        self.nonce_owner[row.nonce] = row.device_id
        if record.admitted and record.ticket_id is not None:
            self.records[record.ticket_id].append(record)
        return record

    def _occurrence(self, occurrence_id: uuid.UUID) -> OccurrenceSnapshot | None:
        if occurrence_id in self.occurrences:
            return self.occurrences[occurrence_id]
        row = self.session.execute(
            sa.select(
                EventOccurrence.start_at,
                EventOccurrence.end_at,
                EventOccurrence.status,
                EventOccurrence.settings,
                EventDefinition.settings.label("definition_settings"),
            )
            .join(EventDefinition, EventDefinition.id == EventOccurrence.event_definition_id)
            .where(EventOccurrence.id == occurrence_id, EventOccurrence.org_id == self.org_id)
        ).first()
        if row is None:
            return None
        settings = parse_check_in_settings(
            definition_settings=row.definition_settings, occurrence_settings=row.settings
        ).unwrap()
        snapshot = OccurrenceSnapshot(occurrence_id, row.start_at, row.end_at, row.status, settings)
        self.occurrences[occurrence_id] = snapshot
        return snapshot

    # --- deciding -------------------------------------------------------------------------------------------------

    def history(self, ticket_id: uuid.UUID, *, before: datetime | None = None) -> list[Passage]:
        """The passages that count, optionally only those before ``before`` (what was known at that moment)."""
        return [
            record.passage()
            for record in self.records.get(ticket_id, ())
            if record.counted and (before is None or record.at < before)
        ]

    def scan(
        self,
        *,
        resolved: Resolved,
        device_id: uuid.UUID | None,
        gate: str,
        gate_occurrences: tuple[uuid.UUID, ...],
        direction: Direction,
        nonce: str,
        at: datetime,
        source: CheckInSource,
        local_status: CheckInStatus | None = None,
        local_reason: RefusalReason | None = None,
        device_time: datetime | None = None,
        clock_offset_ms: int | None = None,
        mutation_id: uuid.UUID | None = None,
    ) -> ScanResult:
        """Decide one scan at ``at`` (server clock) and record it. Online, the server's verdict admits; for an upload,
        the kiosk's did (``local_status``) and the server's verdict flags what it disagrees with."""
        existing = self.by_nonce.get(nonce)
        if existing is not None:
            return ScanResult(existing, wire.decode_outcome(existing.outcome, ""), replayed=True)
        ticket = self.tickets.get(resolved.ticket_id) if resolved.ticket_id is not None else None
        claims = resolved.token.claims if resolved.token is not None else None
        occurrence_id = ticket.snapshot.occurrence_id if ticket else claims.occurrence_id if claims else None
        occurrence = (
            self._occurrence(occurrence_id) if occurrence_id is not None and occurrence_id in gate_occurrences else None
        )
        if occurrence_id in gate_occurrences and occurrence is None:
            occurrence_id = None  # a claim naming no occurrence of this org: the rule calls the token invalid
        history = self.history(resolved.ticket_id, before=at) if resolved.ticket_id is not None else []
        outcome = decide_check_in(
            token=resolved.token,
            ticket=ticket.snapshot if ticket else None,
            occurrence=occurrence,
            history=history,
            gate=Gate(device_id or STAFF_DEVICE, gate, frozenset(gate_occurrences)),
            direction=direction,
            now=at,
        )
        admitted = outcome.ok if local_status is None else local_status is CheckInStatus.OK
        record = Record(
            id=uuid.uuid4(),
            nonce=nonce,
            ticket_id=outcome.ticket_id,
            occurrence_id=occurrence_id,
            device_id=device_id,
            gate=gate,
            direction=direction,
            at=at,
            admitted=admitted and outcome.ticket_id is not None,
            counted=admitted and outcome.ticket_id is not None,
            annulled_at=None,
            outcome=wire.encode_outcome(outcome),
            new=True,
        )
        record_row = {
            "id": record.id,
            "org_id": self.org_id,
            "nonce": nonce,
            "ticket_id": record.ticket_id,
            "event_occurrence_id": occurrence_id,
            "device_id": device_id,
            "gate": gate,
            "direction": direction,
            "source": source,
            "status": outcome.status,
            "reason": outcome.reason.value if outcome.reason else None,
            "local_status": local_status.value if local_status else None,
            "local_reason": local_reason.value if local_reason else None,
            "admitted": record.admitted,
            "at": at,
            "device_time": device_time,
            "clock_offset_ms": clock_offset_ms,
            "received_at": self.now,
            "payload_kind": resolved.kind,
            "mutation_id": mutation_id,
            "outcome": record.outcome,
        }
        self._pending_rows.append((record, record_row))
        self.by_nonce[nonce] = record
        self.nonce_owner[nonce] = device_id
        conflicts: list[uuid.UUID] = []
        if admitted and not outcome.ok and outcome.reason not in PRESENCE_REASONS:
            conflicts.append(
                self._conflict(
                    ConflictKind.CHECKED_IN_REFUSED_TICKET,
                    record,
                    detail=f"Admitted offline, but the server refuses this ticket: {outcome.reason}.",
                    data={"reason": outcome.reason.value if outcome.reason else None},
                    mutation_id=mutation_id,
                )
            )
        if record.admitted and record.ticket_id is not None:
            self.records[record.ticket_id].append(record)
            conflicts += self.settle_ticket(record.ticket_id, mutation_id=mutation_id)
        return ScanResult(record, outcome, replayed=False, conflicts=tuple(conflicts))

    def annul(self, record: Record, *, at: datetime) -> list[uuid.UUID]:
        record.annulled_at = at
        record.dirty = True
        assert record.ticket_id is not None
        return self.settle_ticket(record.ticket_id, mutation_id=None)

    def settle_ticket(self, ticket_id: uuid.UUID, *, mutation_id: uuid.UUID | None) -> list[uuid.UUID]:
        """Recount the ticket's passages and bring its status, flags and conflicts in line."""
        standing = [record for record in self.records.get(ticket_id, ()) if record.annulled_at is None]
        occurrence_id = next((r.occurrence_id for r in standing if r.occurrence_id is not None), None)
        occurrence = self._occurrence(occurrence_id) if occurrence_id is not None else None
        reentry = occurrence.check_in.allow_reentry if occurrence is not None else False
        by_id = {record.id: record for record in standing}
        settlement = settle(
            [
                Admission(r.id, ticket_id, r.device_id or STAFF_DEVICE, r.direction, r.at, r.nonce, r.gate)
                for r in standing
            ],
            allow_reentry=reentry,
        )
        conflicts = []
        for record in self.records.get(ticket_id, ()):
            counted = record.id in settlement.counted
            if record.counted != counted:
                record.counted = counted
                record.dirty = True
            if record.id in settlement.blocked_by and record.id not in self.open_conflicts:
                blocker_id = settlement.blocked_by[record.id]
                blocker = by_id.get(blocker_id) if isinstance(blocker_id, uuid.UUID) else None
                kind = (
                    ConflictKind.DUPLICATE_ENTRY
                    if record.direction is Direction.ENTRY
                    else ConflictKind.EXIT_NOT_INSIDE
                )
                detail = (
                    "Admitted again: the ticket had been admitted earlier elsewhere."
                    if blocker is not None
                    else "An exit of a ticket that was not inside."
                )
                conflicts.append(self._conflict(kind, record, detail=detail, other=blocker, mutation_id=mutation_id))
            elif counted and record.id in self.open_conflicts:
                self.resolved_conflicts.append(self.open_conflicts.pop(record.id))
        self._sync_ticket_status(ticket_id)
        return conflicts

    def _sync_ticket_status(self, ticket_id: uuid.UUID) -> None:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.snapshot.status not in (TicketStatus.CONFIRMED, TicketStatus.CHECKED_IN):
            return
        entries = [
            r.at
            for r in self.records.get(ticket_id, ())
            if r.counted and r.annulled_at is None and r.direction is Direction.ENTRY
        ]
        status = TicketStatus.CHECKED_IN if entries else TicketStatus.CONFIRMED
        first = min(entries) if entries else None
        if (status, first) != (ticket.snapshot.status, ticket.checked_in_at):
            ticket.snapshot = dataclasses.replace(ticket.snapshot, status=status)
            ticket.checked_in_at = first
            ticket.dirty = True

    def _conflict(
        self,
        kind: ConflictKind,
        record: Record,
        *,
        detail: str,
        other: Record | None = None,
        data: dict[str, Any] | None = None,
        mutation_id: uuid.UUID | None,
    ) -> uuid.UUID:
        conflict_id = uuid.uuid4()
        self.new_conflicts.append(
            {
                "id": conflict_id,
                "org_id": self.org_id,
                "kind": kind.value,
                "ticket_id": record.ticket_id,
                "event_occurrence_id": record.occurrence_id,
                "device_id": record.device_id,
                "other_device_id": other.device_id if other else None,
                "check_in_id": record.id,
                "other_check_in_id": other.id if other else None,
                "mutation_id": mutation_id,
                "detail": detail,
                "data": {
                    "at": wire.time_to_wire(record.at),
                    "gate": record.gate,
                    **({"other_at": wire.time_to_wire(other.at), "other_gate": other.gate} if other else {}),
                    **(data or {}),
                },
                "detected_at": self.now,
            }
        )
        if kind in (ConflictKind.DUPLICATE_ENTRY, ConflictKind.EXIT_NOT_INSIDE):
            self.open_conflicts[record.id] = conflict_id
        return conflict_id

    # --- writing --------------------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what the scans decided, one statement per kind of change."""
        session = self.session
        if self._pending_rows:
            rows = []
            for record, row in self._pending_rows:
                row["counted"] = record.counted
                row["annulled_at"] = record.annulled_at
                record.new = False
                record.dirty = False
                rows.append(row)
            bulk.insert_rows(session, CheckIn.__table__, rows)
            self._pending_rows.clear()
        changed = [
            {"id": r.id, "counted": r.counted, "annulled_at": r.annulled_at}
            for records in self.records.values()
            for r in records
            if r.dirty
        ]
        if changed:
            bulk.update_rows(session, CheckIn.__table__, changed)
            for records in self.records.values():
                for r in records:
                    r.dirty = False
        tickets = [
            {"id": ticket_id, "status": t.snapshot.status, "checked_in_at": t.checked_in_at, "updated_at": self.now}
            for ticket_id, t in self.tickets.items()
            if t.dirty
        ]
        if tickets:
            bulk.update_rows(session, Ticket.__table__, tickets)
            for t in self.tickets.values():
                t.dirty = False
        if self.new_conflicts:
            bulk.insert_rows(session, SyncConflict.__table__, self.new_conflicts)
            self.new_conflicts.clear()
        if self.resolved_conflicts:
            session.execute(
                sa.update(SyncConflict)
                .where(SyncConflict.id.in_(self.resolved_conflicts), SyncConflict.resolved_at.is_(None))
                .values(resolved_at=self.now, resolution="superseded: the passage counts after all")
            )
            self.resolved_conflicts.clear()


def _lock_key(ticket_id: uuid.UUID) -> int:
    """A signed 64-bit advisory lock key from a ticket id."""
    return int.from_bytes(ticket_id.bytes[:8], "big", signed=True)


def corrected(device_time: datetime, offset: timedelta | None, device_offset_ms: int | None) -> tuple[datetime, int]:
    """A device time on the server's clock: with the offset the kiosk reported for it, else the device's last."""
    offset_ms = offset // timedelta(milliseconds=1) if offset is not None else device_offset_ms or 0
    return device_time + timedelta(milliseconds=offset_ms), offset_ms
