"""Organizations, accounts and API tokens: the Identity & Tenancy neighbours this domain needs, kept minimal."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, Timestamped, org_fk, uuid_pk
from server.db.types import TextList, UTCDateTime


class Organization(Timestamped, Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(120), nullable=False, unique=True)


class Account(Timestamped, Base):
    """An organizer or property manager inside an org."""

    __tablename__ = "accounts"
    __table_args__ = (sa.Index("ix_accounts_org_id", "org_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)


class ApiToken(Timestamped, Base):
    """An org-scoped bearer token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.Index("ix_api_tokens_org_id", "org_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="RESTRICT"), nullable=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    permissions: Mapped[list[str]] = mapped_column(TextList, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
