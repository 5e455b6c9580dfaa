"""Villas and venues (a minimal stand-in for the Supply domain)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.errors import InvalidInput, NotFound
from server.villas.models import Space
from server.villas.schemas import SpaceCreate, SpaceUpdate
from shared.enums import SpaceKind


def create_space(
    *, session: Session, org_id: uuid.UUID, account_id: uuid.UUID | None, data: SpaceCreate, now: datetime
) -> Space:
    space = Space(org_id=org_id, account_id=account_id, created_at=now, updated_at=now, **data.model_dump())
    session.add(space)
    session.commit()
    return space


def get_space(*, session: Session, org_id: uuid.UUID, space_id: uuid.UUID) -> Space:
    space = session.scalar(sa.select(Space).where(Space.id == space_id, Space.org_id == org_id))
    if space is None:
        raise NotFound("space_not_found", f"No space {space_id}.")
    return space


def list_spaces(*, session: Session, org_id: uuid.UUID, kind: SpaceKind | None) -> list[Space]:
    query = sa.select(Space).where(Space.org_id == org_id)
    if kind is not None:
        query = query.where(Space.kind == kind)
    return list(session.scalars(query.order_by(Space.name)))


def update_space(
    *, session: Session, org_id: uuid.UUID, space_id: uuid.UUID, data: SpaceUpdate, now: datetime
) -> Space:
    space = get_space(session=session, org_id=org_id, space_id=space_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise InvalidInput("field_required", "name cannot be null.", field="name")
    for name, value in changes.items():
        setattr(space, name, value)
    space.updated_at = now
    session.commit()
    return space
