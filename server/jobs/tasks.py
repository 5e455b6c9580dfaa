"""The periodic jobs of ticket sales. Each is safe with several server processes against one PostgreSQL database:

* the hold sweeper claims expired orders with ``FOR UPDATE SKIP LOCKED`` in batches, and its UPDATE only moves
  orders that are still pending, so two sweepers never release one hold twice;
* the occurrence job reads its candidates without locks, decides with ``shared.lifecycle.occurrence_status_due``,
  then takes each due occurrence with ``FOR UPDATE SKIP LOCKED`` in its own short transaction and decides again on
  what it finds there (another process may have acted meanwhile);
* mail delivery claims outbox rows the same way (``server.notifications.delivery``).

On SQLite there is one writer at a time anyway. Every job takes ``now`` (tests drive them with a manual clock).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from server.bookings import capacity
from server.bookings.cancellation import cancel_tickets_of_occurrence
from server.bookings.models import IdempotencyKey, Ticket
from server.events.models import EventDefinition, EventOccurrence
from server.events.scheduling import generate_all_recurring
from shared.enums import OccurrenceStatus, TicketStatus
from shared.lifecycle import StatusChangeReason, occurrence_status_due, parse_occurrence_rules

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
PAID_STATUSES = (TicketStatus.CONFIRMED, TicketStatus.CHECKED_IN)


def sweep_expired_holds(*, session_factory: sessionmaker[Session], now: datetime, batch: int = SWEEP_BATCH) -> int:
    """Releases every hold that ran out; returns how many tickets it freed."""
    freed = 0
    while True:
        with session_factory() as session:
            released = capacity.release_expired_holds(session, now=now, limit=batch)
            session.commit()
        freed += released.count
        if released.count == 0:
            return freed


@dataclass
class OccurrenceChanges:
    changed: dict[uuid.UUID, OccurrenceStatus] = field(default_factory=dict)

    def count(self, status: OccurrenceStatus) -> int:
        return sum(1 for value in self.changed.values() if value is status)


_ACTIVE = (OccurrenceStatus.SCHEDULED, OccurrenceStatus.CONFIRMED, OccurrenceStatus.IN_PROGRESS)


# A client retries a request within minutes; a week covers a phone that went offline mid-checkout and came back.
IDEMPOTENCY_KEY_LIFETIME = timedelta(days=7)


def purge_idempotency_keys(*, session_factory: sessionmaker[Session], now: datetime) -> int:
    """Forgets idempotency keys older than their lifetime (the orders stay); a retry after that is a new request.
    One DELETE: two processes purging at once simply share the rows."""
    with session_factory() as session:
        deleted = session.scalars(
            sa.delete(IdempotencyKey)
            .where(IdempotencyKey.created_at < now - IDEMPOTENCY_KEY_LIFETIME)
            .returning(IdempotencyKey.id)
        ).all()
        session.commit()
    return len(deleted)


def generate_occurrences(*, session_factory: sessionmaker[Session], now: datetime, horizon_days: int) -> int:
    """The coming occurrences of every active recurring event (``usher generate-occurrences`` on a schedule); how
    many were created. Idempotent, and safe with several processes (``generate_recurring``); an event whose settings
    no longer parse is logged and skipped."""
    with session_factory() as session:
        results = generate_all_recurring(session=session, now=now, horizon_days=horizon_days)
    created = 0
    for definition_id, result in results.items():
        if isinstance(result, Exception):
            logger.warning("recurring event %s not generated: %s", definition_id, result)
        else:
            created += len(result.created)
    return created


def advance_occurrences(*, session_factory: sessionmaker[Session], now: datetime) -> OccurrenceChanges:
    """Moves occurrences along with time and sales: confirmed once min_capacity is reached, canceled (with all
    their tickets) when it is not reached by the cutoff, in_progress at start, completed at end."""
    changes = OccurrenceChanges()
    with session_factory() as session:
        candidates = session.execute(
            sa.select(
                EventOccurrence.id,
                EventOccurrence.status,
                EventOccurrence.start_at,
                EventOccurrence.end_at,
                EventOccurrence.seats_sold,
                EventOccurrence.settings,
                EventDefinition.min_capacity,
                EventDefinition.settings.label("definition_settings"),
            )
            .join(EventDefinition, EventDefinition.id == EventOccurrence.event_definition_id)
            .where(
                EventOccurrence.status.in_(_ACTIVE),
                sa.or_(EventOccurrence.status == OccurrenceStatus.SCHEDULED, EventOccurrence.start_at <= now),
            )
        ).all()
    for row in candidates:
        rules = parse_occurrence_rules(
            definition_settings=row.definition_settings, occurrence_settings=row.settings
        ).unwrap()
        # seats_sold also counts unpaid holds: an upper bound of the paid seats, good enough to find the candidates.
        due = occurrence_status_due(
            status=row.status,
            start_at=row.start_at,
            end_at=row.end_at,
            seats_sold=row.seats_sold,
            min_capacity=row.min_capacity,
            rules=rules,
            now=now,
        )
        if due.status is not row.status:
            applied = _apply_due_status(session_factory, row.id, now)
            if applied is not None:
                changes.changed[row.id] = applied
    return changes


def _apply_due_status(
    session_factory: sessionmaker[Session], occurrence_id: uuid.UUID, now: datetime
) -> OccurrenceStatus | None:
    with session_factory() as session:
        statement = sa.select(EventOccurrence).where(EventOccurrence.id == occurrence_id)
        if session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        occurrence = session.scalars(statement).first()
        if occurrence is None:  # another process holds it: it is that process's to move
            return None
        definition = session.get_one(EventDefinition, occurrence.event_definition_id)
        rules = parse_occurrence_rules(
            definition_settings=definition.settings, occurrence_settings=occurrence.settings
        ).unwrap()
        paid = session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(Ticket.event_occurrence_id == occurrence.id, Ticket.status.in_(PAID_STATUSES))
        )
        due = occurrence_status_due(
            status=occurrence.status,
            start_at=occurrence.start_at,
            end_at=occurrence.end_at,
            seats_sold=int(paid or 0),
            min_capacity=definition.min_capacity,
            rules=rules,
            now=now,
        )
        if due.status is occurrence.status:
            return None
        occurrence.status = due.status
        occurrence.updated_at = now
        if due.status is OccurrenceStatus.CANCELED:
            reason = (due.reason or StatusChangeReason.MIN_CAPACITY_NOT_MET).value
            occurrence.cancellation_reason = reason
            occurrence.canceled_at = now
            cancel_tickets_of_occurrence(session=session, occurrence=occurrence, now=now, reason=reason)
        session.commit()
        logger.info("occurrence %s is now %s (%s)", occurrence_id, due.status, due.reason)
        return due.status
