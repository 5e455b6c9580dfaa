"""The database keeps the line straight by itself: one entry per person and occurrence, one entry per place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from server.waitlist.models import WaitlistEntry
from tests.support.factories import make_attendee, make_definition, make_occurrence
from tests.support.orgs import make_org


def _entry(occurrence, attendee, *, position: int, email_key: str) -> WaitlistEntry:
    return WaitlistEntry(
        org_id=occurrence.org_id,
        event_occurrence_id=occurrence.id,
        attendee_id=attendee.id,
        email_key=email_key,
        position=position,
        quantity_requested=1,
    )


@pytest.mark.parametrize(("second_position", "second_key"), [(2, "same@example.com"), (1, "other@example.com")])
def test_a_person_or_a_place_cannot_be_taken_twice(session_factory, clock, second_position, second_key) -> None:
    org = make_org(session_factory, clock)
    with session_factory() as session:
        occurrence = make_occurrence(session, make_definition(session, org), start_at=clock() + timedelta(days=2))
        session.add(_entry(occurrence, make_attendee(session, org), position=1, email_key="same@example.com"))
        session.flush()
        session.add(_entry(occurrence, make_attendee(session, org), position=second_position, email_key=second_key))
        with pytest.raises(IntegrityError):
            session.flush()
