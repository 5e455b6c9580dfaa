"""Several kiosks against a real uvicorn server: offline sessions that reconnect in any order end in the same state,
replayed uploads change nothing, racing redeems admit once, and allotment sales never oversell."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from server.bookings.models import Ticket
from server.checkin.models import CheckIn
from server.events.models import EventOccurrence
from server.sync.models import SyncConflict
from shared import wire
from shared.passages import Direction
from tests.support.doors import DOORS_OPEN, sell
from tests.support.factories import SellableEvent, make_sellable_event
from tests.support.kiosk import SimulatedKiosk
from tests.support.live_server import running_server


def _offline_evening(http: httpx.Client, org, clock, event: SellableEvent, order: str) -> dict[str, Any]:
    """Three kiosks work offline, then reconnect in ``order``; answers the server's state, normalized."""
    tickets = sell(http, org, event, quantity=5)
    codes = [t["confirmation_code"] for t in tickets]
    scope = {"event_ids": [event.definition_id]}
    kiosks = {
        "A": SimulatedKiosk.pair(http, org.headers, clock, name="Door A", **scope),
        "B": SimulatedKiosk.pair(http, org.headers, clock, name="Door B", skew=timedelta(seconds=40), **scope),
        "C": SimulatedKiosk.pair(http, org.headers, clock, name="Desk C", role="box_office", **scope),
    }
    for kiosk in kiosks.values():
        kiosk.pull_all()
    status, allotment = kiosks["C"].request_allotment(event.occurrence_id, 2)
    assert status == 201, allotment
    kiosks["C"].pull_all()
    occurrence = [event.occurrence_id]
    start = clock()
    # Offline from here on.
    kiosks["A"].scan_offline(codes[0], occurrence)
    clock.advance(minutes=1)
    kiosks["B"].scan_offline(codes[2], occurrence)  # B reads 40 s fast: corrected, this is still the earlier one
    clock.advance(minutes=1)
    kiosks["A"].scan_offline(codes[2], occurrence)
    kiosks["A"].scan_offline(codes[1], occurrence)
    kiosks["B"].scan_offline(codes[3], occurrence, nonce="b-mistake-" + order)
    kiosks["B"].scan_offline(codes[4], occurrence)
    kiosks["B"].scan_offline(codes[4], occurrence)  # refused locally: already in
    clock.advance(minutes=1)
    kiosks["A"].scan_offline(codes[0], occurrence, direction=Direction.EXIT)
    kiosks["B"].annul_offline("b-mistake-" + order)
    _, sold_tokens = kiosks["C"].sell_offline(
        event.occurrence_id, event.ticket_type_id, 3, allotment_id=uuid.UUID(hex=allotment["id"])
    )
    kiosks["A"].scan_offline(sold_tokens[0], occurrence)  # a ticket the server has not heard of yet
    batches: dict[str, list[wire.Mutation]] = {name: list(k.outbox) for name, k in kiosks.items()}
    for name in order:
        clock.advance(seconds=5)
        answer = kiosks[name].push()
        assert all(result.final for result in answer.results), answer
    for kiosk in kiosks.values():
        kiosk.pull_all()
    state = _state(http.app_db, event, tickets, sold_tokens, start)  # type: ignore[attr-defined]
    # Every batch again, in reverse order: nothing changes.
    for name in reversed(order):
        kiosks[name].push(batches[name])
    assert _state(http.app_db, event, tickets, sold_tokens, start) == state  # type: ignore[attr-defined]
    # Every kiosk's replica agrees with the server about who counts.
    for kiosk in kiosks.values():
        counted = {
            (row["ticket_id"], row["direction"])
            for row in kiosk.rows("check_ins")
            if row["counted"] and not row["annulled_at"]
        }
        assert counted == state["counted_keys"]
    return state


def _state(db, event: SellableEvent, tickets, sold_tokens, start) -> dict[str, Any]:
    with db() as session:
        rows = session.scalars(sa.select(CheckIn).where(CheckIn.event_occurrence_id == event.occurrence_id)).all()
        ticket_rows = session.scalars(sa.select(Ticket).where(Ticket.event_occurrence_id == event.occurrence_id)).all()
        conflicts = session.scalars(
            sa.select(SyncConflict).where(SyncConflict.event_occurrence_id == event.occurrence_id)
        ).all()
        occurrence = session.get_one(EventOccurrence, event.occurrence_id)
        index = {uuid.UUID(t["id"]): f"t{i}" for i, t in enumerate(tickets)}
        by_token = {t.qr_code_data: t.id for t in ticket_rows}
        index.update({by_token[token.upper()]: f"sold{i}" for i, token in enumerate(sold_tokens)})
        return {
            "passages": sorted(
                (
                    index.get(r.ticket_id, "?"),
                    r.gate,
                    r.direction.value,
                    r.admitted,
                    r.counted,
                    r.annulled_at is not None,
                )
                for r in rows
            ),
            "tickets": sorted(
                (index[t.id], t.status.value, None if t.checked_in_at is None else t.checked_in_at - start)
                for t in ticket_rows
            ),
            "conflicts": sorted(
                (c.kind, index.get(c.ticket_id, "-") if c.ticket_id else "-", c.resolved_at is None) for c in conflicts
            ),
            "seats": (occurrence.seats_sold, occurrence.seats_blocked),
            "counted_keys": {
                (r.ticket_id.hex, r.direction.value)
                for r in rows
                if r.counted and r.annulled_at is None and r.ticket_id
            },
        }


def test_offline_sessions_reconnecting_in_any_order_converge(app, org, clock) -> None:
    states = []
    with running_server(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        http.app_db = app.state.session_factory  # type: ignore[attr-defined]
        for order in ("ABC", "CBA", "BAC"):
            event = make_sellable_event(
                app.state.session_factory,
                org,
                start_at=clock() + timedelta(minutes=30),
                capacity=20,
                definition_settings=DOORS_OPEN,
            )
            state = _offline_evening(http, org, clock, event, order)
            state.pop("counted_keys")
            states.append(state)
    assert states[0] == states[1] == states[2]
    first = states[0]
    # The earlier of the two admissions of t2 (Door B, by its corrected clock) is the check-in.
    assert ("t2", "Door B", "entry", True, True, False) in first["passages"]
    assert ("t2", "Door A", "entry", True, False, False) in first["passages"]
    assert ("duplicate_entry", "t2", True) in first["conflicts"]
    # Door B's mistaken scan of t3 was annulled; the ticket is back to confirmed.
    assert ("t3", "confirmed", None) in first["tickets"]
    # Three seats sold at the desk: two from its allotment, one from the remaining capacity; none oversold.
    assert first["seats"] == (5 + 3, 0)
    assert sum(1 for t in first["tickets"] if t[0].startswith("sold")) == 3


def test_racing_online_redeems_of_one_ticket_admit_it_once(app, org, clock, doors) -> None:
    with running_server(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        (ticket,) = sell(http, org, doors)
        kiosks = [
            SimulatedKiosk.pair(http, org.headers, clock, name=f"Door {i}", event_ids=[doors.definition_id])
            for i in range(6)
        ]
        answers: list[Any] = []
        barrier = threading.Barrier(len(kiosks))

        def scan(kiosk: SimulatedKiosk) -> None:
            with httpx.Client(base_url=base_url, timeout=30) as own:
                kiosk.http = own
                barrier.wait()
                answers.append(kiosk.redeem(ticket["qr_code_data"], [doors.occurrence_id]))

        threads = [threading.Thread(target=scan, args=(kiosk,)) for kiosk in kiosks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    outcomes = [answer.outcome for status, answer in answers if status == 200]
    assert len(outcomes) == len(kiosks)
    assert sum(1 for outcome in outcomes if outcome.ok) == 1
    assert {outcome.reason.value for outcome in outcomes if not outcome.ok} == {"already_checked_in"}
