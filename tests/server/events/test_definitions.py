"""Event definitions: slugs, validation, lifecycle, deletion and tenancy."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.support.catalog import activate, add_ticket_type, create_event, schedule
from tests.support.orgs import SeededOrg


def test_slug_is_derived_from_the_name_and_kept_unique(client: TestClient, org: SeededOrg) -> None:
    first = create_event(client, org, name="Café Crème Tasting!")
    second = create_event(client, org, name="Cafe creme tasting")
    assert first["slug"] == "cafe-creme-tasting"
    assert second["slug"] == "cafe-creme-tasting-2"
    assert first["status"] == "draft"


def test_explicit_duplicate_slug_is_a_conflict_on_the_slug_field(client: TestClient, org: SeededOrg) -> None:
    create_event(client, org, slug="wine-tour")
    response = client.post(
        "/api/v1/events",
        json={
            "name": "Another",
            "slug": "wine-tour",
            "category": "tour",
            "duration_minutes": 90,
            "venue_type": "off_property",
        },
        headers=org.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "slug_taken"
    assert response.json()["field"] == "slug"


def test_the_same_slug_is_free_in_another_org(client: TestClient, org: SeededOrg, other_org: SeededOrg) -> None:
    create_event(client, org, slug="wine-tour")
    assert create_event(client, other_org, slug="wine-tour")["slug"] == "wine-tour"


def test_zero_capacity_is_refused_naming_the_field(client: TestClient, org: SeededOrg) -> None:
    response = client.post(
        "/api/v1/events",
        json={"name": "X", "category": "tour", "duration_minutes": 60, "venue_type": "virtual", "max_capacity": 0},
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "max_capacity"


def test_min_capacity_above_max_is_refused(client: TestClient, org: SeededOrg) -> None:
    response = client.post(
        "/api/v1/events",
        json={
            "name": "X",
            "category": "tour",
            "duration_minutes": 60,
            "venue_type": "virtual",
            "max_capacity": 5,
            "min_capacity": 6,
        },
        headers=org.headers,
    )
    assert response.status_code == 422


def test_unknown_fields_are_refused_rather_than_ignored(client: TestClient, org: SeededOrg) -> None:
    response = client.post(
        "/api/v1/events",
        json={"name": "X", "category": "tour", "duration_minutes": 60, "venue_type": "virtual", "capacity": 5},
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "capacity"


def test_venue_space_must_belong_to_the_org(client: TestClient, org: SeededOrg, other_org: SeededOrg) -> None:
    theirs = client.post("/api/v1/spaces", json={"name": "Their Hall", "kind": "venue"}, headers=other_org.headers)
    response = client.post(
        "/api/v1/events",
        json={
            "name": "X",
            "category": "tour",
            "duration_minutes": 60,
            "venue_type": "on_property",
            "venue_space_id": theirs.json()["id"],
        },
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "space_not_found"


def test_activation_needs_a_ticket_type(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    refused = client.post(f"/api/v1/events/{event['id']}/status", json={"status": "active"}, headers=org.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_ticket_types"
    add_ticket_type(client, org, event["id"])
    activate(client, org, event["id"])


def test_lifecycle_pauses_resumes_and_archives_for_good(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    add_ticket_type(client, org, event["id"])
    activate(client, org, event["id"])
    url = f"/api/v1/events/{event['id']}/status"
    assert client.post(url, json={"status": "paused"}, headers=org.headers).json()["status"] == "paused"
    assert client.post(url, json={"status": "active"}, headers=org.headers).json()["status"] == "active"
    assert client.post(url, json={"status": "archived"}, headers=org.headers).json()["status"] == "archived"
    assert client.post(url, json={"status": "active"}, headers=org.headers).status_code == 409
    edit = client.patch(f"/api/v1/events/{event['id']}", json={"name": "New"}, headers=org.headers)
    assert edit.status_code == 409


def test_delete_is_refused_while_active_occurrences_exist(client: TestClient, org: SeededOrg, clock) -> None:
    event = create_event(client, org)
    schedule(client, org, event["id"], clock() + timedelta(days=3))
    response = client.delete(f"/api/v1/events/{event['id']}", headers=org.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "event_has_active_occurrences"
    assert client.get(f"/api/v1/events/{event['id']}", headers=org.headers).status_code == 200


def test_delete_without_occurrences_removes_the_event(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    add_ticket_type(client, org, event["id"])
    assert client.delete(f"/api/v1/events/{event['id']}", headers=org.headers).status_code == 204
    assert client.get(f"/api/v1/events/{event['id']}", headers=org.headers).status_code == 404


def test_another_orgs_event_is_not_found(client: TestClient, org: SeededOrg, other_org: SeededOrg) -> None:
    event = create_event(client, org)
    for method, path in (
        ("GET", f"/api/v1/events/{event['id']}"),
        ("PATCH", f"/api/v1/events/{event['id']}"),
        ("DELETE", f"/api/v1/events/{event['id']}"),
        ("GET", f"/api/v1/events/{event['id']}/ticket-types"),
    ):
        kwargs = {"json": {"name": "Hijack"}} if method == "PATCH" else {}
        response = client.request(method, path, headers=other_org.headers, **kwargs)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "event_not_found"
    assert client.get("/api/v1/events", headers=other_org.headers).json() == []


def test_partial_update_changes_only_what_was_sent(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org, organizer_name="Maya")
    updated = client.patch(f"/api/v1/events/{event['id']}", json={"max_capacity": 30}, headers=org.headers).json()
    assert updated["max_capacity"] == 30
    assert updated["organizer_name"] == "Maya"
    assert updated["name"] == event["name"]


def test_creating_events_needs_the_event_create_permission(client: TestClient, app, clock, org: SeededOrg) -> None:
    from shared.enums import Permission
    from tests.support.orgs import make_token

    seller = make_token(app.state.session_factory, clock, org, [Permission.TICKET_SELL])
    response = client.post(
        "/api/v1/events",
        json={"name": "X", "category": "tour", "duration_minutes": 60, "venue_type": "virtual"},
        headers={"Authorization": f"Bearer {seller}"},
    )
    assert response.status_code == 403
