"""Hundreds of guests racing for the last seats through a real uvicorn server: never one seat too many.

On SQLite every transaction begins with BEGIN IMMEDIATE and waits up to busy_timeout (30 s) for the write lock, so
racers queue instead of failing: the test expects no error at all, only 201s and 409s (sold out).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.config import Settings
from tests.support.factories import make_sellable_event, reservation_body
from tests.support.live_server import running_server
from tests.support.locks import wait_until_blocked_on_a_lock
from tests.support.sales import counters

ATTEMPTS = 200
CAPACITY = 50


async def _race(base_url: str, slug: str, bodies: list[dict[str, object]]) -> list[int]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        responses = await asyncio.gather(*(http.post(f"/api/v1/public/{slug}/orders", json=b) for b in bodies))
    return [response.status_code for response in responses]


def _run_race(app: FastAPI, db, org, org_slug, clock, quantity_available: int | None = None) -> None:
    event = make_sellable_event(
        db, org, start_at=clock() + timedelta(days=3), capacity=CAPACITY, quantity_available=quantity_available
    )
    bodies = [reservation_body(event, 1) for _ in range(ATTEMPTS)]

    with running_server(app) as base_url:
        statuses = asyncio.run(_race(base_url, org_slug, bodies))

    assert sorted(set(statuses)) == [201, 409], statuses
    assert statuses.count(201) == CAPACITY
    assert counters(db, event) == (CAPACITY, CAPACITY, CAPACITY)


@pytest.mark.slow
def test_two_hundred_racers_for_fifty_seats_get_exactly_fifty(app, db, org, org_slug, clock) -> None:
    _run_race(app, db, org, org_slug, clock)


@pytest.mark.slow
def test_racers_never_oversell_a_ticket_types_quantity_either(app, db, org, org_slug, clock) -> None:
    _run_race(app, db, org, org_slug, clock, quantity_available=CAPACITY)


@pytest.mark.slow
def test_generic_booking_path_never_oversells_on_postgres(postgres_url, clock) -> None:
    """The one-statement path is PostgreSQL's default; the statement-per-step path must hold up there too."""
    from tests.support.orgs import make_org

    settings = Settings(database_url=postgres_url, run_jobs=False, booking_single_statement=False)
    app = create_app(settings, clock=clock)
    db = app.state.session_factory
    org = make_org(db, clock)
    from server.tenancy.models import Organization

    with db() as session:
        slug = session.get_one(Organization, org.org_id).slug
    _run_race(app, db, org, slug, clock)
    app.state.engine.dispose()


async def _same_key(base_url: str, slug: str, body: dict[str, object], count: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        return await asyncio.gather(
            *(
                http.post(f"/api/v1/public/{slug}/orders", json=body, headers={"Idempotency-Key": "double-click"})
                for _ in range(count)
            )
        )


@pytest.mark.slow
def test_concurrent_requests_with_one_idempotency_key_make_one_order(app, db, org, org_slug, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=3), capacity=CAPACITY)
    body = reservation_body(event, 2)

    with running_server(app) as base_url:
        responses = asyncio.run(_same_key(base_url, org_slug, body, 20))

    assert sorted({r.status_code for r in responses}) in ([200, 201], [201])
    assert [r.status_code for r in responses].count(201) == 1
    assert len({r.json()["id"] for r in responses}) == 1
    assert counters(db, event) == (2, 2, 2)


def test_a_reservation_committing_during_an_occurrence_cancel_is_canceled_too(postgres_url: str, clock) -> None:
    """The cancel takes the occurrence's row lock before it looks for orders: a reservation that held that lock
    commits first and its tickets are then found and canceled; none can slip in after the cancel has looked."""
    from server.db.engine import create_db_engine

    engine = create_db_engine(postgres_url, pool_size=4)
    try:
        _race_reservation_against_cancel(engine, clock)
    finally:
        engine.dispose()


def _race_reservation_against_cancel(engine, clock) -> None:
    import threading

    import sqlalchemy as sa

    from server.bookings.reservation import AttendeeDetails, ReserveRequest, reserve_in_transaction
    from server.db.engine import create_session_factory
    from server.events.models import EventOccurrence
    from server.events.scheduling import cancel_occurrence
    from shared.enums import OccurrenceStatus
    from tests.support.orgs import make_org

    factory = create_session_factory(engine)
    org = make_org(factory, clock)
    event = make_sellable_event(factory, org, start_at=clock() + timedelta(days=5), capacity=10)
    request = ReserveRequest(
        occurrence_id=event.occurrence_id,
        ticket_type_id=event.ticket_type_id,
        attendees=(AttendeeDetails(given_name="Late", family_name="Buyer", email="late@example.com"),),
    )
    buyer = factory()
    reserve_in_transaction(session=buyer, org_id=org.org_id, request=request, now=clock(), hold=timedelta(minutes=15))
    errors: list[BaseException] = []

    def cancel() -> None:
        try:
            with factory() as session:
                cancel_occurrence(
                    session=session,
                    org_id=org.org_id,
                    occurrence_id=event.occurrence_id,
                    reason="storm",
                    force=False,
                    now=clock(),
                )
        except BaseException as error:  # reported below
            errors.append(error)

    canceller = threading.Thread(target=cancel)
    canceller.start()
    try:
        wait_until_blocked_on_a_lock(engine, canceller)
    finally:
        buyer.commit()
        buyer.close()
        canceller.join(timeout=30)
    assert not errors, errors
    with factory() as session:
        status = session.scalar(sa.select(EventOccurrence.status).where(EventOccurrence.id == event.occurrence_id))
    assert status is OccurrenceStatus.CANCELED
    assert counters(factory, event) == (0, 0, 0)
