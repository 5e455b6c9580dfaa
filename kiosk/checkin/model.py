"""What goes into a check-in and what comes out, as plain values."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kiosk.store.rows import OccurrenceRow
from shared import wire
from shared.checkin import CheckInOutcome, Gate
from shared.passages import Direction


class ScanSource(StrEnum):
    CAMERA = "camera"
    WEDGE = "wedge"  # a USB barcode scanner typing into the kiosk
    TYPED = "typed"  # staff typed a confirmation code
    SEARCH = "search"  # staff picked the attendee from a search
    DESK = "desk"  # the box office checked in a ticket it just sold


class DecidedBy(StrEnum):
    SERVER = "server"
    LOCAL = "local"


@dataclass(frozen=True)
class Scan:
    """One thing to decide: scanned or typed ``text``, or (from a search) a ``ticket_id`` and no text.

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
    """A decided scan. ``occurrence`` is the ticket's occurrence when known (the "wrong event" wording names it,
    from ``ticket_event`` when the replica does not hold it);
    ``ticket_type_name`` is filled from the replica even for a ticket judged on its token alone."""

    scan: Scan
    outcome: CheckInOutcome
    decided_by: DecidedBy
    at: datetime  # on the server's clock
    gate: Gate
    occurrence: OccurrenceRow | None = None
    ticket_type_name: str | None = None
    recorded: bool = True  # False when this nonce had been decided before (nothing new was written)
    ticket_event: wire.EventLabel | None = None  # the server's words for an occurrence this kiosk does not hold

    @property
    def direction(self) -> Direction:
        return self.outcome.direction


def check_in_mutation(*, scan: Scan, gate: Gate, direction: Direction, outcome: CheckInOutcome) -> wire.CheckInMutation:
    """The upload for an attempt decided on this device (every attempt, refused ones too): what was scanned, where
    and when, and what this kiosk decided. The server decides again with everything it knows and has the final
    say; the nonce is the scan's, so an online attempt that timed out is never counted twice."""
    return wire.CheckInMutation(
        nonce=scan.nonce,
        occurrence_ids=tuple(sorted(gate.occurrence_ids)),
        gate=gate.name,
        direction=direction,
        device_time=scan.device_time,
        local_status=outcome.status,
        local_reason=outcome.reason,
        payload=None if scan.ticket_id is not None else scan.text,
        ticket_id=scan.ticket_id,
    )


def redeem_request(scan: Scan, *, gate: Gate, direction: Direction) -> wire.RedeemRequest:
    return wire.RedeemRequest(
        nonce=scan.nonce,
        occurrence_ids=tuple(sorted(gate.occurrence_ids)),
        gate=gate.name,
        direction=direction,
        device_time=scan.device_time,
        payload=None if scan.ticket_id is not None else scan.text,
        ticket_id=scan.ticket_id,
    )
