"""A simulated kiosk: the sync protocol spoken through ``shared.wire`` over any httpx-style client (a TestClient or
an ``httpx.Client`` against a live server), with a plain SQLite replica, an outbox, and offline decisions made by
``shared.checkin.decide_check_in`` exactly as the real kiosk makes them."""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared import wire
from shared.checkin import CheckInOutcome, CheckInStatus, Gate, decide_check_in
from shared.clock import ClockOffset, estimate_clock_offset
from shared.codes import ScanKind, classify_scan, new_confirmation_code
from shared.passages import Direction, Passage
from shared.qrtoken import SigningKey, TicketClaims, sign_ticket, verify_ticket

LOCAL_DDL = (
    "CREATE TABLE local_passages (nonce TEXT PRIMARY KEY, ticket_id TEXT, direction TEXT, at INTEGER, gate TEXT)"
)


def create_device(http: Any, org_headers: dict[str, str], *, name: str, role: str, **scope: Any) -> str:
    body = {"name": name, "role": role, **{key: [str(v) for v in value] for key, value in scope.items()}}
    response = http.post("/api/v1/devices", json=body, headers=org_headers)
    assert response.status_code == 201, response.text
    return str(response.json()["pairing_code"])


@dataclass
class SimulatedKiosk:
    http: Any
    server_clock: Callable[[], datetime]
    skew: timedelta = timedelta(0)  # how far this kiosk's clock is ahead of the server's
    gate: str = "Door"
    key: SigningKey = field(default_factory=SigningKey.generate)
    token: str = ""
    device_id: uuid.UUID = field(default_factory=lambda: uuid.UUID(int=0))
    replica: sqlite3.Connection = field(default_factory=lambda: sqlite3.connect(":memory:", isolation_level=None))
    outbox: list[wire.Mutation] = field(default_factory=list)
    seq: int = 0
    offset: ClockOffset | None = None
    results: dict[uuid.UUID, wire.MutationResult] = field(default_factory=dict)
    wiped: bool = False

    def __post_init__(self) -> None:
        for statement in wire.replica_ddl():
            self.replica.execute(statement)
        self.replica.execute(LOCAL_DDL)

    @classmethod
    def pair(
        cls,
        http: Any,
        org_headers: dict[str, str],
        server_clock: Callable[[], datetime],
        *,
        name: str = "Door",
        role: str = "door_scanner",
        skew: timedelta = timedelta(0),
        **scope: Any,
    ) -> SimulatedKiosk:
        code = create_device(http, org_headers, name=name, role=role, **scope)
        kiosk = cls(http, server_clock, skew, gate=name)
        response = http.post(
            wire.Path.PAIR, json=wire.encode_pair_request(wire.PairRequest(code, kiosk.key.public_bytes()))
        )
        assert response.status_code == 201, response.text
        paired = wire.decode_pair_response(response.json())
        kiosk.token = paired.device_token
        kiosk.device_id = paired.device_id
        kiosk.key = SigningKey.from_private_bytes(kiosk.key.private_bytes(), key_id=paired.key_id)
        return kiosk

    # --- plumbing ---------------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.server_clock() + self.skew

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **wire.clock_headers(sent_at=self.now(), offset=self.offset)}

    def _learn_clock(self, sent_at: datetime, server_time: datetime) -> None:
        sample = estimate_clock_offset(sent_at=sent_at, received_at=self.now(), server_time=server_time)
        if self.offset is None or sample.uncertainty <= self.offset.uncertainty:
            self.offset = sample

    def _check_wipe(self, response: Any) -> None:
        body = response.json() if response.headers.get("content-type", "").endswith("json") else None
        if wire.is_wipe_instruction(response.status_code, body):
            for table in wire.TABLES:
                self.replica.execute(f"DELETE FROM {table.name}")
            self.replica.execute("DELETE FROM local_passages")
            self.outbox.clear()
            self.token = ""
            self.wiped = True

    # --- pull -------------------------------------------------------------------------------------------------------

    def pull_all(self, limit: int | None = None) -> list[wire.PullPage]:
        pages = []
        while True:
            params: dict[str, Any] = {}
            cursor = wire.read_cursor(self.replica)
            if cursor:
                params["cursor"] = cursor
            if limit:
                params["limit"] = limit
            sent_at = self.now()
            response = self.http.get(wire.Path.PULL, params=params, headers=self.headers())
            self._check_wipe(response)
            assert response.status_code == 200, response.text
            page = wire.decode_pull_page(response.content)
            self._learn_clock(sent_at, page.server_time)
            wire.apply_pull_page(self.replica, page)
            pages.append(page)
            if not page.more:
                return pages

    def rows(self, table: str, where: str = "", params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        self.replica.row_factory = sqlite3.Row
        try:
            return list(self.replica.execute(f"SELECT * FROM {table} {where}", tuple(params)))
        finally:
            self.replica.row_factory = None

    def ticket_ids(self) -> set[uuid.UUID]:
        return {uuid.UUID(hex=row["id"]) for row in self.rows("tickets")}

    # --- online -----------------------------------------------------------------------------------------------------

    def redeem(
        self,
        payload: str,
        occurrence_ids: Iterable[uuid.UUID],
        *,
        direction: Direction = Direction.ENTRY,
        nonce: str | None = None,
    ) -> tuple[int, Any]:
        request = wire.RedeemRequest(
            nonce=nonce or secrets.token_hex(12),
            occurrence_ids=tuple(occurrence_ids),
            gate=self.gate,
            direction=direction,
            device_time=self.now(),
            payload=payload,
        )
        sent_at = self.now()
        response = self.http.post(wire.Path.REDEEM, json=wire.encode_redeem_request(request), headers=self.headers())
        self._check_wipe(response)
        if response.status_code != 200:
            return response.status_code, response.json()
        answer = wire.decode_redeem_response(response.json())
        self._learn_clock(sent_at, answer.server_time)
        return 200, answer

    def request_allotment(self, occurrence_id: uuid.UUID, seats: int, ticket_type_id: uuid.UUID | None = None) -> Any:
        body = wire.encode_allotment_request(wire.AllotmentRequest(occurrence_id, seats, ticket_type_id))
        response = self.http.post(wire.Path.ALLOTMENTS, json=body, headers=self.headers())
        return response.status_code, response.json()

    # --- offline ----------------------------------------------------------------------------------------------------

    def _history(self, ticket_id: uuid.UUID) -> list[Passage]:
        passages = [
            p
            for p in (wire.passage(row) for row in self.rows("check_ins", "WHERE ticket_id = ?", [ticket_id.hex]))
            if p
        ]
        known = {row["nonce"] for row in self.rows("check_ins", "WHERE ticket_id = ?", [ticket_id.hex])}
        for row in self.rows("local_passages", "WHERE ticket_id = ?", [ticket_id.hex]):
            if row["nonce"] not in known:
                passages.append(
                    Passage(
                        ticket_id,
                        Direction(row["direction"]),
                        wire.time_from_wire(row["at"], "at"),
                        row["gate"],
                        self.device_id,
                    )
                )
        return passages

    def decide_offline(
        self, payload: str, occurrence_ids: Iterable[uuid.UUID], direction: Direction = Direction.ENTRY
    ) -> CheckInOutcome:
        gate_occurrences = frozenset(occurrence_ids)
        corrected_now = self.now() + (self.offset.offset if self.offset else timedelta(0))
        scanned = classify_scan(payload)
        token = None
        ticket_row = None
        if scanned.kind is ScanKind.SIGNED_TOKEN:
            token = verify_ticket(payload, wire.keyring(self.rows("keys")), now=corrected_now)
            if token.claims is not None:
                found = self.rows("tickets", "WHERE id = ?", [token.claims.ticket_id.hex])
                ticket_row = found[0] if found else None
        elif scanned.kind is ScanKind.CONFIRMATION_CODE:
            found = self.rows("tickets", "WHERE code = ?", [scanned.value])
            ticket_row = found[0] if found else None
        ticket = None
        if ticket_row is not None:
            types = self.rows("ticket_types", "WHERE id = ?", [ticket_row["ticket_type_id"]])
            ticket = wire.ticket_snapshot(ticket_row, ticket_type_name=types[0]["name"] if types else None)
        ticket_id = ticket.id if ticket else token.claims.ticket_id if token and token.claims else None
        occurrence_id = (
            ticket.occurrence_id if ticket else token.claims.occurrence_id if token and token.claims else None
        )
        occurrence = None
        if occurrence_id in gate_occurrences:
            occ = self.rows("occurrences", "WHERE id = ?", [occurrence_id.hex])
            event = self.rows("events", "WHERE id = ?", [occ[0]["event_id"]]) if occ else []
            occurrence = wire.occurrence_snapshot(occ[0], event[0]) if occ and event else None
        return decide_check_in(
            token=token,
            ticket=ticket,
            occurrence=occurrence,
            history=self._history(ticket_id) if ticket_id else [],
            gate=Gate(self.device_id, self.gate, gate_occurrences),
            direction=direction,
            now=corrected_now,
        )

    def _queue(self, body: wire.MutationBody) -> wire.Mutation:
        self.seq += 1
        mutation = wire.Mutation(uuid.uuid4(), self.seq, body, self.offset.offset if self.offset else None)
        self.outbox.append(mutation)
        return mutation

    def scan_offline(
        self,
        payload: str,
        occurrence_ids: Iterable[uuid.UUID],
        *,
        direction: Direction = Direction.ENTRY,
        nonce: str | None = None,
    ) -> CheckInOutcome:
        """Decide locally, record the local passage and queue the upload in one go (as the real kiosk does in one
        transaction)."""
        occurrence_ids = tuple(occurrence_ids)
        outcome = self.decide_offline(payload, occurrence_ids, direction)
        nonce = nonce or secrets.token_hex(12)
        if outcome.ok and outcome.ticket_id is not None:
            corrected_now = self.now() + (self.offset.offset if self.offset else timedelta(0))
            self.replica.execute(
                "INSERT INTO local_passages VALUES (?, ?, ?, ?, ?)",
                (nonce, outcome.ticket_id.hex, direction.value, wire.time_to_wire(corrected_now), self.gate),
            )
        self._queue(
            wire.CheckInMutation(
                nonce=nonce,
                occurrence_ids=occurrence_ids,
                gate=self.gate,
                direction=direction,
                device_time=self.now(),
                local_status=outcome.status,
                local_reason=outcome.reason,
                payload=payload,
            )
        )
        return outcome

    def annul_offline(self, nonce: str) -> None:
        self._queue(wire.AnnulMutation(nonce=nonce, device_time=self.now()))

    def sell_offline(
        self,
        occurrence_id: uuid.UUID,
        ticket_type_id: uuid.UUID,
        quantity: int = 1,
        *,
        allotment_id: uuid.UUID | None = None,
        method: wire.PaymentMethod = wire.PaymentMethod.COMPLIMENTARY,
        names: Iterable[str] = (),
    ) -> tuple[wire.SaleMutation, list[str]]:
        """Issue tickets signed with this kiosk's key and queue the sale; answers the tokens handed out."""
        issued_at = self.now()
        occurrence = self.rows("occurrences", "WHERE id = ?", [occurrence_id.hex])[0]
        start = wire.time_from_wire(occurrence["start_at"], "start_at")
        end = wire.time_from_wire(occurrence["end_at"], "end_at")
        tickets = []
        tokens = []
        names = list(names)
        for index in range(quantity):
            ticket_id = uuid.uuid4()
            claims = TicketClaims(
                ticket_id,
                occurrence_id,
                ticket_type_id,
                start - timedelta(hours=24),
                end + timedelta(hours=6),
                issued_at,
            )
            token = sign_ticket(claims, key=self.key)
            tokens.append(token)
            tickets.append(
                wire.SoldTicket(ticket_id, new_confirmation_code(), token, names[index] if index < len(names) else "")
            )
        sale = wire.SaleMutation(
            order_id=uuid.uuid4(),
            occurrence_id=occurrence_id,
            ticket_type_id=ticket_type_id,
            tickets=tuple(tickets),
            payment_method=method,
            device_time=issued_at,
            allotment_id=allotment_id,
            cash_tendered_cents=100_000 if method is wire.PaymentMethod.CASH else None,
        )
        self._queue(sale)
        return sale, tokens

    def push(self, mutations: list[wire.Mutation] | None = None) -> wire.PushResponse:
        batch = self.outbox if mutations is None else mutations
        sent_at = self.now()
        response = self.http.post(wire.Path.PUSH, json=wire.encode_push_request(batch), headers=self.headers())
        self._check_wipe(response)
        assert response.status_code == 200, response.text
        answer = wire.decode_push_response(response.json())
        self._learn_clock(sent_at, answer.server_time)
        for result in answer.results:
            self.results[result.id] = result
        final = {result.id for result in answer.results if result.final}
        self.outbox = [mutation for mutation in self.outbox if mutation.id not in final]
        return answer

    def sync(self) -> None:
        """Upload first, then download (what the kiosk's sync engine does)."""
        if self.outbox:
            self.push()
        self.pull_all()

    def check_in_status(self, result: wire.MutationResult) -> CheckInStatus | None:
        return result.outcome.status if result.outcome else None
