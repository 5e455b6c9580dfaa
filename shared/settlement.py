"""Settling one ticket's passages once every device has reported: which admissions count.

Kiosks that cannot see each other may each let the same ticket through. Every such passage is kept (the person went
through a gate); this decides which of them count as passages of the ticket, on the server's clock:

* without re-entry, the earliest entry is the check-in (``shared.passages.resolve_entry_attempts``) and every other
  entry is a duplicate; an exit counts when the holder was inside by the counted passages before it;
* with re-entry, passages are replayed in time order: an entry counts when the holder was not inside, an exit when
  they were (``shared.passages.is_inside``, the test ``decide_check_in`` applies at the door).

Ties in time are broken by device id, then nonce, exactly as ``resolve_entry_attempts`` does, so every server
process settles the same way whatever order the uploads came in. Annulled passages take no part.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.passages import Direction, EntryAttempt, Passage, is_inside, resolve_entry_attempts


@dataclass(frozen=True)
class Admission:
    """A passage some gate let happen. ``key`` is the caller's handle for it (a row id)."""

    key: Hashable
    ticket_id: uuid.UUID
    device_id: uuid.UUID
    direction: Direction
    at: datetime
    nonce: str
    gate: str = ""


@dataclass(frozen=True)
class Settlement:
    """``counted``: the keys that count. ``blocked_by``: for each entry that does not count, the counted entry that
    admitted the ticket first (``None`` for an exit that found nobody inside)."""

    counted: frozenset[Hashable]
    blocked_by: dict[Hashable, Hashable | None]


def _order(admission: Admission) -> tuple[datetime, uuid.UUID, str]:
    return (admission.at, admission.device_id, admission.nonce)


def _passage(admission: Admission) -> Passage:
    return Passage(admission.ticket_id, admission.direction, admission.at, admission.gate, admission.device_id)


def settle(admissions: Sequence[Admission], *, allow_reentry: bool) -> Settlement:
    if len({admission.ticket_id for admission in admissions}) > 1:
        raise ValueError("admissions of more than one ticket: settle each ticket separately")
    ordered = sorted(admissions, key=_order)
    counted: list[Admission] = []
    blocked: dict[Hashable, Hashable | None] = {}
    check_in: Admission | None = None
    if not allow_reentry:
        entries = [a for a in ordered if a.direction is Direction.ENTRY]
        if entries:
            by_nonce = {(a.device_id, a.nonce): a for a in entries}
            resolution = resolve_entry_attempts(
                [EntryAttempt(a.ticket_id, a.device_id, a.at, timedelta(0), a.nonce) for a in entries]
            )
            check_in = by_nonce[(resolution.check_in.device_id, resolution.check_in.nonce)]
    for admission in ordered:
        inside = is_inside(_passage(a) for a in counted)
        if admission.direction is Direction.EXIT:
            if inside:
                counted.append(admission)
            else:
                blocked[admission.key] = None
            continue
        if allow_reentry:
            if inside:
                last_entry = next(a for a in reversed(counted) if a.direction is Direction.ENTRY)
                blocked[admission.key] = last_entry.key
            else:
                counted.append(admission)
        elif admission is check_in:
            counted.append(admission)
        else:
            assert check_in is not None
            blocked[admission.key] = check_in.key
    return Settlement(frozenset(a.key for a in counted), blocked)
