"""What a device may see: the occurrences (and their events) its scope covers, within its own org."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.devices.models import Device
from server.errors import Forbidden
from server.events.models import EventOccurrence
from shared.wire import Problem


@dataclass(frozen=True)
class Scope:
    org_id: uuid.UUID
    occurrence_ids: frozenset[uuid.UUID]
    event_ids: frozenset[uuid.UUID]
    named_occurrence_ids: frozenset[uuid.UUID]  # named in the scope, whether or not they still exist

    def require(self, occurrence_ids: tuple[uuid.UUID, ...] | list[uuid.UUID], *, field: str) -> None:
        outside = [value for value in occurrence_ids if value not in self.occurrence_ids]
        if outside:
            raise Forbidden(
                Problem.OUT_OF_SCOPE,
                "This device does not serve that occurrence.",
                field=field,
                occurrence_ids=[value.hex for value in outside],
            )


def stored_ids(values: list[str]) -> frozenset[uuid.UUID]:
    return frozenset(uuid.UUID(value) for value in values)


def resolve_scope(session: Session, device: Device) -> Scope:
    """Every occurrence of the device's events (present and future) and the occurrences it names."""
    event_ids = stored_ids(device.event_ids)
    named = stored_ids(device.occurrence_ids)
    conditions = []
    if event_ids:
        conditions.append(EventOccurrence.event_definition_id.in_(event_ids))
    if named:
        conditions.append(EventOccurrence.id.in_(named))
    rows: list[tuple[uuid.UUID, uuid.UUID]] = []
    if conditions:
        rows = [
            (row[0], row[1])
            for row in session.execute(
                sa.select(EventOccurrence.id, EventOccurrence.event_definition_id).where(
                    EventOccurrence.org_id == device.org_id, sa.or_(*conditions)
                )
            )
        ]
    return Scope(
        org_id=device.org_id,
        occurrence_ids=frozenset(occurrence for occurrence, _ in rows),
        event_ids=event_ids | frozenset(definition for _, definition in rows),
        named_occurrence_ids=named,
    )
