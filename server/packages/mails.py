"""The package confirmation: one mail with the itinerary (the stay, then each event in time order) and every ticket
as a PDF, rendered at delivery time from the booking."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings.models import Ticket
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.notifications.models import OutboxMessage
from server.notifications.pdf import render_tickets
from server.notifications.tickets import ISSUED_STATUSES, ticket_pages
from server.packages.models import EventPackage
from server.villas.models import Booking, Space
from shared.codes import format_for_display


def _money(cents: int, currency: str) -> str:
    return f"{currency} {cents // 100}.{cents % 100:02d}"


def itinerary(session: Session, booking: Booking) -> list[str]:
    """The lines of the itinerary: the stay first, then the events by start time with their codes."""
    lines: list[str] = []
    if booking.space_id is not None and booking.check_in_date and booking.check_out_date:
        villa = session.get_one(Space, booking.space_id)
        nights = (booking.check_out_date - booking.check_in_date).days
        lines.append(
            f"Stay at {villa.name}: check-in {booking.check_in_date:%A %d %B %Y}, "
            f"check-out {booking.check_out_date:%A %d %B %Y} ({nights} night{'s' if nights != 1 else ''})"
        )
    rows = session.execute(
        sa.select(Ticket, EventOccurrence, EventDefinition.name, TicketType.name.label("type_name"))
        .join(EventOccurrence, EventOccurrence.id == Ticket.event_occurrence_id)
        .join(EventDefinition, EventDefinition.id == EventOccurrence.event_definition_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(Ticket.booking_id == booking.id, Ticket.status.in_(ISSUED_STATUSES))
        .order_by(EventOccurrence.start_at, Ticket.created_at, Ticket.id)
    ).all()
    by_occurrence: dict[uuid.UUID, list[tuple[Ticket, EventOccurrence, str, str]]] = {}
    for ticket, occurrence, name, type_name in rows:
        by_occurrence.setdefault(occurrence.id, []).append((ticket, occurrence, name, type_name))
    for group in by_occurrence.values():
        _, occurrence, name, type_name = group[0]
        local = occurrence.start_at.astimezone(ZoneInfo(occurrence.timezone))
        codes = ", ".join(format_for_display(t.confirmation_code) for t, *_ in group if t.confirmation_code)
        lines.append(
            f"{local:%A %d %B %Y, %H:%M} ({occurrence.timezone}): {occurrence.occurrence_name or name}, "
            f"{len(group)} x {type_name} (codes {codes})"
        )
    return lines


def render_confirmation(session: Session, message: OutboxMessage, mail: EmailMessage) -> None:
    booking = session.get_one(Booking, uuid.UUID(str(message.payload["booking_id"])))
    package = session.get_one(EventPackage, booking.package_id)
    quote = booking.quote or {}
    saved = int(quote.get("discount_cents", 0))
    mail["Subject"] = f"Your package is confirmed: {package.name}"
    body = [f"Thank you for booking {package.name}.", "", "Your itinerary:"]
    body += [f"  {line}" for line in itinerary(session, booking)]
    body += ["", f"Total paid: {_money(booking.total_cents, booking.currency)}"]
    if saved > 0:
        body.append(f"You saved {_money(saved, booking.currency)} against booking each part on its own.")
    body += ["", "Your tickets are attached as a PDF: show each QR code at the door."]
    mail.set_content("\n".join(body) + "\n")
    pages = ticket_pages(session, ticket_filter=Ticket.booking_id == booking.id)
    if pages:
        mail.add_attachment(render_tickets(pages), maintype="application", subtype="pdf", filename="tickets.pdf")
