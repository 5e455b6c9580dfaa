"""Fixtures and helpers for the ticket-sales tests (bookings, payments, jobs, notifications): a sellable event in
the app's database and storefront calls. Test packages import the fixtures in their conftest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from server.bookings.models import Order, Ticket
from server.events.models import EventOccurrence, TicketType
from shared.enums import TicketStatus
from tests.support.clock import ManualClock
from tests.support.factories import SellableEvent, make_sellable_event, reservation_body
from tests.support.orgs import SeededOrg


@pytest.fixture
def db(app: FastAPI) -> Iterator[sessionmaker[Session]]:
    """The app's own sessions; its engine is disposed at the end (reads after the server stopped reopen it)."""
    factory: sessionmaker[Session] = app.state.session_factory
    yield factory
    app.state.engine.dispose()


@pytest.fixture
def org_slug(db: sessionmaker[Session], org: SeededOrg) -> str:
    from server.tenancy.models import Organization

    with db() as session:
        return session.get_one(Organization, org.org_id).slug


@pytest.fixture
def event(db: sessionmaker[Session], org: SeededOrg, clock: ManualClock) -> SellableEvent:
    return make_sellable_event(db, org, start_at=clock() + timedelta(days=5), capacity=10)


def reserve(
    client: TestClient,
    slug: str,
    event: SellableEvent,
    quantity: int = 1,
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> Any:
    return client.post(f"/api/v1/public/{slug}/orders", json=reservation_body(event, quantity, **kw), headers=headers)


def pay(client: TestClient, slug: str, order: dict[str, Any], mode: str = "pay") -> Any:
    return client.post(
        f"/api/v1/public/{slug}/orders/{order['id']}/pay",
        json={"mode": mode},
        headers={"X-Order-Secret": order["access_secret"]},
    )


def counters(db: sessionmaker[Session], event: SellableEvent) -> tuple[int, int, int]:
    """(seats_sold, quantity_sold, seat-holding ticket rows) for the event."""
    with db() as session:
        seats = session.scalar(sa.select(EventOccurrence.seats_sold).where(EventOccurrence.id == event.occurrence_id))
        sold = session.scalar(sa.select(TicketType.quantity_sold).where(TicketType.id == event.ticket_type_id))
        holding = session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(
                Ticket.event_occurrence_id == event.occurrence_id,
                Ticket.status.in_((TicketStatus.RESERVED, TicketStatus.CONFIRMED, TicketStatus.CHECKED_IN)),
            )
        )
        assert seats is not None
        assert sold is not None
        return seats, sold, int(holding or 0)


def order_status(db: sessionmaker[Session], order_id: str) -> str:
    with db() as session:
        return str(session.scalar(sa.select(Order.status).where(Order.id == sa.cast(order_id, Order.id.type))))
