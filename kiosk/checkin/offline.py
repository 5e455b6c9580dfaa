"""The offline decision: the replica and this kiosk's own passages, fed to ``shared.checkin.decide_check_in``.

No rule is written here. This module only finds the ticket (by the token's ticket id, by confirmation code or by the
id staff picked), verifies the token with the replica's keyring (``shared.qrtoken.verify_ticket``), takes the
ticket's history from the replica (the server's check-ins merged with this kiosk's), and records the attempt with
its upload.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from kiosk.checkin.model import DecidedBy, Scan, ScanSource, Verdict, check_in_mutation
from kiosk.store.replica import Replica
from kiosk.store.rows import Attempt, OccurrenceRow, TicketRow
from shared.checkin import CheckInOutcome, CheckInStatus, Gate, RefusalReason, decide_check_in
from shared.codes import ScanKind, classify_scan
from shared.passages import Direction
from shared.qrtoken import TokenVerification, verify_ticket


class OfflineChecker:
    """Decides scans from the replica. ``clock_offset`` gives the current estimate of server time minus device
    time (``timedelta(0)`` before the first sync)."""

    def __init__(self, replica: Replica, *, clock_offset: Callable[[], timedelta] = timedelta) -> None:
        self._replica = replica
        self._clock_offset = clock_offset

    def decide(self, scan: Scan, *, gate: Gate, direction: Direction) -> Verdict:
        """Decide ``scan`` and record it (with its upload) in one transaction."""
        offset = self._clock_offset()
        now = scan.device_time + offset
        token, ticket = self._find(scan, now)
        claims = token.claims if token is not None else None
        ticket_id = ticket.id if ticket is not None else claims.ticket_id if claims is not None else None
        occurrence_id = ticket.occurrence_id if ticket is not None else claims.occurrence_id if claims else None
        occurrence = self._replica.occurrence(occurrence_id) if occurrence_id is not None else None
        outcome = self._judge(token, ticket, ticket_id, occurrence_id, occurrence, gate, direction, now)
        type_id = ticket.snapshot.ticket_type_id if ticket is not None else claims.ticket_type_id if claims else None
        type_name = outcome.ticket_type_name or (
            self._replica.ticket_type_name(type_id) if type_id is not None else None
        )
        attempt = Attempt(
            nonce=scan.nonce,
            at=now,
            device_time=scan.device_time,
            scanned=_scanned_kind(scan),
            direction=direction,
            gate=gate.name,
            device_id=gate.device_id,
            outcome=outcome,
            decided_by=DecidedBy.LOCAL.value,
            occurrence_id=occurrence_id,
        )
        upload = check_in_mutation(scan=scan, gate=gate, direction=direction, outcome=outcome)
        recorded = self._replica.record_attempt(attempt, upload=upload, clock_offset=offset)
        return Verdict(
            scan=scan,
            outcome=outcome,
            decided_by=DecidedBy.LOCAL,
            at=now,
            gate=gate,
            occurrence=occurrence,
            ticket_type_name=type_name,
            recorded=recorded,
        )

    def _find(self, scan: Scan, now: datetime) -> tuple[TokenVerification | None, TicketRow | None]:
        if scan.ticket_id is not None:
            return None, self._replica.ticket(scan.ticket_id)
        scanned = classify_scan(scan.text)
        if scanned.kind is ScanKind.SIGNED_TOKEN:
            token = verify_ticket(scan.text, self._replica.keyring(), now=now)
            if token.claims is None:
                return token, None
            return token, self._replica.ticket(token.claims.ticket_id)
        if scanned.kind is ScanKind.CONFIRMATION_CODE and scanned.value is not None:
            return None, self._replica.ticket_by_code(scanned.value)
        return None, None

    def _judge(
        self,
        token: TokenVerification | None,
        ticket: TicketRow | None,
        ticket_id: uuid.UUID | None,
        occurrence_id: uuid.UUID | None,
        occurrence: OccurrenceRow | None,
        gate: Gate,
        direction: Direction,
        now: datetime,
    ) -> CheckInOutcome:
        served = occurrence_id in gate.occurrence_ids
        if served and occurrence is None:
            # The gate serves an occurrence the replica has no row for (not synced yet): nothing to judge it by.
            return CheckInOutcome(CheckInStatus.REFUSED, direction, RefusalReason.INVALID)
        return decide_check_in(
            token=token,
            ticket=ticket.snapshot if ticket is not None else None,
            occurrence=occurrence.snapshot if occurrence is not None and served else None,
            history=self._replica.history(ticket_id) if ticket_id is not None else [],
            gate=gate,
            direction=direction,
            now=now,
        )


def _scanned_kind(scan: Scan) -> str:
    if scan.source is ScanSource.SEARCH:
        return "search"
    return classify_scan(scan.text).kind.value
