"""What staff read on the verdict screen: a colour, a headline and a few lines, in plain words.

Green admits (the holder's name, ticket type, and notes such as accessibility needs, which staff must not miss);
amber is "already checked in" (when and at which gate); red is every other refusal, with its reason. Times are shown
in the kiosk's local time zone, as HH:MM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.checkin.model import Verdict
from kiosk.store.rows import OccurrenceRow
from shared.checkin import RefusalReason
from shared.passages import Direction


class Tone(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True)
class VerdictView:
    tone: Tone
    headline: str
    lines: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # shown larger, on their own band: staff must see them


def hhmm(value: datetime, tz: tzinfo | None) -> str:
    return value.astimezone(tz).strftime("%H:%M")


def local_zone(occurrence: OccurrenceRow | None, fallback: tzinfo | None) -> tzinfo | None:
    """Times of an occurrence read in its own time zone (the venue's); the kiosk's zone when it has none."""
    return fallback if occurrence is None else zone_named(occurrence.timezone, fallback)


def zone_named(name: str, fallback: tzinfo | None) -> tzinfo | None:
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" names a folder of zones, not a zone
        return fallback


def _event_label(verdict: Verdict, tz: tzinfo | None) -> str:
    occurrence = verdict.occurrence
    if occurrence is not None:
        title, start_at = occurrence.title, occurrence.start_at
    elif verdict.ticket_event is not None:
        title, start_at = verdict.ticket_event.title, verdict.ticket_event.start_at
        tz = zone_named(verdict.ticket_event.timezone, tz)
    else:
        return "another event"
    local = start_at.astimezone(tz)
    today = verdict.at.astimezone(tz).date()
    when = local.strftime("%H:%M") if local.date() == today else local.strftime("%a %d %b, %H:%M")
    return f"{title}, {when}"


_PLAIN: dict[RefusalReason, tuple[str, str]] = {
    RefusalReason.INVALID: ("Not a valid ticket", "Unknown, damaged or forged code. Ask for the confirmation code."),
    RefusalReason.REVOKED: ("Ticket blocked", "This ticket was replaced or blocked. Send the guest to the desk."),
    RefusalReason.NOT_INSIDE: ("Not checked in", "This ticket has no entry to leave from."),
    RefusalReason.OCCURRENCE_CANCELED: ("Event canceled", "This event was canceled."),
    RefusalReason.REFUNDED: ("Ticket refunded", "This ticket was refunded."),
    RefusalReason.CANCELED: ("Ticket canceled", "This ticket was canceled."),
    RefusalReason.UNPAID: ("Ticket not paid", "The booking is still only reserved. Send the guest to the desk."),
}


def describe(verdict: Verdict, tz: tzinfo | None = None) -> VerdictView:
    """``tz``: the kiosk's own zone, used when the ticket's occurrence is not known here."""
    tz = local_zone(verdict.occurrence, tz)
    outcome = verdict.outcome
    if outcome.ok:
        name = outcome.holder_name or "Valid ticket"
        type_name = verdict.ticket_type_name or outcome.ticket_type_name
        lines = [type_name] if type_name else []
        if not outcome.ticket_on_record:
            lines.append("Sold after the last sync: checked by its signature")
        if outcome.direction is Direction.EXIT:
            return VerdictView(Tone.GREEN, f"Goodbye, {name}" if outcome.holder_name else "Exit recorded", tuple(lines))
        return VerdictView(Tone.GREEN, name, tuple(lines), outcome.notes)
    reason = outcome.reason
    if reason is RefusalReason.ALREADY_CHECKED_IN:
        previous = outcome.previous_entry
        if previous is not None:
            where = f" at {previous.gate}" if previous.gate else ""
            detail = f"at {hhmm(previous.at, tz)}{where}"
        else:
            detail = "earlier (time not known on this kiosk)"
        lines = [detail]
        if outcome.holder_name:
            lines.insert(0, outcome.holder_name)
        return VerdictView(Tone.AMBER, "Already checked in", tuple(lines))
    if reason is RefusalReason.WRONG_OCCURRENCE:
        return VerdictView(Tone.RED, "Wrong event", (f"This ticket is for {_event_label(verdict, tz)}",))
    if reason is RefusalReason.TOO_EARLY:
        occurrence = verdict.occurrence
        detail = "Doors are not open yet."
        if occurrence is not None:
            detail = f"Doors open at {hhmm(occurrence.snapshot.entry_opens_at, tz)}."
        return VerdictView(Tone.RED, "Too early", (detail,))
    if reason is RefusalReason.TOO_LATE:
        occurrence = verdict.occurrence
        detail = "Entry has closed."
        if occurrence is not None:
            detail = f"Entry closed at {hhmm(occurrence.snapshot.entry_closes_at, tz)}."
        return VerdictView(Tone.RED, "Too late", (detail,))
    headline, detail = _PLAIN.get(reason, ("Refused", "")) if reason is not None else ("Refused", "")
    lines = [detail] if detail else []
    if outcome.holder_name:
        lines.insert(0, outcome.holder_name)
    return VerdictView(Tone.RED, headline, tuple(lines))


def describe_for_guest(verdict: Verdict, tz: tzinfo | None = None) -> VerdictView:
    """The self-check-in screen's words: addressed to the guest, friendly, and with nothing meant for staff (no
    admission notes, no other gates). Anything but a welcome sends the guest to a person."""
    staff = describe(verdict, tz)
    outcome = verdict.outcome
    if outcome.ok:
        first = (outcome.holder_name or "").split(" ")[0]
        headline = f"Welcome, {first}!" if first else "Welcome!"
        type_name = verdict.ticket_type_name or outcome.ticket_type_name
        return VerdictView(Tone.GREEN, headline, tuple(x for x in (type_name, "Enjoy the evening.") if x))
    see_staff = "Please see a member of staff at the desk."
    if outcome.reason is RefusalReason.ALREADY_CHECKED_IN:
        return VerdictView(Tone.AMBER, "This ticket was already used", (see_staff,))
    if outcome.reason in (RefusalReason.TOO_EARLY, RefusalReason.TOO_LATE):
        return VerdictView(Tone.RED, "Not now, sorry", (*staff.lines, see_staff))
    if outcome.reason is RefusalReason.WRONG_OCCURRENCE:
        return VerdictView(Tone.RED, "This ticket is for another event", (*staff.lines, see_staff))
    return VerdictView(Tone.RED, "Sorry, we could not check you in", (see_staff,))
