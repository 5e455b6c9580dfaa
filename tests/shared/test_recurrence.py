"""Recurring and multi-day events become dated occurrences at the right local time, whatever daylight saving does."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.recurrence import (
    RecurrenceSettings,
    expand_recurrence,
    multi_day_slots,
    parse_multi_day_settings,
    parse_recurrence_settings,
)

NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)


def recurrence(rrule: str, *, start_time: str = "07:00", starts_on: str = "2026-01-06", tz: str = "America/New_York"):
    return parse_recurrence_settings(
        {"recurrence": {"rrule": rrule, "start_time": start_time, "timezone": tz, "starts_on": starts_on}}
    )


def starts(rrule: str, *, now: datetime, **kwargs: str) -> list[datetime]:
    expansion = expand_recurrence(recurrence=recurrence(rrule, **kwargs).unwrap(), duration=HOUR, now=now)
    return [slot.start_at for slot in expansion.slots]


def test_every_tuesday_at_seven_stays_at_seven_local_across_the_spring_change() -> None:
    slots = expand_recurrence(
        recurrence=recurrence("FREQ=WEEKLY;BYDAY=TU").unwrap(), duration=HOUR, now=datetime(2026, 2, 25, tzinfo=UTC)
    ).slots
    assert [slot.start_at.astimezone(NEW_YORK).time() for slot in slots] == [time(7)] * len(slots)
    assert [slot.end_at.astimezone(NEW_YORK).time() for slot in slots] == [time(8)] * len(slots)
    # March 3 is still on EST (UTC-5), March 10 on EDT (UTC-4): the UTC instant moves by an hour.
    assert slots[0].start_at == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    assert slots[1].start_at == datetime(2026, 3, 10, 11, 0, tzinfo=UTC)


def test_the_recurrence_id_is_the_rule_instant_in_utc() -> None:
    slot = expand_recurrence(
        recurrence=recurrence("FREQ=WEEKLY;BYDAY=TU").unwrap(), duration=HOUR, now=datetime(2026, 3, 1, tzinfo=UTC)
    ).slots[0]
    assert slot.recurrence_id == slot.start_at == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    assert slot.start_at.tzinfo is UTC


def test_only_occurrences_starting_within_the_next_90_days_are_made() -> None:
    now = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # exactly the start of one instance
    found = starts("FREQ=DAILY", now=now, tz="UTC")
    assert found[0] == now
    assert found[-1] < now + timedelta(days=90)
    assert len(found) == 90


def test_nothing_is_made_before_the_series_starts() -> None:
    found = starts("FREQ=DAILY", now=datetime(2025, 12, 1, tzinfo=UTC))
    assert found[0] == datetime(2026, 1, 6, 12, 0, tzinfo=UTC)


def test_count_is_counted_from_the_start_of_the_series_not_from_now() -> None:
    assert len(starts("FREQ=WEEKLY;COUNT=4", now=datetime(2026, 1, 14, tzinfo=UTC))) == 2


def test_until_in_utc_as_a_local_time_or_as_a_date_all_end_the_series() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    last = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
    assert starts("FREQ=WEEKLY;UNTIL=20260120T120000Z", now=now)[-1] == last
    assert starts("FREQ=WEEKLY;UNTIL=20260120T070000", now=now)[-1] == last
    assert starts("FREQ=WEEKLY;UNTIL=20260120", now=now)[-1] == last


def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    # 2026-03-08 02:30 does not exist in New York; read with the offset before the gap (EST) it is 03:30 EDT.
    found = starts(
        "FREQ=DAILY;COUNT=1", start_time="02:30", starts_on="2026-03-08", now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert found == [datetime(2026, 3, 8, 7, 30, tzinfo=UTC)]
    assert found[0].astimezone(NEW_YORK).time() == time(3, 30)


def test_a_time_in_the_fall_back_fold_is_the_first_of_the_two() -> None:
    found = starts(
        "FREQ=DAILY;COUNT=1", start_time="01:30", starts_on="2026-11-01", now=datetime(2026, 10, 1, tzinfo=UTC)
    )
    assert found == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT, not 01:30 EST (06:30 UTC)


def test_rule_instants_that_land_on_one_instant_in_the_gap_make_one_occurrence() -> None:
    found = starts(
        "FREQ=HOURLY;BYHOUR=2,3;COUNT=2",
        start_time="02:30",
        starts_on="2026-03-08",
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert found == [datetime(2026, 3, 8, 7, 30, tzinfo=UTC)]


def test_an_event_across_the_fall_back_night_lasts_its_duration_in_elapsed_time() -> None:
    expansion = expand_recurrence(
        recurrence=recurrence("FREQ=DAILY;COUNT=1", start_time="00:30", starts_on="2026-11-01").unwrap(),
        duration=2 * HOUR,
        now=datetime(2026, 10, 1, tzinfo=UTC),
    )
    slot = expansion.slots[0]
    assert slot.end_at - slot.start_at == 2 * HOUR
    assert slot.end_at.astimezone(NEW_YORK).time() == time(1, 30)  # the second 01:30, now on EST


def test_a_busy_rule_is_cut_at_the_maximum_and_says_so() -> None:
    settings = recurrence("FREQ=HOURLY").unwrap()
    expansion = expand_recurrence(recurrence=settings, duration=HOUR, now=datetime(2026, 2, 1, tzinfo=UTC))
    assert len(expansion.slots) == 1000
    assert expansion.truncated
    small = expand_recurrence(recurrence=settings, duration=HOUR, now=datetime(2026, 2, 1, tzinfo=UTC), max_slots=5)
    assert [slot.start_at for slot in small.slots] == [datetime(2026, 2, 1, h, tzinfo=UTC) for h in range(5)]


def test_settings_are_normalized_on_reading() -> None:
    parsed = recurrence(" rrule:freq=weekly;byday=tu; ").unwrap()
    assert parsed == RecurrenceSettings(
        rrule="FREQ=WEEKLY;BYDAY=TU;", start_time=time(7), timezone="America/New_York", starts_on=date(2026, 1, 6)
    )


@pytest.mark.parametrize(
    "rrule",
    [
        "garbage",
        "",
        "BYDAY=TU",
        "FREQ=FORTNIGHTLY",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=MINUTELY",
        "FREQ=SECONDLY;COUNT=5",
        "FREQ=DAILY;COUNT=3;UNTIL=20260301",
        "FREQ=DAILY;UNTIL=2026",
        "FREQ=DAILY;FREQ=WEEKLY",
        "FREQ=DAILY\nEXDATE:20260107T070000",
        "DTSTART:20260101T000000\nRRULE:FREQ=DAILY",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    ],
)
def test_a_rule_that_is_garbage_too_fine_or_never_happens_is_refused_with_a_clear_problem(rrule: str) -> None:
    parsed = recurrence(rrule)
    assert not parsed.ok
    assert parsed.problems[0].path == "recurrence.rrule"


def test_bad_time_zone_start_time_and_date_are_each_reported() -> None:
    parsed = recurrence("FREQ=DAILY", tz="Mars/Olympus_Mons", start_time="7am", starts_on="2026-02-30")
    assert {problem.path for problem in parsed.problems} == {
        "recurrence.timezone",
        "recurrence.start_time",
        "recurrence.starts_on",
    }
    assert not parse_recurrence_settings({}).ok
    assert not recurrence("FREQ=DAILY", tz="../../etc/passwd").ok


def test_expansion_refuses_a_naive_now_and_a_non_positive_duration() -> None:
    settings = recurrence("FREQ=DAILY").unwrap()
    with pytest.raises(ValueError, match="timezone-aware"):
        expand_recurrence(recurrence=settings, duration=HOUR, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="positive"):
        expand_recurrence(recurrence=settings, duration=timedelta(0), now=datetime(2026, 1, 1, tzinfo=UTC))


def test_multi_day_sessions_keep_their_local_hours_across_the_autumn_change() -> None:
    slots = multi_day_slots(
        first_day=date(2026, 10, 24),
        days=3,
        daily_start=time(9),
        daily_end=time(17),
        timezone="Europe/Lisbon",
    )
    assert [slot.day_number for slot in slots] == [1, 2, 3]
    assert [slot.local_date for slot in slots] == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    assert slots[0].start_at == datetime(2026, 10, 24, 8, 0, tzinfo=UTC)  # WEST, UTC+1
    assert slots[1].start_at == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)  # WET, UTC+0
    assert all(slot.end_at - slot.start_at == 8 * HOUR for slot in slots)


def test_an_overnight_multi_day_session_ends_the_next_morning() -> None:
    slots = multi_day_slots(first_day=date(2026, 7, 1), days=2, daily_start=time(22), daily_end=time(2), timezone="UTC")
    assert slots[0].end_at == datetime(2026, 7, 2, 2, 0, tzinfo=UTC)


def test_multi_day_sessions_may_be_given_a_duration_instead_of_an_end() -> None:
    slots = multi_day_slots(
        first_day=date(2026, 7, 1), days=1, daily_start=time(9), duration=90 * timedelta(minutes=1), timezone="UTC"
    )
    assert slots[0].end_at == datetime(2026, 7, 1, 10, 30, tzinfo=UTC)


def test_multi_day_slots_need_one_day_and_exactly_one_of_end_and_duration() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        multi_day_slots(first_day=date(2026, 7, 1), days=0, daily_start=time(9), daily_end=time(10), timezone="UTC")
    with pytest.raises(ValueError, match="exactly one"):
        multi_day_slots(first_day=date(2026, 7, 1), days=1, daily_start=time(9), timezone="UTC")


def test_multi_day_settings_are_read_and_checked() -> None:
    good = parse_multi_day_settings(
        {"multi_day": {"first_day": "2026-05-01", "days": 3, "daily_start": "09:00", "timezone": "Europe/Lisbon"}}
    ).unwrap()
    assert (good.days, good.daily_end, good.timezone) == (3, None, "Europe/Lisbon")
    bad = parse_multi_day_settings({"multi_day": {"first_day": "May 1", "days": 0, "daily_start": "9", "tz": "x"}})
    assert {problem.path for problem in bad.problems} == {
        "multi_day.first_day",
        "multi_day.days",
        "multi_day.daily_start",
        "multi_day.timezone",
        "multi_day.tz",
    }
