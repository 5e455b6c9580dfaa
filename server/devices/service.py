"""Devices: created by organizers, paired with a one-time code, authenticated by their token, revoked for good."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.devices import allotments, keys
from server.devices.models import AllotmentStatus, Device
from server.errors import Conflict, Gone, InvalidInput, NotFound, Unauthenticated
from server.events.models import EventDefinition, EventOccurrence
from server.tenancy.tokens import hash_token, new_token_secret
from shared.codes import CODE_ALPHABET
from shared.wire import DEVICE_TOKEN_PREFIX, DeviceRole, PairRequest, PairResponse, Problem, ReportedClock

PAIRING_CODE_LENGTH = 8  # 31^8: about 40 bits, for a code that lives 15 minutes and is used once
PAIRING_TTL = timedelta(minutes=15)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def new_pairing_code() -> str:
    """``K7MX-Q2P9``: the confirmation-code alphabet (no 0/O, 1/I/L), read out or typed on a kiosk."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_pairing_code(text: str) -> str:
    return text.translate(str.maketrans("", "", " -\t")).upper()


def hash_pairing_code(code: str, *, secret_key: str) -> str:
    """Keyed, so a copy of the database alone does not let anyone test guesses offline."""
    return hmac.new(secret_key.encode(), normalize_pairing_code(code).encode(), hashlib.sha256).hexdigest()


def _check_scope(
    session: Session, *, org_id: uuid.UUID, event_ids: list[uuid.UUID], occurrence_ids: list[uuid.UUID]
) -> None:
    if not event_ids and not occurrence_ids:
        raise InvalidInput("scope_empty", "Name the events or occurrences this device serves.", field="event_ids")
    for model, ids, field in (
        (EventDefinition, event_ids, "event_ids"),
        (EventOccurrence, occurrence_ids, "occurrence_ids"),
    ):
        found = set(session.scalars(sa.select(model.id).where(model.org_id == org_id, model.id.in_(ids))))
        missing = [value for value in ids if value not in found]
        if missing:
            raise NotFound("scope_not_found", f"No such {field[:-4].replace('_', ' ')}: {missing[0]}.", field=field)


def _issue_pairing_code(device: Device, *, secret_key: str, now: datetime, ttl: timedelta) -> str:
    code = new_pairing_code()
    device.pairing_code_hash = hash_pairing_code(code, secret_key=secret_key)
    device.pairing_expires_at = now + ttl
    device.updated_at = now
    return code


def create_device(
    *,
    session: Session,
    org_id: uuid.UUID,
    name: str,
    role: DeviceRole,
    event_ids: list[uuid.UUID],
    occurrence_ids: list[uuid.UUID],
    created_by_token_id: uuid.UUID | None,
    secret_key: str,
    now: datetime,
    ttl: timedelta = PAIRING_TTL,
) -> tuple[Device, str]:
    """A device waiting to be paired, and its one-time pairing code (shown once). Commits."""
    _check_scope(session, org_id=org_id, event_ids=event_ids, occurrence_ids=occurrence_ids)
    device = Device(
        org_id=org_id,
        name=name,
        role=role,
        event_ids=sorted({str(value) for value in event_ids}),
        occurrence_ids=sorted({str(value) for value in occurrence_ids}),
        scope_version=1,
        last_applied_seq=0,
        created_by_token_id=created_by_token_id,
        created_at=now,
        updated_at=now,
    )
    session.add(device)
    code = _issue_pairing_code(device, secret_key=secret_key, now=now, ttl=ttl)
    session.commit()
    return device, code


def get_device(*, session: Session, org_id: uuid.UUID, device_id: uuid.UUID) -> Device:
    device = session.scalar(sa.select(Device).where(Device.id == device_id, Device.org_id == org_id))
    if device is None:
        raise NotFound("device_not_found", "No such device.")
    return device


def renew_pairing_code(
    *, session: Session, org_id: uuid.UUID, device_id: uuid.UUID, secret_key: str, now: datetime
) -> tuple[Device, str]:
    """A fresh code for a device that has not paired yet; the previous code stops working. Commits."""
    device = get_device(session=session, org_id=org_id, device_id=device_id)
    if device.revoked_at is not None:
        raise Conflict("device_revoked", "This device was revoked; create a new one.")
    if device.paired_at is not None:
        raise Conflict("device_already_paired", "This device is paired; revoke it and create a new one to re-pair.")
    code = _issue_pairing_code(device, secret_key=secret_key, now=now, ttl=PAIRING_TTL)
    session.commit()
    return device, code


def pair_device(*, session: Session, request: PairRequest, secret_key: str, now: datetime) -> PairResponse:
    """Redeem a pairing code: the device token (shown once) for the kiosk's public key. Commits."""
    code_hash = hash_pairing_code(request.pairing_code, secret_key=secret_key)
    statement = sa.select(Device).where(Device.pairing_code_hash == code_hash).with_for_update()
    device = session.scalars(statement).first()
    if (
        device is None
        or device.revoked_at is not None
        or device.pairing_expires_at is None
        or device.pairing_expires_at <= now
    ):
        session.rollback()
        raise NotFound(Problem.PAIRING_CODE_INVALID, "This pairing code is unknown, used or expired.")
    key_id = keys.free_key_id(session, device.org_id, request.public_key)
    secret = new_token_secret(DEVICE_TOKEN_PREFIX)
    device.token_hash = hash_token(secret)
    device.public_key = request.public_key
    device.key_id = key_id.hex()
    device.software = request.software[:200] or None
    device.pairing_code_hash = None
    device.pairing_expires_at = None
    device.paired_at = now
    device.last_seen_at = now
    device.updated_at = now
    session.commit()
    return PairResponse(
        device_id=device.id,
        org_id=device.org_id,
        name=device.name,
        role=device.role,
        device_token=secret,
        key_id=key_id,
        event_ids=tuple(sorted(uuid.UUID(value) for value in device.event_ids)),
        occurrence_ids=tuple(sorted(uuid.UUID(value) for value in device.occurrence_ids)),
        server_time=now,
    )


def authenticate_device(*, session: Session, secret: str, now: datetime) -> Device:
    """The device holding ``secret``. A revoked device is told to wipe itself, on every call from then on."""
    device = session.scalar(sa.select(Device).where(Device.token_hash == hash_token(secret)))
    if device is None:
        raise Unauthenticated(Problem.INVALID_DEVICE_TOKEN, "The device token is unknown.")
    if device.revoked_at is not None:
        if device.wipe_sent_at is None:
            session.execute(sa.update(Device).where(Device.id == device.id).values(wipe_sent_at=now))
            session.commit()
        raise Gone(
            Problem.DEVICE_REVOKED,
            "This device was revoked: erase its replica and queued data, and pair it again to use it.",
            wipe=True,
        )
    if device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_RESOLUTION:
        session.execute(sa.update(Device).where(Device.id == device.id).values(last_seen_at=now))
        session.commit()
    return device


def record_contact(
    *, session: Session, device_id: uuid.UUID, clock: ReportedClock, now: datetime, pulled: bool, pushed: bool
) -> None:
    """Last sync times and the device's clock offset: the device's own round-trip estimate when it sent one, else
    the server's one-way estimate from the device's send time. In the caller's transaction."""
    values: dict[str, object] = {"last_seen_at": now}
    if pulled:
        values["last_pull_at"] = now
    if pushed:
        values["last_push_at"] = now
    if clock.offset is not None:
        values["clock_offset_ms"] = clock.offset.offset // timedelta(milliseconds=1)
        values["clock_uncertainty_ms"] = clock.offset.uncertainty // timedelta(milliseconds=1)
    elif clock.device_time is not None:
        values["clock_offset_ms"] = (now - clock.device_time) // timedelta(milliseconds=1)
        values["clock_uncertainty_ms"] = None
    session.execute(sa.update(Device).where(Device.id == device_id).values(**values))


def list_devices(*, session: Session, org_id: uuid.UUID) -> list[Device]:
    return list(session.scalars(sa.select(Device).where(Device.org_id == org_id).order_by(Device.created_at)))


def update_device(
    *,
    session: Session,
    org_id: uuid.UUID,
    device_id: uuid.UUID,
    name: str | None,
    event_ids: list[uuid.UUID] | None,
    occurrence_ids: list[uuid.UUID] | None,
    now: datetime,
) -> Device:
    """Rename, or change the scope (which makes the device's next pull start over). Commits."""
    device = get_device(session=session, org_id=org_id, device_id=device_id)
    if name is not None:
        device.name = name
    if event_ids is not None or occurrence_ids is not None:
        new_events = event_ids if event_ids is not None else [uuid.UUID(v) for v in device.event_ids]
        new_occurrences = (
            occurrence_ids if occurrence_ids is not None else [uuid.UUID(v) for v in device.occurrence_ids]
        )
        _check_scope(session, org_id=org_id, event_ids=new_events, occurrence_ids=new_occurrences)
        stored_events = sorted({str(value) for value in new_events})
        stored_occurrences = sorted({str(value) for value in new_occurrences})
        if (stored_events, stored_occurrences) != (device.event_ids, device.occurrence_ids):
            device.event_ids = stored_events
            device.occurrence_ids = stored_occurrences
            device.scope_version += 1
    device.updated_at = now
    session.commit()
    return device


def revoke_device(*, session: Session, org_id: uuid.UUID, device_id: uuid.UUID, now: datetime) -> Device:
    """Revoke for good: its next call is told to wipe, its key stops vouching for tokens issued from now on, and
    its unused allotment seats go back on sale. Idempotent. Commits."""
    device = session.scalars(
        sa.select(Device).where(Device.id == device_id, Device.org_id == org_id).with_for_update()
    ).first()
    if device is None:
        raise NotFound("device_not_found", "No such device.")
    if device.revoked_at is None:
        device.revoked_at = now
        device.pairing_code_hash = None
        device.pairing_expires_at = None
        device.updated_at = now
        allotments.end_device_allotments(session, device_id=device.id, status=AllotmentStatus.RECLAIMED, now=now)
    session.commit()
    return device
