"""Building a catalog through the API, as an organizer would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.support.orgs import SeededOrg


def create_event(client: TestClient, org: SeededOrg, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Sunrise Beach Yoga",
        "category": "wellness",
        "event_type": "one_time",
        "duration_minutes": 60,
        "venue_type": "off_property",
        "venue_name": "Main Beach Deck",
        "max_capacity": 20,
    }
    body.update(fields)
    response = client.post("/api/v1/events", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def add_ticket_type(client: TestClient, org: SeededOrg, event_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "General Admission", "price_cents": 2500}
    body.update(fields)
    response = client.post(f"/api/v1/events/{event_id}/ticket-types", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def activate(client: TestClient, org: SeededOrg, event_id: str) -> None:
    response = client.post(f"/api/v1/events/{event_id}/status", json={"status": "active"}, headers=org.headers)
    assert response.status_code == 200, response.text


def schedule(
    client: TestClient, org: SeededOrg, event_id: str, start_at: datetime, **fields: Any
) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"start_at": start_at.isoformat(), "timezone": "UTC"}
    body.update(fields)
    response = client.post(f"/api/v1/events/{event_id}/occurrences", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return list(response.json())


def sellable_event(
    client: TestClient, org: SeededOrg, now: datetime, **event_fields: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An active event with one ticket type and one occurrence two days from ``now``."""
    event = create_event(client, org, **event_fields)
    ticket_type = add_ticket_type(client, org, event["id"])
    activate(client, org, event["id"])
    occurrence = schedule(client, org, event["id"], now + timedelta(days=2))[0]
    return event, ticket_type, occurrence
