"""The spec's constraints are enforced by the database itself, and its indexes exist, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.packages.models import EventPackage, EventPackageItem
from shared.enums import PackageItemType, PackageType
from tests.support.factories import (
    make_attendee,
    make_definition,
    make_occurrence,
    make_space,
    make_ticket,
    make_ticket_type,
)
from tests.support.orgs import SeededOrg, make_org

START = datetime(2026, 8, 1, 10, tzinfo=UTC)

SPEC_INDEXES = {
    "event_definitions": {
        "idx_event_definitions_org_account",
        "idx_event_definitions_status",
        "idx_event_definitions_category",
    },
    "event_occurrences": {
        "idx_event_occurrences_definition",
        "idx_event_occurrences_time",
        "idx_event_occurrences_status",
    },
    "tickets": {"idx_tickets_occurrence", "idx_tickets_attendee", "idx_tickets_confirmation", "idx_tickets_status"},
    "attendees": {"idx_attendees_email", "idx_attendees_user"},
    "waitlist_entries": {"idx_waitlist_occurrence_position", "idx_waitlist_status"},
    "event_packages": {"idx_event_packages_org_account"},
    "event_package_items": {"idx_package_items_package"},
}


def test_every_index_of_the_spec_exists(engine: sa.Engine) -> None:
    inspector = sa.inspect(engine)
    for table, expected in SPEC_INDEXES.items():
        present = {index["name"] for index in inspector.get_indexes(table)}
        assert expected <= present, f"{table} lacks {expected - present}"


@pytest.fixture
def seeded(session_factory, clock) -> SeededOrg:
    return make_org(session_factory, clock)


def _violates(session: Session, change: Callable[[], object]) -> None:
    def write() -> None:
        change()
        session.flush()

    with pytest.raises(IntegrityError):
        write()
    session.rollback()


def test_slug_is_unique_per_org(session: Session, seeded: SeededOrg) -> None:
    make_definition(session, seeded, slug="tour")
    session.commit()
    _violates(session, lambda: make_definition(session, seeded, slug="tour"))


def test_capacity_must_be_positive_when_set(session: Session, seeded: SeededOrg) -> None:
    _violates(session, lambda: make_definition(session, seeded, max_capacity=0))


def test_occurrence_must_end_after_it_starts(session: Session, seeded: SeededOrg) -> None:
    definition = make_definition(session, seeded)
    session.commit()
    _violates(session, lambda: make_occurrence(session, definition, start_at=START, end_at=START))


def test_seats_sold_cannot_go_negative(session: Session, seeded: SeededOrg) -> None:
    definition = make_definition(session, seeded)
    session.commit()
    _violates(session, lambda: make_occurrence(session, definition, start_at=START, seats_sold=-1))


def test_ticket_type_price_and_quantity_are_checked(session: Session, seeded: SeededOrg) -> None:
    definition = make_definition(session, seeded)
    session.commit()
    _violates(session, lambda: make_ticket_type(session, definition, price_cents=-5))
    definition = make_definition(session, seeded)
    session.commit()
    _violates(session, lambda: make_ticket_type(session, definition, quantity_available=2, quantity_sold=3))


def test_confirmation_codes_and_qr_payloads_are_unique(session: Session, seeded: SeededOrg) -> None:
    definition = make_definition(session, seeded)
    occurrence = make_occurrence(session, definition, start_at=START)
    ticket_type = make_ticket_type(session, definition)
    attendee = make_attendee(session, seeded)
    make_ticket(session, occurrence, ticket_type, attendee, confirmation_code="ABCDE23456", qr_code_data="U1:X")
    session.commit()
    _violates(session, lambda: make_ticket(session, occurrence, ticket_type, attendee, confirmation_code="ABCDE23456"))
    _violates(session, lambda: make_ticket(session, occurrence, ticket_type, attendee, qr_code_data="U1:X"))
    # Reserved tickets have neither yet: many NULLs are fine.
    make_ticket(session, occurrence, ticket_type, attendee)
    make_ticket(session, occurrence, ticket_type, attendee)
    session.commit()


def test_package_slug_is_unique_per_org_and_items_reference_exactly_one_thing(
    session: Session, seeded: SeededOrg
) -> None:
    def package(slug: str) -> EventPackage:
        created = EventPackage(
            org_id=seeded.org_id,
            account_id=seeded.account_id,
            name="Retreat",
            slug=slug,
            package_type=PackageType.VILLA_EVENT,
            settings={},
        )
        session.add(created)
        session.flush()
        return created

    retreat = package("retreat")
    definition = make_definition(session, seeded)
    villa = make_space(session, seeded)
    session.commit()
    _violates(session, lambda: package("retreat"))

    def item(**refs: object) -> EventPackageItem:
        created = EventPackageItem(package_id=retreat.id, position=1, **refs)
        session.add(created)
        return created

    _violates(
        session, lambda: item(item_type=PackageItemType.EVENT, event_definition_id=definition.id, space_id=villa.id)
    )
    _violates(session, lambda: item(item_type=PackageItemType.EVENT))
    _violates(session, lambda: item(item_type=PackageItemType.VILLA, event_definition_id=definition.id))
    item(item_type=PackageItemType.VILLA, space_id=villa.id)
    item(item_type=PackageItemType.EVENT, event_definition_id=definition.id, quantity=2)
    session.commit()


def test_enumerations_refuse_unknown_values(session: Session, seeded: SeededOrg) -> None:
    definition = make_definition(session, seeded)
    session.commit()
    with pytest.raises((IntegrityError, sa.exc.DataError, sa.exc.StatementError)):
        session.execute(
            sa.text("UPDATE event_definitions SET status = 'exploded' WHERE id = :id"),
            {"id": definition.id if session.get_bind().dialect.name == "postgresql" else definition.id.hex},
        )
    session.rollback()


def test_naive_datetimes_are_refused_before_reaching_the_database(session: Session, seeded: SeededOrg) -> None:
    definition = make_definition(session, seeded)
    session.commit()
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        make_occurrence(session, definition, start_at=datetime(2026, 8, 1, 10), end_at=datetime(2026, 8, 1, 11))
    session.rollback()


def test_times_come_back_aware_in_utc(session: Session, seeded: SeededOrg) -> None:
    definition = make_definition(session, seeded)
    local = datetime(2026, 8, 1, 10, tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo"))
    occurrence = make_occurrence(session, definition, start_at=local, end_at=local + timedelta(hours=1))
    session.commit()
    session.expire_all()
    assert occurrence.start_at == START
    assert occurrence.start_at.utcoffset() == timedelta(0)
