from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from server.deps import CanManageEvents, ClockDep, CurrentPrincipal, DbSession
from server.villas import service
from server.villas.schemas import SpaceCreate, SpaceRead, SpaceUpdate
from shared.enums import SpaceKind

router = APIRouter(tags=["spaces"])


@router.post("/spaces", response_model=SpaceRead, status_code=status.HTTP_201_CREATED)
def create_space(body: SpaceCreate, session: DbSession, clock: ClockDep, principal: CanManageEvents) -> object:
    return service.create_space(
        session=session, org_id=principal.org_id, account_id=principal.account_id, data=body, now=clock()
    )


@router.get("/spaces", response_model=list[SpaceRead])
def list_spaces(session: DbSession, principal: CurrentPrincipal, kind: SpaceKind | None = None) -> object:
    return service.list_spaces(session=session, org_id=principal.org_id, kind=kind)


@router.get("/spaces/{space_id}", response_model=SpaceRead)
def read_space(space_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> object:
    return service.get_space(session=session, org_id=principal.org_id, space_id=space_id)


@router.patch("/spaces/{space_id}", response_model=SpaceRead)
def update_space(
    space_id: uuid.UUID, body: SpaceUpdate, session: DbSession, clock: ClockDep, principal: CanManageEvents
) -> object:
    return service.update_space(session=session, org_id=principal.org_id, space_id=space_id, data=body, now=clock())
