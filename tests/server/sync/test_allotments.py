"""Seat allotments: offline box-office sales inside them are guaranteed, beyond them capacity decides, and no seat is
ever sold twice."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from server.bookings.models import Ticket
from server.devices.allotments import close_allotments_at_doors_close
from server.events.models import EventDefinition, EventOccurrence
from server.sync.models import SyncConflict
from shared import wire
from shared.checkin import CheckInStatus
from shared.enums import TicketStatus
from shared.passages import Direction
from tests.support.doors import sell
from tests.support.factories import make_ticket_type
from tests.support.kiosk import SimulatedKiosk


def desk(client, org, clock, doors, name="Desk") -> SimulatedKiosk:
    kiosk = SimulatedKiosk.pair(
        client, org.headers, clock, name=name, role="box_office", event_ids=[doors.definition_id]
    )
    kiosk.pull_all()
    return kiosk


def seats(db, doors) -> tuple[int, int]:
    with db() as session:
        occurrence = session.get_one(EventOccurrence, doors.occurrence_id)
        return occurrence.seats_sold, occurrence.seats_blocked


def test_an_allotment_takes_seats_out_of_capacity_and_shows_in_the_counters(client, org, clock, doors, db) -> None:
    kiosk = desk(client, org, clock, doors)

    status, allotment = kiosk.request_allotment(doors.occurrence_id, 5)
    counters = client.get(f"/api/v1/occurrences/{doors.occurrence_id}/check-in/counters", headers=org.headers).json()

    assert status == 201
    assert (allotment["seats"], allotment["seats_used"], allotment["status"]) == (5, 0, "active")
    assert seats(db, doors) == (0, 5)
    assert (counters["allotted"], counters["allotted_unused"]) == (5, 5)


def test_an_allotment_that_does_not_fit_is_refused(client, org, clock, doors, db) -> None:
    sell(client, org, doors, quantity=18)
    kiosk = desk(client, org, clock, doors)

    status, problem = kiosk.request_allotment(doors.occurrence_id, 3)

    assert (status, problem["code"]) == (409, "sold_out")
    assert seats(db, doors) == (18, 0)


def test_a_door_scanner_cannot_hold_an_allotment(client, org, clock, doors) -> None:
    door = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])

    status, problem = door.request_allotment(doors.occurrence_id, 2)

    assert (status, problem["code"]) == (403, "role_not_allowed")


def test_offline_sales_inside_the_allotment_are_accepted_and_verify_at_another_kiosk(
    client, org, clock, doors, db
) -> None:
    kiosk = desk(client, org, clock, doors)
    _, allotment = kiosk.request_allotment(doors.occurrence_id, 3)
    door = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])
    door.pull_all()  # before the sale: the door knows the desk's key, not the tickets
    _, tokens = kiosk.sell_offline(
        doors.occurrence_id, doors.ticket_type_id, 2, allotment_id=uuid.UUID(hex=allotment["id"]), names=["Ann", "Bo"]
    )

    offline_verdict = door.decide_offline(tokens[0], [doors.occurrence_id])
    (result,) = kiosk.push().results

    assert offline_verdict.status is CheckInStatus.OK
    assert not offline_verdict.ticket_on_record
    assert result.status is wire.ResultStatus.APPLIED
    assert (result.data["seats_from_allotment"], result.data["seats_from_capacity"]) == (2, 0)
    assert seats(db, doors) == (2, 1)
    door.pull_all()
    assert {row["name"] for row in door.rows("tickets")} == {"Ann", "Bo"}
    assert door.decide_offline(tokens[1], [doors.occurrence_id]).holder_name == "Bo"


def test_sales_beyond_every_seat_are_rejected_as_over_capacity_and_never_oversold(
    client, org, clock, doors, db
) -> None:
    sell(client, org, doors, quantity=16)
    first, second = desk(client, org, clock, doors, "Desk 1"), desk(client, org, clock, doors, "Desk 2")
    _, allotment = first.request_allotment(doors.occurrence_id, 2)
    # Both desks sell offline: desk 1 four tickets (two beyond its allotment), desk 2 three with no allotment.
    first.sell_offline(doors.occurrence_id, doors.ticket_type_id, 4, allotment_id=uuid.UUID(hex=allotment["id"]))
    second.sell_offline(doors.occurrence_id, doors.ticket_type_id, 3)

    (one,) = second.push().results  # 2 seats were free: 3 do not fit
    (two,) = first.push().results  # 2 from the allotment, 2 from capacity

    assert (one.status, one.code) == (wire.ResultStatus.REJECTED, "over_capacity")
    assert two.status is wire.ResultStatus.APPLIED
    assert seats(db, doors) == (20, 0)
    with db() as session:
        conflict = session.scalars(sa.select(SyncConflict)).one()
        assert (conflict.kind, conflict.device_id) == ("over_capacity", second.device_id)
    assert one.conflicts == (conflict.id,)
    second.pull_all()
    assert [row["kind"] for row in second.rows("conflicts")] == ["over_capacity"]


def test_released_reclaimed_and_closed_allotments_give_their_unused_seats_back(
    client, app, org, clock, doors, db
) -> None:
    kiosk = desk(client, org, clock, doors)
    statuses = []
    for _ in range(3):
        _, allotment = kiosk.request_allotment(doors.occurrence_id, 2)
        statuses.append(allotment["id"])
    kiosk.sell_offline(doors.occurrence_id, doors.ticket_type_id, 1, allotment_id=uuid.UUID(hex=statuses[0]))
    kiosk.push()
    assert seats(db, doors) == (1, 5)

    released = client.post(wire.Path.release_allotment(uuid.UUID(hex=statuses[0])), headers=kiosk.headers()).json()
    assert (released["status"], seats(db, doors)) == ("released", (1, 4))
    reclaimed = client.post(f"/api/v1/occurrences/{doors.occurrence_id}/allotments/reclaim", headers=org.headers)
    assert reclaimed.json() == {"seats": 4}
    assert seats(db, doors) == (1, 0)

    _, late = kiosk.request_allotment(doors.occurrence_id, 2)
    clock.advance(hours=3)  # the occurrence (an hour long, from 30 minutes on) has ended: doors closed
    closed = close_allotments_at_doors_close(session_factory=app.state.session_factory, now=clock())
    assert (closed.allotments, closed.seats) == (1, 2)
    assert seats(db, doors) == (1, 0)
    kiosk.pull_all()
    assert {row["id"]: row["status"] for row in kiosk.rows("allotments")}[late["id"]] == "closed"


def test_revoking_a_device_gives_its_allotment_back(client, org, clock, doors, db) -> None:
    kiosk = desk(client, org, clock, doors)
    kiosk.request_allotment(doors.occurrence_id, 4)

    client.post(f"/api/v1/devices/{kiosk.device_id}/revoke", headers=org.headers)

    assert seats(db, doors) == (0, 0)


def test_seats_a_desk_gives_back_go_to_the_waitlist_first(client, org, clock, doors, db) -> None:
    from server.tenancy.models import Organization
    from server.waitlist.models import WaitlistEntry
    from shared.enums import WaitlistStatus
    from tests.support.waitlist import joined

    kiosk = desk(client, org, clock, doors)
    _, allotment = kiosk.request_allotment(doors.occurrence_id, 4)
    sell(client, org, doors, quantity=16)  # with the 4 allotted, the occurrence is full
    with db() as session:
        slug = session.get_one(Organization, org.org_id).slug
    entry = joined(client, slug, doors, "waiting@example.com", quantity=3)

    released = client.post(f"/api/v1/device/allotments/{allotment['id']}/release", headers=kiosk.headers())

    assert released.status_code == 200, released.text
    with db() as session:
        waiting = session.get_one(WaitlistEntry, uuid.UUID(entry["id"]))
        assert waiting.status is WaitlistStatus.NOTIFIED
    # Three seats held for the entry, one left free for anyone.
    assert seats(db, doors) == (16, 3)


def test_an_allotment_held_for_one_ticket_type_does_not_serve_another(client, org, clock, doors, db) -> None:
    with db() as session:
        other = make_ticket_type(session, session.get_one(EventDefinition, doors.definition_id), name="Other")
        session.commit()
        other_id = other.id
    kiosk = desk(client, org, clock, doors)
    _, allotment = kiosk.request_allotment(doors.occurrence_id, 2, doors.ticket_type_id)
    kiosk.sell_offline(doors.occurrence_id, other_id, 1, allotment_id=uuid.UUID(hex=allotment["id"]))

    (result,) = kiosk.push().results

    assert result.status is wire.ResultStatus.APPLIED
    assert (result.data["seats_from_allotment"], result.data["seats_from_capacity"]) == (0, 1)
    assert seats(db, doors) == (1, 2)  # the allotment's two seats stay blocked for its own type


def test_tickets_of_a_refused_sale_are_refused_at_every_door(client, org, clock, doors, db) -> None:
    """The refused sale's tokens are authentic (the desk signed them): without a record, every door would admit
    them on the signature alone. The server records them canceled, so online and offline doors say no."""
    sell(client, org, doors, quantity=20)
    kiosk = desk(client, org, clock, doors)
    _, tokens = kiosk.sell_offline(doors.occurrence_id, doors.ticket_type_id, 2, names=["Late", "Comer"])
    door = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[doors.definition_id])

    (result,) = kiosk.push().results
    status, online = door.redeem(tokens[0], [doors.occurrence_id])
    door.pull_all()
    offline = door.decide_offline(tokens[1], [doors.occurrence_id])

    assert (result.status, result.code) == (wire.ResultStatus.REJECTED, "over_capacity")
    assert status == 200
    assert (online.outcome.status, online.outcome.reason) == (CheckInStatus.REFUSED, "canceled")
    assert (offline.status, offline.reason) == (CheckInStatus.REFUSED, "canceled")
    assert seats(db, doors) == (20, 0)


def test_a_sale_checked_in_by_its_code_in_the_same_upload_is_admitted_and_counted(
    client, org, clock, doors, db
) -> None:
    kiosk = desk(client, org, clock, doors)
    _, allotment = kiosk.request_allotment(doors.occurrence_id, 2)
    sale, _ = kiosk.sell_offline(
        doors.occurrence_id, doors.ticket_type_id, 1, allotment_id=uuid.UUID(hex=allotment["id"]), names=["Walk Up"]
    )
    (sold,) = sale.tickets
    # The desk admits its walk-up by the code it printed, before either reached the server: one batch holds both.
    kiosk._queue(
        wire.CheckInMutation(
            nonce="walk-up-at-the-door",
            occurrence_ids=(doors.occurrence_id,),
            gate=kiosk.gate,
            direction=Direction.ENTRY,
            device_time=clock(),
            local_status=CheckInStatus.OK,
            payload=sold.confirmation_code.lower(),
        )
    )

    sale_result, check_in_result = kiosk.push().results

    assert sale_result.status is wire.ResultStatus.APPLIED
    assert check_in_result.status is wire.ResultStatus.APPLIED
    assert check_in_result.outcome is not None
    assert check_in_result.outcome.ticket_id == sold.id
    assert (check_in_result.counted, check_in_result.conflicts) == (True, ())
    with db() as session:
        assert session.get_one(Ticket, sold.id).status is TicketStatus.CHECKED_IN
        assert not session.scalars(sa.select(SyncConflict)).all()
