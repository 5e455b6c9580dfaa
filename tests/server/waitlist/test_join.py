"""Joining and leaving the waitlist: only when the occurrence cannot serve the request, once per person, in FIFO
order, with ``waitlist_count`` matching the entries."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import make_sellable_event
from tests.support.sales import counters, reserve
from tests.support.waitlist import (
    assert_consistent,
    join,
    joined,
    occurrence_numbers,
    secret_headers,
    sell_out,
    statuses,
)


def test_guest_is_told_to_book_while_the_occurrence_can_serve_them(client, org_slug, event, db) -> None:
    sell_out(client, org_slug, event, 8)

    response = join(client, org_slug, event, "early@example.com", quantity=2)

    assert response.status_code == 409
    assert response.json()["code"] == "seats_available"
    assert occurrence_numbers(db, event.occurrence_id) == (8, 0, 0)


def test_a_request_bigger_than_what_is_left_may_join(client, org_slug, event, db) -> None:
    sell_out(client, org_slug, event, 8)

    entry = joined(client, org_slug, event, "family@example.com", quantity=3)

    assert (entry["status"], entry["place_in_line"], entry["quantity_requested"]) == ("waiting", 1, 3)
    assert occurrence_numbers(db, event.occurrence_id) == (8, 0, 1)


def test_places_in_line_follow_the_order_of_joining(client, org_slug, event, db) -> None:
    sell_out(client, org_slug, event, 10)

    places = [joined(client, org_slug, event, f"guest{n}@example.com")["place_in_line"] for n in range(4)]

    assert places == [1, 2, 3, 4]
    assert occurrence_numbers(db, event.occurrence_id)[2] == 4
    assert_consistent(db, event)


def test_the_same_person_cannot_queue_twice_whatever_the_case_of_the_address(client, org_slug, event, db) -> None:
    sell_out(client, org_slug, event, 10)
    joined(client, org_slug, event, "Ada.Lovelace@Example.com")

    again = join(client, org_slug, event, "ada.lovelace@example.COM", quantity=2)

    assert again.status_code == 409
    assert again.json()["code"] == "already_on_waitlist"
    assert occurrence_numbers(db, event.occurrence_id)[2] == 1


def test_a_guest_who_left_joins_again_at_the_back(client, org_slug, event, db) -> None:
    sell_out(client, org_slug, event, 10)
    first = joined(client, org_slug, event, "fickle@example.com")
    joined(client, org_slug, event, "steady@example.com")

    left = client.post(f"/api/v1/public/{org_slug}/waitlist/{first['id']}/leave", headers=secret_headers(first))
    back = joined(client, org_slug, event, "fickle@example.com", quantity=2)

    assert left.json()["status"] == "canceled"
    assert back["id"] == first["id"]  # one entry per person and occurrence, reopened
    assert back["place_in_line"] == 2
    assert statuses(db, event) == [(1, "waiting"), (2, "waiting")]
    assert_consistent(db, event)


def test_leaving_needs_the_entrys_key(client, org_slug, event, db) -> None:
    sell_out(client, org_slug, event, 10)
    entry = joined(client, org_slug, event, "guest@example.com")

    wrong = client.post(
        f"/api/v1/public/{org_slug}/waitlist/{entry['id']}/leave", headers={"X-Waitlist-Secret": "guess"}
    )
    seen = client.get(f"/api/v1/public/{org_slug}/waitlist/{entry['id']}", params={"secret": entry["access_secret"]})

    assert wrong.status_code == 404
    assert seen.json()["status"] == "waiting"
    assert occurrence_numbers(db, event.occurrence_id)[2] == 1


def test_a_sold_out_ticket_type_can_be_waited_for_while_another_type_has_seats(client, org_slug, db, org, clock):
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=3), capacity=10, quantity_available=2)
    from tests.support.factories import make_ticket_type

    with db() as session:
        from server.events.models import EventDefinition

        other = make_ticket_type(session, session.get_one(EventDefinition, event.definition_id), name="Balcony")
        other_id = other.id
        session.commit()
    sell_out(client, org_slug, event, 2)

    wanted = joined(client, org_slug, event, "fan@example.com", ticket_type_id=event.ticket_type_id)
    any_type = join(client, org_slug, event, "easy@example.com")

    assert wanted["ticket_type_id"] == str(event.ticket_type_id)
    assert any_type.json()["code"] == "seats_available"  # the other type serves whoever takes any seat
    assert other_id is not None


def test_a_quantity_the_wanted_ticket_type_does_not_sell_at_once_is_refused(client, org_slug, db, org, clock):
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=3), capacity=3, max_quantity=2)
    sell_out(client, org_slug, event, 3)

    response = join(client, org_slug, event, "big@example.com", quantity=3, ticket_type_id=event.ticket_type_id)

    assert response.status_code == 422
    assert response.json()["code"] == "quantity_out_of_range"


def test_an_expired_hold_is_released_before_the_guest_is_queued(client, org_slug, event, db, clock) -> None:
    sell_out(client, org_slug, event, 9)
    reserve(client, org_slug, event)  # the last seat, held but never paid
    clock.advance(minutes=16)

    response = join(client, org_slug, event, "patient@example.com")

    assert response.json()["code"] == "seats_available"
    assert counters(db, event) == (9, 9, 9)


def test_staff_see_the_line_and_take_someone_out(client, org_slug, event, org, db) -> None:
    sell_out(client, org_slug, event, 10)
    body = {"given_name": "Phone", "email": "caller@example.com", "quantity": 2}
    added = client.post(f"/api/v1/occurrences/{event.occurrence_id}/waitlist", json=body, headers=org.headers)
    joined(client, org_slug, event, "web@example.com")

    line = client.get(f"/api/v1/occurrences/{event.occurrence_id}/waitlist", headers=org.headers).json()
    removed = client.post(f"/api/v1/waitlist/{added.json()['id']}/cancel", headers=org.headers)

    assert added.status_code == 201
    assert [(e["email"], e["place_in_line"]) for e in line] == [("caller@example.com", 1), ("web@example.com", 2)]
    assert removed.json()["status"] == "canceled"
    assert occurrence_numbers(db, event.occurrence_id)[2] == 1


def test_another_orgs_token_sees_nothing(client, org_slug, event, other_org) -> None:
    response = client.get(f"/api/v1/occurrences/{event.occurrence_id}/waitlist", headers=other_org.headers)
    assert response.json() == []
