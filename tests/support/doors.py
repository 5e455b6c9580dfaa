"""An occurrence whose doors are open (check-in runs) while tickets are still on sale, and tickets sold for it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from tests.support.clock import ManualClock
from tests.support.factories import SellableEvent, make_sellable_event
from tests.support.orgs import SeededOrg

DOORS_OPEN = {"check_in": {"doors_open_minutes": 120}}


@pytest.fixture
def doors(app: FastAPI, org: SeededOrg, clock: ManualClock) -> SellableEvent:
    """Starts in 30 minutes; doors opened 90 minutes ago; 20 seats."""
    return make_sellable_event(
        app.state.session_factory,
        org,
        start_at=clock() + timedelta(minutes=30),
        capacity=20,
        definition_settings=DOORS_OPEN,
    )


def sell(client: Any, org: SeededOrg, event: SellableEvent, quantity: int = 1, **attendee: Any) -> list[dict[str, Any]]:
    """Confirmed tickets through the box office (complimentary), with codes and signed tokens; in orders of at most
    ten (a ticket type's default maximum per purchase)."""
    if quantity > 10:
        return sell(client, org, event, 10, **attendee) + sell(client, org, event, quantity - 10, **attendee)
    attendees = [
        {
            "given_name": f"Guest{i}",
            "family_name": "Doe",
            "email": f"g{i}-{uuid.uuid4().hex[:6]}@example.com",
            **attendee,
        }
        for i in range(quantity)
    ]
    body = {
        "occurrence_id": str(event.occurrence_id),
        "ticket_type_id": str(event.ticket_type_id),
        "attendees": attendees,
        "payment": {"method": "complimentary"},
    }
    response = client.post("/api/v1/box-office/sales", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return list(response.json()["tickets"])
