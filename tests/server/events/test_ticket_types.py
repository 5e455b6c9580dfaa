"""Ticket types: price and window validation, quantities, and the derived statuses."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient

from server.events.models import TicketType
from tests.support.catalog import add_ticket_type, create_event
from tests.support.orgs import SeededOrg


def _post(client: TestClient, org: SeededOrg, event_id: str, **body: object):
    return client.post(f"/api/v1/events/{event_id}/ticket-types", json=body, headers=org.headers)


def test_negative_price_is_refused(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    response = _post(client, org, event["id"], name="Free?", price_cents=-1)
    assert response.status_code == 422
    assert response.json()["field"] == "price_cents"


def test_free_tickets_are_allowed(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    assert add_ticket_type(client, org, event["id"], name="Comp", price_cents=0)["price_cents"] == 0


def test_validity_window_must_run_forward(client: TestClient, org: SeededOrg, clock) -> None:
    event = create_event(client, org)
    start = clock() + timedelta(days=1)
    response = _post(
        client,
        org,
        event["id"],
        name="Early Bird",
        price_cents=2000,
        valid_from=start.isoformat(),
        valid_until=start.isoformat(),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "valid_from"


def test_max_quantity_below_min_is_refused(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    response = _post(client, org, event["id"], name="Couples", price_cents=5000, min_quantity=2, max_quantity=1)
    assert response.status_code == 422
    assert response.json()["field"] == "max_quantity"


def test_tiers_and_currency_are_kept(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    created = add_ticket_type(client, org, event["id"], name="VIP", tier="vip", price_cents=9900, currency="EUR")
    assert (created["tier"], created["currency"], created["status"]) == ("vip", "EUR", "active")


def test_lowercase_currency_is_refused(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    assert _post(client, org, event["id"], name="X", price_cents=1, currency="eur").status_code == 422


def test_status_reads_sold_out_when_quantity_is_gone(client: TestClient, app, org: SeededOrg) -> None:
    event = create_event(client, org)
    created = add_ticket_type(client, org, event["id"], quantity_available=2)
    with app.state.session_factory() as session:
        session.get_one(TicketType, uuid.UUID(created["id"])).quantity_sold = 2
        session.commit()
    assert client.get(f"/api/v1/ticket-types/{created['id']}", headers=org.headers).json()["status"] == "sold_out"


def test_status_reads_expired_after_valid_until(client: TestClient, org: SeededOrg, clock) -> None:
    event = create_event(client, org)
    created = add_ticket_type(
        client, org, event["id"], name="Early Bird", valid_until=(clock() + timedelta(hours=1)).isoformat()
    )
    assert created["status"] == "active"
    clock.advance(hours=2)
    assert client.get(f"/api/v1/ticket-types/{created['id']}", headers=org.headers).json()["status"] == "expired"


def test_only_active_and_disabled_can_be_set_by_hand(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    created = add_ticket_type(client, org, event["id"])
    url = f"/api/v1/ticket-types/{created['id']}"
    assert client.patch(url, json={"status": "disabled"}, headers=org.headers).json()["status"] == "disabled"
    refused = client.patch(url, json={"status": "sold_out"}, headers=org.headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "status_not_settable"


def test_quantity_cannot_drop_below_what_is_sold(client: TestClient, app, org: SeededOrg) -> None:
    event = create_event(client, org)
    created = add_ticket_type(client, org, event["id"], quantity_available=10)
    with app.state.session_factory() as session:
        session.get_one(TicketType, uuid.UUID(created["id"])).quantity_sold = 4
        session.commit()
    response = client.patch(
        f"/api/v1/ticket-types/{created['id']}", json={"quantity_available": 3}, headers=org.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "quantity_below_sold"


def test_another_orgs_ticket_type_is_not_found(client: TestClient, org: SeededOrg, other_org: SeededOrg) -> None:
    event = create_event(client, org)
    created = add_ticket_type(client, org, event["id"])
    assert client.get(f"/api/v1/ticket-types/{created['id']}", headers=other_org.headers).status_code == 404
    patched = client.patch(f"/api/v1/ticket-types/{created['id']}", json={"price_cents": 1}, headers=other_org.headers)
    assert patched.status_code == 404
