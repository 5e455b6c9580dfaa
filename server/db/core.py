"""The declarative base and the shared column building blocks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.db.types import JSONDocument, UTCDateTime, json_default, utcnow

# Stable constraint names, so Alembic revisions can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDocument}


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.Uuid(), primary_key=True, default=uuid.uuid4)


def org_fk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.Uuid(), sa.ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False)


def account_fk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="RESTRICT"), nullable=False)


def settings_column() -> Mapped[dict[str, Any]]:
    return mapped_column(JSONDocument, nullable=False, default=json_default)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)


class ChangeTracked:
    """Rows that kiosks replicate. Database triggers stamp both columns on every insert and update (see
    ``server/sync/tracking.py`` and migration 0003), so no write path can forget them; application code never
    writes them. ``change_txid`` is the writing transaction's id on PostgreSQL (a counter on SQLite) and
    ``change_seq`` a global sequence: pulls serve rows in ``(change_txid, change_seq)`` order."""

    change_txid: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    change_seq: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")


def named(name: str) -> Any:
    """A constraint name taken verbatim (the spec's own names), bypassing the naming convention."""
    return sa.sql.elements.conv(name)
