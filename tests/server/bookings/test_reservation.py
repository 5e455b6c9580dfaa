"""Reserving tickets through the storefront: holds, counters, the purchase rules, idempotency."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from server.events.models import TicketType
from shared.enums import TicketTypeStatus
from tests.support.factories import make_sellable_event, reservation_body
from tests.support.sales import counters, reserve


def test_reservation_holds_seats_for_fifteen_minutes(client, org_slug, event, db, clock) -> None:
    response = reserve(client, org_slug, event, quantity=3)

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending"
    assert order["hold_expires_at"].startswith((clock() + timedelta(minutes=15)).isoformat()[:19])
    assert [t["status"] for t in order["tickets"]] == ["reserved"] * 3
    assert order["quote"]["total_cents"] == 3 * 2500
    assert order["access_secret"]
    assert counters(db, event) == (3, 3, 3)


def test_guest_reads_own_order_only_with_its_secret(client, org_slug, event) -> None:
    order = reserve(client, org_slug, event).json()
    url = f"/api/v1/public/{org_slug}/orders/{order['id']}"

    assert client.get(url, headers={"X-Order-Secret": order["access_secret"]}).status_code == 200
    assert client.get(url, headers={"X-Order-Secret": "guess"}).status_code == 404
    assert client.get(url).status_code == 404


def test_reservation_refused_when_seats_run_out(client, org_slug, event, db) -> None:
    assert reserve(client, org_slug, event, quantity=8).status_code == 201

    refused = reserve(client, org_slug, event, quantity=3)

    assert refused.status_code == 409
    assert refused.json()["code"] == "sold_out"
    assert counters(db, event) == (8, 8, 8)
    assert reserve(client, org_slug, event, quantity=2).status_code == 201


def test_ticket_type_turns_sold_out_when_its_quantity_is_reached(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=2), capacity=None, quantity_available=4)

    assert reserve(client, org_slug, event, quantity=4).status_code == 201
    refused = reserve(client, org_slug, event)

    assert refused.json()["code"] == "ticket_type_sold_out"
    with db() as session:
        assert session.get_one(TicketType, event.ticket_type_id).status is TicketTypeStatus.SOLD_OUT


def test_expired_hold_is_released_by_the_next_reservation_that_needs_it(client, org_slug, event, db, clock) -> None:
    first = reserve(client, org_slug, event, quantity=10).json()
    assert reserve(client, org_slug, event).status_code == 409

    clock.advance(minutes=15)
    taken = reserve(client, org_slug, event, quantity=4)

    assert taken.status_code == 201, taken.text
    assert counters(db, event) == (4, 4, 4)
    expired = client.get(
        f"/api/v1/public/{org_slug}/orders/{first['id']}", headers={"X-Order-Secret": first["access_secret"]}
    ).json()
    assert expired["status"] == "expired"
    assert {t["status"] for t in expired["tickets"]} == {"canceled"}


def test_hold_still_counts_one_second_before_it_expires(client, org_slug, event, clock) -> None:
    reserve(client, org_slug, event, quantity=10)
    clock.advance(minutes=15, seconds=-1)

    assert reserve(client, org_slug, event).status_code == 409


def test_sold_out_ticket_type_becomes_active_again_when_a_hold_expires(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=2), quantity_available=2)
    reserve(client, org_slug, event, quantity=2)
    clock.advance(minutes=16)

    assert reserve(client, org_slug, event, quantity=1).status_code == 201
    with db() as session:
        ticket_type = session.get_one(TicketType, event.ticket_type_id)
        assert (ticket_type.quantity_sold, ticket_type.status) == (1, TicketTypeStatus.ACTIVE)


def test_idempotency_key_replay_returns_the_first_order_and_holds_nothing_more(client, org_slug, event, db) -> None:
    body = reservation_body(event, 2)
    headers = {"Idempotency-Key": "checkout-7f3a"}
    url = f"/api/v1/public/{org_slug}/orders"

    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["access_secret"] == first.json()["access_secret"]
    assert again.json()["replayed"] is True
    assert counters(db, event) == (2, 2, 2)


def test_the_guests_key_is_stored_nowhere_and_a_replay_still_gets_one_that_works(client, org_slug, event, db) -> None:
    body = reservation_body(event, 1)
    headers = {"Idempotency-Key": "checkout-lost-answer"}
    url = f"/api/v1/public/{org_slug}/orders"

    secret = client.post(url, json=body, headers=headers).json()["access_secret"]
    replayed = client.post(url, json=body, headers=headers).json()

    with db() as session:
        for table in ("orders", "idempotency_keys", "tickets", "attendees", "outbox_messages"):
            rows = session.execute(sa.text(f"SELECT * FROM {table}")).all()
            assert all(secret not in str(value) for row in rows for value in row), f"the key is stored in {table}"
    reading = client.get(f"{url}/{replayed['id']}", headers={"X-Order-Secret": replayed["access_secret"]})
    assert reading.status_code == 200


def test_idempotency_key_reused_for_another_request_is_refused(client, org_slug, event) -> None:
    url = f"/api/v1/public/{org_slug}/orders"
    client.post(url, json=reservation_body(event, 1), headers={"Idempotency-Key": "k-1"})

    other = client.post(url, json=reservation_body(event, 2), headers={"Idempotency-Key": "k-1"})

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_online_reservation_needs_every_attendee_email(client, org_slug, event) -> None:
    body = reservation_body(event, 2)
    del body["attendees"][1]["email"]

    response = client.post(f"/api/v1/public/{org_slug}/orders", json=body)

    assert response.status_code == 422
    assert response.json()["code"] == "attendee_email_required"


def test_quantity_outside_the_ticket_types_limits_is_refused(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=2), min_quantity=2, max_quantity=3)

    assert reserve(client, org_slug, event, quantity=1).json()["code"] == "quantity_below_minimum"
    assert reserve(client, org_slug, event, quantity=4).json()["code"] == "quantity_above_maximum"
    assert reserve(client, org_slug, event, quantity=2).status_code == 201


def test_the_per_order_maximum_holds_when_the_type_only_looks_sold_out_through_lapsed_holds(
    client, org_slug, db, org, clock
) -> None:
    event = make_sellable_event(
        db, org, start_at=clock() + timedelta(days=2), quantity_available=10, min_quantity=1, max_quantity=4
    )
    for _ in range(3):
        assert reserve(client, org_slug, event, quantity=3).status_code == 201
    assert reserve(client, org_slug, event, quantity=1).status_code == 201  # all 10 held, the type reads sold out
    clock.advance(minutes=16)  # every hold lapsed; no sweeper has run

    too_many = reserve(client, org_slug, event, quantity=10)
    allowed = reserve(client, org_slug, event, quantity=4)

    assert (too_many.status_code, too_many.json()["code"]) == (422, "quantity_above_maximum")
    assert allowed.status_code == 201, allowed.text


def test_ticket_type_outside_its_validity_window_cannot_be_bought(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=9), valid_until=clock() + timedelta(hours=1))
    clock.advance(hours=1)

    response = reserve(client, org_slug, event)

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_type_expired"


def test_canceled_occurrence_sells_nothing(client, org_slug, event, db) -> None:
    from server.events.models import EventOccurrence
    from shared.enums import OccurrenceStatus

    with db() as session:
        session.execute(
            sa.update(EventOccurrence)
            .where(EventOccurrence.id == event.occurrence_id)
            .values(status=OccurrenceStatus.CANCELED)
        )
        session.commit()

    assert reserve(client, org_slug, event).status_code == 409
    assert counters(db, event) == (0, 0, 0)


def test_another_orgs_occurrence_answers_not_found(client, event, other_org, db) -> None:
    from server.tenancy.models import Organization

    with db() as session:
        rival_slug = session.get_one(Organization, other_org.org_id).slug

    assert reserve(client, rival_slug, event).status_code == 404
    assert reserve(client, "no-such-org", event).status_code == 404


def test_quote_adds_the_events_fee_and_spreads_the_total_over_the_tickets(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(
        db,
        org,
        start_at=clock() + timedelta(days=2),
        price_cents=1000,
        definition_settings={"fees": {"percent": "2.5", "fixed_per_ticket_cents": 33}},
    )

    order = reserve(client, org_slug, event, quantity=3).json()

    quote = order["quote"]
    assert (quote["subtotal_cents"], quote["fees_cents"], quote["total_cents"]) == (3000, 75 + 99, 3174)
    assert sum(t["price_paid_cents"] for t in order["tickets"]) == 3174
    assert (
        max(t["price_paid_cents"] for t in order["tickets"]) - min(t["price_paid_cents"] for t in order["tickets"]) <= 1
    )


def test_expired_hold_on_another_occurrence_frees_ticket_type_stock(client, org_slug, db, org, clock) -> None:
    from server.events.models import EventDefinition
    from tests.support.factories import SellableEvent, make_occurrence

    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=2), quantity_available=2)
    with db() as session:
        definition = session.get_one(EventDefinition, event.definition_id)
        other = make_occurrence(session, definition, start_at=clock() + timedelta(days=3))
        session.commit()
        sibling = SellableEvent(event.definition_id, other.id, event.ticket_type_id, other.start_at)
    reserve(client, org_slug, sibling, quantity=2)
    clock.advance(minutes=15)

    assert reserve(client, org_slug, event, quantity=2).status_code == 201
