"""Problem+json for every failure, and settings that refuse unsafe production use."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from server.config import Environment, Settings


def test_unknown_route_answers_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_unexpected_failure_answers_500_without_internals(app, client: TestClient) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    response = client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert "secret internal detail" not in response.text


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_openapi_lists_the_api(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/organization" in paths


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(ValidationError, match="USHER_SECRET_KEY"):
        Settings(environment=Environment.PRODUCTION, database_url="sqlite://")


def test_production_accepts_strong_secrets() -> None:
    settings = Settings(
        environment=Environment.PRODUCTION,
        database_url="sqlite://",
        secret_key="k" * 40,
        payment_webhook_secret="w" * 40,
    )
    assert settings.environment is Environment.PRODUCTION


def test_database_url_defaults_to_embedded_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("USHER_DATABASE_URL", raising=False)
    assert Settings().database_url.startswith("sqlite:///")


def test_environment_variables_are_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USHER_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("USHER_HOLD_MINUTES", "20")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.hold_minutes == 20
