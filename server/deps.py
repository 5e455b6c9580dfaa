"""Typed FastAPI dependencies: the database session, the clock, and the authenticated principal."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from server.config import Settings
from server.devices import service as devices_service
from server.devices.models import Device
from server.errors import Forbidden, Unauthenticated
from server.tenancy import service as tenancy_service
from shared.enums import Permission
from shared.wire import DEVICE_TOKEN_PREFIX

Clock = Callable[[], datetime]


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(get_db)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]

_bearer = HTTPBearer(auto_error=False, description="An org API token (`usher_...`) or a device token (`usherdev_...`).")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API token of an org (with permissions), or a paired device (``device_id``; no organizer
    permissions, so organizer endpoints refuse it)."""

    org_id: uuid.UUID
    account_id: uuid.UUID | None
    permissions: frozenset[Permission]
    token_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions


def get_principal(
    session: DbSession,
    clock: ClockDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("missing_token", "Send an API token as 'Authorization: Bearer <token>'.")
    if credentials.credentials.startswith(DEVICE_TOKEN_PREFIX):
        device = devices_service.authenticate_device(session=session, secret=credentials.credentials, now=clock())
        return Principal(org_id=device.org_id, account_id=None, permissions=frozenset(), device_id=device.id)
    identity = tenancy_service.authenticate_token(session=session, secret=credentials.credentials, now=clock())
    return Principal(
        org_id=identity.org_id,
        account_id=identity.account_id,
        permissions=identity.permissions,
        token_id=identity.token_id,
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency that lets the call through only when the caller's token carries ``permission``."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(permission):
            raise Forbidden(
                "missing_permission", f"This token lacks the '{permission}' permission.", permission=str(permission)
            )
        return principal

    return check


CanCreateEvents = Annotated[Principal, Depends(require(Permission.EVENT_CREATE))]
CanManageEvents = Annotated[Principal, Depends(require(Permission.EVENT_MANAGE))]
CanSellTickets = Annotated[Principal, Depends(require(Permission.TICKET_SELL))]
CanViewAttendees = Annotated[Principal, Depends(require(Permission.ATTENDEE_VIEW))]


def get_device(principal: CurrentPrincipal, session: DbSession) -> Device:
    """The calling device (its row as of this request); an org token is refused here."""
    if principal.device_id is None:
        raise Forbidden("device_token_required", "This endpoint is for paired devices (a 'usherdev_' token).")
    device = session.get(Device, principal.device_id)
    assert device is not None
    return device


CurrentDevice = Annotated[Device, Depends(get_device)]
