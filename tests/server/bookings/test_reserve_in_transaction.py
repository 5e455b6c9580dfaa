"""The booking path inside a caller's transaction (issue 4's packages: several events, all or nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.bookings import service
from server.bookings.models import Order
from server.errors import Conflict
from tests.support.factories import make_sellable_event
from tests.support.sales import counters


def request(event, quantity=1):
    attendees = tuple(service.AttendeeDetails("Pat", email=f"pat{i}@example.com") for i in range(quantity))
    return service.ReserveRequest(event.occurrence_id, event.ticket_type_id, attendees)


def test_reservations_in_one_transaction_are_kept_or_dropped_together(db, org, clock) -> None:
    roomy = make_sellable_event(db, org, start_at=clock() + timedelta(days=2), capacity=10)
    tight = make_sellable_event(db, org, start_at=clock() + timedelta(days=3), capacity=1)

    with db() as session:
        service.reserve_in_transaction(
            session=session, org_id=org.org_id, request=request(roomy, 2), now=clock(), hold=timedelta(minutes=15)
        )
        with pytest.raises(Conflict) as refused:
            service.reserve_in_transaction(
                session=session, org_id=org.org_id, request=request(tight, 2), now=clock(), hold=timedelta(minutes=15)
            )
        assert refused.value.code == "sold_out"
        session.rollback()

    assert counters(db, roomy) == (0, 0, 0)
    assert counters(db, tight) == (0, 0, 0)


def test_refused_reservation_leaves_the_callers_earlier_work_in_place(db, org, clock) -> None:
    roomy = make_sellable_event(db, org, start_at=clock() + timedelta(days=2), capacity=10)
    tight = make_sellable_event(db, org, start_at=clock() + timedelta(days=3), capacity=1)

    with db() as session:
        kept = service.reserve_in_transaction(
            session=session, org_id=org.org_id, request=request(roomy, 2), now=clock(), hold=timedelta(minutes=15)
        )
        with pytest.raises(Conflict):
            service.reserve_in_transaction(
                session=session, org_id=org.org_id, request=request(tight, 2), now=clock(), hold=timedelta(minutes=15)
            )
        session.commit()

    assert counters(db, roomy) == (2, 2, 2)
    assert counters(db, tight) == (0, 0, 0)
    with db() as session:
        assert session.scalars(sa.select(Order.id)).all() == [kept.order_id]
