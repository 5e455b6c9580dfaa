"""Pull: a device gets what its scope covers, incrementally, and nothing else."""

from __future__ import annotations

import gzip
import uuid
from datetime import timedelta

from server.events.models import EventOccurrence
from shared import wire
from tests.support.doors import DOORS_OPEN, sell
from tests.support.factories import make_sellable_event
from tests.support.kiosk import SimulatedKiosk
from tests.support.orgs import make_org


def test_the_first_pull_brings_the_scope_and_the_keys(client, org, clock, doors) -> None:
    tickets = sell(client, org, doors, quantity=3, accessibility_needs=["step-free"])
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])

    pages = kiosk.pull_all()

    assert pages[0].reset
    assert kiosk.ticket_ids() == {uuid.UUID(t["id"]) for t in tickets}
    row = kiosk.rows("tickets", "WHERE id = ?", [uuid.UUID(tickets[0]["id"]).hex])[0]
    assert (row["name"], row["code"], row["status"]) == (
        tickets[0]["attendee_name"],
        tickets[0]["confirmation_code"],
        "confirmed",
    )
    assert wire.ticket_snapshot(row).notes == ("Accessibility: step-free",)
    owners = {(r["owner_kind"], r["owner_id"]) for r in kiosk.rows("keys")}
    assert ("organization", org.org_id.hex) in owners
    assert ("device", kiosk.device_id.hex) in owners
    assert len(kiosk.rows("occurrences")) == 1
    assert len(kiosk.rows("events")) == 1


def test_a_second_pull_brings_only_what_changed(client, org, clock, doors) -> None:
    sell(client, org, doors, quantity=2)
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])
    kiosk.pull_all()

    (late,) = sell(client, org, doors)
    pages = kiosk.pull_all()

    assert sum(page.count("tickets") for page in pages) == 1
    assert uuid.UUID(late["id"]) in kiosk.ticket_ids()
    assert not pages[-1].reset


def test_pages_follow_the_limit_and_the_cursor(client, org, clock, doors) -> None:
    sell(client, org, doors, quantity=7)
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])

    pages = kiosk.pull_all(limit=3)

    assert len(pages) >= 3
    assert len(kiosk.ticket_ids()) == 7


def test_each_page_but_the_last_estimates_how_many_tickets_are_still_to_come(client, org, clock, doors) -> None:
    sell(client, org, doors, quantity=7)
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])

    pages = kiosk.pull_all(limit=3)

    served = 0
    for page in pages[:-1]:
        served += page.count("tickets")
        assert page.more
        assert page.remaining == 7 - served
    assert pages[-1].remaining == 0
    assert served + pages[-1].count("tickets") == 7


def test_pages_are_gzip_compressed_on_the_wire(client, org, clock, doors) -> None:
    sell(client, org, doors, quantity=2)
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])

    response = client.get(wire.Path.PULL, headers={**kiosk.headers(), "Accept-Encoding": "gzip"})
    raw = client.get(wire.Path.PULL, headers={**kiosk.headers(), "Accept-Encoding": "identity"})

    assert response.headers["content-encoding"] == "gzip"
    assert wire.decode_pull_page(response.content).count("tickets") == 2
    assert "content-encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content)


def test_a_device_of_another_event_or_another_org_sees_nothing_of_this_one(client, app, org, clock, doors) -> None:
    sell(client, org, doors, quantity=2)
    elsewhere = make_sellable_event(
        app.state.session_factory, org, start_at=clock() + timedelta(minutes=30), definition_settings=DOORS_OPEN
    )
    (other_ticket,) = sell(client, org, elsewhere)
    rival = make_org(app.state.session_factory, clock, name="Rival")
    rival_event = make_sellable_event(app.state.session_factory, rival, start_at=clock() + timedelta(minutes=30))
    same_event = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[elsewhere.definition_id])
    rival_kiosk = SimulatedKiosk.pair(client, rival.headers, clock, event_ids=[rival_event.definition_id])

    same_event.pull_all()
    rival_kiosk.pull_all()

    assert same_event.ticket_ids() == {uuid.UUID(other_ticket["id"])}
    assert {r["id"] for r in same_event.rows("occurrences")} == {elsewhere.occurrence_id.hex}
    assert {r["id"] for r in same_event.rows("events")} == {elsewhere.definition_id.hex}
    assert rival_kiosk.ticket_ids() == set()
    assert {r["owner_id"] for r in rival_kiosk.rows("keys")} <= {rival.org_id.hex, rival_kiosk.device_id.hex}


def test_a_ticket_of_another_event_is_refused_without_its_holders_name(client, app, org, clock, doors) -> None:
    (ticket,) = sell(client, org, doors)
    elsewhere = make_sellable_event(
        app.state.session_factory, org, start_at=clock() + timedelta(minutes=30), definition_settings=DOORS_OPEN
    )
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[elsewhere.definition_id])

    _, answer = kiosk.redeem(ticket["qr_code_data"], [elsewhere.occurrence_id])

    assert answer.outcome.reason.value == "wrong_occurrence"
    assert not answer.outcome.holder_name
    assert answer.outcome.notes == ()


def test_a_ticket_for_an_event_outside_the_kiosks_scope_is_named_so_the_guest_can_be_sent_on(
    client, app, org, clock, doors
) -> None:
    (ticket,) = sell(client, org, doors)
    elsewhere = make_sellable_event(
        app.state.session_factory, org, start_at=clock() + timedelta(minutes=30), definition_settings=DOORS_OPEN
    )
    with app.state.session_factory() as session:
        occurrence = session.get(EventOccurrence, doors.occurrence_id)
        assert occurrence is not None
        occurrence.occurrence_name = "Jazz on the terrace"
        expected = wire.EventLabel("Jazz on the terrace", occurrence.start_at, occurrence.timezone)
        session.commit()
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[elsewhere.definition_id])

    _, answer = kiosk.redeem(ticket["qr_code_data"], [elsewhere.occurrence_id], nonce="wrong-door-1")
    _, replayed = kiosk.redeem(ticket["qr_code_data"], [elsewhere.occurrence_id], nonce="wrong-door-1")
    (here,) = sell(client, org, elsewhere)
    _, admitted = kiosk.redeem(here["qr_code_data"], [elsewhere.occurrence_id])

    assert answer.ticket_event == expected
    assert (replayed.replayed, replayed.ticket_event) == (True, expected)
    assert (admitted.outcome.ok, admitted.ticket_event) == (True, None)


def test_a_device_cannot_ask_for_an_occurrence_outside_its_scope(client, app, org, clock, doors) -> None:
    elsewhere = make_sellable_event(app.state.session_factory, org, start_at=clock() + timedelta(minutes=30))
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])

    status, problem = kiosk.redeem("K7MXQ2P9RT", [elsewhere.occurrence_id])

    assert (status, problem["code"]) == (403, "out_of_scope")


def test_a_pull_after_gdpr_erasure_removes_the_persons_data(client, org, clock, doors) -> None:
    (ticket,) = sell(client, org, doors, given_name="Zoe", family_name="Quill", notes="anniversary")
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])
    kiosk.pull_all()
    assert kiosk.rows("tickets")[0]["name"] == "Zoe Quill"

    response = client.post(f"/api/v1/attendees/{ticket['attendee_id']}/erase", headers=org.headers)
    assert response.status_code == 200, response.text
    kiosk.pull_all()

    (row,) = kiosk.rows("tickets")
    assert (row["name"], row["email"], row["notes"]) == ("", "", "[]")
    dump = "\n".join(kiosk.replica.iterdump())
    assert "Zoe" not in dump
    assert "Quill" not in dump
    assert "anniversary" not in dump


def test_a_scope_change_makes_the_next_pull_start_over(client, app, org, clock, doors) -> None:
    sell(client, org, doors)
    elsewhere = make_sellable_event(
        app.state.session_factory, org, start_at=clock() + timedelta(minutes=30), definition_settings=DOORS_OPEN
    )
    (other,) = sell(client, org, elsewhere)
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])
    kiosk.pull_all()

    response = client.patch(
        f"/api/v1/devices/{kiosk.device_id}", json={"event_ids": [str(elsewhere.definition_id)]}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    pages = kiosk.pull_all()

    assert pages[0].reset
    assert kiosk.ticket_ids() == {uuid.UUID(other["id"])}


def test_a_deleted_unsold_event_is_deleted_from_the_replica(client, app, org, clock) -> None:
    unsold = make_sellable_event(app.state.session_factory, org, start_at=clock() + timedelta(days=3))
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[unsold.definition_id])
    kiosk.pull_all()
    assert len(kiosk.rows("occurrences")) == 1
    canceled = client.post(
        f"/api/v1/occurrences/{unsold.occurrence_id}/cancel", json={"reason": "weather"}, headers=org.headers
    )
    assert canceled.status_code == 200, canceled.text

    response = client.delete(f"/api/v1/events/{unsold.definition_id}", headers=org.headers)
    assert response.status_code == 204, response.text
    kiosk.pull_all()

    assert kiosk.rows("occurrences") == []
    assert kiosk.rows("ticket_types") == []
    assert kiosk.rows("events") == []


def test_an_invalid_cursor_is_refused_with_a_stable_code(client, org, clock, doors) -> None:
    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])

    response = client.get(wire.Path.PULL, params={"cursor": "garbage"}, headers=kiosk.headers())

    assert (response.status_code, response.json()["code"]) == (422, "cursor_invalid")


def test_every_sales_write_path_reaches_the_replica(client, org, org_slug, clock, doors) -> None:
    """Reservation (one-statement path on PostgreSQL), payment, cancellation: all stamped by the triggers."""
    from tests.support.factories import reservation_body

    kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])
    order = client.post(f"/api/v1/public/{org_slug}/orders", json=reservation_body(doors, 2)).json()
    kiosk.pull_all()
    assert kiosk.ticket_ids() == set()  # a hold has no code yet: nothing for a door

    client.post(
        f"/api/v1/public/{org_slug}/orders/{order['id']}/pay",
        json={"mode": "pay"},
        headers={"X-Order-Secret": order["access_secret"]},
    )
    kiosk.pull_all()
    assert {row["status"] for row in kiosk.rows("tickets")} == {"confirmed"}

    client.post("/api/v1/tickets/cancel", json={"ticket_ids": [order["tickets"][0]["id"]]}, headers=org.headers)
    kiosk.pull_all()
    assert sorted(row["status"] for row in kiosk.rows("tickets")) == ["canceled", "confirmed"]
