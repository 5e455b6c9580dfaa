"""Where an occurrence takes place, and the rule that one venue hosts one occurrence at a time.

PostgreSQL enforces the rule with the exclusion constraint ``event_occ_venue_no_overlap`` (see migration 0001),
which holds even between racing transactions. SQLite has no such constraint; there the check below runs inside
a transaction that began with BEGIN IMMEDIATE, so no other writer can slip in between the check and the insert.
The check also runs on PostgreSQL first, because it can name the conflicting occurrence for the error message.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.errors import Conflict
from server.events.models import EventDefinition, EventOccurrence
from shared.enums import OccurrenceStatus, VenueType

OVERLAP_CONSTRAINT = "event_occ_venue_no_overlap"
# Virtual and mobile events have no room to collide in.
_PLACELESS = (VenueType.VIRTUAL, VenueType.MOBILE)


def venue_key(definition: EventDefinition) -> str | None:
    if definition.venue_type in _PLACELESS:
        return None
    if definition.venue_space_id is not None:
        return f"space:{definition.venue_space_id}"
    if definition.venue_name:
        return "name:" + re.sub(r"\s+", " ", definition.venue_name.strip().lower())
    return None


def find_overlap(
    *,
    session: Session,
    org_id: uuid.UUID,
    key: str | None,
    start_at: datetime,
    end_at: datetime,
    ignore_ids: set[uuid.UUID] | None = None,
) -> EventOccurrence | None:
    """The first live occurrence at the same venue whose [start, end) meets [start_at, end_at)."""
    if key is None:
        return None
    query = sa.select(EventOccurrence).where(
        EventOccurrence.org_id == org_id,
        EventOccurrence.venue_key == key,
        EventOccurrence.status != OccurrenceStatus.CANCELED,
        EventOccurrence.start_at < end_at,
        EventOccurrence.end_at > start_at,
    )
    if ignore_ids:
        query = query.where(EventOccurrence.id.not_in(ignore_ids))
    return session.scalars(query.order_by(EventOccurrence.start_at).limit(1)).first()


def overlap_error(conflicting: EventOccurrence | None) -> Conflict:
    if conflicting is None:
        return Conflict("venue_overlap", "Another occurrence at this venue overlaps that time.", field="start_at")
    return Conflict(
        "venue_overlap",
        f"The venue is taken from {conflicting.start_at.isoformat()} to {conflicting.end_at.isoformat()} "
        f"by occurrence {conflicting.id}.",
        field="start_at",
        conflicting_occurrence_id=str(conflicting.id),
        conflicting_start_at=conflicting.start_at.isoformat(),
        conflicting_end_at=conflicting.end_at.isoformat(),
    )


def ensure_free(
    *,
    session: Session,
    org_id: uuid.UUID,
    key: str | None,
    start_at: datetime,
    end_at: datetime,
    ignore_ids: set[uuid.UUID] | None = None,
) -> None:
    conflicting = find_overlap(
        session=session, org_id=org_id, key=key, start_at=start_at, end_at=end_at, ignore_ids=ignore_ids
    )
    if conflicting is not None:
        raise overlap_error(conflicting)


@contextmanager
def translating_overlap(*, session: Session, org_id: uuid.UUID, key: str | None) -> Iterator[None]:
    """Turns PostgreSQL's exclusion violation (a racer won between our check and our write) into the same 409."""
    try:
        yield
    except IntegrityError as error:
        if OVERLAP_CONSTRAINT not in str(error.orig):
            raise
        session.rollback()
        raise overlap_error(None) from error
