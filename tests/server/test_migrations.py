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


# Every table kiosks replicate is stamped by triggers (revision 0003); a later revision that rebuilds one of these
# tables (SQLite's batch mode does) would silently stop its changes reaching kiosks.
TRACKED_TABLES = ("tickets", "event_occurrences", "ticket_types", "event_definitions", "signing_keys", "devices")


def _triggers_by_table(url: str) -> dict[str, set[str]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.exec_driver_sql(
                "SELECT event_object_table, trigger_name FROM information_schema.triggers"
            ).all()
        else:
            rows = connection.exec_driver_sql("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'").all()
    engine.dispose()
    found: dict[str, set[str]] = {}
    for table, name in rows:
        found.setdefault(table, set()).add(name)
    return found


def _assert_tracking_triggers(url: str) -> None:
    triggers = _triggers_by_table(url)
    for table in TRACKED_TABLES:
        names = triggers.get(table, set())
        assert any("insert" in name for name in names), f"{table} lost its insert stamp trigger: {names}"
        assert any("update" in name for name in names), f"{table} lost its update stamp trigger: {names}"
    for table in ("event_occurrences", "ticket_types", "event_definitions"):
        assert any("tombstone" in name for name in triggers.get(table, set())), f"{table} lost its tombstone"


def test_change_tracking_triggers_survive_every_revision_on_sqlite(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'triggers.sqlite3'}"
    upgrade(url)
    _assert_tracking_triggers(url)
    downgrade(url, "0003")
    _assert_tracking_triggers(url)
    upgrade(url)
    _assert_tracking_triggers(url)


def test_change_tracking_triggers_survive_every_revision_on_postgres(postgres_template) -> None:
    url = create_postgres_database("usher_triggers")
    try:
        upgrade(url)
        _assert_tracking_triggers(url)
        downgrade(url, "0003")
        upgrade(url)
        _assert_tracking_triggers(url)
    finally:
        drop_postgres_database(url)
