"""Seats that open go to the waitlist first, in FIFO order with skipping, held for 24 hours, then passed on; buying
through the offer converts the entry; nothing here depends on the periodic job having run."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from server.bookings.capacity import release_expired_holds
from server.bookings.models import Order, OrderStatus
from server.events.models import TicketType
from server.jobs.tasks import sweep_expired_holds
from server.notifications.models import MessageKind, OutboxMessage
from server.waitlist import offers
from shared.enums import WaitlistStatus
from tests.support.factories import make_sellable_event
from tests.support.sales import counters, pay, reserve
from tests.support.waitlist import (
    assert_consistent,
    buy,
    cancel_ticket,
    entry_row,
    joined,
    occurrence_numbers,
    secret_headers,
    sell_out,
    statuses,
)


def order_state(db, order_id: str) -> OrderStatus:
    with db() as session:
        return session.get_one(Order, uuid.UUID(order_id)).status


def test_a_canceled_ticket_is_held_for_the_first_in_line_not_sold_to_the_next_buyer(
    client, org_slug, event, org, db
) -> None:
    orders = sell_out(client, org_slug, event, 10)
    entry = joined(client, org_slug, event, "first@example.com")

    cancel_ticket(client, org.headers, orders[0])
    buyer = reserve(client, org_slug, event)

    assert buyer.status_code == 409
    row = entry_row(db, entry["id"])
    assert row.status is WaitlistStatus.NOTIFIED
    assert row.expires_at - row.notified_at == timedelta(hours=24)
    assert occurrence_numbers(db, event.occurrence_id) == (9, 1, 1)
    assert_consistent(db, event)


def test_fifo_with_mixed_quantities_skips_what_does_not_fit_without_moving_it_back(
    client, org_slug, event, org, db
) -> None:
    trio = pay(client, org_slug, reserve(client, org_slug, event, quantity=3).json()).json()
    singles = sell_out(client, org_slug, event, 7)
    for email, quantity in (("three@x.com", 3), ("one@x.com", 1), ("two@x.com", 2), ("one-more@x.com", 1)):
        joined(client, org_slug, event, email, quantity)

    cancel_ticket(client, org.headers, singles[0])
    # One seat: neither the 3 nor the 2 fit; the first single request is served, nobody moves.
    assert statuses(db, event) == [(3, "waiting"), (1, "notified"), (2, "waiting"), (1, "waiting")]
    cancel_ticket(client, org.headers, singles[1])
    assert statuses(db, event) == [(3, "waiting"), (1, "notified"), (2, "waiting"), (1, "notified")]
    response = client.post(
        "/api/v1/tickets/cancel", json={"ticket_ids": [t["id"] for t in trio["tickets"]]}, headers=org.headers
    )
    assert response.status_code == 200
    # Three seats at once: the head of the line fits now and is served before the 2 behind it.
    assert statuses(db, event) == [(3, "notified"), (1, "notified"), (2, "waiting"), (1, "notified")]
    assert occurrence_numbers(db, event.occurrence_id) == (5, 5, 4)
    assert_consistent(db, event)


def test_seats_nobody_in_line_can_use_stay_on_sale(client, org_slug, event, org, db) -> None:
    orders = sell_out(client, org_slug, event, 10)
    joined(client, org_slug, event, "group@example.com", quantity=4)

    cancel_ticket(client, org.headers, orders[0])

    assert reserve(client, org_slug, event).status_code == 201
    assert statuses(db, event) == [(4, "waiting")]


def test_an_expired_hold_goes_to_the_waitlist_not_to_the_buyer_who_found_it(client, org_slug, event, db, clock) -> None:
    sell_out(client, org_slug, event, 9)
    reserve(client, org_slug, event)
    entry = joined(client, org_slug, event, "waiting@example.com")
    clock.advance(minutes=15)

    buyer = reserve(client, org_slug, event)

    assert buyer.status_code == 409
    assert entry_row(db, entry["id"]).status is WaitlistStatus.NOTIFIED
    assert occurrence_numbers(db, event.occurrence_id) == (9, 1, 1)
    assert_consistent(db, event)


def test_the_sweeper_releasing_a_hold_offers_it_to_the_waitlist_too(client, org_slug, event, db, clock) -> None:
    sell_out(client, org_slug, event, 9)
    reserve(client, org_slug, event)
    entry = joined(client, org_slug, event, "waiting@example.com")
    clock.advance(minutes=15)

    sweep_expired_holds(session_factory=db, now=clock())

    assert entry_row(db, entry["id"]).status is WaitlistStatus.NOTIFIED


def test_the_offer_is_held_for_24_hours_then_passed_to_the_next_in_line(client, org_slug, event, org, db, clock):
    orders = sell_out(client, org_slug, event, 10)
    first = joined(client, org_slug, event, "first@example.com")
    second = joined(client, org_slug, event, "second@example.com")
    cancel_ticket(client, org.headers, orders[0])

    clock.advance(hours=23, minutes=59)
    assert reserve(client, org_slug, event).status_code == 409
    assert entry_row(db, first["id"]).status is WaitlistStatus.NOTIFIED

    clock.advance(minutes=1)
    # No job has run: the buyer who needs the seat settles the lapsed offer, and the seat goes to the next in line.
    assert reserve(client, org_slug, event).status_code == 409
    assert entry_row(db, first["id"]).status is WaitlistStatus.EXPIRED
    assert entry_row(db, second["id"]).status is WaitlistStatus.NOTIFIED
    assert occurrence_numbers(db, event.occurrence_id) == (9, 1, 1)
    assert_consistent(db, event)


def test_a_lapsed_offer_with_nobody_behind_goes_back_on_sale(client, org_slug, event, org, db, clock) -> None:
    orders = sell_out(client, org_slug, event, 10)
    joined(client, org_slug, event, "only@example.com")
    cancel_ticket(client, org.headers, orders[0])
    clock.advance(hours=24)

    assert reserve(client, org_slug, event).status_code == 201
    assert occurrence_numbers(db, event.occurrence_id) == (10, 0, 0)


def test_the_periodic_job_expires_lapsed_offers_and_passes_them_on(client, org_slug, event, org, db, clock) -> None:
    orders = sell_out(client, org_slug, event, 10)
    joined(client, org_slug, event, "first@example.com")
    second = joined(client, org_slug, event, "second@example.com")
    cancel_ticket(client, org.headers, orders[0])
    clock.advance(hours=24)

    offered = offers.sweep(session_factory=db, now=clock())

    assert offered == 1
    assert entry_row(db, second["id"]).status is WaitlistStatus.NOTIFIED
    assert offers.sweep(session_factory=db, now=clock()) == 0


def test_the_offer_window_ends_when_the_occurrence_starts(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(hours=6), capacity=1)
    [order] = sell_out(client, org_slug, event, 1)
    entry = joined(client, org_slug, event, "late@example.com")

    cancel_ticket(client, org.headers, order)

    assert entry_row(db, entry["id"]).expires_at == event.start_at


def test_an_offer_follows_its_occurrence_when_the_start_moves(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(hours=6), capacity=1)
    [order] = sell_out(client, org_slug, event, 1)
    entry = joined(client, org_slug, event, "waiting@example.com")
    cancel_ticket(client, org.headers, order)
    url = f"/api/v1/occurrences/{event.occurrence_id}"

    earlier = event.start_at - timedelta(hours=4)
    assert client.patch(url, json={"start_at": earlier.isoformat()}, headers=org.headers).status_code == 200
    assert entry_row(db, entry["id"]).expires_at == earlier

    later = event.start_at + timedelta(days=3)
    assert client.patch(url, json={"start_at": later.isoformat()}, headers=org.headers).status_code == 200
    assert entry_row(db, entry["id"]).expires_at == clock() + timedelta(hours=24)  # the full window again
    assert entry_row(db, entry["id"]).status is WaitlistStatus.NOTIFIED
    assert_consistent(db, event)


def test_moving_the_start_into_the_past_ends_the_offers_and_the_line_at_once(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(hours=6), capacity=1)
    [order] = sell_out(client, org_slug, event, 1)
    first = joined(client, org_slug, event, "first@example.com")
    second = joined(client, org_slug, event, "second@example.com")
    cancel_ticket(client, org.headers, order)
    clock.advance(hours=2)

    response = client.patch(
        f"/api/v1/occurrences/{event.occurrence_id}",
        json={"start_at": (clock() - timedelta(minutes=1)).isoformat()},
        headers=org.headers,
    )

    assert response.status_code == 200, response.text
    assert entry_row(db, first["id"]).status is WaitlistStatus.EXPIRED
    assert entry_row(db, second["id"]).status is WaitlistStatus.EXPIRED  # the occurrence has started: nobody waits
    assert occurrence_numbers(db, event.occurrence_id)[1:] == (0, 0)  # no seat blocked, nobody counted waiting
    assert_consistent(db, event)


def test_buying_through_the_offer_converts_the_entry_once_paid(client, org_slug, event, org, db) -> None:
    orders = sell_out(client, org_slug, event, 10)
    entry = joined(client, org_slug, event, "pair@example.com", quantity=2)
    for order in orders[:2]:
        cancel_ticket(client, org.headers, order)

    bought = buy(client, org_slug, entry)
    assert bought.status_code == 201, bought.text
    assert occurrence_numbers(db, event.occurrence_id) == (10, 0, 1)  # blocked -> sold, still in line until paid
    paid = pay(client, org_slug, bought.json()).json()

    row = entry_row(db, entry["id"])
    assert row.status is WaitlistStatus.CONVERTED
    assert str(row.converted_ticket_id) == paid["tickets"][0]["id"]
    assert occurrence_numbers(db, event.occurrence_id) == (10, 0, 0)
    assert_consistent(db, event)


def test_the_offer_buys_exactly_the_seats_held(client, org_slug, event, org) -> None:
    orders = sell_out(client, org_slug, event, 10)
    entry = joined(client, org_slug, event, "pair@example.com", quantity=2)
    for order in orders[:2]:
        cancel_ticket(client, org.headers, order)

    response = buy(client, org_slug, entry, quantity=3)

    assert response.status_code == 422
    assert response.json()["code"] == "attendee_count"


def test_an_unpaid_conversion_returns_its_seats_to_the_entry_not_to_the_public(
    client, org_slug, event, org, db, clock
) -> None:
    orders = sell_out(client, org_slug, event, 10)
    entry = joined(client, org_slug, event, "slow@example.com")
    joined(client, org_slug, event, "next@example.com")
    cancel_ticket(client, org.headers, orders[0])
    order = buy(client, org_slug, entry).json()
    clock.advance(minutes=15)

    buyer = reserve(client, org_slug, event)

    assert buyer.status_code == 409
    assert order_state(db, order["id"]) is OrderStatus.EXPIRED
    row = entry_row(db, entry["id"])
    assert (row.status, row.order_id) == (WaitlistStatus.NOTIFIED, None)  # its window is still open
    assert occurrence_numbers(db, event.occurrence_id) == (9, 1, 2)
    assert buy(client, org_slug, entry).status_code == 201  # and it may try again
    assert_consistent(db, event)


def test_an_unpaid_conversion_after_the_window_goes_to_the_next_in_line(client, org_slug, event, org, db, clock):
    orders = sell_out(client, org_slug, event, 10)
    entry = joined(client, org_slug, event, "slow@example.com")
    second = joined(client, org_slug, event, "next@example.com")
    cancel_ticket(client, org.headers, orders[0])
    clock.advance(hours=23, minutes=55)
    buy(client, org_slug, entry)
    clock.advance(minutes=15)

    with db() as session:
        release_expired_holds(session, now=clock())
        session.commit()

    assert entry_row(db, entry["id"]).status is WaitlistStatus.EXPIRED
    assert entry_row(db, second["id"]).status is WaitlistStatus.NOTIFIED
    assert_consistent(db, event)


def test_a_guest_leaving_with_seats_held_passes_them_on(client, org_slug, event, org, db) -> None:
    orders = sell_out(client, org_slug, event, 10)
    first = joined(client, org_slug, event, "first@example.com")
    second = joined(client, org_slug, event, "second@example.com")
    cancel_ticket(client, org.headers, orders[0])

    client.post(f"/api/v1/public/{org_slug}/waitlist/{first['id']}/leave", headers=secret_headers(first))

    assert entry_row(db, second["id"]).status is WaitlistStatus.NOTIFIED
    assert occurrence_numbers(db, event.occurrence_id) == (9, 1, 1)
    assert_consistent(db, event)


def test_raising_the_capacity_offers_the_new_seats_to_the_waitlist(client, org_slug, event, org, db) -> None:
    sell_out(client, org_slug, event, 10)
    joined(client, org_slug, event, "a@example.com", quantity=2)
    joined(client, org_slug, event, "b@example.com", quantity=2)

    response = client.patch(
        f"/api/v1/occurrences/{event.occurrence_id}", json={"capacity_override": 13}, headers=org.headers
    )

    assert response.json()["seats_available"] == 1
    assert statuses(db, event) == [(2, "notified"), (2, "waiting")]
    assert_consistent(db, event)


def test_raising_the_events_max_capacity_offers_seats_too(client, org_slug, event, org, db) -> None:
    sell_out(client, org_slug, event, 10)
    joined(client, org_slug, event, "a@example.com")

    client.patch(f"/api/v1/events/{event.definition_id}", json={"max_capacity": 11}, headers=org.headers)

    assert statuses(db, event) == [(1, "notified")]


def test_a_preferred_ticket_type_holds_its_own_quantity(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=3), capacity=None, quantity_available=3)
    orders = sell_out(client, org_slug, event, 3)
    entry = joined(client, org_slug, event, "vip@example.com", ticket_type_id=event.ticket_type_id)

    cancel_ticket(client, org.headers, orders[0])

    assert entry_row(db, entry["id"]).held_ticket_type_id == event.ticket_type_id
    with db() as session:
        ticket_type = session.get_one(TicketType, event.ticket_type_id)
        assert (ticket_type.quantity_sold, ticket_type.quantity_blocked) == (2, 1)
    assert reserve(client, org_slug, event).json()["code"] == "ticket_type_sold_out"
    assert_consistent(db, event)


def test_a_canceled_occurrence_closes_its_waitlist_and_frees_held_seats(client, org_slug, event, org, db) -> None:
    orders = sell_out(client, org_slug, event, 10)
    joined(client, org_slug, event, "a@example.com")
    joined(client, org_slug, event, "b@example.com")
    cancel_ticket(client, org.headers, orders[0])

    client.post(
        f"/api/v1/occurrences/{event.occurrence_id}/cancel",
        json={"reason": "storm", "force": True},
        headers=org.headers,
    )

    assert statuses(db, event) == [(1, "expired"), (1, "expired")]
    assert occurrence_numbers(db, event.occurrence_id) == (0, 0, 0)


def test_an_occurrence_that_started_expires_whoever_still_waits(client, org_slug, event, db, clock) -> None:
    sell_out(client, org_slug, event, 10)
    joined(client, org_slug, event, "hopeful@example.com")
    clock.set(event.start_at)

    offers.sweep(session_factory=db, now=clock())

    assert statuses(db, event) == [(1, "expired")]
    assert occurrence_numbers(db, event.occurrence_id)[2] == 0


def test_erasing_a_person_takes_them_out_of_the_line_and_forgets_their_address(
    client, org_slug, event, org, db
) -> None:
    orders = sell_out(client, org_slug, event, 10)
    first = joined(client, org_slug, event, "forget.me@example.com")
    second = joined(client, org_slug, event, "second@example.com")
    cancel_ticket(client, org.headers, orders[0])

    response = client.post(f"/api/v1/attendees/{entry_row(db, first['id']).attendee_id}/erase", headers=org.headers)

    assert response.status_code == 200
    row = entry_row(db, first["id"])
    assert (row.status, "forget" in row.email_key) == (WaitlistStatus.CANCELED, False)
    assert entry_row(db, second["id"]).status is WaitlistStatus.NOTIFIED
    assert_consistent(db, event)


def test_offers_and_places_are_mailed_through_the_outbox(client, org_slug, event, org, db) -> None:
    orders = sell_out(client, org_slug, event, 10)
    entry = joined(client, org_slug, event, "mail@example.com")
    cancel_ticket(client, org.headers, orders[0])

    with db() as session:
        mails = session.execute(
            sa.select(OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.payload).where(
                OutboxMessage.kind.in_((MessageKind.WAITLIST_JOINED, MessageKind.WAITLIST_OFFER))
            )
        ).all()
    assert sorted((kind.value, to, payload["entry_id"]) for kind, to, payload in mails) == [
        ("waitlist_joined", "mail@example.com", entry["id"]),
        ("waitlist_offer", "mail@example.com", entry["id"]),
    ]
    assert counters(db, event) == (9, 9, 9)
