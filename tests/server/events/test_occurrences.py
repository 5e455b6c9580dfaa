"""Scheduling occurrences: times, venues that cannot double-book, transitions, cancellation, capacity."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from server.events.models import EventOccurrence
from tests.support.catalog import create_event, schedule
from tests.support.live_server import running_server
from tests.support.orgs import SeededOrg

START = datetime(2026, 7, 10, 18, 0, tzinfo=UTC)


def test_end_defaults_to_start_plus_duration(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org, duration_minutes=90)
    occurrence = schedule(client, org, event["id"], START)[0]
    assert datetime.fromisoformat(occurrence["end_at"]) == START + timedelta(minutes=90)
    assert occurrence["status"] == "scheduled"
    assert occurrence["capacity"] == 20
    assert occurrence["seats_available"] == 20


def test_end_before_start_is_refused(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    response = client.post(
        f"/api/v1/events/{event['id']}/occurrences",
        json={"start_at": START.isoformat(), "end_at": (START - timedelta(hours=1)).isoformat(), "timezone": "UTC"},
        headers=org.headers,
    )
    assert response.status_code == 422


def test_times_without_offset_and_unknown_zones_are_refused(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    url = f"/api/v1/events/{event['id']}/occurrences"
    naive = client.post(url, json={"start_at": "2026-07-10T18:00:00", "timezone": "UTC"}, headers=org.headers)
    assert naive.status_code == 422
    assert naive.json()["field"] == "start_at"
    zone = client.post(url, json={"start_at": START.isoformat(), "timezone": "Mars/Olympus"}, headers=org.headers)
    assert zone.status_code == 422
    assert zone.json()["field"] == "timezone"


def test_occurrence_in_the_past_is_refused(client: TestClient, org: SeededOrg, clock) -> None:
    event = create_event(client, org)
    response = client.post(
        f"/api/v1/events/{event['id']}/occurrences",
        json={"start_at": (clock() - timedelta(hours=1)).isoformat(), "timezone": "UTC"},
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "start_in_past"


def test_overlap_at_the_same_venue_names_the_conflicting_occurrence(client: TestClient, org: SeededOrg) -> None:
    yoga = create_event(client, org, name="Yoga", venue_name="Beach Deck")
    dinner = create_event(client, org, name="Dinner", venue_name="  beach   DECK ")
    first = schedule(client, org, yoga["id"], START)[0]
    response = client.post(
        f"/api/v1/events/{dinner['id']}/occurrences",
        json={"start_at": (START + timedelta(minutes=30)).isoformat(), "timezone": "UTC"},
        headers=org.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "venue_overlap"
    assert response.json()["conflicting_occurrence_id"] == first["id"]


def test_back_to_back_occurrences_do_not_overlap(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org, duration_minutes=60)
    schedule(client, org, event["id"], START)
    assert schedule(client, org, event["id"], START + timedelta(minutes=60))


def test_different_venues_and_virtual_events_never_collide(client: TestClient, org: SeededOrg) -> None:
    a = create_event(client, org, venue_name="Garden")
    b = create_event(client, org, venue_name="Rooftop")
    online = create_event(client, org, venue_type="virtual", venue_name="Zoom")
    online_too = create_event(client, org, venue_type="virtual", venue_name="Zoom")
    for event in (a, b, online, online_too):
        assert schedule(client, org, event["id"], START)


def test_same_venue_name_in_another_org_is_another_venue(
    client: TestClient, org: SeededOrg, other_org: SeededOrg
) -> None:
    schedule(client, org, create_event(client, org, venue_name="Garden")["id"], START)
    assert schedule(client, other_org, create_event(client, other_org, venue_name="Garden")["id"], START)


def test_canceling_an_occurrence_frees_its_slot(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    first = schedule(client, org, event["id"], START)[0]
    canceled = client.post(
        f"/api/v1/occurrences/{first['id']}/cancel", json={"reason": "storm warning"}, headers=org.headers
    )
    assert canceled.status_code == 200
    body = canceled.json()
    assert (body["status"], body["cancellation_reason"]) == ("canceled", "storm warning")
    assert body["canceled_at"] is not None
    assert schedule(client, org, event["id"], START)


def test_moving_an_occurrence_onto_another_is_refused(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    schedule(client, org, event["id"], START)
    later = schedule(client, org, event["id"], START + timedelta(hours=3))[0]
    response = client.patch(
        f"/api/v1/occurrences/{later['id']}",
        json={"start_at": (START + timedelta(minutes=15)).isoformat()},
        headers=org.headers,
    )
    assert response.status_code == 409
    moved = client.patch(
        f"/api/v1/occurrences/{later['id']}",
        json={"start_at": (START + timedelta(hours=5)).isoformat()},
        headers=org.headers,
    ).json()
    assert datetime.fromisoformat(moved["end_at"]) - datetime.fromisoformat(moved["start_at"]) == timedelta(hours=1)


def test_changing_the_events_venue_is_refused_when_it_would_collide(client: TestClient, org: SeededOrg) -> None:
    garden = create_event(client, org, venue_name="Garden")
    rooftop = create_event(client, org, venue_name="Rooftop")
    schedule(client, org, garden["id"], START)
    schedule(client, org, rooftop["id"], START)
    response = client.patch(f"/api/v1/events/{rooftop['id']}", json={"venue_name": "Garden"}, headers=org.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "venue_overlap"


def test_the_database_itself_refuses_overlaps_on_postgres(postgres_url: str, clock) -> None:
    """Even a writer that skips the service's check cannot double-book a venue on PostgreSQL."""
    from server.db.engine import create_db_engine, create_session_factory
    from tests.support.factories import make_definition, make_occurrence
    from tests.support.orgs import make_org

    engine = create_db_engine(postgres_url, pool_size=2)
    factory = create_session_factory(engine)
    org = make_org(factory, clock)
    with factory() as session:
        definition = make_definition(session, org)
        make_occurrence(session, definition, start_at=START, venue_key="name:hall")
        session.commit()
        with pytest.raises(IntegrityError, match="event_occ_venue_no_overlap"):
            make_occurrence(session, definition, start_at=START + timedelta(minutes=10), venue_key="name:hall")
        session.rollback()
        make_occurrence(
            session, definition, start_at=START + timedelta(minutes=10), venue_key="name:hall", status="canceled"
        )
        session.commit()
    engine.dispose()


def test_racing_schedulers_book_a_venue_slot_exactly_once(app, org: SeededOrg, client: TestClient) -> None:
    events = [create_event(client, org, name=f"Act {n}", venue_name="Stage")["id"] for n in range(8)]
    with running_server(app) as base_url:

        def attempt(event_id: str) -> int:
            response = httpx.post(
                f"{base_url}/api/v1/events/{event_id}/occurrences",
                json={"start_at": START.isoformat(), "timezone": "UTC"},
                headers=org.headers,
                timeout=30,
            )
            return response.status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = sorted(pool.map(attempt, events))
    assert statuses == [201] + [409] * 7
    with app.state.session_factory() as session:
        assert session.query(EventOccurrence).count() == 1


def test_status_moves_forward_one_step_at_a_time(client: TestClient, org: SeededOrg, clock) -> None:
    occurrence = schedule(client, org, create_event(client, org)["id"], START)[0]
    url = f"/api/v1/occurrences/{occurrence['id']}/status"
    skipped = client.post(url, json={"status": "completed"}, headers=org.headers)
    assert skipped.status_code == 409
    assert client.post(url, json={"status": "confirmed"}, headers=org.headers).json()["status"] == "confirmed"
    early = client.post(url, json={"status": "in_progress"}, headers=org.headers)
    assert early.status_code == 409
    assert early.json()["code"] == "not_started"
    clock.set(START)
    for status in ("in_progress", "completed"):
        response = client.post(url, json={"status": status}, headers=org.headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    assert client.post(url, json={"status": "confirmed"}, headers=org.headers).status_code == 409


def test_cancel_needs_the_cancel_action(client: TestClient, org: SeededOrg) -> None:
    occurrence = schedule(client, org, create_event(client, org)["id"], START)[0]
    response = client.post(
        f"/api/v1/occurrences/{occurrence['id']}/status", json={"status": "canceled"}, headers=org.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "use_cancel"


def test_cancel_is_refused_after_the_configured_cutoff_unless_forced(client: TestClient, org: SeededOrg, clock) -> None:
    event = create_event(client, org, settings={"cancellation_cutoff_hours": 24})
    occurrence = schedule(client, org, event["id"], clock() + timedelta(hours=30))[0]
    url = f"/api/v1/occurrences/{occurrence['id']}"
    clock.advance(hours=5)
    assert client.post(f"{url}/cancel", json={"reason": "still early"}, headers=org.headers).status_code == 200
    second = schedule(client, org, event["id"], clock() + timedelta(hours=30))[0]
    url = f"/api/v1/occurrences/{second['id']}"
    clock.advance(hours=7)
    response = client.post(f"{url}/cancel", json={"reason": "late"}, headers=org.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "cutoff_passed"
    assert client.get(url, headers=org.headers).json()["status"] == "scheduled"
    forced = client.post(f"{url}/cancel", json={"reason": "storm", "force": True}, headers=org.headers)
    assert forced.json()["status"] == "canceled"


def test_bad_check_in_settings_are_refused_naming_the_setting(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    response = client.post(
        f"/api/v1/events/{event['id']}/occurrences",
        json={"start_at": START.isoformat(), "timezone": "UTC", "settings": {"check_in": {"allow_reentry": "yes"}}},
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "settings.check_in.allow_reentry"


def test_a_canceled_occurrence_cannot_be_reopened(client: TestClient, org: SeededOrg) -> None:
    occurrence = schedule(client, org, create_event(client, org)["id"], START)[0]
    client.post(f"/api/v1/occurrences/{occurrence['id']}/cancel", json={"reason": "x"}, headers=org.headers)
    again = client.post(
        f"/api/v1/occurrences/{occurrence['id']}/status", json={"status": "confirmed"}, headers=org.headers
    )
    assert again.status_code == 409
    edit = client.patch(f"/api/v1/occurrences/{occurrence['id']}", json={"occurrence_name": "x"}, headers=org.headers)
    assert edit.status_code == 409


def test_capacity_override_cannot_go_below_seats_taken(client: TestClient, app, org: SeededOrg) -> None:
    occurrence = schedule(client, org, create_event(client, org)["id"], START)[0]
    with app.state.session_factory() as session:
        row = session.get_one(EventOccurrence, uuid.UUID(occurrence["id"]))
        row.seats_sold, row.seats_blocked = 6, 2
        session.commit()
    url = f"/api/v1/occurrences/{occurrence['id']}"
    refused = client.patch(url, json={"capacity_override": 7}, headers=org.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "capacity_below_sold"
    accepted = client.patch(url, json={"capacity_override": 8}, headers=org.headers).json()
    assert (accepted["capacity"], accepted["seats_available"]) == (8, 0)


def test_another_orgs_occurrence_is_not_found(client: TestClient, org: SeededOrg, other_org: SeededOrg) -> None:
    occurrence = schedule(client, org, create_event(client, org)["id"], START)[0]
    assert client.get(f"/api/v1/occurrences/{occurrence['id']}", headers=other_org.headers).status_code == 404
    cancel = client.post(
        f"/api/v1/occurrences/{occurrence['id']}/cancel", json={"reason": "x"}, headers=other_org.headers
    )
    assert cancel.status_code == 404
