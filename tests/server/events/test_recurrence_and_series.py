"""Recurring events generated from an RRULE, multi-day series, and the nightly generator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from server.events.scheduling import generate_all_recurring
from tests.support.catalog import create_event, schedule
from tests.support.orgs import SeededOrg

NEW_YORK = ZoneInfo("America/New_York")
TUESDAYS_7AM = {
    "recurrence": {
        "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "start_time": "07:00",
        "timezone": "America/New_York",
        "starts_on": "2026-09-01",
    }
}


def _recurring(client: TestClient, org: SeededOrg, **fields: object) -> dict:
    return create_event(client, org, event_type="recurring", settings=TUESDAYS_7AM, **fields)


def _generate(client: TestClient, org: SeededOrg, event_id: str) -> dict:
    response = client.post(f"/api/v1/events/{event_id}/occurrences/generate", headers=org.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_weekly_rule_keeps_local_time_across_the_dst_change(client: TestClient, org: SeededOrg, clock) -> None:
    clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    result = _generate(client, org, _recurring(client, org)["id"])
    starts = [datetime.fromisoformat(item["start_at"]) for item in result["created"]]
    assert len(starts) == 13  # every Tuesday from 6 October to 29 December
    assert all(start.astimezone(NEW_YORK).strftime("%a %H:%M") == "Tue 07:00" for start in starts)
    # 07:00 EDT is 11:00 UTC; after clocks fall back on 1 November, 07:00 EST is 12:00 UTC.
    assert {start.hour for start in starts if start < datetime(2026, 11, 1, tzinfo=UTC)} == {11}
    assert {start.hour for start in starts if start > datetime(2026, 11, 2, tzinfo=UTC)} == {12}
    assert all(item["timezone"] == "America/New_York" for item in result["created"])


def test_generating_again_adds_nothing_and_does_not_revive_canceled(client: TestClient, org: SeededOrg, clock) -> None:
    clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    event = _recurring(client, org)
    first = _generate(client, org, event["id"])["created"]
    canceled, moved = first[0], first[1]
    client.post(f"/api/v1/occurrences/{canceled['id']}/cancel", json={"reason": "holiday"}, headers=org.headers)
    new_start = datetime.fromisoformat(moved["start_at"]) + timedelta(hours=3)
    client.patch(f"/api/v1/occurrences/{moved['id']}", json={"start_at": new_start.isoformat()}, headers=org.headers)

    again = _generate(client, org, event["id"])
    assert again["created"] == []
    assert again["skipped_existing"] == 13
    listed = client.get(f"/api/v1/events/{event['id']}/occurrences", headers=org.headers).json()
    assert len(listed) == 13
    assert [item["status"] for item in listed].count("canceled") == 1


def test_the_horizon_moves_with_the_clock(client: TestClient, org: SeededOrg, clock) -> None:
    clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    event = _recurring(client, org)
    _generate(client, org, event["id"])
    clock.advance(days=14)
    later = _generate(client, org, event["id"])
    assert len(later["created"]) == 2
    assert later["skipped_existing"] == 11  # two of the first thirteen are now in the past


def test_slots_taken_at_the_venue_are_skipped_and_reported(client: TestClient, org: SeededOrg, clock) -> None:
    clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    other = create_event(client, org, name="Private party", venue_name="Main Beach Deck")
    blocker = schedule(client, org, other["id"], datetime(2026, 10, 13, 11, 30, tzinfo=UTC))[0]
    result = _generate(client, org, _recurring(client, org)["id"])
    assert len(result["created"]) == 12
    assert result["skipped_venue_conflicts"] == [
        {"start_at": "2026-10-13T11:00:00Z", "conflicting_occurrence_id": blocker["id"]}
    ]


def test_a_bad_rule_is_refused_when_saved(client: TestClient, org: SeededOrg) -> None:
    bad = {"recurrence": {**TUESDAYS_7AM["recurrence"], "rrule": "FREQ=SOMETIMES"}}
    response = client.post(
        "/api/v1/events",
        json={
            "name": "X",
            "category": "class",
            "event_type": "recurring",
            "duration_minutes": 60,
            "venue_type": "virtual",
            "settings": bad,
        },
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["field"].startswith("settings.recurrence")


def test_generating_a_recurring_event_without_a_rule_explains_why(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org, event_type="recurring")
    response = client.post(f"/api/v1/events/{event['id']}/occurrences/generate", headers=org.headers)
    assert response.status_code == 422
    assert response.json()["field"] == "settings.recurrence"


def test_the_nightly_generator_covers_every_active_recurring_event(app, client: TestClient, org: SeededOrg, clock):
    from tests.support.catalog import activate, add_ticket_type

    clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    active = _recurring(client, org, venue_name="Deck A")
    add_ticket_type(client, org, active["id"])
    activate(client, org, active["id"])
    _recurring(client, org, venue_name="Deck B")  # a draft: not generated
    with app.state.session_factory() as session:
        results = generate_all_recurring(session=session, now=clock(), horizon_days=30)
    assert list(results) == [uuid.UUID(active["id"])]
    assert (
        len(client.get(f"/api/v1/events/{active['id']}/occurrences", headers=org.headers).json()) == 4
    )  # 6, 13, 20, 27 Oct


def test_multi_day_event_is_linked_occurrences_on_sequential_local_dates(
    client: TestClient, org: SeededOrg, clock
) -> None:
    clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    event = create_event(client, org, event_type="multi_day", duration_minutes=240)
    # 30 Oct to 2 Nov 2026 in New York spans the fall-back change on 1 November.
    start = datetime(2026, 10, 30, 9, 0, tzinfo=NEW_YORK)
    days = schedule(client, org, event["id"], start, timezone="America/New_York", days=4)
    assert [day["day_number"] for day in days] == [1, 2, 3, 4]
    assert len({day["series_id"] for day in days}) == 1
    local = [datetime.fromisoformat(day["start_at"]).astimezone(NEW_YORK) for day in days]
    assert [moment.day for moment in local] == [30, 31, 1, 2]
    assert {moment.strftime("%H:%M") for moment in local} == {"09:00"}
    assert all(
        datetime.fromisoformat(day["end_at"]) - datetime.fromisoformat(day["start_at"]) == timedelta(hours=4)
        for day in days
    )


def test_only_multi_day_events_take_several_days(client: TestClient, org: SeededOrg) -> None:
    event = create_event(client, org)
    response = client.post(
        f"/api/v1/events/{event['id']}/occurrences",
        json={"start_at": "2026-07-01T10:00:00Z", "timezone": "UTC", "days": 3},
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "days"


def test_two_generators_at_once_never_fail_or_duplicate_on_postgres(postgres_url: str, clock) -> None:
    """Several server processes run the nightly generator. While one holds a slot it has not committed, the other
    waits on the unique key; when the first commits, the second counts that slot as existing instead of failing."""
    import threading

    import sqlalchemy as sa

    from server.db.engine import create_db_engine, create_session_factory
    from server.events.models import EventOccurrence
    from server.events.scheduling import generate_recurring
    from tests.support.factories import make_definition, make_occurrence
    from tests.support.locks import wait_until_blocked_on_a_lock
    from tests.support.orgs import make_org

    clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    first_tuesday = datetime(2026, 10, 6, 11, 0, tzinfo=UTC)  # 07:00 in New York
    engine = create_db_engine(postgres_url, pool_size=4)
    factory = create_session_factory(engine)
    try:
        org = make_org(factory, clock)
        with factory() as session:
            definition = make_definition(session, org, event_type="recurring", settings=TUESDAYS_7AM)
            session.commit()
            definition_id = definition.id
        holder = factory()
        make_occurrence(
            holder, holder.get_one(type(definition), definition_id), start_at=first_tuesday, recurrence_id=first_tuesday
        )
        results, errors = [], []

        def generate() -> None:
            try:
                with factory() as session:
                    results.append(
                        generate_recurring(
                            session=session,
                            org_id=org.org_id,
                            definition_id=definition_id,
                            now=clock(),
                            horizon_days=60,
                        )
                    )
            except BaseException as error:  # reported below
                errors.append(error)

        racer = threading.Thread(target=generate)
        racer.start()
        try:
            wait_until_blocked_on_a_lock(engine, racer)
            holder.commit()
        finally:
            holder.close()
            racer.join(timeout=30)
        assert not errors, errors
        (result,) = results
        assert (len(result.created), result.skipped_existing) == (7, 1)
        with factory() as session:
            slots = session.scalars(
                sa.select(EventOccurrence.recurrence_id).where(EventOccurrence.event_definition_id == definition_id)
            ).all()
        assert len(slots) == len(set(slots)) == 8  # the Tuesdays of October and November, once each
    finally:
        engine.dispose()
