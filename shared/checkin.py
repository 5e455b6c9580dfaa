"""The check-in decision: may this ticket pass this gate now? One function for the server's online redeem and for the
kiosk offline, each feeding it snapshots from its own storage.

Precedence, when several things are wrong at once, is the order staff should hear about them, most fundamental
first, so one ticket gets the same answer at every gate:

1. ``invalid``: unreadable, forged, unknown key, or a confirmation code with no such ticket. Nothing else can be
   said about it. (An authentic token whose ticket the store does not know yet is judged on its claims.)
2. ``revoked`` (credential): the token's key was revoked before it was issued, or a newer token replaced it.
   Nothing the token claims can be trusted, so this comes before anything the ticket's record says.
3. ``wrong_occurrence``: an authentic ticket, for an occurrence this gate does not serve. Said before the
   ticket's state: "you are at the wrong door" is what the holder needs to hear.
4. For an **exit**, only ``not_inside`` follows: a canceled ticket or a closed door never keeps anyone in.
5. ``occurrence_canceled``, then the ticket's state: ``revoked`` (blocked by staff), ``refunded``, ``canceled``,
   ``unpaid`` (still only reserved).
6. ``too_early`` / ``too_late``: outside the occurrence's entry window (doors open ``doors_open_minutes`` before
   ``start_at``, default 0, so never before start as the spec says; close at ``start_at + late_entry_minutes`` or at
   ``end_at``) or outside the token's own validity window.
7. ``already_checked_in``: without re-entry, any standing entry; with re-entry, being inside now. A ticket whose
   status says checked in although no passage is known (a replica that has the status but not yet the passages) is
   refused too: at a door, when in doubt, refuse and let a supervisor look.

Only verdicts are returned; recording the passage and setting the ticket to ``checked_in`` is the caller's work.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from shared.clock import require_aware
from shared.enums import OccurrenceStatus, TicketStatus
from shared.passages import Direction, Passage, is_inside, last_entry
from shared.qrtoken import TicketClaims, TokenStatus, TokenVerification
from shared.settings import Parsed, SettingsProblem, read_bool, read_int, section

CHECK_IN_SETTINGS_KEY = "check_in"


class CheckInStatus(StrEnum):
    OK = "ok"
    REFUSED = "refused"


class RefusalReason(StrEnum):
    INVALID = "invalid"
    REVOKED = "revoked"
    WRONG_OCCURRENCE = "wrong_occurrence"
    NOT_INSIDE = "not_inside"
    OCCURRENCE_CANCELED = "occurrence_canceled"
    REFUNDED = "refunded"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    ALREADY_CHECKED_IN = "already_checked_in"


@dataclass(frozen=True)
class CheckInSettings:
    """``settings["check_in"]`` of a definition, overridden field by field by the occurrence's."""

    doors_open_minutes: int = 0
    allow_reentry: bool = False
    late_entry_minutes: int | None = None  # None: entry until end_at


def parse_check_in_settings(
    *, definition_settings: Mapping[str, object] | None, occurrence_settings: Mapping[str, object] | None = None
) -> Parsed[CheckInSettings]:
    """Read ``{"check_in": {"doors_open_minutes": 30, "allow_reentry": true, "late_entry_minutes": 15}}``, every key
    optional, the occurrence's keys winning over the definition's."""
    problems: list[SettingsProblem] = []
    merged: dict[str, object] = {}
    for owner, document in (("definition", definition_settings), ("occurrence", occurrence_settings)):
        block = section(document, CHECK_IN_SETTINGS_KEY)
        if block is None:
            continue
        if not isinstance(block, Mapping):
            problems.append(SettingsProblem(CHECK_IN_SETTINGS_KEY, f"({owner}) must be an object"))
            continue
        merged.update(block)
    known = {"doors_open_minutes", "allow_reentry", "late_entry_minutes"}
    problems.extend(
        SettingsProblem(f"{CHECK_IN_SETTINGS_KEY}.{key}", "unknown setting") for key in sorted(set(merged) - known)
    )
    defaults = CheckInSettings()
    doors = read_int(
        merged.get("doors_open_minutes", defaults.doors_open_minutes),
        "check_in.doors_open_minutes",
        problems,
        minimum=0,
        maximum=1440,
    )
    reentry = read_bool(merged.get("allow_reentry", defaults.allow_reentry), "check_in.allow_reentry", problems)
    late = merged.get("late_entry_minutes")
    late_minutes = None if late is None else read_int(late, "check_in.late_entry_minutes", problems, minimum=0)
    if problems or doors is None or reentry is None:
        return Parsed(None, tuple(problems))
    return Parsed(CheckInSettings(doors_open_minutes=doors, allow_reentry=reentry, late_entry_minutes=late_minutes))


@dataclass(frozen=True)
class OccurrenceSnapshot:
    id: uuid.UUID
    start_at: datetime
    end_at: datetime
    status: OccurrenceStatus
    check_in: CheckInSettings = field(default_factory=CheckInSettings)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_at", require_aware(self.start_at, "start_at"))
        object.__setattr__(self, "end_at", require_aware(self.end_at, "end_at"))
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")

    @property
    def entry_opens_at(self) -> datetime:
        return self.start_at - timedelta(minutes=self.check_in.doors_open_minutes)

    @property
    def entry_closes_at(self) -> datetime:
        if self.check_in.late_entry_minutes is None:
            return self.end_at
        return min(self.start_at + timedelta(minutes=self.check_in.late_entry_minutes), self.end_at)


@dataclass(frozen=True)
class TicketSnapshot:
    """What the door needs to know about a ticket.

    ``notes`` are shown to staff on admission (accessibility needs, dietary restrictions, special requests).
    ``revoked``: staff blocked the ticket without canceling the sale (suspected copy, dispute).
    ``token_issued_at``: when the ticket's current token was issued; an older token for it was replaced and is
    refused. ``None`` when the ticket never had its token replaced or the store does not know.
    """

    id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    status: TicketStatus
    holder_name: str
    ticket_type_name: str | None = None
    notes: tuple[str, ...] = ()
    revoked: bool = False
    token_issued_at: datetime | None = None


@dataclass(frozen=True)
class Gate:
    """The scanning device and what it admits to."""

    device_id: uuid.UUID
    name: str
    occurrence_ids: frozenset[uuid.UUID]


@dataclass(frozen=True)
class CheckInOutcome:
    """The verdict and what to show. Display fields are empty when the ticket is unknown or the token unauthentic.
    ``previous_entry`` says when and at which gate, for ``already_checked_in``. ``ticket_on_record`` is false when
    an authentic token was judged on its claims alone (the store has not synced the ticket yet)."""

    status: CheckInStatus
    direction: Direction
    reason: RefusalReason | None = None
    ticket_id: uuid.UUID | None = None
    holder_name: str | None = None
    ticket_type_name: str | None = None
    notes: tuple[str, ...] = ()
    previous_entry: Passage | None = None
    token_status: TokenStatus | None = None
    ticket_on_record: bool = True

    @property
    def ok(self) -> bool:
        return self.status is CheckInStatus.OK


def _token_superseded(token: TokenVerification, ticket: TicketSnapshot) -> bool:
    claims = token.claims
    assert claims is not None
    if claims.occurrence_id != ticket.occurrence_id or claims.ticket_type_id != ticket.ticket_type_id:
        return True  # the ticket was exchanged since this token was printed
    return ticket.token_issued_at is not None and claims.issued_at < ticket.token_issued_at.replace(microsecond=0)


def _ticket_state_refusal(ticket: TicketSnapshot, occurrence: OccurrenceSnapshot) -> RefusalReason | None:
    if occurrence.status is OccurrenceStatus.CANCELED:
        return RefusalReason.OCCURRENCE_CANCELED
    if ticket.revoked:
        return RefusalReason.REVOKED
    return {
        TicketStatus.REFUNDED: RefusalReason.REFUNDED,
        TicketStatus.CANCELED: RefusalReason.CANCELED,
        TicketStatus.RESERVED: RefusalReason.UNPAID,
    }.get(ticket.status)


def _timing_refusal(
    token: TokenVerification | None, occurrence: OccurrenceSnapshot, now: datetime
) -> RefusalReason | None:
    token_status = token.status if token is not None else None
    if now < occurrence.entry_opens_at or token_status is TokenStatus.NOT_YET_VALID:
        return RefusalReason.TOO_EARLY
    if (
        now >= occurrence.entry_closes_at
        or token_status is TokenStatus.EXPIRED
        or occurrence.status is OccurrenceStatus.COMPLETED
    ):
        return RefusalReason.TOO_LATE
    return None


def decide_check_in(
    *,
    token: TokenVerification | None,
    ticket: TicketSnapshot | None,
    occurrence: OccurrenceSnapshot | None,
    history: Sequence[Passage],
    gate: Gate,
    direction: Direction,
    now: datetime,
) -> CheckInOutcome:
    """Decide one scan. ``token`` is the verification of a scanned token, or ``None`` when the ticket was found by
    confirmation code (or by staff searching a name). ``ticket`` is the ticket found (by the token's ticket id or
    by code), ``None`` when there is none. ``occurrence`` is the ticket's occurrence; it may be ``None`` only when
    the gate does not serve it. ``history`` is this ticket's passages, annulled ones included or not.

    A ticket that is not on record but comes with an authentic token is judged on the token's claims, as a
    confirmed ticket with no name: a kiosk offline since the ticket was sold online still admits it, and the
    server, where a box-office device's offline sale has not been uploaded yet, says the same."""
    now = require_aware(now, "now")
    token_status = token.status if token is not None else None

    claims = token.claims if token is not None else None
    invalid = CheckInOutcome(CheckInStatus.REFUSED, direction, RefusalReason.INVALID, token_status=token_status)
    if token is not None and claims is None:
        return invalid
    on_record = ticket is not None
    if ticket is None:
        if claims is None:
            return invalid
        ticket = _unrecorded_ticket(claims)
    elif claims is not None and claims.ticket_id != ticket.id:
        raise ValueError("the ticket given is not the one the token names")

    def refuse(reason: RefusalReason, previous: Passage | None = None) -> CheckInOutcome:
        return _outcome(CheckInStatus.REFUSED, direction, reason, ticket, on_record, token_status, previous)

    if any(passage.ticket_id != ticket.id for passage in history):
        raise ValueError("history holds passages of another ticket")
    if token is not None and (token.status is TokenStatus.KEY_REVOKED or _token_superseded(token, ticket)):
        return refuse(RefusalReason.REVOKED)
    if ticket.occurrence_id not in gate.occurrence_ids:
        return refuse(RefusalReason.WRONG_OCCURRENCE)
    if occurrence is None or occurrence.id != ticket.occurrence_id:
        raise ValueError("the gate serves this ticket's occurrence: pass that occurrence's snapshot")

    if direction is Direction.EXIT:
        if not is_inside(history):
            return refuse(RefusalReason.NOT_INSIDE)
        return _outcome(CheckInStatus.OK, direction, None, ticket, on_record, token_status, None)

    reason = _ticket_state_refusal(ticket, occurrence) or _timing_refusal(token, occurrence, now)
    if reason is not None:
        return refuse(reason)
    previous = last_entry(history)
    if occurrence.check_in.allow_reentry:
        admitted_before = is_inside(history) or (previous is None and ticket.status is TicketStatus.CHECKED_IN)
    else:
        admitted_before = previous is not None or ticket.status is TicketStatus.CHECKED_IN
    if admitted_before:
        return refuse(RefusalReason.ALREADY_CHECKED_IN, previous)
    return _outcome(CheckInStatus.OK, direction, None, ticket, on_record, token_status, None)


def _unrecorded_ticket(claims: TicketClaims) -> TicketSnapshot:
    """A stand-in for a ticket the store has not heard of yet, from what its authentic token says."""
    return TicketSnapshot(
        id=claims.ticket_id,
        occurrence_id=claims.occurrence_id,
        ticket_type_id=claims.ticket_type_id,
        status=TicketStatus.CONFIRMED,  # tokens are issued on confirmation
        holder_name="",
    )


def _outcome(
    status: CheckInStatus,
    direction: Direction,
    reason: RefusalReason | None,
    ticket: TicketSnapshot,
    on_record: bool,
    token_status: TokenStatus | None,
    previous: Passage | None,
) -> CheckInOutcome:
    if not on_record:
        return CheckInOutcome(
            status,
            direction,
            reason,
            ticket_id=ticket.id,
            previous_entry=previous,
            token_status=token_status,
            ticket_on_record=False,
        )
    return CheckInOutcome(
        status=status,
        direction=direction,
        reason=reason,
        ticket_id=ticket.id,
        holder_name=ticket.holder_name,
        ticket_type_name=ticket.ticket_type_name,
        notes=ticket.notes,
        previous_entry=previous,
        token_status=token_status,
    )
