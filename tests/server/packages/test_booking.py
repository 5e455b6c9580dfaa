"""Booking a package: every component held in one transaction at its share of the discounted price, all or nothing;
paid once; expiring as a whole."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from server.bookings.models import Order, Ticket
from server.jobs.tasks import sweep_expired_holds
from server.notifications.models import MessageKind, OutboxMessage
from server.packages import booking as package_booking
from server.payments.models import RefundRequest
from server.payments.webhook import sign
from server.villas.models import BookedNight, Booking
from shared.packages import Availability
from tests.support.packages import (
    book,
    booking_body,
    leftovers,
    pay_booking,
    villa_event_package,
)
from tests.support.sales import counters, reserve
from tests.support.waitlist import sell_out


def booked_nights(db) -> list[date]:
    with db() as session:
        return sorted(session.scalars(sa.select(BookedNight.night)))


def test_a_booking_holds_the_nights_and_the_tickets_at_their_share_of_the_discounted_price(
    client, db, org, org_slug
) -> None:
    world = villa_event_package(client, db, org)

    response = book(client, org_slug, world)

    assert response.status_code == 201, response.text
    booking = response.json()
    # 3 nights at 300.00, 2 x 45.00, 2 x 60.00 = 1110.00; 15 % off = 943.50.
    assert (booking["status"], booking["total_cents"]) == ("pending", 94350)
    quote = booking["quote"]
    assert (quote["list_total_cents"], quote["discount_cents"]) == (111000, 16650)
    assert [(c["label"].split(":")[0], c["list_cents"], c["price_cents"]) for c in quote["components"]] == [
        ("Villa stay", 90000, 76500),
        (quote["components"][1]["label"].split(":")[0], 9000, 7650),
        (quote["components"][2]["label"].split(":")[0], 12000, 10200),
    ]
    assert sorted(t["price_paid_cents"] for t in booking["tickets"]) == [3825, 3825, 5100, 5100]
    assert booked_nights(db) == [date(2026, 6, 10), date(2026, 6, 11), date(2026, 6, 12)]
    assert counters(db, world.cooking) == (2, 2, 2)
    assert counters(db, world.wine) == (2, 2, 2)
    with db() as session:
        assert {t.booking_id for t in session.scalars(sa.select(Ticket))} == {uuid.UUID(booking["id"])}


def test_awkward_prices_split_into_minor_units_without_drift(client, db, org, org_slug) -> None:
    world = villa_event_package(
        client,
        db,
        org,
        nightly_price_cents=33333,
        cooking_price_cents=3333,
        wine_price_cents=1999,
        discount_percent="12.5",
        wine_item={"quantity": 3, "is_customizable": True},
    )
    body = booking_body(world)
    body["attendees"].append({"given_name": "Ketut"})
    body["items"][1]["quantity"] = 3

    booking = client.post(f"/api/v1/public/{org_slug}/packages/{world.id}/bookings", json=body).json()

    # 99999 + 6666 + 5997 = 112662; 12.5 % is 14082.75, rounded to 14083 in the guest's favour.
    assert booking["total_cents"] == 112662 - 14083
    components = booking["quote"]["components"]
    assert sum(c["price_cents"] for c in components) == booking["total_cents"]
    for component in components[1:]:
        paid = [t["price_paid_cents"] for t in booking["tickets"] if t["order_id"] == component["order_id"]]
        assert sum(paid) == component["price_cents"]
        assert max(paid) - min(paid) <= 1
    villa_share = components[0]["price_cents"]
    assert villa_share + sum(t["price_paid_cents"] for t in booking["tickets"]) == booking["total_cents"]
    with db() as session:
        orders = session.scalars(sa.select(Order)).all()
        assert sum(o.total_cents for o in orders) + villa_share == booking["total_cents"]
        assert all(o.subtotal_cents - o.discount_cents == o.total_cents for o in orders)


def test_a_fixed_package_price_is_split_the_same_way(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org, base_price_cents=99999)

    booking = book(client, org_slug, world).json()

    assert booking["total_cents"] == 99999
    assert sum(c["price_cents"] for c in booking["quote"]["components"]) == 99999


def test_a_package_failing_on_its_last_component_leaves_nothing_behind(client, db, org, org_slug, monkeypatch):
    world = villa_event_package(client, db, org, capacity=2)
    last = max((world.cooking, world.wine), key=lambda event: str(event.occurrence_id))
    sell_out(client, org_slug, last, 2)
    before = leftovers(db)
    # As if another guest took the last seats between the availability check and the writes.
    monkeypatch.setattr(package_booking, "availability", lambda *args: Availability({}))

    response = book(client, org_slug, world)

    assert response.status_code == 409
    assert response.json()["code"] == "package_unavailable"
    assert leftovers(db) == before
    assert booked_nights(db) == []
    first = world.wine if last is world.cooking else world.cooking
    assert counters(db, first) == (0, 0, 0)
    assert counters(db, last) == (2, 2, 2)


def test_a_refusal_after_the_villa_and_first_event_were_written_rolls_them_back(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org, wine_item={"quantity": 3, "is_customizable": True})
    from server.events.models import TicketType

    with db() as session:
        ticket_type = session.get_one(TicketType, world.wine.ticket_type_id)
        ticket_type.max_quantity = 2
        session.commit()
    body = booking_body(world)
    body["attendees"].append({"given_name": "Ketut"})
    body["items"][1].update(quantity=3, ticket_type_id=str(world.wine.ticket_type_id))
    before = leftovers(db)

    response = client.post(f"/api/v1/public/{org_slug}/packages/{world.id}/bookings", json=body)

    assert response.status_code == 422
    assert response.json()["code"] == "quantity_above_maximum"
    assert leftovers(db) == before
    assert counters(db, world.cooking) == (0, 0, 0)


def test_an_unavailable_component_is_named_and_nothing_is_held(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org, capacity=2)
    sell_out(client, org_slug, world.wine, 1)

    response = book(client, org_slug, world)

    assert response.status_code == 409
    assert response.json()["unavailable"] == {world.item("wine"): "sold_out"}
    assert booked_nights(db) == []
    assert counters(db, world.cooking) == (0, 0, 0)


def test_required_items_stay_and_optional_ones_can_be_dropped(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org, wine_item={"is_required": False})
    drop_cooking = booking_body(world)
    drop_cooking["items"][0]["quantity"] = 0
    drop_wine = booking_body(world)
    drop_wine["items"][1] = {"item_id": world.item("wine"), "quantity": 0}

    refused = client.post(f"/api/v1/public/{org_slug}/packages/{world.id}/bookings", json=drop_cooking)
    accepted = client.post(f"/api/v1/public/{org_slug}/packages/{world.id}/bookings", json=drop_wine)

    assert refused.json()["code"] == "required_item_dropped"
    assert accepted.status_code == 201
    assert accepted.json()["total_cents"] == 84150  # (900.00 + 90.00) less 15 %
    assert counters(db, world.wine) == (0, 0, 0)


def test_a_fixed_quantity_cannot_be_changed_by_the_guest(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org)
    body = booking_body(world)
    body["items"][0]["quantity"] = 5

    response = client.post(f"/api/v1/public/{org_slug}/packages/{world.id}/bookings", json=body)

    assert response.json()["code"] == "quantity_not_customizable"


@pytest.mark.parametrize(
    ("check_in", "check_out", "code"),
    [
        (date(2026, 6, 10), date(2026, 6, 12), "stay_length"),
        (date(2026, 9, 29), date(2026, 10, 2), "stay_outside_validity"),
    ],
)
def test_the_stay_follows_the_package(client, db, org, org_slug, check_in, check_out, code) -> None:
    world = villa_event_package(client, db, org)

    response = book(client, org_slug, world, check_in=check_in, check_out=check_out)

    assert response.json()["code"] == code


def test_each_occurrence_belongs_to_its_item_and_to_the_stay(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org)
    swapped = booking_body(world)
    swapped["items"][0]["occurrence_id"] = str(world.wine.occurrence_id)

    wrong_event = client.post(f"/api/v1/public/{org_slug}/packages/{world.id}/bookings", json=swapped)
    # A shorter stay (a flexible villa would allow it) would leave out the wine tour on the 12th.
    outside = book(client, org_slug, world, check_in=date(2026, 6, 7), check_out=date(2026, 6, 10))

    assert wrong_event.json()["code"] == "occurrence_not_in_item"
    assert outside.json()["code"] == "occurrence_outside_stay"


def test_paying_confirms_every_component_with_one_mail(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org)
    booking = book(client, org_slug, world).json()

    paid = pay_booking(client, org_slug, booking)

    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "confirmed"
    assert all(t["status"] == "confirmed" and t["confirmation_code"] for t in paid.json()["tickets"])
    with db() as session:
        kinds = session.scalars(sa.select(OutboxMessage.kind)).all()
        orders = session.scalars(sa.select(Order.status)).all()
    assert kinds.count(MessageKind.PACKAGE_CONFIRMED) == 1
    assert MessageKind.TICKETS_CONFIRMED not in kinds
    assert [o.value for o in orders] == ["paid", "paid"]


def test_the_providers_webhook_confirms_a_package_paid_later(client, db, org, org_slug, settings, clock) -> None:
    world = villa_event_package(client, db, org)
    booking = book(client, org_slug, world).json()
    pending = pay_booking(client, org_slug, booking, mode="late").json()
    with db() as session:
        reference = session.get_one(Booking, uuid.UUID(booking["id"])).payment_reference
    event = {
        "id": "evt_package_1",
        "type": "payment.succeeded",
        "data": {
            "booking_id": booking["id"],
            "amount_cents": booking["total_cents"],
            "currency": "USD",
            "reference": reference,
        },
    }
    body = json.dumps(event).encode()
    signature = sign(
        body, secret=settings.payment_webhook_secret.get_secret_value(), timestamp=int(clock().timestamp())
    )

    answer = client.post("/api/v1/payments/webhook", content=body, headers={"Usher-Signature": signature})

    assert pending["status"] == "pending"
    assert answer.json()["outcome"] == "confirmed"
    seen = client.get(
        f"/api/v1/public/{org_slug}/package-bookings/{booking['id']}",
        headers={"X-Booking-Secret": booking["access_secret"]},
    )
    assert seen.json()["status"] == "confirmed"


def test_an_unpaid_package_expires_as_a_whole(client, db, org, org_slug, clock) -> None:
    world = villa_event_package(client, db, org)
    booking = book(client, org_slug, world).json()
    clock.advance(minutes=15)

    sweep_expired_holds(session_factory=db, now=clock())

    with db() as session:
        assert session.get_one(Booking, uuid.UUID(booking["id"])).status == "expired"
    assert booked_nights(db) == []
    assert counters(db, world.cooking) == (0, 0, 0)
    assert counters(db, world.wine) == (0, 0, 0)


def test_a_ticket_buyer_releasing_one_expired_part_releases_the_whole_package(client, db, org, org_slug, clock):
    world = villa_event_package(client, db, org, capacity=2)
    booking = book(client, org_slug, world).json()
    clock.advance(minutes=15)

    assert reserve(client, org_slug, world.cooking).status_code == 201  # no sweeper: the buyer releases the hold

    assert counters(db, world.wine) == (0, 0, 0)
    assert booked_nights(db) == []
    assert pay_booking(client, org_slug, booking).json()["code"] == "booking_not_payable"


def test_the_next_guest_gets_nights_whose_hold_expired_without_any_sweeper(client, db, org, org_slug, clock) -> None:
    world = villa_event_package(client, db, org)
    first = book(client, org_slug, world).json()
    assert book(client, org_slug, world).json()["unavailable"] == {world.item("villa"): "nights_taken"}
    clock.advance(minutes=15)

    second = book(client, org_slug, world)

    assert second.status_code == 201, second.text
    with db() as session:
        assert session.get_one(Booking, uuid.UUID(first["id"])).status == "expired"
        assert {n.booking_id for n in session.scalars(sa.select(BookedNight))} == {uuid.UUID(second.json()["id"])}
    assert counters(db, world.cooking) == (2, 2, 2)


def test_a_payment_after_the_hold_ended_is_refunded_not_honoured(client, db, org, org_slug, clock) -> None:
    world = villa_event_package(client, db, org)
    booking = book(client, org_slug, world).json()
    pay_booking(client, org_slug, booking, mode="late")
    clock.advance(minutes=15)
    sweep_expired_holds(session_factory=db, now=clock())
    with db() as session:
        stored = session.get_one(Booking, uuid.UUID(booking["id"]))
        outcome = package_booking.confirm_payment(
            session=session,
            booking_id=stored.id,
            payment=package_booking.confirmation.Payment("fake", stored.payment_reference or "", 94350, "USD"),
            secret_key="k" * 40,
            now=clock(),
        )
        session.commit()

    assert outcome == "needs_refund"
    with db() as session:
        refund = session.scalars(sa.select(RefundRequest)).one()
        assert (refund.amount_cents, refund.reason) == (94350, "package_hold_ended")
        assert session.get_one(Booking, uuid.UUID(booking["id"])).status == "needs_refund"
    assert counters(db, world.cooking) == (0, 0, 0)


def test_a_guest_lets_go_of_an_unpaid_package(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org)
    booking = book(client, org_slug, world).json()

    canceled = client.post(
        f"/api/v1/public/{org_slug}/package-bookings/{booking['id']}/cancel",
        headers={"X-Booking-Secret": booking["access_secret"]},
    )

    assert canceled.json()["status"] == "canceled"
    assert booked_nights(db) == []
    assert counters(db, world.cooking) == (0, 0, 0)


def test_the_desk_books_and_takes_payment_at_once(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org)
    body = booking_body(world, payment={"method": "card_terminal", "terminal_reference": "SLIP-77"})

    response = client.post(f"/api/v1/packages/{world.id}/bookings", json=body, headers=org.headers)

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "confirmed"


def test_a_refused_desk_payment_lets_everything_go(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org)
    body = booking_body(world, payment={"method": "cash", "cash_tendered_cents": 100})

    response = client.post(f"/api/v1/packages/{world.id}/bookings", json=body, headers=org.headers)

    assert response.json()["code"] == "insufficient_cash"
    assert booked_nights(db) == []
    assert counters(db, world.wine) == (0, 0, 0)


def test_the_quote_prices_the_choices_and_holds_nothing(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org)
    body = {k: v for k, v in booking_body(world).items() if k in ("check_in", "check_out", "items")}

    quote = client.post(f"/api/v1/public/{org_slug}/packages/{world.id}/quote", json=body).json()

    assert (quote["available"], quote["total_cents"], quote["discount_cents"]) == (True, 94350, 16650)
    assert booked_nights(db) == []
