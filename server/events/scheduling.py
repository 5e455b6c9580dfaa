"""Occurrences: scheduling (one-time, multi-day, recurring), changes, status transitions and cancellation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.errors import Conflict, InvalidInput, NotFound
from server.events import venues
from server.events.models import EventDefinition, EventOccurrence
from server.events.schemas import GenerationResult, OccurrenceCreate, OccurrenceRead, OccurrenceUpdate
from server.events.service import get_definition
from shared import capacity, lifecycle, recurrence
from shared.enums import DefinitionStatus, EventType, OccurrenceStatus

FINISHED = (OccurrenceStatus.CANCELED, OccurrenceStatus.COMPLETED)


def occurrence_view(occurrence: EventOccurrence, definition: EventDefinition) -> OccurrenceRead:
    total = capacity.effective_capacity(
        capacity_override=occurrence.capacity_override, max_capacity=definition.max_capacity
    )
    return OccurrenceRead.model_validate(
        {
            **{column: getattr(occurrence, column) for column in OccurrenceRead.model_fields if hasattr(occurrence, column)},
            "capacity": total,
            "seats_available": capacity.seats_available(
                capacity=total, seats_sold=occurrence.seats_sold, seats_blocked=occurrence.seats_blocked
            ),
        }
    )


def get_occurrence(*, session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID) -> EventOccurrence:
    occurrence = session.scalar(
        sa.select(EventOccurrence).where(EventOccurrence.id == occurrence_id, EventOccurrence.org_id == org_id)
    )
    if occurrence is None:
        raise NotFound("occurrence_not_found", f"No occurrence {occurrence_id}.")
    return occurrence


def get_occurrence_with_definition(
    *, session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID
) -> tuple[EventOccurrence, EventDefinition]:
    occurrence = get_occurrence(session=session, org_id=org_id, occurrence_id=occurrence_id)
    definition = session.get_one(EventDefinition, occurrence.event_definition_id)
    return occurrence, definition


def list_occurrences_of_definition(
    *, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID
) -> list[EventOccurrence]:
    get_definition(session=session, org_id=org_id, definition_id=definition_id)
    return list(
        session.scalars(
            sa.select(EventOccurrence)
            .where(EventOccurrence.event_definition_id == definition_id)
            .order_by(EventOccurrence.start_at)
        )
    )


def _schedulable(definition: EventDefinition) -> None:
    if definition.status is DefinitionStatus.ARCHIVED:
        raise Conflict("event_archived", "An archived event cannot be scheduled.")


def _insert_slots(
    *,
    session: Session,
    definition: EventDefinition,
    slots: list[tuple[datetime, datetime]],
    timezone: str,
    template: OccurrenceCreate | None,
    now: datetime,
    series_id: uuid.UUID | None = None,
    recurrence_ids: list[datetime] | None = None,
) -> list[EventOccurrence]:
    key = venues.venue_key(definition)
    created: list[EventOccurrence] = []
    with venues.translating_overlap(session=session, org_id=definition.org_id, key=key):
        for index, (start_at, end_at) in enumerate(slots):
            venues.ensure_free(session=session, org_id=definition.org_id, key=key, start_at=start_at, end_at=end_at)
            occurrence = EventOccurrence(
                org_id=definition.org_id,
                account_id=definition.account_id,
                event_definition_id=definition.id,
                occurrence_name=template.occurrence_name if template else None,
                start_at=start_at,
                end_at=end_at,
                timezone=timezone,
                capacity_override=template.capacity_override if template else None,
                status=OccurrenceStatus.SCHEDULED,
                settings=dict(template.settings) if template else {},
                venue_key=key,
                series_id=series_id,
                day_number=index + 1 if series_id else None,
                recurrence_id=recurrence_ids[index] if recurrence_ids else None,
                created_at=now,
                updated_at=now,
            )
            session.add(occurrence)
            session.flush()
            created.append(occurrence)
        session.commit()
    return created


def schedule_occurrence(
    *, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID, data: OccurrenceCreate, now: datetime
) -> list[EventOccurrence]:
    """One occurrence, or for a multi-day event ``data.days`` linked occurrences on sequential local dates."""
    definition = get_definition(session=session, org_id=org_id, definition_id=definition_id)
    _schedulable(definition)
    if data.start_at <= now:
        raise InvalidInput("start_in_past", "An occurrence must start in the future.", field="start_at")
    duration = (data.end_at - data.start_at) if data.end_at else timedelta(minutes=definition.duration_minutes)
    if data.days > 1 and definition.event_type is not EventType.MULTI_DAY:
        raise InvalidInput("not_multi_day", "Only multi_day events span several days.", field="days")
    if definition.event_type is EventType.MULTI_DAY:
        slots = recurrence.multi_day_slots(
            first_start=data.start_at, days=data.days, duration=duration, timezone=data.timezone
        )
        return _insert_slots(
            session=session,
            definition=definition,
            slots=[(slot.start_at, slot.end_at) for slot in slots],
            timezone=data.timezone,
            template=data,
            now=now,
            series_id=uuid.uuid4(),
        )
    return _insert_slots(
        session=session,
        definition=definition,
        slots=[(data.start_at, data.start_at + duration)],
        timezone=data.timezone,
        template=data,
        now=now,
    )


def generate_recurring(
    *, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID, now: datetime, horizon_days: int
) -> GenerationResult:
    """Creates the rule's occurrences for the next ``horizon_days``; running it again adds nothing twice.

    Each generated occurrence remembers its rule instant (``recurrence_id``), so an occurrence the organizer
    canceled or moved is recognised and not created again.
    """
    definition = get_definition(session=session, org_id=org_id, definition_id=definition_id)
    _schedulable(definition)
    if definition.event_type is not EventType.RECURRING:
        raise InvalidInput("not_recurring", "Only recurring events have a recurrence rule.", field="event_type")
    rule = recurrence.parse_recurrence_settings(definition.settings.get("recurrence"))
    if not isinstance(rule, recurrence.RecurrenceSettings):
        raise InvalidInput("invalid_recurrence", rule.message, field="settings.recurrence")
    slots = recurrence.expand(
        rule=rule,
        duration=timedelta(minutes=definition.duration_minutes),
        window_start=now,
        window_end=now + timedelta(days=horizon_days),
    )
    existing = set(
        session.scalars(
            sa.select(EventOccurrence.recurrence_id).where(
                EventOccurrence.event_definition_id == definition.id, EventOccurrence.recurrence_id.is_not(None)
            )
        )
    )
    fresh = [slot for slot in slots if slot.recurrence_id not in existing]
    created = _insert_slots(
        session=session,
        definition=definition,
        slots=[(slot.start_at, slot.end_at) for slot in fresh],
        timezone=rule.timezone,
        template=None,
        now=now,
        recurrence_ids=[slot.recurrence_id for slot in fresh],
    )
    return GenerationResult(
        created=[occurrence_view(occurrence, definition) for occurrence in created],
        skipped_existing=len(slots) - len(fresh),
    )


def recurring_definition_ids(*, session: Session) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(org, definition) of every active recurring event, for the scheduled generator."""
    rows = session.execute(
        sa.select(EventDefinition.org_id, EventDefinition.id).where(
            EventDefinition.event_type == EventType.RECURRING,
            EventDefinition.status == DefinitionStatus.ACTIVE,
        )
    )
    return [(row.org_id, row.id) for row in rows]


def update_occurrence(
    *, session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID, data: OccurrenceUpdate, now: datetime
) -> EventOccurrence:
    occurrence, definition = get_occurrence_with_definition(
        session=session, org_id=org_id, occurrence_id=occurrence_id
    )
    if occurrence.status in FINISHED:
        raise Conflict("occurrence_finished", f"A {occurrence.status} occurrence cannot be changed.")
    changes = data.model_dump(exclude_unset=True)
    for required in ("start_at", "end_at", "timezone", "settings"):
        if required in changes and changes[required] is None:
            raise InvalidInput("field_required", f"{required} cannot be null.", field=required)
    if "start_at" in changes and "end_at" not in changes:
        # Moving the start keeps the length.
        changes["end_at"] = changes["start_at"] + (occurrence.end_at - occurrence.start_at)
    for name, value in changes.items():
        setattr(occurrence, name, value)
    if occurrence.end_at <= occurrence.start_at:
        raise InvalidInput("end_before_start", "end_at must be after start_at.", field="end_at")
    if "capacity_override" in changes and changes["capacity_override"] is not None:
        taken = occurrence.seats_sold + occurrence.seats_blocked
        if changes["capacity_override"] < taken:
            raise Conflict(
                "capacity_below_sold",
                f"{taken} seats are taken; the capacity cannot go below that.",
                field="capacity_override",
            )
    if "start_at" in changes or "end_at" in changes:
        key = venues.venue_key(definition)
        with venues.translating_overlap(session=session, org_id=org_id, key=key):
            venues.ensure_free(
                session=session,
                org_id=org_id,
                key=key,
                start_at=occurrence.start_at,
                end_at=occurrence.end_at,
                ignore_ids={occurrence.id},
            )
            occurrence.updated_at = now
            session.commit()
        return occurrence
    occurrence.updated_at = now
    session.commit()
    return occurrence


def transition_occurrence(
    *, session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID, status: OccurrenceStatus, now: datetime
) -> EventOccurrence:
    occurrence = get_occurrence(session=session, org_id=org_id, occurrence_id=occurrence_id)
    if status is OccurrenceStatus.CANCELED:
        raise InvalidInput("use_cancel", "Cancel an occurrence through its cancel action, with a reason.")
    verdict = lifecycle.occurrence_transition(current=occurrence.status, target=status)
    if not verdict.allowed:
        raise Conflict(verdict.reason, verdict.message, field="status")
    occurrence.status = status
    occurrence.updated_at = now
    session.commit()
    return occurrence


def cancel_occurrence(
    *, session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID, reason: str, now: datetime
) -> EventOccurrence:
    occurrence, definition = get_occurrence_with_definition(
        session=session, org_id=org_id, occurrence_id=occurrence_id
    )
    verdict = lifecycle.can_cancel_occurrence(
        status=occurrence.status,
        start_at=occurrence.start_at,
        settings={**definition.settings, **occurrence.settings},
        now=now,
    )
    if not verdict.allowed:
        raise Conflict(verdict.reason, verdict.message)
    occurrence.status = OccurrenceStatus.CANCELED
    occurrence.cancellation_reason = reason
    occurrence.canceled_at = now
    occurrence.updated_at = now
    session.commit()
    return occurrence
