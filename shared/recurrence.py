"""Turning a recurring or multi-day event into dated occurrences, right across daylight-saving changes.

Settings shapes, in the event definition's ``settings``::

    {"recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=TU", "start_time": "07:00",
                    "timezone": "America/New_York", "starts_on": "2026-01-06"}}

    {"multi_day": {"first_day": "2026-05-01", "days": 3, "daily_start": "09:00", "daily_end": "17:00",
                   "timezone": "Europe/Lisbon"}}                      # daily_end optional: else the duration

The rule is RFC 5545 RRULE text, evaluated in local wall-clock time from ``starts_on`` at ``start_time``, so "every
Tuesday at 7:00 in New York" stays at 7:00 local and its UTC instant moves with daylight saving time. Each instance
lasts the definition's ``duration_minutes`` of elapsed time.

Local times that do not exist or exist twice are read as RFC 5545 (3.3.5) says, which is also what ``zoneinfo``
does with ``fold=0``: a time in the spring-forward gap is read with the offset before the gap, so 02:30 on the
night clocks jump from 02:00 to 03:00 becomes 03:30; a time in the fall-back fold is the first of the two (the one
still on summer time). Two rule instants that land on one UTC instant that way yield one occurrence.

``UNTIL`` may be given in UTC (``...Z``, as RFC 5545 asks), as a local date-time, or as a date (meaning through the
end of that local day). ``DTSTART``, ``RDATE`` and ``EXDATE`` are not accepted: the start comes from the settings,
and a single occurrence is moved or canceled on the occurrence itself, which keeps its ``recurrence_id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from shared.clock import require_aware
from shared.settings import Parsed, SettingsProblem, read_int, section

RECURRENCE_KEY = "recurrence"
MULTI_DAY_KEY = "multi_day"
DEFAULT_HORIZON = timedelta(days=90)
MAX_SLOTS = 1000
# Finer rules would make thousands of occurrences a day; nobody sells tickets per minute.
REFUSED_FREQUENCIES = frozenset({"MINUTELY", "SECONDLY"})
_CLOCK_TIME = re.compile(r"\d{2}:\d{2}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PART = re.compile(r"([A-Z]+)=([A-Z0-9,+-]+)")
_UNTIL = re.compile(r"\d{8}(T\d{6}Z?)?")


@dataclass(frozen=True)
class RecurrenceSettings:
    rrule: str  # the rule's parts, without an "RRULE:" prefix
    start_time: time
    timezone: str
    starts_on: date


@dataclass(frozen=True)
class OccurrenceSlot:
    """One occurrence to create. ``recurrence_id`` is the rule instant in UTC, which stays the occurrence's
    identity even after the organizer moves it."""

    start_at: datetime
    end_at: datetime
    recurrence_id: datetime


@dataclass(frozen=True)
class RecurrenceExpansion:
    slots: tuple[OccurrenceSlot, ...]
    truncated: bool  # more than max_slots fell in the horizon: the rest come on a later run


def local_to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant, gaps and folds read as the module docstring says."""
    return datetime.combine(day, clock).replace(tzinfo=zone, fold=0).astimezone(UTC)


def _zone(name: object, path: str, problems: list[SettingsProblem]) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        problems.append(SettingsProblem(path, "must be an IANA time zone name such as Europe/Lisbon"))
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(SettingsProblem(path, f"unknown time zone {name!r}"))
        return None


def _clock_time(value: object, path: str, problems: list[SettingsProblem]) -> time | None:
    if isinstance(value, str) and _CLOCK_TIME.fullmatch(value):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    problems.append(SettingsProblem(path, "must be a time of day as HH:MM"))
    return None


def _date(value: object, path: str, problems: list[SettingsProblem]) -> date | None:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(SettingsProblem(path, "must be a date as YYYY-MM-DD"))
    return None


def _localize_until(value: str, zone: ZoneInfo) -> str:
    """UNTIL as dateutil wants it next to a local (naive) start: a local wall-clock time."""
    if value.endswith("Z"):
        instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return instant.astimezone(zone).strftime("%Y%m%dT%H%M%S")
    if len(value) == 8:
        return value + "T235959"
    return value


def _build_rule(text: str, *, dtstart: datetime, zone: ZoneInfo) -> rrule:
    """The dateutil rule for validated settings, or ``ValueError`` with a message fit for a 422."""
    parts: list[str] = []
    for part in filter(None, text.split(";")):  # tolerate a trailing semicolon
        match = _PART.fullmatch(part)
        if match is None:
            raise ValueError(f"{part!r} is not NAME=VALUE")
        name, value = match.groups()
        if name == "FREQ" and value in REFUSED_FREQUENCIES:
            raise ValueError(f"FREQ={value} is too fine for events; the finest is HOURLY")
        if name == "UNTIL":
            if not _UNTIL.fullmatch(value):
                raise ValueError("UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ")
            value = _localize_until(value, zone)
        parts.append(f"{name}={value}")
    names = [part.split("=")[0] for part in parts]
    if "FREQ" not in names:
        raise ValueError("FREQ is missing")
    if len(set(names)) != len(names):
        raise ValueError("a part is given twice")
    if "COUNT" in names and "UNTIL" in names:
        raise ValueError("COUNT and UNTIL cannot both be given")
    rule = rrulestr(";".join(parts), dtstart=dtstart)
    if not isinstance(rule, rrule):
        raise ValueError("only a single RRULE is accepted")
    return rule


def _normalize_rule_text(raw: str) -> str:
    text = raw.strip().upper()
    return text.removeprefix("RRULE:")


def parse_recurrence_settings(settings: Mapping[str, object] | None) -> Parsed[RecurrenceSettings]:
    """Read and check ``settings["recurrence"]``. A rule that can never produce an occurrence (BYMONTH=2 with
    BYMONTHDAY=30) is refused; finding that out can take dateutil a few seconds, paid once, when the settings are
    saved."""
    problems: list[SettingsProblem] = []
    block = section(settings, RECURRENCE_KEY)
    if not isinstance(block, Mapping):
        return Parsed(None, (SettingsProblem(RECURRENCE_KEY, "must be an object with rrule, start_time, ..."),))
    unknown = set(block) - {"rrule", "start_time", "timezone", "starts_on"}
    problems.extend(SettingsProblem(f"{RECURRENCE_KEY}.{key}", "unknown setting") for key in sorted(unknown))
    zone = _zone(block.get("timezone"), f"{RECURRENCE_KEY}.timezone", problems)
    start_time = _clock_time(block.get("start_time"), f"{RECURRENCE_KEY}.start_time", problems)
    starts_on = _date(block.get("starts_on"), f"{RECURRENCE_KEY}.starts_on", problems)
    raw_rule = block.get("rrule")
    if not isinstance(raw_rule, str) or not raw_rule.strip():
        problems.append(SettingsProblem(f"{RECURRENCE_KEY}.rrule", "must be RRULE text such as FREQ=WEEKLY;BYDAY=TU"))
        return Parsed(None, tuple(problems))
    text = _normalize_rule_text(raw_rule)
    if zone is None or start_time is None or starts_on is None:
        return Parsed(None, tuple(problems))
    try:
        rule = _build_rule(text, dtstart=datetime.combine(starts_on, start_time), zone=zone)
    except (ValueError, TypeError, OverflowError) as error:
        problems.append(SettingsProblem(f"{RECURRENCE_KEY}.rrule", f"not a usable RRULE: {error}"))
        return Parsed(None, tuple(problems))
    if rule.after(datetime.combine(starts_on, start_time), inc=True) is None:
        problems.append(SettingsProblem(f"{RECURRENCE_KEY}.rrule", "the rule never produces an occurrence"))
    if problems:
        return Parsed(None, tuple(problems))
    return Parsed(RecurrenceSettings(rrule=text, start_time=start_time, timezone=zone.key, starts_on=starts_on))


def expand_recurrence(
    *,
    recurrence: RecurrenceSettings,
    duration: timedelta,
    now: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    max_slots: int = MAX_SLOTS,
) -> RecurrenceExpansion:
    """The occurrences that start in ``[now, now + horizon)``, earliest first, at most ``max_slots`` of them."""
    now = require_aware(now, "now")
    if duration <= timedelta(0):
        raise ValueError("duration must be positive")
    zone = ZoneInfo(recurrence.timezone)
    dtstart = datetime.combine(recurrence.starts_on, recurrence.start_time)
    rule = _build_rule(recurrence.rrule, dtstart=dtstart, zone=zone)
    window_end = now + horizon
    # Local bounds padded by a day on each side: a gap or fold can move an instant across the UTC bound.
    local_from = (now.astimezone(zone) - timedelta(days=1)).replace(tzinfo=None)
    local_until = (window_end.astimezone(zone) + timedelta(days=1)).replace(tzinfo=None)
    slots: dict[datetime, OccurrenceSlot] = {}
    for local in rule.xafter(max(local_from, dtstart), inc=True):
        if local > local_until:
            break
        start = local_to_utc(local.date(), local.time(), zone)
        if now <= start < window_end and start not in slots:
            slots[start] = OccurrenceSlot(start_at=start, end_at=start + duration, recurrence_id=start)
            if len(slots) > max_slots:
                break
    ordered = sorted(slots.values(), key=lambda slot: slot.start_at)
    return RecurrenceExpansion(slots=tuple(ordered[:max_slots]), truncated=len(ordered) > max_slots)


@dataclass(frozen=True)
class DaySlot:
    """One day of a multi-day event; ``day_number`` counts from 1."""

    day_number: int
    local_date: date
    start_at: datetime
    end_at: datetime


def multi_day_slots(
    *,
    first_day: date,
    days: int,
    daily_start: time,
    timezone: str,
    daily_end: time | None = None,
    duration: timedelta | None = None,
) -> tuple[DaySlot, ...]:
    """Consecutive local days, each from ``daily_start`` to ``daily_end`` (the next day's, when it is not later
    than the start: an overnight session) or for ``duration``. Local times stay put across DST changes."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if (daily_end is None) == (duration is None):
        raise ValueError("give exactly one of daily_end and duration")
    if duration is not None and duration <= timedelta(0):
        raise ValueError("duration must be positive")
    zone = ZoneInfo(timezone)
    slots = []
    for index in range(days):
        day = first_day + timedelta(days=index)
        start = local_to_utc(day, daily_start, zone)
        if daily_end is not None:
            end_day = day if daily_end > daily_start else day + timedelta(days=1)
            end = local_to_utc(end_day, daily_end, zone)
        else:
            assert duration is not None
            end = start + duration
        slots.append(DaySlot(day_number=index + 1, local_date=day, start_at=start, end_at=end))
    return tuple(slots)


@dataclass(frozen=True)
class MultiDaySettings:
    first_day: date
    days: int
    daily_start: time
    daily_end: time | None
    timezone: str


def parse_multi_day_settings(settings: Mapping[str, object] | None) -> Parsed[MultiDaySettings]:
    """Read and check ``settings["multi_day"]``; ``daily_end`` may be left out to use the definition's duration."""
    problems: list[SettingsProblem] = []
    block = section(settings, MULTI_DAY_KEY)
    if not isinstance(block, Mapping):
        return Parsed(None, (SettingsProblem(MULTI_DAY_KEY, "must be an object with first_day, days, ..."),))
    unknown = set(block) - {"first_day", "days", "daily_start", "daily_end", "timezone"}
    problems.extend(SettingsProblem(f"{MULTI_DAY_KEY}.{key}", "unknown setting") for key in sorted(unknown))
    first_day = _date(block.get("first_day"), f"{MULTI_DAY_KEY}.first_day", problems)
    days = read_int(block.get("days"), f"{MULTI_DAY_KEY}.days", problems, minimum=1, maximum=366)
    daily_start = _clock_time(block.get("daily_start"), f"{MULTI_DAY_KEY}.daily_start", problems)
    daily_end = None
    if block.get("daily_end") is not None:
        daily_end = _clock_time(block.get("daily_end"), f"{MULTI_DAY_KEY}.daily_end", problems)
    zone = _zone(block.get("timezone"), f"{MULTI_DAY_KEY}.timezone", problems)
    if problems or first_day is None or days is None or daily_start is None or zone is None:
        return Parsed(None, tuple(problems))
    return Parsed(MultiDaySettings(first_day, days, daily_start, daily_end, zone.key))
