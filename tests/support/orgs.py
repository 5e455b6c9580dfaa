"""Organizations with tokens, created straight in the database for tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from server.tenancy import service as tenancy_service
from shared.enums import Permission
from tests.support.clock import ManualClock


@dataclass(frozen=True)
class SeededOrg:
    org_id: uuid.UUID
    account_id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_org(session_factory: sessionmaker[Session], clock: ManualClock, *, name: str = "Villa Events") -> SeededOrg:
    with session_factory() as session:
        created = tenancy_service.bootstrap_organization(
            session=session, org_name=f"{name} {uuid.uuid4().hex[:6]}", account_name="Organizer", now=clock()
        )
        session.commit()
        return SeededOrg(created.organization.id, created.account.id, created.token_secret)


def make_token(
    session_factory: sessionmaker[Session], clock: ManualClock, org: SeededOrg, permissions: list[Permission]
) -> str:
    with session_factory() as session:
        _, secret = tenancy_service.create_token(
            session=session,
            org_id=org.org_id,
            account_id=org.account_id,
            name="limited",
            permissions=permissions,
            now=clock(),
        )
        session.commit()
        return secret
