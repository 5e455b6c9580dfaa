"""Attendees: GDPR erasure keeps the money records; linking to a registered user."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from server.bookings.models import Attendee, Order, Ticket
from server.notifications.models import OutboxMessage, OutboxStatus
from server.payments.models import PaymentEvent
from tests.support.sales import pay, reserve


def test_erasure_blanks_personal_data_everywhere_and_keeps_tickets_and_money(client, org_slug, event, org, db) -> None:
    order = reserve(
        client,
        org_slug,
        event,
        attendees=[
            {
                "given_name": "Zoë",
                "family_name": "Quill",
                "email": "zoe@example.com",
                "phone": "+30 210 000",
                "dietary_restrictions": ["vegan"],
                "accessibility_needs": ["step-free"],
                "notes": "anniversary",
                "emergency_contact": {"name": "Ann"},
            }
        ],
    ).json()
    pay(client, org_slug, order)
    attendee_id = order["tickets"][0]["attendee_id"]

    response = client.post(f"/api/v1/attendees/{attendee_id}/erase", headers=org.headers)

    assert response.status_code == 200, response.text
    with db() as session:
        attendee = session.get_one(Attendee, uuid.UUID(attendee_id))
        assert attendee.erased_at is not None
        assert "zoe" not in attendee.email
        assert (attendee.given_name, attendee.family_name, attendee.phone, attendee.notes) == (
            "Erased",
            None,
            None,
            None,
        )
        assert (attendee.dietary_restrictions, attendee.accessibility_needs, attendee.emergency_contact) == (
            None,
            None,
            None,
        )
        stored_order = session.get_one(Order, uuid.UUID(order["id"]))
        assert stored_order.email is None
        assert (stored_order.status.value, stored_order.total_cents) == ("paid", 2500)
        ticket = session.scalars(sa.select(Ticket)).one()
        assert (ticket.status.value, ticket.price_paid_cents) == ("confirmed", 2500)
        recipients = session.scalars(sa.select(OutboxMessage.recipient)).all()
        assert recipients
        assert all("zoe" not in r for r in recipients)
        assert set(session.scalars(sa.select(OutboxMessage.status))) == {OutboxStatus.CANCELED}
        assert session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 0  # paid in-request


def test_erasing_twice_is_harmless(client, org_slug, event, org) -> None:
    order = reserve(client, org_slug, event).json()
    url = f"/api/v1/attendees/{order['tickets'][0]['attendee_id']}/erase"

    first = client.post(url, headers=org.headers).json()
    again = client.post(url, headers=org.headers).json()

    assert first["erased_at"] == again["erased_at"]


def test_another_org_cannot_erase_or_see_an_attendee(client, org_slug, event, other_org) -> None:
    order = reserve(client, org_slug, event).json()

    response = client.post(f"/api/v1/attendees/{order['tickets'][0]['attendee_id']}/erase", headers=other_org.headers)

    assert response.status_code == 404


def test_attendee_can_be_linked_to_a_registered_user(client, org_slug, event, org) -> None:
    order = reserve(client, org_slug, event).json()
    user_id = str(uuid.uuid4())

    response = client.put(
        f"/api/v1/attendees/{order['tickets'][0]['attendee_id']}/user", json={"user_id": user_id}, headers=org.headers
    )

    assert response.json()["user_id"] == user_id


def test_attendee_list_shows_each_ticket_with_its_attendee(client, org_slug, event, org) -> None:
    reserve(client, org_slug, event, quantity=2)

    rows = client.get(f"/api/v1/occurrences/{event.occurrence_id}/attendees", headers=org.headers).json()

    assert len(rows) == 2
    assert {r["attendee"]["family_name"] for r in rows} == {"Doe"}
