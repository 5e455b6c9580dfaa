"""Waitlist matching: first come first served, skipping requests that do not fit without moving them back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.waitlist import (
    Offer,
    WaitingEntry,
    can_serve_now,
    match_open_seats,
    next_position,
    offer_expired,
    offer_expires_at,
    queue_order,
)

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
VIP = uuid.UUID("00000000-0000-4000-8000-00000000000f")
GENERAL = uuid.UUID("00000000-0000-4000-8000-00000000000a")


def waiting(position: int, quantity: int, ticket_type: uuid.UUID | None = None) -> WaitingEntry:
    return WaitingEntry(
        id=uuid.UUID(int=position),
        position=position,
        quantity_requested=quantity,
        ticket_type_id=ticket_type,
        created_at=T0 + timedelta(minutes=position),
    )


def offered(offers: tuple[Offer, ...]) -> list[tuple[int, int]]:
    return [(offer.entry_id.int, offer.quantity) for offer in offers]


def test_the_first_in_line_gets_the_seats() -> None:
    assert offered(match_open_seats(entries=[waiting(2, 1), waiting(1, 1)], seats=1)) == [(1, 1)]


def test_a_request_too_big_for_the_open_seats_keeps_its_place_while_a_smaller_one_behind_is_served() -> None:
    queue = [waiting(1, 4), waiting(2, 2), waiting(3, 1), waiting(4, 1)]
    assert offered(match_open_seats(entries=queue, seats=3)) == [(2, 2), (3, 1)]
    # Once enough seats open, the big request is served first again.
    assert offered(match_open_seats(entries=queue, seats=4)) == [(1, 4)]


def test_mixed_quantities_are_served_in_order_while_seats_remain() -> None:
    queue = [waiting(1, 2), waiting(2, 3), waiting(3, 1), waiting(4, 2), waiting(5, 1)]
    assert offered(match_open_seats(entries=queue, seats=5)) == [(1, 2), (2, 3)]
    assert offered(match_open_seats(entries=queue, seats=4)) == [(1, 2), (3, 1), (5, 1)]


def test_no_open_seats_means_no_offers() -> None:
    assert match_open_seats(entries=[waiting(1, 1)], seats=0) == ()


def test_a_preferred_ticket_type_must_have_room_of_its_own() -> None:
    queue = [waiting(1, 2, VIP), waiting(2, 2, GENERAL)]
    offers = match_open_seats(entries=queue, seats=4, per_ticket_type={VIP: 1, GENERAL: 5})
    assert offered(offers) == [(2, 2)]
    assert offers[0].ticket_type_id == GENERAL


def test_an_entry_without_preference_is_held_against_the_type_with_most_left() -> None:
    offers = match_open_seats(
        entries=[waiting(1, 2), waiting(2, 2, VIP)], seats=4, per_ticket_type={VIP: 2, GENERAL: 3}
    )
    assert [(offer.entry_id.int, offer.ticket_type_id) for offer in offers] == [(1, GENERAL), (2, VIP)]


def test_ties_between_ticket_types_go_to_the_lowest_id() -> None:
    offers = match_open_seats(entries=[waiting(1, 1)], seats=1, per_ticket_type={VIP: 3, GENERAL: 3})
    assert offers[0].ticket_type_id == GENERAL


def test_with_unlimited_occurrence_capacity_the_ticket_types_bound_the_offers() -> None:
    queue = [waiting(1, 2, VIP), waiting(2, 2, VIP)]
    assert offered(match_open_seats(entries=queue, seats=None, per_ticket_type={VIP: 3})) == [(1, 2)]
    with pytest.raises(ValueError, match="unlimited"):
        match_open_seats(entries=queue, seats=None)


def test_the_queue_order_breaks_position_ties_by_creation_then_id() -> None:
    later = WaitingEntry(uuid.UUID(int=1), 1, 1, None, T0 + timedelta(hours=1))
    earlier = WaitingEntry(uuid.UUID(int=2), 1, 1, None, T0)
    assert queue_order([later, earlier]) == [earlier, later]


@given(
    st.lists(st.integers(min_value=1, max_value=6), max_size=15),
    st.integers(min_value=0, max_value=20),
)
def test_offers_never_exceed_the_seats_and_never_skip_a_fitting_request(quantities: list[int], seats: int) -> None:
    queue = [waiting(position, quantity) for position, quantity in enumerate(quantities, start=1)]
    offers = match_open_seats(entries=queue, seats=seats)
    assert sum(offer.quantity for offer in offers) <= seats
    assert [offer.quantity for offer in offers] == [
        entry.quantity_requested for entry in queue if entry.id in {offer.entry_id for offer in offers}
    ]
    # Replaying the walk: every entry passed over was too big for what was left at that moment.
    left = seats
    chosen = {offer.entry_id for offer in offers}
    for entry in queue:
        if entry.id in chosen:
            left -= entry.quantity_requested
        else:
            assert entry.quantity_requested > left


def test_an_offer_holds_for_24_hours() -> None:
    assert offer_expires_at(T0) == T0 + timedelta(hours=24)
    assert not offer_expired(notified_at=T0, now=T0 + timedelta(hours=23, minutes=59))
    assert offer_expired(notified_at=T0, now=T0 + timedelta(hours=24))


def test_a_new_entry_goes_to_the_back_of_the_queue() -> None:
    assert next_position([]) == 1
    assert next_position([1, 2, 5]) == 6


def test_an_entry_must_request_at_least_one_seat() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        waiting(1, 0)


def test_an_unlimited_ticket_type_has_the_most_left() -> None:
    offers = match_open_seats(entries=[waiting(1, 2)], seats=4, per_ticket_type={VIP: 3, GENERAL: None})
    assert offers[0].ticket_type_id == GENERAL


def test_a_ticket_type_missing_from_the_map_is_not_on_sale() -> None:
    assert match_open_seats(entries=[waiting(1, 1, VIP)], seats=4, per_ticket_type={GENERAL: 5}) == ()


def test_an_entry_is_not_held_against_a_type_it_could_not_buy_in_one_go() -> None:
    limits = {VIP: (1, 2), GENERAL: (1, 10)}
    queue = [waiting(1, 4), waiting(2, 3, VIP), waiting(3, 2, VIP)]
    offers = match_open_seats(entries=queue, seats=10, per_ticket_type={VIP: 9, GENERAL: 5}, quantity_limits=limits)
    assert [(o.entry_id.int, o.ticket_type_id) for o in offers] == [(1, GENERAL), (3, VIP)]


def test_a_request_that_can_be_booked_now_is_not_for_the_waitlist() -> None:
    assert can_serve_now(quantity=2, ticket_type_id=None, seats=2, per_ticket_type={GENERAL: None})
    assert not can_serve_now(quantity=3, ticket_type_id=None, seats=2, per_ticket_type={GENERAL: None})
    # Seats on the occurrence, but not in the wanted type.
    assert not can_serve_now(quantity=2, ticket_type_id=VIP, seats=5, per_ticket_type={VIP: 1, GENERAL: 9})
    assert can_serve_now(quantity=2, ticket_type_id=None, seats=5, per_ticket_type={VIP: 1, GENERAL: 9})
    assert not can_serve_now(
        quantity=4, ticket_type_id=None, seats=5, per_ticket_type={GENERAL: 9}, quantity_limits={GENERAL: (1, 3)}
    )


def test_an_offer_window_ends_at_the_start_of_the_occurrence_if_that_comes_first() -> None:
    start = T0 + timedelta(hours=5)
    assert offer_expires_at(T0, closes_at=start) == start
    assert offer_expires_at(T0, closes_at=T0 + timedelta(days=3)) == T0 + timedelta(hours=24)
    assert offer_expired(notified_at=T0, now=start, closes_at=start)
