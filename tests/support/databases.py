"""Test databases: a migrated template per backend, and a clean copy of it for each test.

PostgreSQL tests create and drop their own databases on the server named by ``USHER_TEST_PG_ADMIN_URL``
(default: the local trust-auth server). When it cannot be reached they are skipped locally and fail when
``CI=true``: CI must never pass without having run them.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from server.db.migrate import upgrade
from server.db.registry import metadata

PG_ADMIN_URL = os.environ.get("USHER_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def postgres_unreachable_reason() -> str | None:
    """None when the admin server answers, else why not."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure to connect means "not available"
        return f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)}: {error}"
    return None


def _admin_execute(statement: str) -> None:
    engine = sa.create_engine(PG_ADMIN_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(statement)
    engine.dispose()


def create_postgres_database(prefix: str = "usher_test") -> str:
    name = f"{prefix}_{secrets.token_hex(6)}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def data_tables() -> list[str]:
    return [table.name for table in metadata.sorted_tables]


@dataclass
class PostgresTemplate:
    """One migrated database per test session; tests get it emptied."""

    url: str = field(default_factory=create_postgres_database)

    def __post_init__(self) -> None:
        upgrade(self.url)
        self._engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)

    def clean(self) -> str:
        tables = ", ".join(f'"{name}"' for name in data_tables())
        with self._engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        return self.url

    def close(self) -> None:
        self._engine.dispose()
        drop_postgres_database(self.url)


@dataclass
class SqliteTemplate:
    """A migrated SQLite file copied afresh for each test (a file copy is far cheaper than migrating)."""

    directory: Path

    def __post_init__(self) -> None:
        self.template = self.directory / "template.sqlite3"
        upgrade(f"sqlite:///{self.template}")
        self._count = 0

    def clean(self) -> str:
        self._count += 1
        target = self.directory / f"test-{self._count}.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"
