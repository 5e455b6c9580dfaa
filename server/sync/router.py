"""HTTP for sync: the device's pull and push, and the organizer's conflict report and devices' last sync."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from server.deps import CanManageEvents, ClockDep, CurrentDevice, DbSession, SettingsDep
from server.devices.router import WireBody, decoded, wire_response
from server.sync import push as push_batches
from server.sync import service
from server.sync.pull import compress
from shared import wire

router = APIRouter(tags=["sync"])
device_router = APIRouter(prefix="/device/sync", tags=["device"])


@device_router.get("/pull")
def pull(
    request: Request,
    device: CurrentDevice,
    session: DbSession,
    clock: ClockDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=wire.MAX_PULL_LIMIT)] = wire.DEFAULT_PULL_LIMIT,
    accept_encoding: Annotated[str | None, Header()] = None,
) -> Response:
    """The next page of changes after ``cursor`` (none: from the start), for ``wire.decode_pull_page``. gzip when
    accepted. Pull again at once while ``more`` is true."""
    page = service.pull(
        session=session,
        device=device,
        cursor=cursor,
        limit=limit,
        clock=wire.read_clock_headers(request.headers),
        now=clock(),
    )
    body, headers = compress(page.body, accept_encoding)
    headers["Usher-Rows"] = str(page.rows)
    return Response(body, media_type="application/json", headers=headers)


@device_router.post("/push")
def push(
    request: Request, body: WireBody, device: CurrentDevice, session: DbSession, clock: ClockDep, settings: SettingsDep
) -> Response:
    """Queued mutations (``wire.encode_push_request``), applied once each in sequence order; one result each."""
    envelope = decoded(wire.decode_push_request, body)
    response = push_batches.push(
        session=session,
        device_id=device.id,
        envelope=envelope,
        clock=wire.read_clock_headers(request.headers),
        now=clock(),
        secret_key=settings.secret_key.get_secret_value(),
    )
    return wire_response(wire.encode_push_response(response))


@router.get("/occurrences/{occurrence_id}/conflicts")
def conflict_report(
    occurrence_id: uuid.UUID, session: DbSession, principal: CanManageEvents, include_resolved: bool = False
) -> list[dict[str, Any]]:
    """What the server overruled or flagged at this occurrence: duplicate entries, admissions of refused tickets,
    offline sales it could not honour."""
    return service.conflict_report(
        session=session, org_id=principal.org_id, occurrence_id=occurrence_id, include_resolved=include_resolved
    )


class ConflictResolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: str = Field(min_length=1, max_length=500, examples=["refunded at the desk"])


@router.post("/conflicts/{conflict_id}/resolve")
def resolve_conflict(
    conflict_id: uuid.UUID,
    body: Annotated[ConflictResolution, Body()],
    session: DbSession,
    clock: ClockDep,
    principal: CanManageEvents,
) -> dict[str, Any]:
    return service.resolve_conflict(
        session=session, org_id=principal.org_id, conflict_id=conflict_id, resolution=body.resolution, now=clock()
    )


@router.get("/occurrences/{occurrence_id}/devices")
def devices_of_occurrence(occurrence_id: uuid.UUID, session: DbSession, principal: CanManageEvents) -> list[Any]:
    """The devices serving this occurrence and when each last synced."""
    return service.devices_of_occurrence(session=session, org_id=principal.org_id, occurrence_id=occurrence_id)
