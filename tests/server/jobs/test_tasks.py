"""The periodic jobs: holds swept, occurrences moved along by time and sales, safe with several processes."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.bookings.capacity import release_expired_holds
from server.bookings.models import Ticket
from server.db.engine import create_db_engine, create_session_factory
from server.events.models import EventOccurrence
from server.jobs.runner import run_once
from server.jobs.tasks import advance_occurrences, sweep_expired_holds
from server.payments.models import RefundRequest
from shared.enums import OccurrenceStatus, TicketStatus
from tests.support.factories import make_sellable_event
from tests.support.sales import counters, pay, reserve


def occurrence_status(db, event) -> OccurrenceStatus:
    with db() as session:
        return session.get_one(EventOccurrence, event.occurrence_id).status


def test_sweeper_releases_every_expired_hold(client, org_slug, event, db, clock) -> None:
    for _ in range(3):
        reserve(client, org_slug, event, quantity=2)
    paid = reserve(client, org_slug, event).json()
    pay(client, org_slug, paid)
    clock.advance(minutes=15)

    freed = sweep_expired_holds(session_factory=db, now=clock(), batch=2)

    assert freed == 6
    assert counters(db, event) == (1, 1, 1)
    assert sweep_expired_holds(session_factory=db, now=clock()) == 0


def test_sweeper_leaves_holds_that_have_time_left(client, org_slug, event, db, clock) -> None:
    reserve(client, org_slug, event, quantity=2)
    clock.advance(minutes=14)

    assert sweep_expired_holds(session_factory=db, now=clock()) == 0
    assert counters(db, event) == (2, 2, 2)


@pytest.mark.slow
def test_two_sweepers_at_once_never_release_one_hold_twice(postgres_url, clock) -> None:
    from tests.support.orgs import make_org

    engine = create_db_engine(postgres_url, pool_size=4)
    db = create_session_factory(engine)
    org = make_org(db, clock)
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=2), capacity=200)
    from server.bookings.reservation import AttendeeDetails, ReserveRequest
    from server.bookings.reservation import reserve as reserve_service

    for i in range(60):
        with db() as session:
            reserve_service(
                session=session,
                org_id=org.org_id,
                request=ReserveRequest(
                    event.occurrence_id, event.ticket_type_id, (AttendeeDetails("G", email=f"g{i}@example.com"),) * 2
                ),
                now=clock(),
                hold=timedelta(minutes=15),
            )
    later = clock() + timedelta(minutes=20)
    released: dict[str, list[uuid.UUID]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def sweep(name: str) -> None:
        barrier.wait()
        while True:
            with db() as session:
                batch = release_expired_holds(session, now=later, limit=7)
                session.commit()
            if not batch.count:
                return
            released[name].extend(batch.ticket_ids)

    threads = [threading.Thread(target=sweep, args=(name,)) for name in released]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not set(released["a"]) & set(released["b"])
    assert len(released["a"]) + len(released["b"]) == 120
    assert counters(db, event) == (0, 0, 0)
    engine.dispose()


def test_occurrence_below_min_capacity_cancels_itself_at_the_cutoff(client, org_slug, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=2), definition_settings={})
    with db() as session:
        from server.events.models import EventDefinition

        definition = session.get(EventDefinition, event.definition_id)
        definition.min_capacity = 3
        session.commit()
    order = reserve(client, org_slug, event, quantity=2).json()
    pay(client, org_slug, order)

    clock.set(event.start_at - timedelta(hours=24, seconds=1))
    assert advance_occurrences(session_factory=db, now=clock()).changed == {}
    clock.set(event.start_at - timedelta(hours=24))
    changes = advance_occurrences(session_factory=db, now=clock())

    assert changes.changed == {event.occurrence_id: OccurrenceStatus.CANCELED}
    with db() as session:
        occurrence = session.get_one(EventOccurrence, event.occurrence_id)
        assert (occurrence.cancellation_reason, occurrence.canceled_at) == ("min_capacity_not_met", clock())
        assert set(session.scalars(sa.select(Ticket.status))) == {TicketStatus.CANCELED}
        assert session.scalar(sa.select(sa.func.sum(RefundRequest.amount_cents))) == 5000
    assert counters(db, event) == (0, 0, 0)


def test_occurrence_reaching_min_capacity_is_confirmed_and_unpaid_holds_do_not_count(
    client, org_slug, db, org, clock
) -> None:
    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=2))
    with db() as session:
        from server.events.models import EventDefinition

        session.get_one(EventDefinition, event.definition_id).min_capacity = 2
        session.commit()
    reserve(client, org_slug, event, quantity=2)  # held, not paid

    assert advance_occurrences(session_factory=db, now=clock()).changed == {}
    pay(client, org_slug, reserve(client, org_slug, event, quantity=2).json())
    assert advance_occurrences(session_factory=db, now=clock()).changed == {
        event.occurrence_id: OccurrenceStatus.CONFIRMED
    }


def test_time_moves_an_occurrence_to_in_progress_then_completed(client, org_slug, event, db, clock) -> None:
    pay(client, org_slug, reserve(client, org_slug, event).json())
    advance_occurrences(session_factory=db, now=clock())
    assert occurrence_status(db, event) is OccurrenceStatus.CONFIRMED

    clock.set(event.start_at)
    advance_occurrences(session_factory=db, now=clock())
    assert occurrence_status(db, event) is OccurrenceStatus.IN_PROGRESS

    clock.set(event.start_at + timedelta(minutes=60))
    advance_occurrences(session_factory=db, now=clock())
    assert occurrence_status(db, event) is OccurrenceStatus.COMPLETED


@pytest.mark.slow
def test_two_occurrence_jobs_at_once_cancel_each_occurrence_once(postgres_url, clock) -> None:
    from server.bookings.confirmation import Payment, apply_payment
    from server.bookings.reservation import AttendeeDetails, ReserveRequest
    from server.bookings.reservation import reserve as reserve_service
    from tests.support.orgs import make_org

    engine = create_db_engine(postgres_url, pool_size=6)
    db = create_session_factory(engine)
    org = make_org(db, clock)
    events = [make_sellable_event(db, org, start_at=clock() + timedelta(hours=12), capacity=10) for _ in range(12)]
    with db() as session:
        from server.events.models import EventDefinition

        for event in events:
            session.get_one(EventDefinition, event.definition_id).min_capacity = 5
        session.commit()
    for event in events:
        with db() as session:
            made = reserve_service(
                session=session,
                org_id=org.org_id,
                request=ReserveRequest(
                    event.occurrence_id, event.ticket_type_id, (AttendeeDetails("G", email="g@x.io"),)
                ),
                now=clock(),
                hold=timedelta(minutes=15),
            )
            apply_payment(
                session=session,
                order_id=made.order_id,
                payment=Payment("fake", f"ref-{made.order_id}", 2500, "USD"),
                secret_key="k" * 40,
                now=clock(),
            )
            session.commit()
    results = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(advance_occurrences(session_factory=db, now=clock()).changed)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    changed_by_both = set(results[0]) & set(results[1])
    assert not changed_by_both
    with db() as session:
        assert set(session.scalars(sa.select(EventOccurrence.status))) == {OccurrenceStatus.CANCELED}
        assert session.scalar(sa.select(sa.func.count()).select_from(RefundRequest)) == 12
    engine.dispose()


def test_idempotency_keys_are_forgotten_after_a_week_but_their_orders_stay(client, org, org_slug, db, clock) -> None:
    from server.bookings.models import IdempotencyKey, Order
    from server.jobs.tasks import purge_idempotency_keys
    from tests.support.factories import reservation_body

    event = make_sellable_event(db, org, start_at=clock() + timedelta(days=30))
    url = f"/api/v1/public/{org_slug}/orders"
    assert client.post(url, json=reservation_body(event, 1), headers={"Idempotency-Key": "old"}).status_code == 201
    clock.advance(days=6)
    assert client.post(url, json=reservation_body(event, 1), headers={"Idempotency-Key": "recent"}).status_code == 201
    clock.advance(days=1, seconds=1)

    assert purge_idempotency_keys(session_factory=db, now=clock()) == 1
    with db() as session:
        assert session.scalars(sa.select(IdempotencyKey.key)).all() == ["recent"]
        assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 2


def test_the_periodic_jobs_keep_recurring_events_generated(app, db, org, clock) -> None:
    from datetime import UTC, datetime

    from server.jobs.runner import run_once
    from shared.enums import DefinitionStatus, EventType
    from tests.support.factories import make_definition, make_ticket_type

    clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    with db() as session:
        definition = make_definition(
            session,
            org,
            event_type=EventType.RECURRING,
            status=DefinitionStatus.ACTIVE,
            settings={
                "recurrence": {
                    "rrule": "FREQ=WEEKLY;BYDAY=TU",
                    "start_time": "07:00",
                    "timezone": "America/New_York",
                    "starts_on": "2026-09-01",
                }
            },
        )
        make_ticket_type(session, definition)
        session.commit()
        definition_id = definition.id

    first = run_once(session_factory=db, settings=app.state.settings, now=clock(), deliver_mail=False)
    clock.advance(days=7)
    later = run_once(session_factory=db, settings=app.state.settings, now=clock(), deliver_mail=False)

    assert (first.occurrences_generated, later.occurrences_generated) == (13, 1)
    with db() as session:
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(EventOccurrence)
            .where(EventOccurrence.event_definition_id == definition_id)
        )
    assert count == 14


def test_a_job_that_fails_on_a_bad_row_does_not_stop_the_others(app, client, org_slug, event, db, clock) -> None:
    reserve(client, org_slug, event, quantity=2)
    with db() as session:  # settings the API would have refused, written behind its back
        session.get_one(EventOccurrence, event.occurrence_id).settings = {"cancellation_cutoff_hours": "soon"}
        session.commit()
    clock.advance(minutes=15)

    report = run_once(session_factory=db, settings=app.state.settings, now=clock(), deliver_mail=False)

    assert report.failed == ("advance occurrences",)
    assert report.holds_released == 2  # the job before it ran
    assert report.occurrences_generated == 0  # and the jobs after it ran too, with nothing to do
    assert counters(db, event)[0] == 0
