"""Guest lists: an organizer's CSV turned into complimentary tickets, all or nothing, idempotent by reference.

Columns (a header row names them; order is free): ``external_ref`` (required, unique per occurrence: importing the
same list again adds nothing), ``given_name`` (required), ``family_name``, ``email``, ``ticket_type`` (its name; may
be left out when the event has one ticket type), ``notes``, ``dietary_restrictions`` and ``accessibility_needs``
(several separated by ``;``). Every row becomes one complimentary box-office order through the sales domain's own
path (rules, capacity, confirmation, mail). A file with any error writes nothing; ``dry_run`` only previews.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.bookings.confirmation import Payment, apply_payment
from server.bookings.models import SalesChannel
from server.bookings.reservation import AttendeeDetails, ReserveRequest, reserve_in_transaction
from server.checkin.models import GuestListEntry
from server.checkin.service import get_occurrence
from server.errors import Conflict, DomainError, InvalidInput
from server.events.models import TicketType

COLUMNS = (
    "external_ref",
    "given_name",
    "family_name",
    "email",
    "ticket_type",
    "notes",
    "dietary_restrictions",
    "accessibility_needs",
)
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str


@dataclass(frozen=True)
class Guest:
    line: int
    external_ref: str
    ticket_type_id: uuid.UUID
    details: AttendeeDetails


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # already imported
    errors: list[RowError] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "skipped": self.skipped,
            "errors": [error.__dict__ for error in self.errors],
        }


def _split(value: str | None) -> list[str] | None:
    items = [item.strip() for item in (value or "").split(";") if item.strip()]
    return items or None


def parse(text: str, *, ticket_types: dict[str, uuid.UUID]) -> tuple[list[Guest], list[RowError]]:
    """Rows and every problem with them (line numbers as a spreadsheet shows them, the header being line 1)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    errors: list[RowError] = []
    if "external_ref" not in header or "given_name" not in header:
        return [], [RowError(1, None, "the header must name at least external_ref and given_name")]
    unknown = sorted(set(header) - set(COLUMNS))
    if unknown:
        errors.append(RowError(1, unknown[0], f"unknown column (known: {', '.join(COLUMNS)})"))
    guests: list[Guest] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if len(guests) + len(errors) > MAX_ROWS:
            errors.append(RowError(line, None, f"at most {MAX_ROWS} rows per file"))
            break
        values = {key.strip(): (value or "").strip() for key, value in row.items() if key is not None}
        if not any(values.values()):
            continue
        ref, given = values.get("external_ref", ""), values.get("given_name", "")
        row_errors = []
        if not ref:
            row_errors.append(RowError(line, "external_ref", "required"))
        elif ref in seen:
            row_errors.append(RowError(line, "external_ref", f"also on line {seen[ref]}"))
        if not given:
            row_errors.append(RowError(line, "given_name", "required"))
        email = values.get("email") or None
        if email:
            try:
                email = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError as error:
                row_errors.append(RowError(line, "email", str(error)))
        type_name = values.get("ticket_type", "")
        ticket_type_id = ticket_types.get(type_name.casefold()) if type_name else None
        if ticket_type_id is None and not type_name and len(set(ticket_types.values())) == 1:
            ticket_type_id = next(iter(ticket_types.values()))
        if ticket_type_id is None:
            message = f"no ticket type named {type_name!r}" if type_name else "name the ticket type"
            row_errors.append(RowError(line, "ticket_type", message))
        if ref:
            seen.setdefault(ref, line)
        if row_errors or ticket_type_id is None:
            errors.extend(row_errors)
            continue
        guests.append(
            Guest(
                line,
                ref,
                ticket_type_id,
                AttendeeDetails(
                    given_name=given,
                    family_name=values.get("family_name") or None,
                    email=email,
                    notes=values.get("notes") or None,
                    dietary_restrictions=_split(values.get("dietary_restrictions")),
                    accessibility_needs=_split(values.get("accessibility_needs")),
                ),
            )
        )
    return guests, errors


def import_guest_list(
    *,
    session: Session,
    org_id: uuid.UUID,
    occurrence_id: uuid.UUID,
    text: str,
    dry_run: bool,
    secret_key: str,
    now: datetime,
) -> ImportReport:
    """Preview (``dry_run``) or import the list in one transaction. Raises ``InvalidInput`` listing every row
    error, or ``Conflict`` naming the line that did not fit, in both cases with nothing written."""
    occurrence = get_occurrence(session, org_id=org_id, occurrence_id=occurrence_id)
    types = {
        name.casefold(): type_id
        for name, type_id in session.execute(
            sa.select(TicketType.name, TicketType.id).where(
                TicketType.event_definition_id == occurrence.event_definition_id
            )
        )
    }
    guests, errors = parse(text, ticket_types=types)
    report = ImportReport(dry_run=dry_run, rows=len(guests) + len({e.line for e in errors if e.line > 1}))
    rows = session.execute(
        sa.select(GuestListEntry.external_ref, GuestListEntry.ticket_id).where(
            GuestListEntry.event_occurrence_id == occurrence_id,
            GuestListEntry.external_ref.in_([guest.external_ref for guest in guests]),
        )
    ).all()
    existing = {row.external_ref: row.ticket_id for row in rows}
    new = [guest for guest in guests if guest.external_ref not in existing]
    report.skipped = [
        {"line": g.line, "external_ref": g.external_ref, "ticket_id": str(existing[g.external_ref])}
        for g in guests
        if g.external_ref in existing
    ]
    report.errors = errors
    if errors:
        session.rollback()
        if dry_run:
            return report
        raise InvalidInput(
            "guest_list_invalid",
            f"{len(errors)} problem(s) in the file; nothing was imported.",
            errors=[error.__dict__ for error in errors],
        )
    if dry_run:
        report.created = [{"line": g.line, "external_ref": g.external_ref} for g in new]
        session.rollback()
        return report
    try:
        for guest in new:
            report.created.append(_import_one(session, org_id, occurrence_id, guest, secret_key, now))
        session.commit()
    except DomainError as error:
        session.rollback()
        line = _current_line(new, report)
        raise Conflict(
            error.code, f"Line {line}: {error.detail} Nothing was imported.", line=line, field=error.field
        ) from None
    except IntegrityError:
        session.rollback()
        raise Conflict("guest_list_busy", "The same list is being imported right now; try again.") from None
    return report


def _current_line(new: list[Guest], report: ImportReport) -> int:
    return new[len(report.created)].line


def _import_one(
    session: Session, org_id: uuid.UUID, occurrence_id: uuid.UUID, guest: Guest, secret_key: str, now: datetime
) -> dict[str, Any]:
    reservation = reserve_in_transaction(
        session=session,
        org_id=org_id,
        request=ReserveRequest(
            occurrence_id=occurrence_id,
            ticket_type_id=guest.ticket_type_id,
            attendees=(guest.details,),
            channel=SalesChannel.BOX_OFFICE,
            complimentary=True,
        ),
        now=now,
        hold=None,
    )
    apply_payment(
        session=session,
        order_id=reservation.order_id,
        payment=Payment(
            "manual",
            f"guest_list_{uuid.uuid4().hex[:12]}",
            0,
            reservation.quote.currency,
            {"method": "complimentary", "source": "guest_list", "external_ref": guest.external_ref},
        ),
        secret_key=secret_key,
        now=now,
    )
    ticket_id = reservation.tickets[0].id
    session.add(
        GuestListEntry(
            org_id=org_id,
            event_occurrence_id=occurrence_id,
            external_ref=guest.external_ref,
            order_id=reservation.order_id,
            ticket_id=ticket_id,
            imported_at=now,
        )
    )
    session.flush()
    return {"line": guest.line, "external_ref": guest.external_ref, "ticket_id": str(ticket_id)}
