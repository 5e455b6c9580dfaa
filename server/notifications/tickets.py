"""The PDF of an order's (or one ticket's) confirmed tickets, read from the database."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings.models import Attendee, Ticket
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.notifications.pdf import TicketPage, render_tickets
from shared.enums import TicketStatus

ISSUED_STATUSES = (TicketStatus.CONFIRMED, TicketStatus.CHECKED_IN)


def _money(cents: int, currency: str) -> str:
    return f"{currency} {cents // 100}.{cents % 100:02d}"


def ticket_pages(session: Session, *, ticket_filter: sa.ColumnElement[bool]) -> list[TicketPage]:
    rows = session.execute(
        sa.select(Ticket, Attendee, EventOccurrence, EventDefinition, TicketType.name)
        .join(Attendee, Attendee.id == Ticket.attendee_id)
        .join(EventOccurrence, EventOccurrence.id == Ticket.event_occurrence_id)
        .join(EventDefinition, EventDefinition.id == EventOccurrence.event_definition_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(ticket_filter, Ticket.status.in_(ISSUED_STATUSES), Ticket.qr_code_data.is_not(None))
        .order_by(Ticket.created_at, Ticket.id)
    ).all()
    pages = []
    for ticket, attendee, occurrence, definition, type_name in rows:
        assert ticket.qr_code_data is not None
        assert ticket.confirmation_code is not None
        pages.append(
            TicketPage(
                event_name=occurrence.occurrence_name or definition.name,
                starts_at=occurrence.start_at,
                timezone=occurrence.timezone,
                venue=definition.venue_name,
                ticket_type=type_name,
                holder=" ".join(filter(None, (attendee.given_name, attendee.family_name))),
                confirmation_code=ticket.confirmation_code,
                token=ticket.qr_code_data,
                price=_money(ticket.price_paid_cents, ticket.currency),
            )
        )
    return pages


def order_pdf(session: Session, *, order_id: uuid.UUID) -> bytes | None:
    pages = ticket_pages(session, ticket_filter=Ticket.order_id == order_id)
    return render_tickets(pages) if pages else None


def ticket_pdf(session: Session, *, ticket_id: uuid.UUID) -> bytes | None:
    pages = ticket_pages(session, ticket_filter=Ticket.id == ticket_id)
    return render_tickets(pages) if pages else None
