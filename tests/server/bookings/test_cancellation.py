"""Canceling tickets: seats come back, refunds follow the event's policy, occurrences cancel all their tickets."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.bookings import service
from server.bookings.models import Order
from server.events.models import EventOccurrence
from server.notifications.models import MessageKind, OutboxMessage
from server.payments.models import RefundRequest
from shared.enums import OccurrenceStatus
from tests.support.factories import make_sellable_event
from tests.support.sales import counters, pay, reserve

POLICY = {
    "refund_policy": [{"min_hours_before": 48, "percent": 100}, {"min_hours_before": 24, "percent": 50}],
    "guest_cancellation_cutoff_hours": 2,
}


@pytest.fixture
def policy_event(db, org, clock):
    return make_sellable_event(db, org, start_at=clock() + timedelta(days=5), capacity=10, definition_settings=POLICY)


def paid_order(client, slug, event, quantity=1):
    order = reserve(client, slug, event, quantity=quantity).json()
    assert pay(client, slug, order).json()["status"] == "paid"
    return order


def guest_cancel(client, slug, order, ticket_ids=None):
    return client.post(
        f"/api/v1/public/{slug}/orders/{order['id']}/cancel",
        json={"ticket_ids": ticket_ids} if ticket_ids else {},
        headers={"X-Order-Secret": order["access_secret"]},
    )


@pytest.mark.parametrize(
    ("before_start", "refund_cents"),
    [
        (timedelta(hours=48), 2500),
        (timedelta(hours=48) - timedelta(seconds=1), 1250),
        (timedelta(hours=24), 1250),
        (timedelta(hours=24) - timedelta(seconds=1), 0),
    ],
    ids=["exactly-48h-full", "just-under-48h-half", "exactly-24h-half", "just-under-24h-none"],
)
def test_guest_refund_follows_the_policy_at_its_boundaries(
    client, org_slug, policy_event, clock, before_start, refund_cents
) -> None:
    order = paid_order(client, org_slug, policy_event)
    clock.set(policy_event.start_at - before_start)

    response = guest_cancel(client, org_slug, order)

    assert response.status_code == 200, response.text
    ticket = response.json()["tickets"][0]
    assert (ticket["status"], ticket["refund_amount_cents"]) == ("canceled", refund_cents)


def test_guest_cannot_cancel_after_the_guest_cutoff(client, org_slug, policy_event, clock, db) -> None:
    order = paid_order(client, org_slug, policy_event)
    clock.set(policy_event.start_at - timedelta(hours=2))

    response = guest_cancel(client, org_slug, order)

    assert response.status_code == 409
    assert response.json()["code"] == "cancellation_closed"
    assert counters(db, policy_event) == (1, 1, 1)


def test_canceled_ticket_gives_its_seat_back_and_requests_its_refund(client, org_slug, policy_event, db) -> None:
    order = paid_order(client, org_slug, policy_event, quantity=2)
    first = order["tickets"][0]["id"]

    guest_cancel(client, org_slug, order, [first])

    assert counters(db, policy_event) == (1, 1, 1)
    with db() as session:
        refund = session.scalars(sa.select(RefundRequest)).one()
        assert (str(refund.ticket_id), refund.amount_cents, refund.status.value) == (first, 2500, "requested")
        kinds = session.scalars(sa.select(OutboxMessage.kind).order_by(OutboxMessage.created_at)).all()
        assert MessageKind.TICKETS_CANCELED in kinds


def test_guest_canceling_an_unpaid_hold_releases_it_without_refund(client, org_slug, event, db) -> None:
    order = reserve(client, org_slug, event, quantity=3).json()

    canceled = guest_cancel(client, org_slug, order).json()

    assert canceled["status"] == "canceled"
    assert counters(db, event) == (0, 0, 0)
    with db() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RefundRequest)) == 0


def test_organizer_cancels_with_a_full_refund_even_at_the_last_minute(
    client, org_slug, policy_event, org, clock
) -> None:
    order = paid_order(client, org_slug, policy_event)
    clock.set(policy_event.start_at - timedelta(minutes=5))

    response = client.post(
        "/api/v1/tickets/cancel", json={"ticket_ids": [order["tickets"][0]["id"]]}, headers=org.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()[0]["refund_amount_cents"] == 2500


def test_organizer_cannot_cancel_another_orgs_ticket(client, org_slug, event, other_org) -> None:
    order = reserve(client, org_slug, event).json()

    response = client.post(
        "/api/v1/tickets/cancel", json={"ticket_ids": [order["tickets"][0]["id"]]}, headers=other_org.headers
    )

    assert response.status_code == 404


def test_occurrence_cancel_cancels_every_ticket_with_full_refunds_and_keeps_the_rows(
    client, org_slug, policy_event, db, clock
) -> None:
    paid = paid_order(client, org_slug, policy_event, quantity=2)
    held = reserve(client, org_slug, policy_event, quantity=1).json()
    clock.set(policy_event.start_at - timedelta(hours=3))

    with db() as session:
        occurrence = session.get_one(EventOccurrence, policy_event.occurrence_id)
        occurrence.status = OccurrenceStatus.CANCELED
        canceled = service.cancel_tickets_of_occurrence(
            session=session, occurrence=occurrence, now=clock(), reason="storm warning"
        )
        session.commit()

    assert sorted(c.refund_amount_cents for c in canceled) == [0, 2500, 2500]
    assert counters(db, policy_event) == (0, 0, 0)
    with db() as session:
        statuses = dict(session.execute(sa.select(Order.id, Order.status)).all())
        assert statuses[uuid.UUID(held["id"])].value == "canceled"
        assert statuses[uuid.UUID(paid["id"])].value == "paid"
        assert session.scalar(sa.select(sa.func.sum(RefundRequest.amount_cents))) == 5000
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == MessageKind.TICKETS_CANCELED)
            )
            == 1
        )


def test_catalog_occurrence_cancel_cancels_its_tickets_in_the_same_request(
    client, org_slug, policy_event, org, db
) -> None:
    paid = paid_order(client, org_slug, policy_event, quantity=2)

    response = client.post(
        f"/api/v1/occurrences/{policy_event.occurrence_id}/cancel", json={"reason": "storm"}, headers=org.headers
    )

    assert response.status_code == 200, response.text
    after = client.get(
        f"/api/v1/public/{org_slug}/orders/{paid['id']}", headers={"X-Order-Secret": paid["access_secret"]}
    ).json()
    assert [(t["status"], t["refund_amount_cents"]) for t in after["tickets"]] == [("canceled", 2500)] * 2
    assert counters(db, policy_event) == (0, 0, 0)
    assert reserve(client, org_slug, policy_event).status_code == 409
