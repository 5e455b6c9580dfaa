"""What goes into a check-in and what comes out, as plain values."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from kiosk.store.rows import Mutation, OccurrenceRow
from shared.checkin import CheckInOutcome, Gate
from shared.passages import Direction

CHECK_IN_MUTATION = "check_in"
ANNUL_MUTATION = "annul"


class ScanSource(StrEnum):
    CAMERA = "camera"
    WEDGE = "wedge"  # a USB barcode scanner typing into the kiosk
    TYPED = "typed"  # staff typed a confirmation code
    SEARCH = "search"  # staff picked the attendee from a search


class DecidedBy(StrEnum):
    SERVER = "server"
    LOCAL = "local"


@dataclass(frozen=True)
class Scan:
    """One thing to decide: scanned or typed ``text``, or (from a search) a ``ticket_id``.

    ``nonce`` names the attempt everywhere (the online redeem, the local log, the upload), so the same attempt can
    never be counted twice. ``device_time`` is when it happened on this device's clock.
    """

    source: ScanSource
    nonce: str
    device_time: datetime
    text: str = ""
    ticket_id: uuid.UUID | None = None

    @staticmethod
    def new_nonce() -> str:
        return uuid.uuid4().hex


@dataclass(frozen=True)
class Verdict:
    """A decided scan. ``occurrence`` is the ticket's occurrence when known (the "wrong event" wording names it);
    ``ticket_type_name`` is filled from the replica even for a ticket judged on its token alone."""

    scan: Scan
    outcome: CheckInOutcome
    decided_by: DecidedBy
    at: datetime  # on the server's clock
    gate: Gate
    occurrence: OccurrenceRow | None = None
    ticket_type_name: str | None = None
    recorded: bool = True  # False when this nonce had been decided before (nothing new was written)

    @property
    def direction(self) -> Direction:
        return self.outcome.direction


def check_in_mutation(
    *, scan: Scan, gate: Gate, direction: Direction, at: datetime, clock_offset_ms: int, outcome: CheckInOutcome
) -> Mutation:
    """The upload for an attempt decided on this device. The body says what was scanned, where and when, and what
    this kiosk decided; the server decides again with everything it knows and has the final say."""
    body: dict[str, Any] = {
        "nonce": scan.nonce,
        "payload": scan.text or None,
        "ticket_id": None if outcome.ticket_id is None else str(outcome.ticket_id),
        "gate": gate.name,
        "occurrence_ids": sorted(str(i) for i in gate.occurrence_ids),
        "direction": direction.value,
        "device_time": scan.device_time.isoformat(),
        "clock_offset_ms": clock_offset_ms,
        "at": at.isoformat(),
        "local_status": outcome.status.value,
        "local_reason": None if outcome.reason is None else outcome.reason.value,
        "source": scan.source.value,
    }
    return Mutation(client_id=uuid.uuid4().hex, kind=CHECK_IN_MUTATION, body=body, nonce=scan.nonce)


def annul_mutation(*, nonce: str, at: datetime, device_time: datetime) -> Mutation:
    body = {"nonce": nonce, "at": at.isoformat(), "device_time": device_time.isoformat()}
    return Mutation(client_id=uuid.uuid4().hex, kind=ANNUL_MUTATION, body=body, nonce=nonce)
