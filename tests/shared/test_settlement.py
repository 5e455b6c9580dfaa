"""Settling a ticket's passages after offline devices reported them: the same verdict in any upload order."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.passages import Direction
from shared.settlement import Admission, settle

T0 = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
TICKET = uuid.uuid4()
DOOR_A = uuid.UUID(int=1)
DOOR_B = uuid.UUID(int=2)


def admission(
    key: str, minutes: float, direction: Direction = Direction.ENTRY, device: uuid.UUID = DOOR_A
) -> Admission:
    return Admission(key, TICKET, device, direction, T0 + timedelta(minutes=minutes), nonce=f"nonce-{key}")


def test_without_reentry_the_earliest_entry_is_the_check_in_in_any_upload_order() -> None:
    admissions = [admission("late", 5, device=DOOR_A), admission("early", 1, device=DOOR_B), admission("mid", 3)]

    for order in itertools.permutations(admissions):
        result = settle(order, allow_reentry=False)
        assert result.counted == {"early"}
        assert result.blocked_by == {"late": "early", "mid": "early"}


def test_without_reentry_an_entry_after_an_exit_is_still_a_duplicate() -> None:
    result = settle(
        [admission("in", 0), admission("out", 10, Direction.EXIT), admission("again", 20)], allow_reentry=False
    )

    assert result.counted == {"in", "out"}
    assert result.blocked_by == {"again": "in"}


def test_with_reentry_entries_and_exits_alternate_and_an_entry_while_inside_is_a_duplicate() -> None:
    result = settle(
        [
            admission("in", 0),
            admission("copy", 1, device=DOOR_B),
            admission("out", 10, Direction.EXIT),
            admission("back", 20, device=DOOR_B),
        ],
        allow_reentry=True,
    )

    assert result.counted == {"in", "out", "back"}
    assert result.blocked_by == {"copy": "in"}


def test_an_exit_of_someone_not_inside_does_not_count() -> None:
    result = settle([admission("out", 0, Direction.EXIT), admission("in", 5)], allow_reentry=True)

    assert result.counted == {"in"}
    assert result.blocked_by == {"out": None}


def test_ties_go_to_the_lower_device_id() -> None:
    result = settle([admission("b", 0, device=DOOR_B), admission("a", 0, device=DOOR_A)], allow_reentry=False)

    assert result.counted == {"a"}


def test_admissions_of_two_tickets_are_refused() -> None:
    other = Admission("x", uuid.uuid4(), DOOR_A, Direction.ENTRY, T0, "n")

    with pytest.raises(ValueError, match="more than one ticket"):
        settle([admission("a", 0), other], allow_reentry=False)
