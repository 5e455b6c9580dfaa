"""The waitlist under concurrency, through a real uvicorn server: joins and leaves racing keep the count and the
places straight (both databases); buyers racing the releases that free seats never take the waitlist's turn and
never oversell (PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from server.app import create_app
from server.config import Settings
from server.tenancy.models import Organization
from server.waitlist.models import WaitlistEntry
from shared.enums import WaitlistStatus
from tests.support.factories import SellableEvent, make_sellable_event, reservation_body
from tests.support.live_server import running_server
from tests.support.orgs import SeededOrg, make_org
from tests.support.waitlist import assert_consistent, occurrence_numbers

pytestmark = pytest.mark.slow


def _sell_out(http: httpx.Client, slug: str, event: SellableEvent, seats: int) -> list[dict[str, Any]]:
    orders = []
    for _ in range(seats):
        order = http.post(f"/api/v1/public/{slug}/orders", json=reservation_body(event, 1)).json()
        paid = http.post(
            f"/api/v1/public/{slug}/orders/{order['id']}/pay",
            json={"mode": "pay"},
            headers={"X-Order-Secret": order["access_secret"]},
        )
        assert paid.status_code == 200, paid.text
        orders.append(paid.json())
    return orders


def _join_body(email: str) -> dict[str, Any]:
    return {"given_name": "Racer", "email": email, "quantity": 1}


async def _gather(base_url: str, calls: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]]) -> list[int]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
        responses = await asyncio.gather(
            *(http.request(method, url, json=body, headers=headers) for method, url, body, headers in calls)
        )
    return [response.status_code for response in responses]


def test_concurrent_joins_and_leaves_keep_the_count_and_the_places_exact(app, db, org, org_slug, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=3), capacity=5)
    with running_server(app) as base_url:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            _sell_out(http, org_slug, event, 5)
            leavers = [
                http.post(
                    f"/api/v1/public/{org_slug}/occurrences/{event.occurrence_id}/waitlist",
                    json=_join_body(f"leaver{n}@example.com"),
                ).json()
                for n in range(10)
            ]
        join_url = f"/api/v1/public/{org_slug}/occurrences/{event.occurrence_id}/waitlist"
        calls = [("POST", join_url, _join_body(f"new{n}@example.com"), {}) for n in range(30)]
        # The same five people twice each, at once: each gets in exactly once.
        calls += [("POST", join_url, _join_body(f"Twice{n}@Example.com"), {}) for n in range(5)]
        calls += [("POST", join_url, _join_body(f"twice{n}@example.com"), {}) for n in range(5)]
        calls += [
            (
                "POST",
                f"/api/v1/public/{org_slug}/waitlist/{entry['id']}/leave",
                None,
                {"X-Waitlist-Secret": entry["access_secret"]},
            )
            for entry in leavers
        ]
        statuses = asyncio.run(_gather(base_url, calls))

    assert statuses[:30] == [201] * 30
    twice = statuses[30:40]
    assert sorted(twice) == [201] * 5 + [409] * 5
    assert all({twice[n], twice[n + 5]} == {201, 409} for n in range(5))
    assert statuses[40:] == [200] * 10
    assert occurrence_numbers(db, event.occurrence_id) == (5, 0, 35)
    with db() as session:
        waiting = session.scalars(
            sa.select(WaitlistEntry.position).where(
                WaitlistEntry.event_occurrence_id == event.occurrence_id,
                WaitlistEntry.status == WaitlistStatus.WAITING,
            )
        ).all()
    assert len(waiting) == len(set(waiting)) == 35
    assert_consistent(db, event)


@pytest.fixture
def postgres_app(postgres_url, clock):
    app = create_app(Settings(database_url=postgres_url, run_jobs=False), clock=clock)
    yield app
    app.state.engine.dispose()


def _org_and_slug(app, clock) -> tuple[SeededOrg, str]:
    db = app.state.session_factory
    org = make_org(db, clock)
    with db() as session:
        return org, session.get_one(Organization, org.org_id).slug


def _entry_statuses(db, event: SellableEvent) -> list[str]:
    with db() as session:
        return [
            status.value
            for status in session.scalars(
                sa.select(WaitlistEntry.status)
                .where(WaitlistEntry.event_occurrence_id == event.occurrence_id)
                .order_by(WaitlistEntry.position)
            )
        ]


def test_buyers_racing_cancellations_never_take_the_waitlists_turn_nor_oversell(postgres_app, clock) -> None:
    """20 seats sold, 9 people waiting; 9 tickets are canceled, one request each, while 80 buyers race for seats.
    Each freed seat is held for the next in line in the transaction that frees it: every buyer is refused."""
    db = postgres_app.state.session_factory
    org, slug = _org_and_slug(postgres_app, clock)
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=3), capacity=20)
    with running_server(postgres_app) as base_url:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            orders = _sell_out(http, slug, event, 20)
            for n in range(9):
                joined = http.post(
                    f"/api/v1/public/{slug}/occurrences/{event.occurrence_id}/waitlist",
                    json=_join_body(f"line{n}@example.com"),
                )
                assert joined.status_code == 201, joined.text
        cancels = [
            ("POST", "/api/v1/tickets/cancel", {"ticket_ids": [order["tickets"][0]["id"]]}, org.headers)
            for order in orders[:9]
        ]
        buyers = [("POST", f"/api/v1/public/{slug}/orders", reservation_body(event, 1), {}) for _ in range(80)]
        # Buyers before, between and after the cancellations.
        calls = [call for group in zip(buyers[:72:8], cancels, strict=True) for call in group] + [
            buyer for index, buyer in enumerate(buyers) if index % 8 or index >= 72
        ]
        statuses = asyncio.run(_gather(base_url, calls))

    cancel_statuses = statuses[1:18:2]
    buyer_statuses = statuses[0:18:2] + statuses[18:]
    assert cancel_statuses == [200] * 9
    assert buyer_statuses == [409] * 80
    assert _entry_statuses(db, event) == ["notified"] * 9
    assert occurrence_numbers(db, event.occurrence_id) == (11, 9, 9)
    assert_consistent(db, event)


def test_buyers_racing_for_expired_holds_leave_them_to_the_waitlist_first(postgres_app, clock) -> None:
    """10 seats paid, 10 held and then expired, 4 people waiting, 60 buyers at once and no sweeper: the buyers'
    own lazy release hands 4 seats to the line and 6 are sold, never more."""
    db = postgres_app.state.session_factory
    org, slug = _org_and_slug(postgres_app, clock)
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=3), capacity=20)
    with running_server(postgres_app) as base_url:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            _sell_out(http, slug, event, 10)
            for _ in range(10):
                assert http.post(f"/api/v1/public/{slug}/orders", json=reservation_body(event, 1)).status_code == 201
            clock.advance(minutes=10)
            for n in range(4):
                # The holds have not expired yet: the occurrence is full, so they may join.
                joined = http.post(
                    f"/api/v1/public/{slug}/occurrences/{event.occurrence_id}/waitlist",
                    json=_join_body(f"line{n}-{uuid.uuid4().hex[:4]}@example.com"),
                )
                assert joined.status_code == 201, joined.text
        clock.advance(minutes=6)
        buyers = [("POST", f"/api/v1/public/{slug}/orders", reservation_body(event, 1), {}) for _ in range(60)]
        statuses = asyncio.run(_gather(base_url, buyers))

    assert sorted(set(statuses)) == [201, 409]
    assert statuses.count(201) == 6
    assert _entry_statuses(db, event) == ["notified"] * 4
    assert occurrence_numbers(db, event.occurrence_id) == (16, 4, 4)
    assert_consistent(db, event)
