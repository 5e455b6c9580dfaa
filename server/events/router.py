"""HTTP routes of the event catalog: thin translations to the services."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from server.deps import CanCreateEvents, CanManageEvents, ClockDep, CurrentPrincipal, DbSession, SettingsDep
from server.events import discovery, scheduling, service
from server.events.models import TicketType
from server.events.schemas import (
    DefinitionCreate,
    DefinitionRead,
    DefinitionUpdate,
    GenerationResult,
    OccurrenceCancel,
    OccurrenceCreate,
    OccurrencePage,
    OccurrenceRead,
    OccurrenceTransition,
    OccurrenceUpdate,
    StatusChange,
    TicketTypeCreate,
    TicketTypeRead,
    TicketTypeUpdate,
)
from server.tenancy.service import default_account_id
from shared.enums import DefinitionStatus, OccurrenceStatus

router = APIRouter(tags=["events"])


def _ticket_type_read(ticket_type: TicketType, now: datetime) -> TicketTypeRead:
    read = TicketTypeRead.model_validate(ticket_type)
    read.status = service.effective_ticket_type_status(ticket_type, now)
    return read


@router.post("/events", response_model=DefinitionRead, status_code=status.HTTP_201_CREATED)
def create_event(body: DefinitionCreate, session: DbSession, clock: ClockDep, principal: CanCreateEvents) -> object:
    account_id = principal.account_id or default_account_id(session=session, org_id=principal.org_id)
    return service.create_definition(
        session=session, org_id=principal.org_id, account_id=account_id, data=body, now=clock()
    )


@router.get("/events", response_model=list[DefinitionRead])
def list_events(
    session: DbSession,
    principal: CurrentPrincipal,
    status_filter: Annotated[DefinitionStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> object:
    return service.list_definitions(
        session=session, org_id=principal.org_id, status=status_filter, limit=limit, offset=offset
    )


@router.get("/events/{event_id}", response_model=DefinitionRead)
def read_event(event_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> object:
    return service.get_definition(session=session, org_id=principal.org_id, definition_id=event_id)


@router.patch("/events/{event_id}", response_model=DefinitionRead)
def update_event(
    event_id: uuid.UUID, body: DefinitionUpdate, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> object:
    return service.update_definition(
        session=session, org_id=principal.org_id, definition_id=event_id, data=body, now=clock()
    )


@router.post("/events/{event_id}/status", response_model=DefinitionRead)
def change_event_status(
    event_id: uuid.UUID, body: StatusChange, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> object:
    return service.change_definition_status(
        session=session, org_id=principal.org_id, definition_id=event_id, status=body.status, now=clock()
    )


@router.delete("/events/{event_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_event(event_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanManageEvents) -> Response:
    service.delete_definition(session=session, org_id=principal.org_id, definition_id=event_id, now=clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/events/{event_id}/ticket-types", response_model=list[TicketTypeRead])
def list_ticket_types(event_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CurrentPrincipal) -> object:
    now = clock()
    items = service.list_ticket_types(session=session, org_id=principal.org_id, definition_id=event_id)
    return [_ticket_type_read(item, now) for item in items]


@router.post("/events/{event_id}/ticket-types", response_model=TicketTypeRead, status_code=status.HTTP_201_CREATED)
def create_ticket_type(
    event_id: uuid.UUID, body: TicketTypeCreate, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> object:
    now = clock()
    created = service.create_ticket_type(
        session=session, org_id=principal.org_id, definition_id=event_id, data=body, now=now
    )
    return _ticket_type_read(created, now)


@router.get("/ticket-types/{ticket_type_id}", response_model=TicketTypeRead)
def read_ticket_type(
    ticket_type_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> object:
    found = service.get_ticket_type(session=session, org_id=principal.org_id, ticket_type_id=ticket_type_id)
    return _ticket_type_read(found, clock())


@router.patch("/ticket-types/{ticket_type_id}", response_model=TicketTypeRead)
def update_ticket_type(
    ticket_type_id: uuid.UUID,
    body: TicketTypeUpdate,
    session: DbSession,
    clock: ClockDep,
    principal: CanManageEvents,
) -> object:
    now = clock()
    updated = service.update_ticket_type(
        session=session, org_id=principal.org_id, ticket_type_id=ticket_type_id, data=body, now=now
    )
    return _ticket_type_read(updated, now)


@router.post("/events/{event_id}/occurrences", response_model=list[OccurrenceRead], status_code=status.HTTP_201_CREATED)
def schedule_occurrence(
    event_id: uuid.UUID, body: OccurrenceCreate, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> object:
    created = scheduling.schedule_occurrence(
        session=session, org_id=principal.org_id, definition_id=event_id, data=body, now=clock()
    )
    definition = service.get_definition(session=session, org_id=principal.org_id, definition_id=event_id)
    return [scheduling.occurrence_view(occurrence, definition) for occurrence in created]


@router.post("/events/{event_id}/occurrences/generate", response_model=GenerationResult)
def generate_occurrences(
    event_id: uuid.UUID, session: DbSession, clock: ClockDep, settings: SettingsDep, principal: CanManageEvents
) -> object:
    return scheduling.generate_recurring(
        session=session,
        org_id=principal.org_id,
        definition_id=event_id,
        now=clock(),
        horizon_days=settings.occurrence_horizon_days,
    )


@router.get("/events/{event_id}/occurrences", response_model=list[OccurrenceRead])
def list_event_occurrences(event_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> object:
    definition = service.get_definition(session=session, org_id=principal.org_id, definition_id=event_id)
    occurrences = scheduling.list_occurrences_of_definition(
        session=session, org_id=principal.org_id, definition_id=event_id
    )
    return [scheduling.occurrence_view(occurrence, definition) for occurrence in occurrences]


@router.get("/occurrences", response_model=OccurrencePage)
def search_occurrences(
    search: discovery.SearchParameters,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    venue_space_id: uuid.UUID | None = None,
    status_filter: Annotated[list[OccurrenceStatus] | None, Query(alias="status")] = None,
    event_id: uuid.UUID | None = None,
) -> object:
    search = discovery.narrowed(search, venue_space_id=venue_space_id, statuses=status_filter, event_id=event_id)
    return discovery.search_occurrences(
        session=session, org_id=principal.org_id, search=search, public=False, now=clock()
    )


@router.get("/occurrences/{occurrence_id}", response_model=OccurrenceRead)
def read_occurrence(occurrence_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> object:
    occurrence, definition = scheduling.get_occurrence_with_definition(
        session=session, org_id=principal.org_id, occurrence_id=occurrence_id
    )
    return scheduling.occurrence_view(occurrence, definition)


@router.patch("/occurrences/{occurrence_id}", response_model=OccurrenceRead)
def update_occurrence(
    occurrence_id: uuid.UUID, body: OccurrenceUpdate, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> object:
    occurrence = scheduling.update_occurrence(
        session=session, org_id=principal.org_id, occurrence_id=occurrence_id, data=body, now=clock()
    )
    return read_occurrence(occurrence.id, session, principal)


@router.post("/occurrences/{occurrence_id}/status", response_model=OccurrenceRead)
def transition_occurrence(
    occurrence_id: uuid.UUID,
    body: OccurrenceTransition,
    session: DbSession,
    clock: ClockDep,
    principal: CanManageEvents,
) -> object:
    scheduling.transition_occurrence(
        session=session, org_id=principal.org_id, occurrence_id=occurrence_id, status=body.status, now=clock()
    )
    return read_occurrence(occurrence_id, session, principal)


@router.post("/occurrences/{occurrence_id}/cancel", response_model=OccurrenceRead)
def cancel_occurrence(
    occurrence_id: uuid.UUID, body: OccurrenceCancel, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> object:
    scheduling.cancel_occurrence(
        session=session,
        org_id=principal.org_id,
        occurrence_id=occurrence_id,
        reason=body.reason,
        force=body.force,
        now=clock(),
    )
    return read_occurrence(occurrence_id, session, principal)
