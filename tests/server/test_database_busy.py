"""A database too busy to take a request answers 503 with Retry-After, not a 500."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError


def test_a_busy_database_answers_503_with_retry_after(app, client) -> None:
    @app.get("/busy-for-test")
    def busy() -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))

    response = client.get("/busy-for-test")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["code"] == "database_busy"


def test_other_database_errors_stay_500(app, client) -> None:
    @app.get("/broken-for-test")
    def broken() -> None:
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: nothing"))

    assert client.get("/broken-for-test").status_code == 500
