from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from server.deps import CanManageEvents, ClockDep, CurrentPrincipal, DbSession
from server.tenancy import service
from server.tenancy.schemas import OrganizationRead, TokenCreate, TokenCreated, TokenRead

router = APIRouter(tags=["organization"])


@router.get("/organization", response_model=OrganizationRead)
def read_own_organization(session: DbSession, principal: CurrentPrincipal) -> object:
    return service.get_organization(session=session, org_id=principal.org_id)


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(session: DbSession, principal: CanManageEvents) -> object:
    return service.list_tokens(session=session, org_id=principal.org_id)


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, session: DbSession, clock: ClockDep, principal: CanManageEvents) -> object:
    token, secret = service.issue_token(
        session=session,
        org_id=principal.org_id,
        account_id=principal.account_id,
        name=body.name,
        permissions=body.permissions,
        held_by_creator=principal.permissions,
        now=clock(),
    )
    return TokenCreated.model_validate({**TokenRead.model_validate(token).model_dump(), "token": secret})


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_token(token_id: uuid.UUID, session: DbSession, clock: ClockDep, principal: CanManageEvents) -> object:
    return service.revoke_token(session=session, org_id=principal.org_id, token_id=token_id, now=clock())
