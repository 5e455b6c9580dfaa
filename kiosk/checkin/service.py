"""``CheckInService``: one scan in, one verdict out, online when it can be and offline when it cannot.

Online, the server's redeem call decides, with a short timeout (2 s by default). When the server cannot be reached
in time, the replica decides the same attempt, with the same nonce, and queues it for upload: if the server did
receive the first call after all, the upload finds that nonce already decided there and counts nothing twice.

``check`` blocks (for up to the timeout): the controller calls it on its worker thread, never on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from kiosk.checkin.model import DecidedBy, Scan, Verdict
from kiosk.checkin.offline import OfflineChecker
from kiosk.store.replica import Replica
from kiosk.store.rows import Attempt, OccurrenceRow
from shared.checkin import CheckInOutcome, Gate
from shared.passages import Direction

logger = logging.getLogger(__name__)

ONLINE_TIMEOUT = 2.0  # seconds


class Unreachable(Exception):
    """The server did not answer in time, or not at all: decide offline."""


@dataclass(frozen=True)
class RedeemAnswer:
    outcome: CheckInOutcome
    occurrence: OccurrenceRow | None = None  # the ticket's occurrence, when the server names it
    ticket_type_name: str | None = None


class Redeemer(Protocol):
    def redeem(
        self, scan: Scan, *, gate: Gate, direction: Direction, clock_offset: timedelta, timeout: float
    ) -> RedeemAnswer:
        """Ask the server to decide (and record) ``scan``. Raises ``Unreachable`` when it cannot."""
        ...


class CheckInService:
    def __init__(
        self,
        replica: Replica,
        *,
        redeemer: Redeemer | None = None,
        use_server: Callable[[], bool] = lambda: False,
        clock_offset: Callable[[], timedelta] = timedelta,
        timeout: float = ONLINE_TIMEOUT,
        on_unreachable: Callable[[str], None] = lambda _message: None,
    ) -> None:
        self._replica = replica
        self._redeemer = redeemer
        self._use_server = use_server
        self._clock_offset = clock_offset
        self._timeout = timeout
        self._on_unreachable = on_unreachable
        self.offline = OfflineChecker(replica, clock_offset=clock_offset)

    def check(self, scan: Scan, *, gate: Gate, direction: Direction) -> Verdict:
        if self._redeemer is not None and self._use_server():
            try:
                return self._online(self._redeemer, scan, gate, direction)
            except Unreachable as exc:
                logger.info("redeem fell back to the offline decision: %s", exc)
                self._on_unreachable(str(exc))
        return self.offline.decide(scan, gate=gate, direction=direction)

    def _online(self, redeemer: Redeemer, scan: Scan, gate: Gate, direction: Direction) -> Verdict:
        offset = self._clock_offset()
        answer = redeemer.redeem(scan, gate=gate, direction=direction, clock_offset=offset, timeout=self._timeout)
        at = scan.device_time + offset
        outcome = answer.outcome
        occurrence = answer.occurrence
        if occurrence is None and outcome.ticket_id is not None:
            ticket = self._replica.ticket(outcome.ticket_id)
            if ticket is not None:
                occurrence = self._replica.occurrence(ticket.occurrence_id)
        occurrence_id = occurrence.id if occurrence is not None else None
        if occurrence_id is None and len(gate.occurrence_ids) == 1:
            occurrence_id = next(iter(gate.occurrence_ids))
        attempt = Attempt(
            nonce=scan.nonce,
            at=at,
            device_time=scan.device_time,
            scanned=scan.source.value,
            direction=direction,
            gate=gate.name,
            device_id=gate.device_id,
            outcome=outcome,
            decided_by=DecidedBy.SERVER.value,
            occurrence_id=occurrence_id,
        )
        # The server has recorded it: the log and the local passage, nothing to upload.
        recorded = self._replica.record_attempt(attempt)
        return Verdict(
            scan=scan,
            outcome=outcome,
            decided_by=DecidedBy.SERVER,
            at=at,
            gate=gate,
            occurrence=occurrence,
            ticket_type_name=answer.ticket_type_name or outcome.ticket_type_name,
            recorded=recorded,
        )
