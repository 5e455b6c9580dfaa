"""Fixtures shared by the whole suite: databases on both backends, engines and sessions."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from server.app import create_app
from server.config import Environment, Settings
from server.db.engine import create_db_engine, create_session_factory
from tests.support.clock import ManualClock
from tests.support.databases import IN_CI, PostgresTemplate, SqliteTemplate, postgres_unreachable_reason
from tests.support.orgs import SeededOrg, make_org

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BACKENDS = ["sqlite", "postgres"]


def require_postgres() -> None:
    """Skip (locally) or fail (in CI) when PostgreSQL is not there."""
    reason = postgres_unreachable_reason()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate]:
    require_postgres()
    template = PostgresTemplate()
    yield template
    template.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


POSTGRES_FIXTURES = {"postgres_url", "postgres_template"}


def _needs_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("backend") == "postgres":
        return True
    return bool(POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _needs_postgres(item):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """A clean database at head on the parametrized backend."""
    if backend == "postgres":
        template: PostgresTemplate = request.getfixturevalue("postgres_template")
        return template.clean()
    sqlite: SqliteTemplate = request.getfixturevalue("sqlite_template")
    return sqlite.clean()


@pytest.fixture
def postgres_url(postgres_template: PostgresTemplate) -> str:
    """A clean PostgreSQL database at head, for tests that are about PostgreSQL only."""
    return postgres_template.clean()


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(database_url, pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return create_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment=Environment.TEST, run_jobs=False)


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> FastAPI:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def org(app: FastAPI, clock: ManualClock) -> SeededOrg:
    """An organization with an all-permissions token, in the app's database."""
    return make_org(app.state.session_factory, clock)


@pytest.fixture
def other_org(app: FastAPI, clock: ManualClock) -> SeededOrg:
    return make_org(app.state.session_factory, clock, name="Rival Events")
