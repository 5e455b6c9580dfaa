"""The villa availability source: a night is sold once, by its key; a hold takes all its nights or none."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from server.villas.availability import DatabaseVillaAvailability
from server.villas.models import BookedNight, Booking
from shared.enums import SpaceKind
from tests.support.factories import make_space
from tests.support.orgs import make_org

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def setting(session_factory, clock):
    org = make_org(session_factory, clock)
    session = session_factory()
    villa = make_space(session, org, kind=SpaceKind.VILLA, nightly_price_cents=25000)
    bookings = []
    for _ in range(2):
        booking = Booking(id=uuid.uuid4(), org_id=org.org_id, status="pending", guest_email="g@example.com")
        session.add(booking)
        bookings.append(booking)
    session.flush()
    yield session, org, villa, bookings
    session.close()


def test_a_hold_takes_all_its_nights_or_none(setting) -> None:
    session, org, villa, (first, second) = setting
    source = DatabaseVillaAvailability(session)
    june = [date(2026, 6, day) for day in (10, 11, 12)]

    assert source.hold(org_id=org.org_id, space_id=villa.id, nights=june[:2], booking_id=first.id, now=NOW)
    assert not source.hold(org_id=org.org_id, space_id=villa.id, nights=june[1:], booking_id=second.id, now=NOW)

    assert source.booked_nights(space_id=villa.id, nights=june) == set(june[:2])
    assert source.holders(space_id=villa.id, nights=june) == [first.id]


def test_released_nights_can_be_sold_again(setting) -> None:
    session, org, villa, (first, second) = setting
    source = DatabaseVillaAvailability(session)
    night = [date(2026, 7, 1)]
    source.hold(org_id=org.org_id, space_id=villa.id, nights=night, booking_id=first.id, now=NOW)

    source.release(booking_ids=[first.id])

    assert source.hold(org_id=org.org_id, space_id=villa.id, nights=night, booking_id=second.id, now=NOW)


def test_the_database_itself_refuses_a_night_sold_twice(setting) -> None:
    session, org, villa, (first, second) = setting
    for booking in (first, second):
        session.add(
            BookedNight(
                space_id=villa.id, night=date(2026, 8, 1), org_id=org.org_id, booking_id=booking.id, created_at=NOW
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()


def test_the_nightly_rate_is_the_villas_price(setting) -> None:
    session, _, villa, _ = setting
    source = DatabaseVillaAvailability(session)

    assert source.nightly_rate(space_id=villa.id).price_cents == 25000
    assert source.nightly_rate(space_id=uuid.uuid4()) is None
