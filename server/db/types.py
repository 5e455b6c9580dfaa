"""Column types that behave the same on PostgreSQL and SQLite."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware timestamp, always UTC on the way out.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones and would hand back naive values, which would then
    compare wrongly with aware ones. Naive values are refused on the way in: a bug, not data.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given for a timezone-aware column")
        return value.astimezone(UTC) if dialect.name == "postgresql" else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (the spec's type), JSON text on SQLite.
JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# TEXT[] on PostgreSQL (the spec's type), a JSON list on SQLite.
TextList = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")


def enum_column_type(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """A native enum type on PostgreSQL and a CHECK-constrained VARCHAR on SQLite, both storing the values."""
    return sa.Enum(
        enum_class,
        name=name,
        values_callable=lambda members: [member.value for member in members],
        create_constraint=True,
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_default() -> dict[str, Any]:
    return {}
