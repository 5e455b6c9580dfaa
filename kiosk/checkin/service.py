"""``CheckInService``: one scan in, one verdict out, online when it can be and offline when it cannot.

Online, the server's redeem call decides, with a short timeout (2 s by default). When the server cannot be reached
in time, the replica decides the same attempt, with the same nonce, and queues it for upload: if the server did
receive the first call after all, the upload finds that nonce already decided there and counts nothing twice.

``check`` blocks (for up to the timeout): the controller calls it on its worker thread, never on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from kiosk.checkin.model import DecidedBy, Scan, Verdict, redeem_request
from kiosk.checkin.offline import OfflineChecker
from kiosk.store.replica import Replica
from kiosk.store.rows import Attempt
from shared import wire
from shared.checkin import Gate
from shared.passages import Direction

logger = logging.getLogger(__name__)

ONLINE_TIMEOUT = 2.0  # seconds


class Unreachable(Exception):
    """The server did not answer in time, or not at all: decide offline."""


class Redeemer(Protocol):
    def redeem(self, request: wire.RedeemRequest, *, timeout: float) -> wire.RedeemResponse:
        """Ask the server to decide (and record) one scan. Raises ``Unreachable`` when it cannot in time."""
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
        request = redeem_request(scan, gate=gate, direction=direction)
        answer = redeemer.redeem(request, timeout=self._timeout)
        at = scan.device_time + offset
        outcome = answer.outcome
        ticket = self._replica.ticket(outcome.ticket_id) if outcome.ticket_id is not None else None
        occurrence = self._replica.occurrence(ticket.occurrence_id) if ticket is not None else None
        occurrence_id = occurrence.id if occurrence is not None else None
        if occurrence_id is None and outcome.ok and len(gate.occurrence_ids) == 1:
            occurrence_id = next(iter(gate.occurrence_ids))  # a ticket sold since the last sync: this gate's
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
        # The server has recorded it: the log and this kiosk's passage (for undo and the counters), no upload.
        recorded = self._replica.record_attempt(attempt)
        type_name = outcome.ticket_type_name or (ticket.snapshot.ticket_type_name if ticket is not None else None)
        return Verdict(
            scan=scan,
            outcome=outcome,
            decided_by=DecidedBy.SERVER,
            at=at,
            gate=gate,
            occurrence=occurrence,
            ticket_type_name=type_name,
            recorded=recorded,
            ticket_event=answer.ticket_event if occurrence is None else None,
        )
