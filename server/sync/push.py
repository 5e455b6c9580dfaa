"""Push: a device's queued mutations, applied exactly once and in sequence order, each answered with a stored result.

One batch is one transaction, with the device row locked ``FOR UPDATE`` so two pushes of one device queue up:

1. mutations at or below the device's ``last_applied_seq`` answer their stored result (a replay changes nothing);
2. the next ones in sequence are applied: check-ins and annulments through the check-in ledger (all their tickets
   locked and read up front, written with one statement per kind), sales and attendee edits one by one in
   savepoints (a domain refusal rolls back only that mutation and is stored as its permanent rejection);
3. a mutation after a gap, and everything after it, is deferred.

If a mutation fails unexpectedly, the whole batch is rolled back and applied again without it and what follows
(those are answered ``deferred: server_error`` and come back with the device's next push).
"""

from __future__ import annotations

import gc
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.checkin.ledger import Ledger, Resolved, corrected
from server.checkin.models import CheckIn, CheckInSource
from server.db import bulk
from server.devices import service as devices_service
from server.devices.models import Device
from server.devices.scope import Scope, resolve_scope
from server.errors import DomainError, Gone
from server.sync import sales
from server.sync.models import SyncMutation
from shared import wire
from shared.passages import can_annul
from shared.wire import MutationResult, ResultStatus

logger = logging.getLogger(__name__)


class MutationFailed(Exception):
    """An unexpected error while applying the mutation with sequence number ``seq``."""

    def __init__(self, seq: int) -> None:
        super().__init__(seq)
        self.seq = seq


_gc_lock = threading.Lock()
_gc_pausers = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is decoded and applied: a batch allocates tens of thousands of
    short-lived objects, and the collections they trigger scan every object of the process (measured: a third of a
    2,000-mutation push). Reference counting still frees everything; collection resumes when the last batch ends."""
    global _gc_pausers
    with _gc_lock:
        _gc_pausers += 1
        if _gc_pausers == 1:
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0:
                gc.enable()


def _rejected(mutation: wire.Mutation | wire.UndecodableMutation, code: str, message: str) -> MutationResult:
    return MutationResult(mutation.id, mutation.seq, ResultStatus.REJECTED, code=code, message=message)


def _deferred(mutation: wire.Mutation | wire.UndecodableMutation, code: str, message: str) -> MutationResult:
    return MutationResult(mutation.id, mutation.seq, ResultStatus.DEFERRED, code=code, message=message)


@dataclass
class Batch:
    session: Session
    device: Device
    scope: Scope
    now: datetime
    secret_key: str
    ledger: Ledger
    resolved: dict[int, Resolved]

    def apply(self, mutation: wire.Mutation) -> MutationResult:
        body = mutation.body
        if isinstance(body, wire.CheckInMutation):
            return self.check_in(mutation, body)
        if isinstance(body, wire.AnnulMutation):
            return self.annul(mutation, body)
        self.ledger.flush()
        savepoint = self.session.begin_nested()
        try:
            if isinstance(body, wire.SaleMutation):
                result = sales.apply_sale(
                    session=self.session,
                    device=self.device,
                    scope=self.scope,
                    mutation=mutation,
                    sale=body,
                    at=self._at(mutation, body.device_time),
                    now=self.now,
                    secret_key=self.secret_key,
                    ledger=self.ledger,
                )
            else:
                result = sales.apply_attendee_edit(
                    session=self.session,
                    device=self.device,
                    scope=self.scope,
                    mutation=mutation,
                    edit=body,
                    now=self.now,
                )
        except DomainError as error:
            result = _rejected(mutation, error.code, error.detail)
        if result.status is ResultStatus.REJECTED:
            savepoint.rollback()
            # A refused sale is still recorded for staff to resolve (a refund): outside the rolled-back savepoint.
            conflicts = sales.record_refused_sale(self.session, self.device, mutation, result, self.now)
            return MutationResult(
                result.id, result.seq, result.status, result.code, result.message, conflicts=conflicts, data=result.data
            )
        savepoint.commit()
        return result

    def _at(self, mutation: wire.Mutation, device_time: datetime) -> datetime:
        at, _ = corrected(device_time, mutation.clock_offset, self.device.clock_offset_ms)
        return at

    def check_in(self, mutation: wire.Mutation, body: wire.CheckInMutation) -> MutationResult:
        outside = [value for value in body.occurrence_ids if value not in self.scope.occurrence_ids]
        if outside:
            return _rejected(mutation, wire.Problem.OUT_OF_SCOPE, "This device does not serve that occurrence.")
        owner = self.ledger.nonce_owner.get(body.nonce, self.device.id)
        if owner != self.device.id:
            return _rejected(mutation, "nonce_reused", "Another device already used this nonce.")
        at, offset_ms = corrected(body.device_time, mutation.clock_offset, self.device.clock_offset_ms)
        scan = self.ledger.scan(
            resolved=self.ledger.resolve_after_sales(body.payload, self.resolved[mutation.seq]),
            device_id=self.device.id,
            gate=body.gate,
            gate_occurrences=body.occurrence_ids,
            direction=body.direction,
            nonce=body.nonce,
            at=at,
            source=CheckInSource.OFFLINE,
            local_status=body.local_status,
            local_reason=body.local_reason,
            device_time=body.device_time,
            clock_offset_ms=offset_ms,
            mutation_id=mutation.id,
        )
        # An online redeem that timed out at the kiosk left this nonce on record: the upload changes nothing.
        return MutationResult(
            mutation.id,
            mutation.seq,
            ResultStatus.APPLIED,
            code="already_recorded" if scan.replayed else None,
            conflicts=scan.conflicts,
            outcome=scan.outcome,
            counted=scan.record.counted,
            data={"check_in_id": scan.record.id.hex},
        )

    def annul(self, mutation: wire.Mutation, body: wire.AnnulMutation) -> MutationResult:
        record = self.ledger.by_nonce.get(body.nonce)
        if record is None or not record.admitted or record.ticket_id is None:
            return _rejected(mutation, "unknown_check_in", "No admitted check-in with this nonce.")
        at = self._at(mutation, body.device_time)
        verdict = can_annul(record.passage(), device_id=self.device.id, now=at)
        if verdict.reason is not None and verdict.reason.value == "already_annulled":
            return MutationResult(mutation.id, mutation.seq, ResultStatus.APPLIED, code="already_annulled")
        if not verdict.allowed:
            reason = verdict.reason.value if verdict.reason else "refused"
            return _rejected(mutation, f"annul_{reason}", f"This check-in cannot be annulled: {reason}.")
        conflicts = self.ledger.annul(record, at=at)
        return MutationResult(
            mutation.id,
            mutation.seq,
            ResultStatus.APPLIED,
            conflicts=tuple(conflicts),
            data={"check_in_id": record.id.hex},
        )


def _stored_results(session: Session, device_id: uuid.UUID, seqs: list[int]) -> dict[int, SyncMutation]:
    if not seqs:
        return {}
    rows = session.scalars(
        sa.select(SyncMutation).where(SyncMutation.device_id == device_id, SyncMutation.seq.in_(seqs))
    )
    return {row.seq: row for row in rows}


def _stored_form(result: MutationResult) -> dict[str, Any]:
    """A result as kept for replays. A check-in's outcome is already in its ``check_ins`` row: it is not copied."""
    document = wire.encode_result(result)
    if result.outcome is not None and "check_in_id" in result.data:
        document["outcome"] = None
        document["outcome_in_check_in"] = True
    return document


def _replayed(session: Session, rows: list[SyncMutation]) -> dict[int, MutationResult]:
    """The stored results of ``rows``, check-in outcomes read back from their ``check_ins`` rows."""
    wanted = [uuid.UUID(hex=row.result["data"]["check_in_id"]) for row in rows if row.result.get("outcome_in_check_in")]
    outcomes: dict[uuid.UUID, dict[str, Any]] = {}
    if wanted:
        rows_found = session.execute(
            sa.select(CheckIn.id, CheckIn.outcome).where(bulk.among(session, CheckIn.id, wanted))
        ).all()
        outcomes = dict(rows_found)
    answers: dict[int, MutationResult] = {}
    for row in rows:
        document = dict(row.result)
        if document.pop("outcome_in_check_in", False):
            document["outcome"] = outcomes.get(uuid.UUID(hex=document["data"]["check_in_id"]))
        answers[row.seq] = wire.decode_result(document)
    return answers


def _prepare_ledger(
    session: Session, device: Device, scope: Scope, mutations: list[wire.Mutation], now: datetime
) -> tuple[Ledger, dict[int, Resolved]]:
    ledger = Ledger(session, device.org_id, scope.occurrence_ids, now)
    scans = [m for m in mutations if isinstance(m.body, wire.CheckInMutation)]
    annul_nonces = [m.body.nonce for m in mutations if isinstance(m.body, wire.AnnulMutation)]
    resolved_list = ledger.resolve_all(
        (m.body.payload, m.body.ticket_id) for m in scans if isinstance(m.body, wire.CheckInMutation)
    )
    resolved = {m.seq: r for m, r in zip(scans, resolved_list, strict=True)}
    ticket_ids = {r.ticket_id for r in resolved_list if r.ticket_id is not None}
    if annul_nonces:
        ticket_ids |= {
            value
            for value in session.scalars(
                sa.select(CheckIn.ticket_id).where(CheckIn.org_id == device.org_id, CheckIn.nonce.in_(annul_nonces))
            )
            if value is not None
        }
    nonces = [m.body.nonce for m in scans if isinstance(m.body, wire.CheckInMutation)] + annul_nonces
    ledger.load(ticket_ids, nonces)
    return ledger, resolved


def push(
    *,
    session: Session,
    device_id: uuid.UUID,
    envelope: wire.PushEnvelope,
    clock: wire.ReportedClock,
    now: datetime,
    secret_key: str,
) -> wire.PushResponse:
    """Apply a batch (see the module docstring). Commits."""
    items = sorted(envelope.mutations, key=lambda m: m.seq)
    try:
        return _push(session, device_id, items, clock, now, secret_key, stop_at=None)
    except MutationFailed as failure:
        session.rollback()
        logger.exception("mutation %s of device %s failed; applying the ones before it", failure.seq, device_id)
        return _push(session, device_id, items, clock, now, secret_key, stop_at=failure.seq)


def _push(
    session: Session,
    device_id: uuid.UUID,
    items: list[wire.Mutation | wire.UndecodableMutation],
    clock: wire.ReportedClock,
    now: datetime,
    secret_key: str,
    *,
    stop_at: int | None,
) -> wire.PushResponse:
    device = session.scalars(
        sa.select(Device).where(Device.id == device_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    if device.revoked_at is not None:
        session.rollback()
        raise Gone(wire.Problem.DEVICE_REVOKED, "This device was revoked: erase what it holds.", wipe=True)
    last = device.last_applied_seq
    stored = _stored_results(session, device.id, [m.seq for m in items if m.seq <= last])
    replayed = _replayed(session, list(stored.values()))
    results: list[MutationResult] = []
    to_apply: list[wire.Mutation | wire.UndecodableMutation] = []
    expected = last + 1
    seen: dict[int, uuid.UUID] = {}
    blocked = False
    for item in items:
        if item.seq <= last or item.seq in seen:
            row = stored.get(item.seq)
            stored_id = row.mutation_id if row is not None else seen.get(item.seq)
            if stored_id == item.id and row is not None:
                results.append(replayed[item.seq])
            elif stored_id == item.id:
                continue  # the same mutation twice in one batch: answered once
            else:
                results.append(_rejected(item, "sequence_reused", f"Sequence number {item.seq} was used before."))
            continue
        failed = stop_at is not None and item.seq >= stop_at
        if blocked or item.seq != expected or failed:
            blocked = True
            reason = "server_error" if failed else "sequence_gap"
            message = (
                "The server failed on this mutation; send it again later."
                if reason == "server_error"
                else f"Waiting for sequence number {expected}."
            )
            results.append(_deferred(item, reason, message))
            continue
        seen[item.seq] = item.id
        to_apply.append(item)
        expected += 1
    applied = _apply(session, device, to_apply, now, secret_key)
    results.extend(applied)
    if applied:
        bulk.insert_rows(
            session,
            SyncMutation.__table__,
            [
                {
                    "id": uuid.uuid4(),
                    "org_id": device.org_id,
                    "device_id": device.id,
                    "mutation_id": result.id,
                    "seq": result.seq,
                    "kind": item.kind.value if isinstance(item, wire.Mutation) else "undecodable",
                    "status": result.status.value,
                    # A check-in's facts are in its check_ins row; other kinds keep what the kiosk sent.
                    "body": wire.encode_mutation(item)
                    if isinstance(item, wire.Mutation) and not isinstance(item.body, wire.CheckInMutation)
                    else {},
                    "result": _stored_form(result),
                    "received_at": now,
                }
                for item, result in zip(to_apply, applied, strict=True)
            ],
        )
        device.last_applied_seq = applied[-1].seq
    devices_service.record_contact(
        session=session, device_id=device.id, clock=clock, now=now, pulled=False, pushed=True
    )
    session.commit()
    results.sort(key=lambda result: result.seq)
    return wire.PushResponse(now, tuple(results), device.last_applied_seq)


def _apply(
    session: Session,
    device: Device,
    items: list[wire.Mutation | wire.UndecodableMutation],
    now: datetime,
    secret_key: str,
) -> list[MutationResult]:
    if not items:
        return []
    scope = resolve_scope(session, device)
    decodable = [item for item in items if isinstance(item, wire.Mutation)]
    ledger, resolved = _prepare_ledger(session, device, scope, decodable, now)
    batch = Batch(session, device, scope, now, secret_key, ledger, resolved)
    results = []
    for item in items:
        if isinstance(item, wire.UndecodableMutation):
            results.append(_rejected(item, "invalid_mutation", str(item.error)))
            continue
        try:
            results.append(batch.apply(item))
        except Exception as error:  # a bug or a database fault: not this mutation's permanent result
            raise MutationFailed(item.seq) from error
    try:
        ledger.flush()
    except Exception as error:  # cannot tell which mutation: defer them all
        raise MutationFailed(items[0].seq) from error
    return results
