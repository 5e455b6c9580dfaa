"""An in-memory stand-in for the sync endpoints, behind ``httpx.MockTransport``: it speaks ``shared.wire`` and keeps
the protocol's promises (pages after a cursor, exactly-once pushes in sequence order, nonce-idempotent redeems), and
it can be taken down, made slow, or revoke the device. The real server is exercised in ``test_with_server.py``."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from shared import wire
from shared.checkin import CheckInOutcome, CheckInStatus
from shared.passages import Direction


@dataclass
class FakeServer:
    now: datetime
    pages: list[wire.PullPage] = field(default_factory=list)  # served in order; the cursor is the page index
    down: bool = False
    revoked: bool = False
    lose_push_answers: int = 0  # apply the next N pushes, then fail as if the answer was lost
    redeem_times_out: bool = False  # record the redeem, then time out as if the answer was slow
    applied: dict[int, wire.Mutation] = field(default_factory=dict)  # seq -> mutation, exactly once
    results: dict[int, wire.MutationResult] = field(default_factory=dict)
    redeemed: dict[str, wire.RedeemRequest] = field(default_factory=dict)  # nonce -> request
    calls: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path.rsplit("/", 1)[-1])
        self.headers.append(dict(request.headers))
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.revoked:
            return httpx.Response(410, json={"code": wire.Problem.DEVICE_REVOKED, "wipe": True, "detail": "revoked"})
        if path == wire.Path.PULL:
            return self._pull(request)
        if path == wire.Path.PUSH:
            return self._push(request)
        if path == wire.Path.REDEEM:
            return self._redeem(request)
        return httpx.Response(404)

    def _pull(self, request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        index = int(cursor) if cursor is not None and cursor.isdigit() else 0  # the door fixture's own cursors
        if index >= len(self.pages):
            body = wire.encode_pull_page(server_time=self.now, cursor=str(index), more=False, reset=False, columns={})
            return httpx.Response(200, content=body)
        page = self.pages[index]
        columns: dict[str, dict[str, list[Any]]] = {}
        for name, rows in page.tables.items():
            table = wire.TABLES_BY_NAME[name]
            columns[name] = {
                column.name: [_wire_value(column.kind, row[i]) for row in rows]
                for i, column in enumerate(table.columns)
            }
        body = wire.encode_pull_page(
            server_time=self.now, cursor=str(index + 1), more=index + 1 < len(self.pages), reset=False, columns=columns
        )
        return httpx.Response(200, content=body)

    def _push(self, request: httpx.Request) -> httpx.Response:
        envelope = wire.decode_push_request(json.loads(request.content))
        results = []
        for mutation in envelope.mutations:
            assert isinstance(mutation, wire.Mutation), mutation
            last = max(self.applied, default=0)
            if mutation.seq <= last:
                assert self.applied[mutation.seq].id == mutation.id, "a sequence number was reused"
                results.append(self.results[mutation.seq])
            elif mutation.seq == last + 1:
                self.applied[mutation.seq] = mutation
                result = wire.MutationResult(mutation.id, mutation.seq, wire.ResultStatus.APPLIED)
                self.results[mutation.seq] = result
                results.append(result)
            else:
                results.append(
                    wire.MutationResult(mutation.id, mutation.seq, wire.ResultStatus.DEFERRED, code="sequence_gap")
                )
        if self.lose_push_answers:
            self.lose_push_answers -= 1
            raise httpx.ReadTimeout("the answer was lost", request=request)
        response = wire.PushResponse(self.now, tuple(results), max(self.applied, default=0))
        return httpx.Response(200, content=wire.dumps(wire.encode_push_response(response)))

    def _redeem(self, request: httpx.Request) -> httpx.Response:
        redeem = wire.decode_redeem_request(json.loads(request.content))
        self.redeemed.setdefault(redeem.nonce, redeem)
        if self.redeem_times_out:
            raise httpx.ReadTimeout("too slow", request=request)
        outcome = CheckInOutcome(
            CheckInStatus.OK, Direction.ENTRY, holder_name="Online Guest", ticket_on_record=True, ticket_id=uuid.uuid4()
        )
        response = wire.RedeemResponse(outcome=outcome, check_in_id=uuid.uuid4(), server_time=self.now)
        return httpx.Response(200, content=wire.dumps(wire.encode_redeem_response(response)))

    def check_in_nonces(self) -> list[str]:
        """The nonces of the check-ins the server applied, in sequence order (exactly once each)."""
        return [m.body.nonce for _, m in sorted(self.applied.items()) if isinstance(m.body, wire.CheckInMutation)]


def _wire_value(kind: wire.Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind in (wire.Kind.JSON, wire.Kind.TEXT_LIST):
        return json.loads(value)
    if kind is wire.Kind.BOOL:
        return bool(value)
    return value
