"""Payments reported by the provider's webhook: signed, fresh, acted on once; late payments never oversell."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from server.bookings.capacity import release_expired_holds
from server.bookings.models import Order
from server.payments.models import PaymentEvent, RefundRequest
from server.payments.webhook import SIGNATURE_HEADER, sign
from tests.support.sales import counters, pay, reserve

SECRET = "usher-development-webhook-secret-change-me"


def post_webhook(client, clock, event: dict[str, Any], *, secret: str = SECRET, at: int | None = None) -> Any:
    body = json.dumps(event).encode()
    timestamp = at if at is not None else int(clock().timestamp())
    return client.post(
        "/api/v1/payments/webhook",
        content=body,
        headers={SIGNATURE_HEADER: sign(body, secret=secret, timestamp=timestamp), "Content-Type": "application/json"},
    )


def payment_event(order: dict[str, Any], **data: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "provider": "fake",
        "type": "payment.succeeded",
        "data": {
            "order_id": order["id"],
            "amount_cents": order["quote"]["total_cents"],
            "currency": order["quote"]["currency"],
            "reference": f"ch_{uuid.uuid4().hex[:10]}",
            **data,
        },
    }


def read_order(client, slug: str, order: dict[str, Any]) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/public/{slug}/orders/{order['id']}", headers={"X-Order-Secret": order["access_secret"]}
    )
    return response.json()


def test_payment_webhook_confirms_the_order_and_issues_codes_and_tokens(client, org_slug, event, clock) -> None:
    order = reserve(client, org_slug, event, quantity=2).json()

    response = post_webhook(client, clock, payment_event(order))

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "confirmed"
    paid = read_order(client, org_slug, order)
    assert paid["status"] == "paid"
    assert [t["status"] for t in paid["tickets"]] == ["confirmed", "confirmed"]
    assert all(t["confirmation_code"] and t["qr_code_data"].startswith("U1:") for t in paid["tickets"])
    assert len({t["confirmation_code"] for t in paid["tickets"]}) == 2


def test_replayed_webhook_event_acts_once(client, org_slug, event, clock, db) -> None:
    order = reserve(client, org_slug, event).json()
    payload = payment_event(order)

    first = post_webhook(client, clock, payload)
    codes = [t["confirmation_code"] for t in read_order(client, org_slug, order)["tickets"]]
    again = post_webhook(client, clock, payload)

    assert first.json()["duplicate"] is False
    assert again.status_code == 200
    assert again.json() == {"event_id": payload["id"], "outcome": "confirmed", "duplicate": True}
    assert [t["confirmation_code"] for t in read_order(client, org_slug, order)["tickets"]] == codes
    with db() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 1


def test_webhook_with_a_bad_signature_is_refused_and_changes_nothing(client, org_slug, event, clock) -> None:
    order = reserve(client, org_slug, event).json()

    response = post_webhook(client, clock, payment_event(order), secret="not-the-secret")

    assert response.status_code == 401
    assert response.json()["code"] == "webhook_signature_invalid"
    assert read_order(client, org_slug, order)["status"] == "pending"


def test_webhook_with_a_tampered_body_is_refused(client, org_slug, event, clock) -> None:
    order = reserve(client, org_slug, event).json()
    body = json.dumps(payment_event(order)).encode()
    header = sign(body, secret=SECRET, timestamp=int(clock().timestamp()))

    response = client.post(
        "/api/v1/payments/webhook", content=body.replace(b"fake", b"fakf"), headers={SIGNATURE_HEADER: header}
    )

    assert response.status_code == 401


def test_webhook_older_than_the_tolerance_is_refused(client, org_slug, event, clock) -> None:
    order = reserve(client, org_slug, event).json()

    stale = post_webhook(client, clock, payment_event(order), at=int((clock() - timedelta(minutes=6)).timestamp()))

    assert stale.status_code == 401
    assert stale.json()["code"] == "webhook_too_old"


def test_webhook_without_signature_is_refused(client) -> None:
    response = client.post("/api/v1/payments/webhook", content=b"{}")

    assert response.status_code == 401


def test_late_payment_takes_the_seats_again_when_they_are_still_free(client, org_slug, event, clock, db) -> None:
    order = reserve(client, org_slug, event, quantity=3).json()
    clock.advance(minutes=20)
    with db() as session:  # the sweeper's pass
        release_expired_holds(session, now=clock())
        session.commit()
    reserve(client, org_slug, event, quantity=7)
    assert counters(db, event) == (7, 7, 7)

    response = post_webhook(client, clock, payment_event(order))

    assert response.json()["outcome"] == "late_confirmed"
    assert read_order(client, org_slug, order)["status"] == "paid"
    assert counters(db, event) == (10, 10, 10)
    assert {t["status"] for t in read_order(client, org_slug, order)["tickets"]} == {"confirmed"}


def test_late_payment_is_refunded_when_its_seats_were_sold_meanwhile(client, org_slug, event, clock, db) -> None:
    order = reserve(client, org_slug, event, quantity=3).json()
    clock.advance(minutes=20)
    assert reserve(client, org_slug, event, quantity=10).status_code == 201

    event_body = payment_event(order)
    response = post_webhook(client, clock, event_body)

    assert response.json()["outcome"] == "needs_refund"
    assert read_order(client, org_slug, order)["status"] == "needs_refund"
    assert counters(db, event) == (10, 10, 10)
    with db() as session:
        refund = session.scalars(sa.select(RefundRequest)).one()
        assert (refund.amount_cents, refund.reason, refund.status.value) == (7500, "seats_gone", "requested")
        # The refund names the charge it gives back, as every other refund of a payment does.
        assert (refund.payment_gateway, refund.payment_reference) == ("fake", event_body["data"]["reference"])


def test_payment_for_an_expired_hold_nobody_released_yet_confirms_it(client, org_slug, event, clock) -> None:
    order = reserve(client, org_slug, event).json()
    clock.advance(minutes=30)

    assert post_webhook(client, clock, payment_event(order)).json()["outcome"] == "confirmed"


def test_payment_of_the_wrong_amount_does_not_confirm(client, org_slug, event, clock, db) -> None:
    order = reserve(client, org_slug, event).json()

    response = post_webhook(client, clock, payment_event(order, amount_cents=1))

    assert response.json()["outcome"] == "amount_mismatch"
    assert read_order(client, org_slug, order)["status"] == "pending"
    with db() as session:
        assert session.scalars(sa.select(RefundRequest.reason)).all() == ["amount_mismatch"]


def test_fake_gateway_pays_at_once_or_declines(client, org_slug, event) -> None:
    declined = reserve(client, org_slug, event).json()
    paid = reserve(client, org_slug, event).json()

    assert pay(client, org_slug, declined, mode="decline").json()["code"] == "payment_declined"
    assert pay(client, org_slug, paid).json()["status"] == "paid"
    assert read_order(client, org_slug, declined)["status"] == "pending"


def test_fake_gateway_late_mode_waits_for_the_webhook(client, org_slug, event, clock, db) -> None:
    order = reserve(client, org_slug, event).json()

    pending = pay(client, org_slug, order, mode="late").json()
    with db() as session:
        reference = session.get_one(Order, uuid.UUID(order["id"])).payment_reference
    post_webhook(client, clock, payment_event(order, reference=reference))

    assert pending["status"] == "pending"
    assert read_order(client, org_slug, order)["status"] == "paid"


def test_refund_webhook_marks_the_ticket_refunded(client, org_slug, event, org, clock, db) -> None:
    order = reserve(client, org_slug, event).json()
    pay(client, org_slug, order)
    ticket_id = order["tickets"][0]["id"]
    client.post("/api/v1/tickets/cancel", json={"ticket_ids": [ticket_id]}, headers=org.headers)
    refunds = client.get("/api/v1/refund-requests", headers=org.headers).json()

    response = post_webhook(
        client,
        clock,
        {
            "id": "evt_refund_1",
            "provider": "fake",
            "type": "refund.succeeded",
            "data": {"refund_request_id": refunds[0]["id"], "provider_refund_id": "re_1"},
        },
    )

    assert response.json()["outcome"] == "refund_succeeded"
    assert read_order(client, org_slug, order)["tickets"][0]["status"] == "refunded"
    assert client.get("/api/v1/refund-requests?status=succeeded", headers=org.headers).json()[0]["amount_cents"] == 2500


def test_a_provider_reference_already_on_another_order_is_a_conflict_not_a_crash(
    client, org_slug, event, clock, db
) -> None:
    first = reserve(client, org_slug, event).json()
    second = reserve(client, org_slug, event).json()
    assert post_webhook(client, clock, payment_event(first, reference="ch_same")).status_code == 200

    response = post_webhook(client, clock, payment_event(second, reference="ch_same"))

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "payment_reference_in_use"
    assert read_order(client, org_slug, second)["status"] == "pending"
    with db() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 1
