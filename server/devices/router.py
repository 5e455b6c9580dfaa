"""HTTP for devices: organizers create, list, rename and revoke them; kiosks pair, ask who they are, and take
and release seat allotments. Device endpoints speak ``shared.wire``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from server.deps import CanManageEvents, ClockDep, CurrentDevice, DbSession, SettingsDep
from server.devices import allotments, service
from server.devices.models import SeatAllotment
from server.devices.schemas import DeviceCreate, DeviceRead, DeviceUpdate, PairingCodeRead
from server.devices.scope import resolve_scope
from server.errors import Forbidden, InvalidInput
from shared import wire

router = APIRouter(tags=["devices"])
device_router = APIRouter(prefix="/device", tags=["device"])

WireBody = Annotated[dict[str, Any], Body(description="A message of the sync protocol (shared/wire.py).")]


def wire_response(document: dict[str, Any], status_code: int = 200) -> Response:
    return Response(wire.dumps(document), status_code=status_code, media_type="application/json")


def decoded(decoder: Any, body: Any) -> Any:
    try:
        return decoder(body)
    except wire.WireError as error:
        raise InvalidInput(wire.Problem.VALIDATION_ERROR, str(error), field=error.path) from None


def _pairing(device: Any, code: str) -> PairingCodeRead:
    return PairingCodeRead(
        device=DeviceRead.model_validate(device), pairing_code=code, pairing_expires_at=device.pairing_expires_at
    )


@router.post("/devices", response_model=PairingCodeRead, status_code=status.HTTP_201_CREATED)
def create_device(
    body: DeviceCreate, session: DbSession, clock: ClockDep, settings: SettingsDep, principal: CanManageEvents
) -> PairingCodeRead:
    """A kiosk-to-be, with the one-time pairing code to type into it (valid 15 minutes)."""
    device, code = service.create_device(
        session=session,
        org_id=principal.org_id,
        name=body.name,
        role=body.role,
        event_ids=body.event_ids,
        occurrence_ids=body.occurrence_ids,
        created_by_token_id=principal.token_id,
        secret_key=settings.secret_key.get_secret_value(),
        now=clock(),
    )
    return _pairing(device, code)


@router.post("/devices/pair", status_code=status.HTTP_201_CREATED)
def pair_device(body: WireBody, session: DbSession, clock: ClockDep, settings: SettingsDep) -> Response:
    """The kiosk redeems its pairing code (``wire.encode_pair_request``); the device token is in the answer once."""
    request = decoded(wire.decode_pair_request, body)
    response = service.pair_device(
        session=session, request=request, secret_key=settings.secret_key.get_secret_value(), now=clock()
    )
    return wire_response(wire.encode_pair_response(response), status.HTTP_201_CREATED)


@router.get("/devices", response_model=list[DeviceRead])
def list_devices(session: DbSession, principal: CanManageEvents) -> list[Any]:
    return list(service.list_devices(session=session, org_id=principal.org_id))


@router.post("/devices/{device_id}/pairing-code", response_model=PairingCodeRead)
def renew_pairing_code(
    device_id: uuid.UUID, session: DbSession, clock: ClockDep, settings: SettingsDep, principal: CanManageEvents
) -> PairingCodeRead:
    device, code = service.renew_pairing_code(
        session=session,
        org_id=principal.org_id,
        device_id=device_id,
        secret_key=settings.secret_key.get_secret_value(),
        now=clock(),
    )
    return _pairing(device, code)


@router.patch("/devices/{device_id}", response_model=DeviceRead)
def update_device(
    device_id: uuid.UUID, body: DeviceUpdate, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> Any:
    """Rename the device or change what it serves (its next pull then starts over)."""
    return service.update_device(
        session=session,
        org_id=principal.org_id,
        device_id=device_id,
        name=body.name,
        event_ids=body.event_ids,
        occurrence_ids=body.occurrence_ids,
        now=clock(),
    )


@router.post("/devices/{device_id}/revoke", response_model=DeviceRead)
def revoke_device(device_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanManageEvents) -> Any:
    """For good: its next call tells it to wipe itself, and its unused allotment seats go back on sale."""
    return service.revoke_device(session=session, org_id=principal.org_id, device_id=device_id, now=clock())


# --- the device's own calls ---------------------------------------------------------------------------------------


@device_router.get("/me")
def who_am_i(device: CurrentDevice, clock: ClockDep) -> Response:
    """The device as the server knows it (also a cheap way to learn that it was revoked)."""
    return wire_response(
        {
            "v": wire.WIRE_VERSION,
            "device_id": device.id.hex,
            "org_id": device.org_id.hex,
            "name": device.name,
            "role": device.role.value,
            "key_id": device.key_id,
            "event_ids": [uuid.UUID(value).hex for value in device.event_ids],
            "occurrence_ids": [uuid.UUID(value).hex for value in device.occurrence_ids],
            "last_applied_seq": device.last_applied_seq,
            "server_time": wire.time_to_wire(clock()),
        }
    )


def _allotment(row: SeatAllotment) -> wire.Allotment:
    return wire.Allotment(
        id=row.id,
        occurrence_id=row.event_occurrence_id,
        ticket_type_id=row.ticket_type_id,
        seats=row.seats,
        seats_used=row.seats_used,
        status=row.status.value,
    )


@device_router.post("/allotments", status_code=status.HTTP_201_CREATED)
def request_allotment(body: WireBody, device: CurrentDevice, session: DbSession, clock: ClockDep) -> Response:
    """A block of seats to sell from offline (``wire.encode_allotment_request``); 409 ``sold_out`` if they do not
    fit."""
    request = decoded(wire.decode_allotment_request, body)
    if device.role is not wire.DeviceRole.BOX_OFFICE:
        raise Forbidden(wire.Problem.ROLE_NOT_ALLOWED, "Only a box-office device holds seat allotments.")
    resolve_scope(session, device).require([request.occurrence_id], field="occurrence_id")
    row = allotments.request_allotment(
        session=session,
        device=device,
        occurrence_id=request.occurrence_id,
        seats=request.seats,
        ticket_type_id=request.ticket_type_id,
        now=clock(),
    )
    return wire_response(wire.encode_allotment(_allotment(row)), status.HTTP_201_CREATED)


@device_router.post("/allotments/{allotment_id}/release")
def release_allotment(allotment_id: uuid.UUID, device: CurrentDevice, session: DbSession, clock: ClockDep) -> Response:
    """Give the unused seats back."""
    row = allotments.release_allotment(session=session, device=device, allotment_id=allotment_id, now=clock())
    return wire_response(wire.encode_allotment(_allotment(row)))
