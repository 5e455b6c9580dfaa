"""Box-office sales: seats, money and tickets in one request, through the manual gateway."""

from __future__ import annotations

from shared.enums import Permission
from tests.support.factories import reservation_body
from tests.support.orgs import make_token
from tests.support.sales import counters


def sale(client, headers, event, payment, quantity=1, idempotency_key=None):
    body = reservation_body(event, quantity, payment=payment)
    extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return client.post("/api/v1/box-office/sales", json=body, headers={**headers, **extra})


def test_cash_sale_confirms_tickets_and_computes_change(client, org, event, db) -> None:
    response = sale(client, org.headers, event, {"method": "cash", "cash_tendered_cents": 6000}, quantity=2)

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "paid"
    assert order["channel"] == "box_office"
    assert order["payment"]["change_cents"] == 1000
    assert all(t["status"] == "confirmed" and t["qr_code_data"] for t in order["tickets"])
    assert counters(db, event) == (2, 2, 2)


def test_cash_short_of_the_total_is_refused_and_the_seats_go_back(client, org, event, db) -> None:
    response = sale(client, org.headers, event, {"method": "cash", "cash_tendered_cents": 100})

    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_cash"
    assert counters(db, event) == (0, 0, 0)


def test_card_terminal_sale_needs_the_slip_reference(client, org, event) -> None:
    refused = sale(client, org.headers, event, {"method": "card_terminal"})
    accepted = sale(client, org.headers, event, {"method": "card_terminal", "terminal_reference": "SLIP-0042"})

    assert refused.json()["code"] == "terminal_reference_required"
    assert accepted.json()["payment"]["terminal_reference"] == "SLIP-0042"


def test_complimentary_tickets_cost_nothing_but_take_seats(client, org, event, db) -> None:
    order = sale(client, org.headers, event, {"method": "complimentary"}, quantity=2).json()

    assert order["quote"]["total_cents"] == 0
    assert order["quote"]["discount_cents"] == 5000
    assert [t["price_paid_cents"] for t in order["tickets"]] == [0, 0]
    assert counters(db, event) == (2, 2, 2)


def test_box_office_sale_replayed_with_its_key_sells_once(client, org, event, db) -> None:
    payment = {"method": "cash", "cash_tendered_cents": 2500}
    body = reservation_body(event, 1, payment=payment)
    headers = {**org.headers, "Idempotency-Key": "desk-1-sale-9"}

    first = client.post("/api/v1/box-office/sales", json=body, headers=headers)
    again = client.post("/api/v1/box-office/sales", json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert counters(db, event) == (1, 1, 1)


def test_box_office_needs_the_ticket_sell_permission(client, org, event, app, clock) -> None:
    token = make_token(app.state.session_factory, clock, org, [Permission.ATTENDEE_VIEW])

    response = sale(client, {"Authorization": f"Bearer {token}"}, event, {"method": "complimentary"})

    assert response.status_code == 403
