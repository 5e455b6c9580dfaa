"""Requests and answers: pairing, redeem, push mutations and results, seat allotments."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.checkin import (
    CheckInOutcome,
    CheckInStatus,
    RefusalReason,
)
from shared.passages import Direction, Passage
from shared.qrtoken import TokenStatus
from shared.wire.codec import (
    MAX_PUSH_BATCH,
    WIRE_VERSION,
    DeviceRole,
    WireError,
    _bool,
    _enum,
    _field,
    _ids,
    _int,
    _list,
    _object,
    _str,
    id_from_wire,
    time_from_wire,
    time_to_wire,
)

# --- pairing --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairRequest:
    """The one-time code the organizer gave, and the public half of the key the kiosk generated for itself
    (``shared.qrtoken.SigningKey.generate()``): the key that signs its offline box-office sales."""

    pairing_code: str
    public_key: bytes
    software: str = ""


def encode_pair_request(request: PairRequest) -> dict[str, Any]:
    return {"pairing_code": request.pairing_code, "public_key": request.public_key.hex(), "software": request.software}


def decode_pair_request(document: object) -> PairRequest:
    body = _object(document, "")
    code = _str(body, "pairing_code", "", max_length=40)
    raw_key = _str(body, "public_key", "", max_length=64)
    try:
        public_key = bytes.fromhex(raw_key)
    except ValueError:
        raise WireError("public_key", "must be 64 hex digits (a raw Ed25519 public key)") from None
    if len(public_key) != 32:
        raise WireError("public_key", "must be 64 hex digits (a raw Ed25519 public key)")
    return PairRequest(code, public_key, _str(body, "software", "", max_length=200, optional=True) or "")


@dataclass(frozen=True)
class PairResponse:
    """``device_token`` is shown this once. ``key_id`` is the id the device's tokens must carry: use
    ``SigningKey.from_private_bytes(raw, key_id=key_id)`` (it is the key's default id unless that clashed)."""

    device_id: uuid.UUID
    org_id: uuid.UUID
    name: str
    role: DeviceRole
    device_token: str
    key_id: bytes
    event_ids: tuple[uuid.UUID, ...]
    occurrence_ids: tuple[uuid.UUID, ...]
    server_time: datetime


def encode_pair_response(response: PairResponse) -> dict[str, Any]:
    return {
        "v": WIRE_VERSION,
        "device_id": response.device_id.hex,
        "org_id": response.org_id.hex,
        "name": response.name,
        "role": response.role.value,
        "device_token": response.device_token,
        "key_id": response.key_id.hex(),
        "event_ids": [value.hex for value in response.event_ids],
        "occurrence_ids": [value.hex for value in response.occurrence_ids],
        "server_time": time_to_wire(response.server_time),
    }


def decode_pair_response(document: object) -> PairResponse:
    body = _object(document, "")
    try:
        key_id = bytes.fromhex(_str(body, "key_id", "", max_length=8))
    except ValueError:
        raise WireError("key_id", "must be 8 hex digits") from None
    return PairResponse(
        device_id=id_from_wire(_field(body, "device_id", ""), "device_id"),
        org_id=id_from_wire(_field(body, "org_id", ""), "org_id"),
        name=_str(body, "name", ""),
        role=_enum(DeviceRole, body, "role", ""),
        device_token=_str(body, "device_token", ""),
        key_id=key_id,
        event_ids=_ids(body, "event_ids", ""),
        occurrence_ids=_ids(body, "occurrence_ids", ""),
        server_time=time_from_wire(_field(body, "server_time", ""), "server_time"),
    )


# --- redeem (online check-in) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedeemRequest:
    """One scan, decided by the server now. ``payload``: the scanned token or the typed confirmation code.
    ``occurrence_ids``: what this gate admits to (within the device's scope). ``nonce``: random, made by the device
    for this scan; the same nonce again returns the stored outcome, and an offline upload of the scan after a
    timeout must carry it too. ``ticket_id`` instead of a payload: staff picked the ticket in attendee search."""

    nonce: str
    occurrence_ids: tuple[uuid.UUID, ...]
    gate: str
    direction: Direction
    device_time: datetime
    payload: str | None = None
    ticket_id: uuid.UUID | None = None


def _encode_scan(request: RedeemRequest | CheckInMutation) -> dict[str, Any]:
    return {
        "nonce": request.nonce,
        "occurrence_ids": [value.hex for value in request.occurrence_ids],
        "gate": request.gate,
        "direction": request.direction.value,
        "device_time": time_to_wire(request.device_time),
        "payload": request.payload,
        "ticket_id": None if request.ticket_id is None else request.ticket_id.hex,
    }


def _decode_scan_fields(body: Mapping[str, Any], path: str) -> dict[str, Any]:
    nonce = _str(body, "nonce", path, max_length=100)
    if len(nonce) < 8:
        raise WireError(f"{path}nonce", "must have at least 8 characters (use a random id)")
    occurrence_ids = _ids(body, "occurrence_ids", path, max_items=50)
    if not occurrence_ids:
        raise WireError(f"{path}occurrence_ids", "name at least one occurrence this gate admits to")
    payload = _str(body, "payload", path, max_length=1000, optional=True)
    raw_ticket = body.get("ticket_id")
    ticket_id = None if raw_ticket is None else id_from_wire(raw_ticket, f"{path}ticket_id")
    if (payload is None) == (ticket_id is None):
        raise WireError(f"{path}payload", "give either the scanned payload or the ticket_id")
    return {
        "nonce": nonce,
        "occurrence_ids": occurrence_ids,
        "gate": _str(body, "gate", path, max_length=100),
        "direction": _enum(Direction, body, "direction", path),
        "device_time": time_from_wire(_field(body, "device_time", path), f"{path}device_time"),
        "payload": payload,
        "ticket_id": ticket_id,
    }


def encode_redeem_request(request: RedeemRequest) -> dict[str, Any]:
    return _encode_scan(request)


def decode_redeem_request(document: object) -> RedeemRequest:
    return RedeemRequest(**_decode_scan_fields(_object(document, ""), ""))


def encode_outcome(outcome: CheckInOutcome) -> dict[str, Any]:
    previous = outcome.previous_entry
    return {
        "status": outcome.status.value,
        "direction": outcome.direction.value,
        "reason": None if outcome.reason is None else outcome.reason.value,
        "ticket_id": None if outcome.ticket_id is None else outcome.ticket_id.hex,
        "holder_name": outcome.holder_name,
        "ticket_type_name": outcome.ticket_type_name,
        "notes": list(outcome.notes),
        "previous_entry": None
        if previous is None
        else {
            "at": time_to_wire(previous.at),
            "gate": previous.gate,
            "device_id": previous.device_id.hex,
        },
        "token_status": None if outcome.token_status is None else outcome.token_status.value,
        "ticket_on_record": outcome.ticket_on_record,
    }


def decode_outcome(document: object, path: str = "outcome.") -> CheckInOutcome:
    body = _object(document, path)
    direction = _enum(Direction, body, "direction", path)
    ticket_raw = body.get("ticket_id")
    ticket_id = None if ticket_raw is None else id_from_wire(ticket_raw, f"{path}ticket_id")
    previous_raw = body.get("previous_entry")
    previous = None
    if previous_raw is not None:
        entry = _object(previous_raw, f"{path}previous_entry")
        if ticket_id is None:
            raise WireError(f"{path}previous_entry", "needs the ticket_id")
        previous = Passage(
            ticket_id=ticket_id,
            direction=Direction.ENTRY,
            at=time_from_wire(_field(entry, "at", f"{path}previous_entry."), f"{path}previous_entry.at"),
            gate=_str(entry, "gate", f"{path}previous_entry."),
            device_id=id_from_wire(_field(entry, "device_id", f"{path}previous_entry."), f"{path}previous_entry."),
        )
    reason = None if body.get("reason") is None else _enum(RefusalReason, body, "reason", path)
    token_status = None if body.get("token_status") is None else _enum(TokenStatus, body, "token_status", path)
    notes = _list(body.get("notes", []), f"{path}notes", max_items=100)
    return CheckInOutcome(
        status=_enum(CheckInStatus, body, "status", path),
        direction=direction,
        reason=reason,
        ticket_id=ticket_id,
        holder_name=_str(body, "holder_name", path, optional=True),
        ticket_type_name=_str(body, "ticket_type_name", path, optional=True),
        notes=tuple(str(note) for note in notes),
        previous_entry=previous,
        token_status=token_status,
        ticket_on_record=_bool(body, "ticket_on_record", path, default=True),
    )


@dataclass(frozen=True)
class EventLabel:
    """Which event a ticket is for, in words a door can say: the title, when it starts and in which zone."""

    title: str
    start_at: datetime
    timezone: str


@dataclass(frozen=True)
class RedeemResponse:
    """``check_in_id``: the logged attempt (an annulment names it by the nonce). ``replayed``: this nonce was seen
    before and this is the outcome stored then; nothing changed. ``ticket_event``: for ``wrong_occurrence``, the
    event the ticket is for, which the kiosk may not hold (it is outside the device's scope)."""

    outcome: CheckInOutcome
    check_in_id: uuid.UUID
    server_time: datetime
    replayed: bool = False
    ticket_event: EventLabel | None = None


def encode_redeem_response(response: RedeemResponse) -> dict[str, Any]:
    document: dict[str, Any] = {
        "v": WIRE_VERSION,
        "outcome": encode_outcome(response.outcome),
        "check_in_id": response.check_in_id.hex,
        "server_time": time_to_wire(response.server_time),
        "replayed": response.replayed,
    }
    label = response.ticket_event
    if label is not None:
        document["ticket_event"] = {
            "title": label.title,
            "start_at": time_to_wire(label.start_at),
            "timezone": label.timezone,
        }
    return document


def _event_label(document: object, path: str) -> EventLabel:
    body = _object(document, path)
    prefix = path + "."
    return EventLabel(
        title=_str(body, "title", prefix, max_length=300),
        start_at=time_from_wire(_field(body, "start_at", prefix), prefix + "start_at"),
        timezone=_str(body, "timezone", prefix, max_length=100),
    )


def decode_redeem_response(document: object) -> RedeemResponse:
    body = _object(document, "")
    label = body.get("ticket_event")
    return RedeemResponse(
        outcome=decode_outcome(_field(body, "outcome", "")),
        check_in_id=id_from_wire(_field(body, "check_in_id", ""), "check_in_id"),
        server_time=time_from_wire(_field(body, "server_time", ""), "server_time"),
        replayed=_bool(body, "replayed", "", default=False),
        ticket_event=None if label is None else _event_label(label, "ticket_event"),
    )


# --- push (queued mutations) ----------------------------------------------------------------------------------------


class MutationKind(StrEnum):
    CHECK_IN = "check_in"
    ANNUL = "annul"
    SALE = "sale"
    ATTENDEE_EDIT = "attendee_edit"


@dataclass(frozen=True)
class CheckInMutation:
    """A scan the kiosk decided offline (or could not get an online answer for). The same fields as a redeem,
    plus what the kiosk decided: every attempt is uploaded, refused ones too (the check-in log keeps them)."""

    nonce: str
    occurrence_ids: tuple[uuid.UUID, ...]
    gate: str
    direction: Direction
    device_time: datetime
    local_status: CheckInStatus
    local_reason: RefusalReason | None = None
    payload: str | None = None
    ticket_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AnnulMutation:
    """Undo this device's own check-in, named by its nonce, within the annul window (``shared.passages``)."""

    nonce: str
    device_time: datetime


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD_TERMINAL = "card_terminal"
    COMPLIMENTARY = "complimentary"


@dataclass(frozen=True)
class SoldTicket:
    """A ticket the kiosk issued: its id, confirmation code and token are the kiosk's (the token signed with the
    device key), printed or shown before the server heard of them, so the server keeps them as they are."""

    id: uuid.UUID
    confirmation_code: str
    token: str
    given_name: str = ""
    family_name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class SaleMutation:
    """A box-office sale. ``order_id`` is chosen by the kiosk. ``allotment_id``: the allotment it was sold from
    (offline: it must have been; beyond it, ``override`` says a supervisor allowed a provisional sale)."""

    order_id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    tickets: tuple[SoldTicket, ...]
    payment_method: PaymentMethod
    device_time: datetime
    allotment_id: uuid.UUID | None = None
    cash_tendered_cents: int | None = None
    terminal_reference: str | None = None
    email: str | None = None
    override: bool = False


@dataclass(frozen=True)
class AttendeeEdit:
    """Correct the holder's details at the desk; fields left ``None`` stay as they are."""

    ticket_id: uuid.UUID
    device_time: datetime
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    notes: str | None = None


MutationBody = CheckInMutation | AnnulMutation | SaleMutation | AttendeeEdit

_KIND_OF: dict[type[Any], MutationKind] = {
    CheckInMutation: MutationKind.CHECK_IN,
    AnnulMutation: MutationKind.ANNUL,
    SaleMutation: MutationKind.SALE,
    AttendeeEdit: MutationKind.ATTENDEE_EDIT,
}


@dataclass(frozen=True)
class Mutation:
    """One entry of the outbox. ``id`` is random and made once; ``seq`` counts 1, 2, 3... per device with no gaps
    (the server applies them in that order, exactly once). ``clock_offset`` is the kiosk's best offset estimate
    when it recorded the mutation (``None``: the server uses the one it last measured for the device)."""

    id: uuid.UUID
    seq: int
    body: MutationBody
    clock_offset: timedelta | None = None

    @property
    def kind(self) -> MutationKind:
        return _KIND_OF[type(self.body)]


def _encode_body(body: MutationBody) -> dict[str, Any]:
    if isinstance(body, CheckInMutation):
        document = _encode_scan(body)
        document["local_status"] = body.local_status.value
        document["local_reason"] = None if body.local_reason is None else body.local_reason.value
        return document
    if isinstance(body, AnnulMutation):
        return {"nonce": body.nonce, "device_time": time_to_wire(body.device_time)}
    if isinstance(body, SaleMutation):
        return {
            "order_id": body.order_id.hex,
            "occurrence_id": body.occurrence_id.hex,
            "ticket_type_id": body.ticket_type_id.hex,
            "tickets": [
                {
                    "id": ticket.id.hex,
                    "confirmation_code": ticket.confirmation_code,
                    "token": ticket.token,
                    "given_name": ticket.given_name,
                    "family_name": ticket.family_name,
                    "email": ticket.email,
                }
                for ticket in body.tickets
            ],
            "payment_method": body.payment_method.value,
            "device_time": time_to_wire(body.device_time),
            "allotment_id": None if body.allotment_id is None else body.allotment_id.hex,
            "cash_tendered_cents": body.cash_tendered_cents,
            "terminal_reference": body.terminal_reference,
            "email": body.email,
            "override": body.override,
        }
    return {
        "ticket_id": body.ticket_id.hex,
        "device_time": time_to_wire(body.device_time),
        "given_name": body.given_name,
        "family_name": body.family_name,
        "email": body.email,
        "notes": body.notes,
    }


def encode_mutation(mutation: Mutation) -> dict[str, Any]:
    return {
        "id": mutation.id.hex,
        "seq": mutation.seq,
        "kind": mutation.kind.value,
        "clock_offset_ms": None
        if mutation.clock_offset is None
        else mutation.clock_offset // timedelta(milliseconds=1),
        "body": _encode_body(mutation.body),
    }


def _decode_body(kind: MutationKind, body: Mapping[str, Any], path: str) -> MutationBody:
    if kind is MutationKind.CHECK_IN:
        fields = _decode_scan_fields(body, path)
        local_reason = None if body.get("local_reason") is None else _enum(RefusalReason, body, "local_reason", path)
        return CheckInMutation(
            **fields, local_status=_enum(CheckInStatus, body, "local_status", path), local_reason=local_reason
        )
    device_time = time_from_wire(_field(body, "device_time", path), f"{path}device_time")
    if kind is MutationKind.ANNUL:
        return AnnulMutation(nonce=_str(body, "nonce", path, max_length=100), device_time=device_time)
    if kind is MutationKind.SALE:
        raw_tickets = _list(_field(body, "tickets", path), f"{path}tickets", max_items=100)
        if not raw_tickets:
            raise WireError(f"{path}tickets", "a sale has at least one ticket")
        tickets = []
        for index, raw in enumerate(raw_tickets):
            item_path = f"{path}tickets.{index}."
            item = _object(raw, item_path)
            tickets.append(
                SoldTicket(
                    id=id_from_wire(_field(item, "id", item_path), f"{item_path}id"),
                    confirmation_code=_str(item, "confirmation_code", item_path, max_length=40),
                    token=_str(item, "token", item_path, max_length=1000),
                    given_name=_str(item, "given_name", item_path, max_length=200, optional=True) or "",
                    family_name=_str(item, "family_name", item_path, max_length=200, optional=True),
                    email=_str(item, "email", item_path, max_length=320, optional=True),
                )
            )
        allotment_raw = body.get("allotment_id")
        return SaleMutation(
            order_id=id_from_wire(_field(body, "order_id", path), f"{path}order_id"),
            occurrence_id=id_from_wire(_field(body, "occurrence_id", path), f"{path}occurrence_id"),
            ticket_type_id=id_from_wire(_field(body, "ticket_type_id", path), f"{path}ticket_type_id"),
            tickets=tuple(tickets),
            payment_method=_enum(PaymentMethod, body, "payment_method", path),
            device_time=device_time,
            allotment_id=None if allotment_raw is None else id_from_wire(allotment_raw, f"{path}allotment_id"),
            cash_tendered_cents=_int(body, "cash_tendered_cents", path, minimum=0, optional=True),
            terminal_reference=_str(body, "terminal_reference", path, max_length=100, optional=True),
            email=_str(body, "email", path, max_length=320, optional=True),
            override=_bool(body, "override", path, default=False),
        )
    return AttendeeEdit(
        ticket_id=id_from_wire(_field(body, "ticket_id", path), f"{path}ticket_id"),
        device_time=device_time,
        given_name=_str(body, "given_name", path, max_length=200, optional=True),
        family_name=_str(body, "family_name", path, max_length=200, optional=True),
        email=_str(body, "email", path, max_length=320, optional=True),
        notes=_str(body, "notes", path, max_length=2000, optional=True),
    )


def decode_mutation(document: object, path: str = "") -> Mutation:
    envelope = _object(document, path)
    offset_ms = _int(envelope, "clock_offset_ms", path, optional=True)
    kind = _enum(MutationKind, envelope, "kind", path)
    return Mutation(
        id=id_from_wire(_field(envelope, "id", path), f"{path}id"),
        seq=_int(envelope, "seq", path, minimum=1),
        body=_decode_body(kind, _object(_field(envelope, "body", path), f"{path}body"), f"{path}body."),
        clock_offset=None if offset_ms is None else timedelta(milliseconds=offset_ms),
    )


def encode_push_request(mutations: Sequence[Mutation]) -> dict[str, Any]:
    return {"v": WIRE_VERSION, "mutations": [encode_mutation(mutation) for mutation in mutations]}


@dataclass(frozen=True)
class PushEnvelope:
    """A push as the server first reads it: each mutation decoded, or the ``WireError`` that made it undecodable
    (its id and seq are still read when they can be, so the server can reject it permanently and move on)."""

    mutations: tuple[Mutation | UndecodableMutation, ...]


@dataclass(frozen=True)
class UndecodableMutation:
    id: uuid.UUID
    seq: int
    error: WireError


def decode_push_request(document: object) -> PushEnvelope:
    body = _object(document, "")
    raw = _list(_field(body, "mutations", ""), "mutations", max_items=MAX_PUSH_BATCH)
    decoded: list[Mutation | UndecodableMutation] = []
    for index, item in enumerate(raw):
        path = f"mutations.{index}."
        try:
            decoded.append(decode_mutation(item, path))
        except WireError as error:
            envelope = _object(item, path)
            # Without an id and a sequence number nothing can be stored for it: the whole request is refused.
            mutation_id = id_from_wire(_field(envelope, "id", path), f"{path}id")
            seq = _int(envelope, "seq", path, minimum=1)
            decoded.append(UndecodableMutation(mutation_id, seq, error))
    return PushEnvelope(tuple(decoded))


class ResultStatus(StrEnum):
    APPLIED = "applied"  # done (possibly with a conflict recorded): final, drop it from the outbox
    REJECTED = "rejected"  # refused for good (invalid, over capacity...): final, show it to staff if it matters
    DEFERRED = "deferred"  # not applied now (a gap in the sequence, a server fault): send it again later


@dataclass(frozen=True)
class MutationResult:
    """The server's answer to one mutation, stored and returned again on replay.

    ``code``: why it was rejected or deferred (``over_capacity``, ``sequence_gap``, ``server_error``...).
    ``conflicts``: the ids of conflicts recorded while applying it (also pulled from the ``conflicts`` table).
    ``outcome``: for a check-in, the server's verdict; ``counted`` whether its passage counts (false for a
    duplicate entry). ``data``: kind-specific facts (a sale's order id, confirmation codes the server replaced)."""

    id: uuid.UUID
    seq: int
    status: ResultStatus
    code: str | None = None
    message: str | None = None
    conflicts: tuple[uuid.UUID, ...] = ()
    outcome: CheckInOutcome | None = None
    counted: bool | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status is not ResultStatus.DEFERRED


def encode_result(result: MutationResult) -> dict[str, Any]:
    return {
        "id": result.id.hex,
        "seq": result.seq,
        "status": result.status.value,
        "code": result.code,
        "message": result.message,
        "conflicts": [value.hex for value in result.conflicts],
        "outcome": None if result.outcome is None else encode_outcome(result.outcome),
        "counted": result.counted,
        "data": dict(result.data),
    }


def decode_result(document: object, path: str = "") -> MutationResult:
    body = _object(document, path)
    outcome_raw = body.get("outcome")
    counted = body.get("counted")
    data = body.get("data") or {}
    return MutationResult(
        id=id_from_wire(_field(body, "id", path), f"{path}id"),
        seq=_int(body, "seq", path, minimum=1),
        status=_enum(ResultStatus, body, "status", path),
        code=_str(body, "code", path, optional=True),
        message=_str(body, "message", path, max_length=2000, optional=True),
        conflicts=_ids(body, "conflicts", path),
        outcome=None if outcome_raw is None else decode_outcome(outcome_raw, f"{path}outcome."),
        counted=counted if isinstance(counted, bool) else None,
        data=dict(_object(data, f"{path}data")),
    )


@dataclass(frozen=True)
class PushResponse:
    """``last_applied_seq``: the highest sequence number the server has applied for this device; the outbox may
    forget everything up to it."""

    server_time: datetime
    results: tuple[MutationResult, ...]
    last_applied_seq: int


def encode_push_response(response: PushResponse) -> dict[str, Any]:
    return {
        "v": WIRE_VERSION,
        "server_time": time_to_wire(response.server_time),
        "last_applied_seq": response.last_applied_seq,
        "results": [encode_result(result) for result in response.results],
    }


def decode_push_response(document: object) -> PushResponse:
    body = _object(document, "")
    raw = _list(_field(body, "results", ""), "results", max_items=MAX_PUSH_BATCH)
    return PushResponse(
        server_time=time_from_wire(_field(body, "server_time", ""), "server_time"),
        results=tuple(decode_result(item, f"results.{index}.") for index, item in enumerate(raw)),
        last_applied_seq=_int(body, "last_applied_seq", "", minimum=0),
    )


# --- seat allotments ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllotmentRequest:
    occurrence_id: uuid.UUID
    seats: int
    ticket_type_id: uuid.UUID | None = None


def encode_allotment_request(request: AllotmentRequest) -> dict[str, Any]:
    return {
        "occurrence_id": request.occurrence_id.hex,
        "seats": request.seats,
        "ticket_type_id": None if request.ticket_type_id is None else request.ticket_type_id.hex,
    }


def decode_allotment_request(document: object) -> AllotmentRequest:
    body = _object(document, "")
    seats = _int(body, "seats", "", minimum=1)
    if seats > 10_000:
        raise WireError("seats", "must be at most 10000")
    raw_type = body.get("ticket_type_id")
    return AllotmentRequest(
        occurrence_id=id_from_wire(_field(body, "occurrence_id", ""), "occurrence_id"),
        seats=seats,
        ticket_type_id=None if raw_type is None else id_from_wire(raw_type, "ticket_type_id"),
    )


@dataclass(frozen=True)
class Allotment:
    id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID | None
    seats: int
    seats_used: int
    status: str

    @property
    def seats_left(self) -> int:
        return max(self.seats - self.seats_used, 0) if self.status == "active" else 0


def encode_allotment(allotment: Allotment) -> dict[str, Any]:
    return {
        "id": allotment.id.hex,
        "occurrence_id": allotment.occurrence_id.hex,
        "ticket_type_id": None if allotment.ticket_type_id is None else allotment.ticket_type_id.hex,
        "seats": allotment.seats,
        "seats_used": allotment.seats_used,
        "status": allotment.status,
    }


def decode_allotment(document: object) -> Allotment:
    body = _object(document, "")
    raw_type = body.get("ticket_type_id")
    return Allotment(
        id=id_from_wire(_field(body, "id", ""), "id"),
        occurrence_id=id_from_wire(_field(body, "occurrence_id", ""), "occurrence_id"),
        ticket_type_id=None if raw_type is None else id_from_wire(raw_type, "ticket_type_id"),
        seats=_int(body, "seats", "", minimum=0),
        seats_used=_int(body, "seats_used", "", minimum=0),
        status=_str(body, "status", ""),
    )
