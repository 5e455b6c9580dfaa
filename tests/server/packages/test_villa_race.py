"""Guests racing for the last villa nights: exactly one gets them, on both databases, and the losers hold nothing."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from server.app import create_app
from server.bookings.reservation import AttendeeDetails
from server.config import Settings
from server.errors import Conflict
from server.packages import booking as package_booking
from server.villas.availability import DatabaseVillaAvailability
from server.villas.models import BookedNight, Booking
from tests.support.live_server import running_server
from tests.support.locks import wait_until_blocked_on_a_lock
from tests.support.orgs import make_org
from tests.support.packages import CHECK_IN, booking_body, leftovers, villa_event_package
from tests.support.sales import counters

pytestmark = pytest.mark.slow


async def _race(base_url: str, url: str, bodies: list[dict[str, object]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        return await asyncio.gather(*(http.post(url, json=body) for body in bodies))


def test_guests_racing_for_the_last_villa_nights_leave_exactly_one_winner(app, client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org, capacity=40)
    url = f"/api/v1/public/{org_slug}/packages/{world.id}/bookings"

    with running_server(app) as base_url:
        responses = asyncio.run(_race(base_url, url, [booking_body(world) for _ in range(12)]))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 11, [r.text for r in responses if r.status_code not in (201, 409)]
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert all(r.json()["code"] == "package_unavailable" for r in responses if r.status_code == 409)
    with db() as session:
        assert {n.booking_id for n in session.scalars(sa.select(BookedNight))} == {uuid.UUID(winner["id"])}
        assert session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
    assert counters(db, world.cooking) == (2, 2, 2)
    assert counters(db, world.wine) == (2, 2, 2)


def test_the_night_key_refuses_a_racer_that_passed_the_availability_check(postgres_url, clock) -> None:
    """PostgreSQL: guest A's nights are written but not committed, so guest B's check sees them free; B's insert
    then waits on the key, and fails once A commits. B's whole booking rolls back."""
    app = create_app(Settings(database_url=postgres_url, run_jobs=False), clock=clock)
    db = app.state.session_factory
    org = make_org(db, clock)
    with TestClient(app) as client:
        world = villa_event_package(client, db, org)
    nights = [CHECK_IN + timedelta(days=n) for n in range(3)]
    holder = db()
    holder.add(
        Booking(
            id=(first := uuid.uuid4()),
            org_id=org.org_id,
            status="pending",
            guest_email="a@example.com",
            total_cents=0,
            currency="USD",
            created_at=clock(),
            updated_at=clock(),
        )
    )
    holder.flush()
    assert DatabaseVillaAvailability(holder).hold(
        org_id=org.org_id, space_id=world.villa_id, nights=nights, booking_id=first, now=clock()
    )
    before = leftovers(db)
    outcome: list[object] = []

    def guest_b() -> None:
        body = booking_body(world)
        with db() as session:
            try:
                package_booking.book(
                    session=session,
                    org_id=org.org_id,
                    package_id=uuid.UUID(world.id),
                    selection=package_booking.Selection(
                        check_in=CHECK_IN,
                        check_out=CHECK_IN + timedelta(days=3),
                        choices={
                            uuid.UUID(c["item_id"]): package_booking.Choice(occurrence_id=uuid.UUID(c["occurrence_id"]))
                            for c in body["items"]
                        },
                    ),
                    party=package_booking.Party(
                        email="b@example.com", attendees=(AttendeeDetails("B1"), AttendeeDetails("B2"))
                    ),
                    now=clock(),
                    hold=timedelta(minutes=15),
                )
                outcome.append("booked")
            except Conflict as refused:
                outcome.append(refused)

    racer = threading.Thread(target=guest_b)
    racer.start()
    try:
        wait_until_blocked_on_a_lock(app.state.engine, racer)
        holder.commit()
    finally:
        holder.close()  # commits nothing more; a failure above must not leave B waiting forever
        racer.join(timeout=30)

    [refused] = outcome
    assert isinstance(refused, Conflict)
    assert refused.extra["unavailable"] == {world.item("villa"): "nights_taken"}
    after = leftovers(db)
    assert after == {**before, "bookings": before["bookings"] + 1, "nights": before["nights"] + 3}
    assert counters(db, world.cooking) == (0, 0, 0)
    app.state.engine.dispose()
