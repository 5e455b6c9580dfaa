"""Occurrences: scheduling (one-time, multi-day, recurring), changes, status transitions and cancellation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.bookings import service as bookings_service
from server.errors import Conflict, DomainError, InvalidInput, NotFound
from server.events import venues
from server.events.models import EventDefinition, EventOccurrence
from server.events.schemas import GenerationResult, OccurrenceCreate, OccurrenceRead, OccurrenceUpdate, SkippedSlot
from server.events.service import get_definition, settings_error, transition_refused
from server.events.settings import occurrence_rules, validate_occurrence_settings
from server.waitlist import offers as waitlist_offers
from shared import capacity, lifecycle, recurrence
from shared.enums import DefinitionStatus, EventType, OccurrenceStatus

FINISHED = (OccurrenceStatus.CANCELED, OccurrenceStatus.COMPLETED)
# The unique key (event, rule instant) that makes generation idempotent, as both databases name it in errors.
RECURRENCE_KEY = "recurrence_id"


def occurrence_view(occurrence: EventOccurrence, definition: EventDefinition) -> OccurrenceRead:
    total = capacity.effective_capacity(
        capacity_override=occurrence.capacity_override, max_capacity=definition.max_capacity
    )
    return OccurrenceRead.model_validate(
        {
            **{
                column: getattr(occurrence, column)
                for column in OccurrenceRead.model_fields
                if hasattr(occurrence, column)
            },
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


def _new_occurrence(
    definition: EventDefinition, start_at: datetime, end_at: datetime, timezone: str, now: datetime
) -> EventOccurrence:
    return EventOccurrence(
        org_id=definition.org_id,
        account_id=definition.account_id,
        event_definition_id=definition.id,
        start_at=start_at,
        end_at=end_at,
        timezone=timezone,
        status=OccurrenceStatus.SCHEDULED,
        settings={},
        venue_key=venues.venue_key(definition),
        created_at=now,
        updated_at=now,
    )


def _insert_slots(
    *,
    session: Session,
    definition: EventDefinition,
    slots: list[tuple[datetime, datetime]],
    timezone: str,
    template: OccurrenceCreate,
    now: datetime,
    series_id: uuid.UUID | None = None,
) -> list[EventOccurrence]:
    key = venues.venue_key(definition)
    created: list[EventOccurrence] = []
    with venues.translating_overlap(session=session, org_id=definition.org_id, key=key):
        for index, (start_at, end_at) in enumerate(slots):
            venues.ensure_free(session=session, org_id=definition.org_id, key=key, start_at=start_at, end_at=end_at)
            occurrence = _new_occurrence(definition, start_at, end_at, timezone, now)
            occurrence.series_id = series_id
            occurrence.day_number = index + 1 if series_id else None
            occurrence.occurrence_name = template.occurrence_name
            occurrence.capacity_override = template.capacity_override
            occurrence.settings = dict(template.settings)
            session.add(occurrence)
            session.flush()
            created.append(occurrence)
        session.commit()
    return created


def _check_occurrence_settings(definition: EventDefinition, settings: dict[str, object]) -> None:
    problems = validate_occurrence_settings(definition.settings, settings)
    if problems:
        raise settings_error(problems)


def schedule_occurrence(
    *, session: Session, org_id: uuid.UUID, definition_id: uuid.UUID, data: OccurrenceCreate, now: datetime
) -> list[EventOccurrence]:
    """One occurrence, or for a multi-day event ``data.days`` linked occurrences on sequential local dates,
    each at the same local start time (so across a DST change the UTC time moves, the wall clock does not)."""
    definition = get_definition(session=session, org_id=org_id, definition_id=definition_id)
    _schedulable(definition)
    _check_occurrence_settings(definition, data.settings)
    if data.start_at <= now:
        raise InvalidInput("start_in_past", "An occurrence must start in the future.", field="start_at")
    duration = (data.end_at - data.start_at) if data.end_at else timedelta(minutes=definition.duration_minutes)
    if data.days > 1 and definition.event_type is not EventType.MULTI_DAY:
        raise InvalidInput("not_multi_day", "Only multi_day events span several days.", field="days")
    if definition.event_type is EventType.MULTI_DAY:
        local_start = data.start_at.astimezone(ZoneInfo(data.timezone))
        days = recurrence.multi_day_slots(
            first_day=local_start.date(),
            days=data.days,
            daily_start=local_start.time().replace(tzinfo=None),
            timezone=data.timezone,
            duration=duration,
        )
        return _insert_slots(
            session=session,
            definition=definition,
            slots=[(day.start_at, day.end_at) for day in days],
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
    parsed = recurrence.parse_recurrence_settings(definition.settings)
    if not parsed.ok:
        raise settings_error(list(parsed.problems))
    rule = parsed.unwrap()
    slots = recurrence.expand_recurrence(
        recurrence=rule,
        duration=timedelta(minutes=definition.duration_minutes),
        now=now,
        horizon=timedelta(days=horizon_days),
    ).slots
    existing = set(
        session.scalars(
            sa.select(EventOccurrence.recurrence_id).where(
                EventOccurrence.event_definition_id == definition.id, EventOccurrence.recurrence_id.is_not(None)
            )
        )
    )
    fresh = [slot for slot in slots if slot.recurrence_id not in existing]
    key = venues.venue_key(definition)
    created: list[EventOccurrence] = []
    conflicts: list[SkippedSlot] = []
    made_meanwhile = 0
    for slot in fresh:
        blocking = venues.find_overlap(
            session=session, org_id=org_id, key=key, start_at=slot.start_at, end_at=slot.end_at
        )
        if blocking is None:
            occurrence = _new_occurrence(definition, slot.start_at, slot.end_at, rule.timezone, now)
            occurrence.recurrence_id = slot.recurrence_id
            # A savepoint: on PostgreSQL a racer may still take the venue between the check and the insert.
            try:
                with session.begin_nested():
                    session.add(occurrence)
                created.append(occurrence)
                continue
            except IntegrityError as error:
                if RECURRENCE_KEY in str(error.orig):
                    # Another process generating the same event got there first (it waited on this key).
                    made_meanwhile += 1
                    continue
                if venues.OVERLAP_CONSTRAINT not in str(error.orig):
                    raise
        conflicts.append(
            SkippedSlot(start_at=slot.start_at, conflicting_occurrence_id=blocking.id if blocking else None)
        )
    session.commit()
    return GenerationResult(
        created=[occurrence_view(occurrence, definition) for occurrence in created],
        skipped_existing=len(slots) - len(fresh) + made_meanwhile,
        skipped_venue_conflicts=conflicts,
    )


def generate_all_recurring(
    *, session: Session, now: datetime, horizon_days: int
) -> dict[uuid.UUID, GenerationResult | DomainError]:
    """The scheduled generator: every active recurring event of every org, each in its own transaction, so one
    event with broken settings does not hold up the others (its error is reported instead)."""
    results: dict[uuid.UUID, GenerationResult | DomainError] = {}
    for org_id, definition_id in recurring_definition_ids(session=session):
        try:
            results[definition_id] = generate_recurring(
                session=session, org_id=org_id, definition_id=definition_id, now=now, horizon_days=horizon_days
            )
        except DomainError as error:
            session.rollback()
            results[definition_id] = error
    return results


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
    occurrence, definition = get_occurrence_with_definition(session=session, org_id=org_id, occurrence_id=occurrence_id)
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
    if "settings" in changes:
        _check_occurrence_settings(definition, changes["settings"])
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
            _offer_new_capacity(session, occurrence, changes, now)
            if "start_at" in changes:
                waitlist_offers.start_moved(session=session, occurrence_id=occurrence.id, now=now)
            session.commit()
        return occurrence
    occurrence.updated_at = now
    _offer_new_capacity(session, occurrence, changes, now)
    session.commit()
    return occurrence


def _offer_new_capacity(
    session: Session, occurrence: EventOccurrence, changes: dict[str, object], now: datetime
) -> None:
    """A capacity raised (or the override removed) opens seats: the waitlist's first, in this transaction."""
    if "capacity_override" in changes:
        session.flush()
        waitlist_offers.seats_opened(session=session, now=now, occurrences=[occurrence.id])


def transition_occurrence(
    *, session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID, status: OccurrenceStatus, now: datetime
) -> EventOccurrence:
    occurrence = get_occurrence(session=session, org_id=org_id, occurrence_id=occurrence_id)
    if status is OccurrenceStatus.CANCELED:
        raise InvalidInput("use_cancel", "Cancel an occurrence through its cancel action, with a reason.")
    definition = session.get_one(EventDefinition, occurrence.event_definition_id)
    verdict = lifecycle.occurrence_transition(
        current=occurrence.status,
        target=status,
        start_at=occurrence.start_at,
        now=now,
        rules=occurrence_rules(definition.settings, occurrence.settings),
    )
    if not verdict.allowed:
        raise transition_refused(verdict, occurrence.status, status)
    occurrence.status = status
    occurrence.updated_at = now
    session.commit()
    return occurrence


def cancel_occurrence(
    *,
    session: Session,
    org_id: uuid.UUID,
    occurrence_id: uuid.UUID,
    reason: str,
    force: bool,
    now: datetime,
) -> EventOccurrence:
    """Cancels up to the cutoff in the settings; ``force`` overrides the cutoff (a storm does not read settings).
    The occurrence keeps all its data for refunds."""
    occurrence, definition = get_occurrence_with_definition(session=session, org_id=org_id, occurrence_id=occurrence_id)
    verdict = lifecycle.occurrence_transition(
        current=occurrence.status,
        target=OccurrenceStatus.CANCELED,
        start_at=occurrence.start_at,
        now=now,
        rules=occurrence_rules(definition.settings, occurrence.settings),
        force=force,
    )
    if not verdict.allowed:
        raise transition_refused(verdict, occurrence.status, OccurrenceStatus.CANCELED)
    occurrence.status = OccurrenceStatus.CANCELED
    occurrence.cancellation_reason = reason
    occurrence.canceled_at = now
    occurrence.updated_at = now
    # Writing the status first takes the occurrence's row lock: a reservation in flight (it holds that lock) commits
    # before the orders are read below, and every later one sees the occurrence canceled and takes nothing.
    session.flush()
    # Its tickets go in the same transaction: canceled with full refunds, rows kept, mails queued.
    bookings_service.cancel_tickets_of_occurrence(session=session, occurrence=occurrence, now=now, reason=reason)
    session.commit()
    return occurrence
