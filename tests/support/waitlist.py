"""Helpers for the waitlist tests: a sold-out occurrence, joining and buying through the API, and the invariants
that must hold whatever happened (counters against rows)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from server.bookings.models import Ticket
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.waitlist.models import ACTIVE_STATUSES, WaitlistEntry
from shared.enums import TicketStatus, WaitlistStatus
from tests.support.factories import SellableEvent
from tests.support.sales import pay, reserve

HOLDING = (TicketStatus.RESERVED, TicketStatus.CONFIRMED, TicketStatus.CHECKED_IN)


def sell_out(client: TestClient, slug: str, event: SellableEvent, seats: int) -> list[dict[str, Any]]:
    """``seats`` paid orders of one ticket each (the occurrence's capacity, to sell it out)."""
    orders = []
    for _ in range(seats):
        order = reserve(client, slug, event).json()
        assert pay(client, slug, order).status_code == 200
        orders.append(order)
    return orders


def join(
    client: TestClient,
    slug: str,
    event: SellableEvent,
    email: str,
    quantity: int = 1,
    ticket_type_id: uuid.UUID | str | None = None,
    **fields: Any,
) -> Any:
    body: dict[str, Any] = {"given_name": "Wanda", "family_name": "Waits", "email": email, "quantity": quantity}
    if ticket_type_id is not None:
        body["ticket_type_id"] = str(ticket_type_id)
    body.update(fields)
    return client.post(f"/api/v1/public/{slug}/occurrences/{event.occurrence_id}/waitlist", json=body)


def joined(client: TestClient, slug: str, event: SellableEvent, email: str, quantity: int = 1, **kw: Any) -> Any:
    response = join(client, slug, event, email, quantity, **kw)
    assert response.status_code == 201, response.text
    return response.json()


def secret_headers(entry: dict[str, Any]) -> dict[str, str]:
    return {"X-Waitlist-Secret": entry["access_secret"]}


def buy(client: TestClient, slug: str, entry: dict[str, Any], quantity: int | None = None) -> Any:
    count = quantity if quantity is not None else entry["quantity_requested"]
    attendees = [
        {"given_name": f"Seat {n}", "email": f"seat{n}-{uuid.uuid4().hex[:6]}@example.com"} for n in range(count)
    ]
    return client.post(
        f"/api/v1/public/{slug}/waitlist/{entry['id']}/orders",
        json={"attendees": attendees},
        headers=secret_headers(entry),
    )


def cancel_ticket(client: TestClient, headers: dict[str, str], order: dict[str, Any]) -> None:
    response = client.post("/api/v1/tickets/cancel", json={"ticket_ids": [order["tickets"][0]["id"]]}, headers=headers)
    assert response.status_code == 200, response.text


def entry_row(db: sessionmaker[Session], entry_id: str | uuid.UUID) -> WaitlistEntry:
    with db() as session:
        return session.get_one(WaitlistEntry, uuid.UUID(str(entry_id)))


def statuses(db: sessionmaker[Session], event: SellableEvent) -> list[tuple[int, str]]:
    """(quantity, status) of the occurrence's entries in queue order."""
    with db() as session:
        rows = session.execute(
            sa.select(WaitlistEntry.quantity_requested, WaitlistEntry.status)
            .where(WaitlistEntry.event_occurrence_id == event.occurrence_id)
            .order_by(WaitlistEntry.position)
        ).all()
    return [(quantity, status.value) for quantity, status in rows]


def occurrence_numbers(db: sessionmaker[Session], occurrence_id: uuid.UUID) -> tuple[int, int, int]:
    """(seats_sold, seats_blocked, waitlist_count)."""
    with db() as session:
        row = session.execute(
            sa.select(EventOccurrence.seats_sold, EventOccurrence.seats_blocked, EventOccurrence.waitlist_count).where(
                EventOccurrence.id == occurrence_id
            )
        ).one()
    return row.seats_sold, row.seats_blocked, row.waitlist_count


def assert_consistent(db: sessionmaker[Session], event: SellableEvent) -> None:
    """The counters say what the rows say, and capacity holds."""
    with db() as session:
        occurrence = session.get_one(EventOccurrence, event.occurrence_id)
        definition = session.get_one(EventDefinition, occurrence.event_definition_id)
        ticket_type = session.get_one(TicketType, event.ticket_type_id)
        holding = session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(Ticket.event_occurrence_id == occurrence.id, Ticket.status.in_(HOLDING))
        )
        held = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(WaitlistEntry.quantity_requested), 0)).where(
                WaitlistEntry.event_occurrence_id == occurrence.id,
                WaitlistEntry.status == WaitlistStatus.NOTIFIED,
                WaitlistEntry.order_id.is_(None),
            )
        )
        type_held = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(WaitlistEntry.quantity_requested), 0)).where(
                WaitlistEntry.held_ticket_type_id == ticket_type.id,
                WaitlistEntry.status == WaitlistStatus.NOTIFIED,
                WaitlistEntry.order_id.is_(None),
            )
        )
        active = session.scalar(
            sa.select(sa.func.count())
            .select_from(WaitlistEntry)
            .where(WaitlistEntry.event_occurrence_id == occurrence.id, WaitlistEntry.status.in_(ACTIVE_STATUSES))
        )
        positions = session.scalars(
            sa.select(WaitlistEntry.position).where(WaitlistEntry.event_occurrence_id == occurrence.id)
        ).all()
    capacity = occurrence.capacity_override if occurrence.capacity_override is not None else definition.max_capacity
    assert occurrence.seats_sold == holding, (occurrence.seats_sold, holding)
    assert occurrence.seats_blocked == held, (occurrence.seats_blocked, held)
    assert ticket_type.quantity_blocked == type_held, (ticket_type.quantity_blocked, type_held)
    assert occurrence.waitlist_count == active, (occurrence.waitlist_count, active)
    assert len(set(positions)) == len(positions)
    if capacity is not None:
        assert occurrence.seats_sold + occurrence.seats_blocked <= capacity
