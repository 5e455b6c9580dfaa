"""Finding occurrences: filters, keyset pages, and what guests may see."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from server.events.models import EventOccurrence
from tests.support.catalog import activate, add_ticket_type, create_event, schedule
from tests.support.orgs import SeededOrg

DAY = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def _ids(page: dict) -> list[str]:
    return [item["id"] for item in page["items"]]


def _search(client: TestClient, org: SeededOrg, **params: object) -> dict:
    response = client.get("/api/v1/occurrences", params=params, headers=org.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_date_range_category_and_text_narrow_the_results(client: TestClient, org: SeededOrg) -> None:
    yoga = create_event(client, org, name="Sunrise Yoga", category="wellness", venue_name="Deck")
    tour = create_event(client, org, name="Vineyard Tour", category="tour", venue_name="Winery")
    early = schedule(client, org, yoga["id"], DAY)[0]
    late = schedule(client, org, yoga["id"], DAY + timedelta(days=10))[0]
    wine = schedule(client, org, tour["id"], DAY + timedelta(days=1))[0]

    in_range = _search(client, org, **{"from": DAY.isoformat(), "to": (DAY + timedelta(days=5)).isoformat()})
    assert _ids(in_range) == [early["id"], wine["id"]]
    assert _ids(_search(client, org, category="tour")) == [wine["id"]]
    assert _ids(_search(client, org, q="yoga")) == [early["id"], late["id"]]
    assert _ids(_search(client, org, q="YOGA", category="tour")) == []


def test_location_text_matches_venue_names_addresses_and_spaces(client: TestClient, org: SeededOrg) -> None:
    villa = client.post("/api/v1/spaces", json={"name": "Villa Azul", "kind": "villa"}, headers=org.headers).json()
    at_villa = create_event(client, org, venue_type="on_property", venue_space_id=villa["id"], venue_name=None)
    in_town = create_event(client, org, venue_name="Old Harbour", venue_address={"city": "Lagos", "country": "PT"})
    a = schedule(client, org, at_villa["id"], DAY)[0]
    b = schedule(client, org, in_town["id"], DAY + timedelta(hours=2))[0]
    assert _ids(_search(client, org, location="azul")) == [a["id"]]
    assert _ids(_search(client, org, location="harbour")) == [b["id"]]
    assert _ids(_search(client, org, location="lagos")) == [b["id"]]
    assert _ids(_search(client, org, venue_space_id=villa["id"])) == [a["id"]]


def test_wildcards_in_search_text_are_taken_literally(client: TestClient, org: SeededOrg) -> None:
    schedule(client, org, create_event(client, org, name="Pottery")["id"], DAY)
    assert _ids(_search(client, org, q="%")) == []
    assert _ids(_search(client, org, q="_ot")) == []


def test_has_seats_skips_full_occurrences(client: TestClient, app, org: SeededOrg) -> None:
    event = create_event(client, org, max_capacity=2)
    full = schedule(client, org, event["id"], DAY)[0]
    open_ = schedule(client, org, event["id"], DAY + timedelta(days=1))[0]
    unlimited = schedule(client, org, create_event(client, org, max_capacity=None)["id"], DAY + timedelta(days=2))[0]
    with app.state.session_factory() as session:
        row = session.get_one(EventOccurrence, uuid.UUID(full["id"]))
        row.seats_sold, row.seats_blocked = 1, 1
        session.commit()
    assert _ids(_search(client, org, has_seats="true")) == [open_["id"], unlimited["id"]]


def test_pages_follow_each_other_without_repeats_or_gaps(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    expected = [schedule(client, org, event["id"], DAY + timedelta(hours=2 * n))[0]["id"] for n in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = _search(client, org, **params)
        seen += _ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


def test_a_forged_cursor_is_refused(client: TestClient, org: SeededOrg) -> None:
    response = client.get("/api/v1/occurrences", params={"cursor": "bm9wZQ"}, headers=org.headers)
    assert response.status_code == 422
    assert response.json()["field"] == "cursor"


def test_search_never_shows_another_orgs_occurrences(client: TestClient, org: SeededOrg, other_org: SeededOrg) -> None:
    schedule(client, org, create_event(client, org)["id"], DAY)
    assert _search(client, other_org)["items"] == []


def test_guests_see_only_bookable_future_occurrences_of_active_events(
    client: TestClient, org: SeededOrg, clock
) -> None:
    live = create_event(client, org, name="Live")
    add_ticket_type(client, org, live["id"])
    activate(client, org, live["id"])
    draft = create_event(client, org, name="Draft", venue_name="Studio")
    shown = schedule(client, org, live["id"], clock() + timedelta(days=1))[0]
    canceled = schedule(client, org, live["id"], clock() + timedelta(days=2))[0]
    client.post(f"/api/v1/occurrences/{canceled['id']}/cancel", json={"reason": "x"}, headers=org.headers)
    schedule(client, org, draft["id"], clock() + timedelta(days=1))
    slug = client.get("/api/v1/organization", headers=org.headers).json()["slug"]

    page = client.get(f"/api/v1/public/{slug}/occurrences").json()
    assert _ids(page) == [shown["id"]]
    detail = client.get(f"/api/v1/public/{slug}/occurrences/{shown['id']}").json()
    assert detail["event_name"] == "Live"
    assert [t["name"] for t in detail["ticket_types"]] == ["General Admission"]
    assert client.get("/api/v1/public/no-such-org/occurrences").status_code == 404
