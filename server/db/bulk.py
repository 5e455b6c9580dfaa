"""Many rows in one statement: inserts and updates by primary key for batches (a kiosk's upload of 2,000 scans).

PostgreSQL gets one statement per batch whatever its size, its rows sent as one JSON document and unpacked by
``jsonb_to_recordset`` (the way ``server.bookings.fastpath`` inserts a reservation's rows): binding 2,000 rows as
2,000 parameter sets through the driver's executemany, or as one array per column, costs several times more in the
driver. SQLite runs the plain ``executemany``.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def _json_default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot send {type(value).__name__} in a bulk statement")


def _recordset(table: Any, names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> tuple[str, dict[str, str]]:
    """``jsonb_to_recordset(...) AS v(col type, ...)`` and its one parameter."""
    definition = ", ".join(f'"{name}" {table.c[name].type.compile(dialect=_PG)}' for name in names)
    document = json.dumps([{name: row[name] for name in names} for row in rows], default=_json_default)
    return f"jsonb_to_recordset(CAST(:rows AS jsonb)) AS v({definition})", {"rows": document}


def insert_rows(session: Session, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    source, params = _recordset(table, names, rows)
    columns = ", ".join(f'"{name}"' for name in names)
    statement = f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM {source}'  # noqa: S608 - identifiers
    session.execute(sa.text(statement), params)


def update_rows(session: Session, table: Any, rows: Sequence[Mapping[str, Any]], *, key: str = "id") -> None:
    """Set the given columns of each row found by ``key`` (dicts with the same keys, ``key`` among them)."""
    if not rows:
        return
    names = list(rows[0])
    if session.get_bind().dialect.name != "postgresql":
        values: dict[str, Any] = {name: sa.bindparam(f"v_{name}") for name in names if name != key}
        statement = table.update().where(table.c[key] == sa.bindparam(f"v_{key}")).values(values)
        session.execute(statement, [{f"v_{name}": row[name] for name in names} for row in rows])
        return
    source, params = _recordset(table, names, rows)
    assignments = ", ".join(f'"{name}" = v."{name}"' for name in names if name != key)
    statement = (
        f'UPDATE "{table.name}" SET {assignments} FROM {source} '  # noqa: S608 - identifiers
        f'WHERE "{table.name}"."{key}" = v."{key}"'
    )
    session.execute(sa.text(statement), params)


def among(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values`` for long lists: on PostgreSQL one array parameter (``= ANY(...)``) instead of one bound
    parameter per value, which costs the driver and SQLAlchemy more than the query costs the database."""
    if session.get_bind().dialect.name == "postgresql" and len(values) > 20:
        return column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)
