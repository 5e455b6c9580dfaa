"""The sync endpoints' work: pull pages, push batches, and the organizer's conflict report."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.checkin.service import get_occurrence
from server.devices import service as devices_service
from server.devices.models import Device
from server.devices.scope import resolve_scope, stored_ids
from server.errors import NotFound
from server.events.models import EventOccurrence
from server.sync import pull as pull_pages
from server.sync.models import SyncConflict
from server.sync.tracking import Cursor
from shared import wire


def pull(
    *, session: Session, device: Device, cursor: str | None, limit: int, clock: wire.ReportedClock, now: datetime
) -> pull_pages.Page:
    """One page of changes for the device, and its last contact recorded. Commits."""
    decoded = Cursor.decode(cursor) if cursor else None
    scope = resolve_scope(session, device)
    page = pull_pages.build_page(session=session, device=device, scope=scope, cursor=decoded, limit=limit, now=now)
    devices_service.record_contact(
        session=session, device_id=device.id, clock=clock, now=now, pulled=True, pushed=False
    )
    session.commit()
    return page


def conflict_document(conflict: SyncConflict, device_names: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "id": str(conflict.id),
        "kind": conflict.kind,
        "ticket_id": str(conflict.ticket_id) if conflict.ticket_id else None,
        "occurrence_id": str(conflict.event_occurrence_id) if conflict.event_occurrence_id else None,
        "device_id": str(conflict.device_id) if conflict.device_id else None,
        "device_name": device_names.get(conflict.device_id) if conflict.device_id else None,
        "other_device_id": str(conflict.other_device_id) if conflict.other_device_id else None,
        "other_device_name": device_names.get(conflict.other_device_id) if conflict.other_device_id else None,
        "check_in_id": str(conflict.check_in_id) if conflict.check_in_id else None,
        "other_check_in_id": str(conflict.other_check_in_id) if conflict.other_check_in_id else None,
        "mutation_id": str(conflict.mutation_id) if conflict.mutation_id else None,
        "detail": conflict.detail,
        "data": conflict.data,
        "detected_at": conflict.detected_at.isoformat(),
        "resolved_at": conflict.resolved_at.isoformat() if conflict.resolved_at else None,
        "resolution": conflict.resolution,
    }


def _device_names(session: Session, org_id: uuid.UUID) -> dict[uuid.UUID, str]:
    return {
        row.id: row.name for row in session.execute(sa.select(Device.id, Device.name).where(Device.org_id == org_id))
    }


def conflict_report(
    *, session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID, include_resolved: bool
) -> list[dict[str, Any]]:
    get_occurrence(session, org_id=org_id, occurrence_id=occurrence_id)
    statement = (
        sa.select(SyncConflict)
        .where(SyncConflict.org_id == org_id, SyncConflict.event_occurrence_id == occurrence_id)
        .order_by(SyncConflict.detected_at, SyncConflict.id)
    )
    if not include_resolved:
        statement = statement.where(SyncConflict.resolved_at.is_(None))
    names = _device_names(session, org_id)
    return [conflict_document(row, names) for row in session.scalars(statement)]


def resolve_conflict(
    *, session: Session, org_id: uuid.UUID, conflict_id: uuid.UUID, resolution: str, now: datetime
) -> dict[str, Any]:
    """Mark a conflict handled (a refund made, a duplicate explained). Commits."""
    conflict = session.scalar(
        sa.select(SyncConflict).where(SyncConflict.id == conflict_id, SyncConflict.org_id == org_id)
    )
    if conflict is None:
        raise NotFound("conflict_not_found", "No such conflict.")
    if conflict.resolved_at is None:
        conflict.resolved_at = now
        conflict.resolution = resolution
    session.commit()
    return conflict_document(conflict, _device_names(session, org_id))


def devices_of_occurrence(*, session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID) -> list[dict[str, Any]]:
    """The devices whose scope covers the occurrence, with their last sync."""
    occurrence: EventOccurrence = get_occurrence(session, org_id=org_id, occurrence_id=occurrence_id)
    devices = session.scalars(sa.select(Device).where(Device.org_id == org_id).order_by(Device.name)).all()
    serving = [
        device
        for device in devices
        if occurrence.id in stored_ids(device.occurrence_ids)
        or occurrence.event_definition_id in stored_ids(device.event_ids)
    ]
    return [
        {
            "id": str(device.id),
            "name": device.name,
            "role": device.role.value,
            "paired": device.paired_at is not None,
            "revoked_at": device.revoked_at.isoformat() if device.revoked_at else None,
            "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
            "last_pull_at": device.last_pull_at.isoformat() if device.last_pull_at else None,
            "last_push_at": device.last_push_at.isoformat() if device.last_push_at else None,
            "clock_offset_ms": device.clock_offset_ms,
            "last_applied_seq": device.last_applied_seq,
        }
        for device in serving
    ]
