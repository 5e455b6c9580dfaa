"""What guests see without a token: an organization's bookable occurrences."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from server.deps import ClockDep, DbSession
from server.errors import NotFound
from server.events import discovery, scheduling, service
from server.events.schemas import OccurrencePage, PublicOccurrence, TicketTypeRead
from server.tenancy.service import get_organization_by_slug
from shared.enums import DefinitionStatus, TicketTypeStatus

router = APIRouter(prefix="/public/{org_slug}", tags=["public"])


@router.get("/occurrences", response_model=OccurrencePage)
def search_bookable_occurrences(
    org_slug: str, search: discovery.SearchParameters, session: DbSession, clock: ClockDep
) -> object:
    organization = get_organization_by_slug(session=session, slug=org_slug)
    return discovery.search_occurrences(
        session=session, org_id=organization.id, search=search, public=True, now=clock()
    )


@router.get("/occurrences/{occurrence_id}", response_model=PublicOccurrence)
def read_bookable_occurrence(org_slug: str, occurrence_id: uuid.UUID, session: DbSession, clock: ClockDep) -> object:
    organization = get_organization_by_slug(session=session, slug=org_slug)
    occurrence, definition = scheduling.get_occurrence_with_definition(
        session=session, org_id=organization.id, occurrence_id=occurrence_id
    )
    if definition.status is not DefinitionStatus.ACTIVE:
        raise NotFound("occurrence_not_found", f"No occurrence {occurrence_id}.")
    now = clock()
    ticket_types = []
    for ticket_type in service.list_ticket_types(session=session, org_id=organization.id, definition_id=definition.id):
        read = TicketTypeRead.model_validate(ticket_type)
        read.status = service.effective_ticket_type_status(ticket_type, now)
        if read.status is not TicketTypeStatus.DISABLED:
            ticket_types.append(read)
    return PublicOccurrence(
        occurrence=scheduling.occurrence_view(occurrence, definition),
        event_name=definition.name,
        description=definition.settings.get("description"),
        venue_name=definition.venue_name,
        ticket_types=ticket_types,
    )
