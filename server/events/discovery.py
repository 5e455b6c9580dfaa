"""Finding occurrences: by date range, category, venue or location text, free text, and seats left.

Results are ordered by start time and paged with an opaque keyset cursor, so a page never repeats or skips rows
while new occurrences are scheduled. The range filter and ordering are served by ``idx_event_occurrences_time``
(or ``ix_event_occurrences_org_start`` within one org), the category filter by ``idx_event_definitions_category``.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Query
from sqlalchemy.orm import Session

from server.errors import InvalidInput
from server.events.models import EventDefinition, EventOccurrence
from server.events.scheduling import occurrence_view
from server.events.schemas import OccurrenceListing, OccurrencePage
from server.villas.models import Space
from shared.enums import DefinitionStatus, EventCategory, OccurrenceStatus

BOOKABLE = (OccurrenceStatus.SCHEDULED, OccurrenceStatus.CONFIRMED)


@dataclass(frozen=True)
class OccurrenceSearch:
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    categories: list[EventCategory] = field(default_factory=list)
    venue_space_id: uuid.UUID | None = None
    location: str | None = None
    text: str | None = None
    has_seats: bool = False
    statuses: list[OccurrenceStatus] = field(default_factory=list)
    event_id: uuid.UUID | None = None
    limit: int = 20
    cursor: str | None = None


def search_parameters(
    starts_from: Annotated[datetime | None, Query(alias="from", description="Starting at or after")] = None,
    starts_before: Annotated[datetime | None, Query(alias="to", description="Starting before")] = None,
    category: Annotated[list[EventCategory] | None, Query()] = None,
    location: Annotated[str | None, Query(max_length=200, description="Venue name, address or space")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the event's name")] = None,
    has_seats: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> OccurrenceSearch:
    """The query parameters guests and staff share, as a FastAPI dependency."""
    return OccurrenceSearch(
        starts_from=starts_from,
        starts_before=starts_before,
        categories=category or [],
        location=location,
        text=q,
        has_seats=has_seats,
        limit=limit,
        cursor=cursor,
    )


SearchParameters = Annotated[OccurrenceSearch, Depends(search_parameters)]


def encode_cursor(start_at: datetime, occurrence_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{start_at.isoformat()}|{occurrence_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        start_text, id_text = raw.split("|")
        start_at = datetime.fromisoformat(start_text)
        if start_at.tzinfo is None:
            raise ValueError("naive")
        return start_at, uuid.UUID(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidInput("invalid_cursor", "The cursor is not one this API gave out.", field="cursor") from error


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _capacity_expression() -> sa.ColumnElement[int | None]:
    return sa.func.coalesce(EventOccurrence.capacity_override, EventDefinition.max_capacity)


def narrowed(
    search: OccurrenceSearch,
    *,
    venue_space_id: uuid.UUID | None,
    statuses: list[OccurrenceStatus] | None,
    event_id: uuid.UUID | None,
) -> OccurrenceSearch:
    return replace(search, venue_space_id=venue_space_id, statuses=statuses or [], event_id=event_id)


def search_occurrences(
    *, session: Session, org_id: uuid.UUID, search: OccurrenceSearch, public: bool, now: datetime
) -> OccurrencePage:
    """One page of matching occurrences. ``public`` narrows to what a guest may book: active events,
    bookable occurrences, in the future."""
    query = (
        sa.select(EventOccurrence, EventDefinition)
        .join(EventDefinition, EventOccurrence.event_definition_id == EventDefinition.id)
        .where(EventOccurrence.org_id == org_id)
    )
    if public:
        query = query.where(
            EventDefinition.status == DefinitionStatus.ACTIVE,
            EventOccurrence.status.in_(BOOKABLE),
            EventOccurrence.start_at > now,
        )
    if search.starts_from is not None:
        query = query.where(EventOccurrence.start_at >= search.starts_from)
    if search.starts_before is not None:
        query = query.where(EventOccurrence.start_at < search.starts_before)
    if search.categories:
        query = query.where(EventDefinition.category.in_(search.categories))
    if search.statuses:
        query = query.where(EventOccurrence.status.in_(search.statuses))
    if search.event_id is not None:
        query = query.where(EventOccurrence.event_definition_id == search.event_id)
    if search.venue_space_id is not None:
        query = query.where(EventDefinition.venue_space_id == search.venue_space_id)
    if search.location:
        pattern = _like(search.location)
        space_names = sa.select(Space.id).where(Space.org_id == org_id, Space.name.ilike(pattern, escape="\\"))
        query = query.where(
            sa.or_(
                EventDefinition.venue_name.ilike(pattern, escape="\\"),
                sa.cast(EventDefinition.venue_address, sa.String).ilike(pattern, escape="\\"),
                EventDefinition.venue_space_id.in_(space_names),
            )
        )
    if search.text:
        pattern = _like(search.text)
        query = query.where(
            sa.or_(
                EventDefinition.name.ilike(pattern, escape="\\"),
                EventOccurrence.occurrence_name.ilike(pattern, escape="\\"),
            )
        )
    if search.has_seats:
        capacity = _capacity_expression()
        query = query.where(
            sa.or_(capacity.is_(None), EventOccurrence.seats_sold + EventOccurrence.seats_blocked < capacity)
        )
    if search.cursor:
        after_start, after_id = decode_cursor(search.cursor)
        query = query.where(
            sa.or_(
                EventOccurrence.start_at > after_start,
                sa.and_(EventOccurrence.start_at == after_start, EventOccurrence.id > after_id),
            )
        )
    rows = session.execute(query.order_by(EventOccurrence.start_at, EventOccurrence.id).limit(search.limit + 1)).all()
    page = rows[: search.limit]
    items = [
        OccurrenceListing(
            **occurrence_view(occurrence, definition).model_dump(),
            event_name=definition.name,
            event_slug=definition.slug,
            category=definition.category,
            venue_type=definition.venue_type,
            venue_name=definition.venue_name,
        )
        for occurrence, definition in page
    ]
    last = page[-1][0] if page else None
    next_cursor = encode_cursor(last.start_at, last.id) if last is not None and len(rows) > search.limit else None
    return OccurrencePage(items=items, next_cursor=next_cursor)
