"""The Alembic history builds the schema the models describe, and unwinds it completely."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.db.migrate import alembic_config, downgrade, upgrade
from server.db.registry import metadata
from tests.support.databases import create_postgres_database, drop_postgres_database


def _schema_drift(url: str) -> list[object]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    return list(diff)


def _table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


def _round_trip(url: str) -> None:
    upgrade(url)
    assert _schema_drift(url) == []
    assert {t.name for t in metadata.sorted_tables} <= _table_names(url)
    downgrade(url, "base")
    assert _table_names(url) <= {"alembic_version"}
    upgrade(url)
    assert _schema_drift(url) == []
    command.check(alembic_config(url))


def test_migrations_round_trip_on_sqlite(tmp_path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'm.sqlite3'}")


def test_migrations_round_trip_on_postgres(postgres_template) -> None:
    url = create_postgres_database("usher_migration")
    try:
        _round_trip(url)
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            enum_types = connection.exec_driver_sql("SELECT count(*) FROM pg_type WHERE typname = 'ticket_status'")
            assert enum_types.scalar_one() == 1
        engine.dispose()
    finally:
        drop_postgres_database(url)
