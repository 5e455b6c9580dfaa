"""HTTP for check-in: the device's online redeem, and the organizer's view of an occurrence's doors."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Body, Query, Response

from server.bookings.capacity import json_with
from server.bookings.models import Ticket
from server.checkin import guest_list, service
from server.deps import CanManageEvents, CanViewAttendees, ClockDep, CurrentDevice, DbSession, SettingsDep
from server.devices import allotments
from server.devices.router import WireBody, decoded, wire_response
from server.errors import NotFound
from shared import wire

router = APIRouter(tags=["check-in"])
device_router = APIRouter(prefix="/device", tags=["device"])


@device_router.post("/check-ins/redeem")
def redeem(body: WireBody, device: CurrentDevice, session: DbSession, clock: ClockDep) -> Response:
    """Decide one scan now (``wire.encode_redeem_request``); the same nonce again answers the stored outcome."""
    request = decoded(wire.decode_redeem_request, body)
    response = service.redeem(session=session, device=device, request=request, now=clock())
    return wire_response(wire.encode_redeem_response(response))


@router.get("/occurrences/{occurrence_id}/check-in/attendees", response_model=None)
def attendee_list(
    occurrence_id: uuid.UUID,
    session: DbSession,
    principal: CanViewAttendees,
    format: Literal["json", "csv"] = Query(default="json"),
) -> Any:
    """Every ticket of the occurrence with its holder and check-in status, as JSON or CSV."""
    rows = service.attendee_list(session, org_id=principal.org_id, occurrence_id=occurrence_id)
    if format == "json":
        return rows
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=service.ATTENDEE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "notes": "; ".join(row["notes"])})
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="attendees-{occurrence_id}.csv"'},
    )


@router.get("/occurrences/{occurrence_id}/check-in/counters")
def counters(occurrence_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanViewAttendees) -> Any:
    """Live: sold, checked in, inside now, no-shows (once doors closed), seats held by device allotments."""
    return service.counters(session, org_id=principal.org_id, occurrence_id=occurrence_id, now=clock()).__dict__


@router.get("/occurrences/{occurrence_id}/check-in/log")
def check_in_log(
    occurrence_id: uuid.UUID,
    session: DbSession,
    principal: CanViewAttendees,
    limit: int = Query(default=1000, ge=1, le=10_000),
) -> Any:
    """Every attempt at the doors, accepted or refused, newest first."""
    return service.check_in_log(session, org_id=principal.org_id, occurrence_id=occurrence_id, limit=limit)


def _set_revoked(session: Any, org_id: uuid.UUID, ticket_id: uuid.UUID, now: Any, revoked: bool) -> dict[str, Any]:
    dialect = session.get_bind().dialect.name
    settings = (
        json_with(Ticket.settings, dialect, "revoked_at", now.isoformat())
        if revoked
        else (
            sa.cast(Ticket.settings.op("-")("revoked_at"), Ticket.settings.type)
            if dialect == "postgresql"
            else sa.func.json_remove(Ticket.settings, "$.revoked_at")
        )
    )
    row = session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.org_id == org_id)
        .values(settings=settings, updated_at=now)
        .returning(Ticket.id, Ticket.status)
    ).first()
    if row is None:
        session.rollback()
        raise NotFound("ticket_not_found", "No such ticket.")
    session.commit()
    return {"ticket_id": str(row.id), "status": row.status.value, "revoked": revoked}


@router.post("/tickets/{ticket_id}/revoke")
def revoke_ticket(ticket_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanManageEvents) -> Any:
    """Block the ticket at every door (a suspected copy, a dispute) without canceling the sale; kiosks learn it at
    their next pull."""
    return _set_revoked(session, principal.org_id, ticket_id, clock(), True)


@router.post("/tickets/{ticket_id}/unrevoke")
def unrevoke_ticket(ticket_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanManageEvents) -> Any:
    return _set_revoked(session, principal.org_id, ticket_id, clock(), False)


@router.post(
    "/occurrences/{occurrence_id}/guest-list",
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def import_guest_list(
    occurrence_id: uuid.UUID,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: CanManageEvents,
    body: str = Body(media_type="text/csv", max_length=2_000_000),
    dry_run: bool = Query(default=False),
) -> Any:
    """A CSV guest list as complimentary tickets (columns in ``server/checkin/guest_list.py``). ``dry_run``: what
    would be created and skipped, and every row error. Importing the same references again adds nothing; a file
    with any error writes nothing (422 listing them: line, field, message)."""
    report = guest_list.import_guest_list(
        session=session,
        org_id=principal.org_id,
        occurrence_id=occurrence_id,
        text=body,
        dry_run=dry_run,
        secret_key=settings.secret_key.get_secret_value(),
        now=clock(),
    )
    return report.document()


@router.post("/occurrences/{occurrence_id}/allotments/reclaim")
def reclaim_allotments(
    occurrence_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> Any:
    """Take back every device's unused allotment seats of this occurrence (they go back on sale)."""
    service.get_occurrence(session, org_id=principal.org_id, occurrence_id=occurrence_id)
    seats = allotments.reclaim_occurrence_allotments(
        session=session, org_id=principal.org_id, occurrence_id=occurrence_id, now=clock()
    )
    return {"seats": seats}
