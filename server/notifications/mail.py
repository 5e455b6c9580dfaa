"""Rendering an outbox row into a mail, from the rows it refers to (read at delivery time)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings.models import Order, Ticket
from server.events.models import EventDefinition, EventOccurrence
from server.notifications.models import MessageKind, OutboxMessage
from server.notifications.tickets import order_pdf
from server.packages import mails as package_mails
from server.waitlist import mails as waitlist_mails
from shared.codes import format_for_display
from shared.enums import TicketStatus


def _money(cents: int, currency: str) -> str:
    return f"{currency} {cents // 100}.{cents % 100:02d}"


def _event_line(session: Session, order: Order) -> tuple[str, str]:
    occurrence = session.get_one(EventOccurrence, order.event_occurrence_id)
    definition = session.get_one(EventDefinition, occurrence.event_definition_id)
    local = occurrence.start_at.astimezone(ZoneInfo(occurrence.timezone))
    name = occurrence.occurrence_name or definition.name
    return name, f"{local:%A %d %B %Y, %H:%M} ({occurrence.timezone})"


def render(
    session: Session,
    message: OutboxMessage,
    *,
    mail_from: str,
    now_header: bool = True,
    secret_key: str = "",
    base_url: str = "",
) -> EmailMessage:
    """``secret_key`` and ``base_url`` sign and place the links of waitlist mails."""
    mail = EmailMessage()
    mail["From"] = mail_from
    mail["To"] = message.recipient
    # A stable id per outbox row: a receiving system that sees the same id twice can tell it is one mail.
    mail["Message-ID"] = make_msgid(idstring=message.id.hex, domain="usher.invalid")
    mail["X-Usher-Outbox-Id"] = str(message.id)
    if now_header:
        mail["Date"] = format_datetime(message.created_at)
    if message.kind is MessageKind.WAITLIST_JOINED:
        waitlist_mails.render_joined(session, message, mail, secret_key=secret_key, base_url=base_url)
        return mail
    if message.kind is MessageKind.WAITLIST_OFFER:
        waitlist_mails.render_offer(session, message, mail, secret_key=secret_key, base_url=base_url)
        return mail
    if message.kind is MessageKind.PACKAGE_CONFIRMED:
        package_mails.render_confirmation(session, message, mail)
        return mail
    order = session.get(Order, message.order_id) if message.order_id else None
    event_name, when = _event_line(session, order) if order is not None else ("your event", "")
    payload = message.payload
    if message.kind is MessageKind.TICKETS_CONFIRMED and order is not None:
        tickets = session.scalars(
            sa.select(Ticket)
            .where(Ticket.order_id == order.id, Ticket.status.in_((TicketStatus.CONFIRMED, TicketStatus.CHECKED_IN)))
            .order_by(Ticket.created_at, Ticket.id)
        ).all()
        mail["Subject"] = f"Your tickets: {event_name}, {when}"
        codes = "\n".join(f"  {format_for_display(t.confirmation_code)}" for t in tickets if t.confirmation_code)
        mail.set_content(
            f"Thank you for your order.\n\n{event_name}\n{when}\n\n"
            f"Confirmation codes:\n{codes}\n\n"
            f"Total paid: {_money(order.total_cents, order.currency)}\n"
            "Your tickets are attached as a PDF: show the QR code at the door.\n"
        )
        document = order_pdf(session, order_id=order.id)
        if document is not None:
            mail.add_attachment(document, maintype="application", subtype="pdf", filename="tickets.pdf")
    elif message.kind is MessageKind.TICKETS_CANCELED:
        refund = int(payload.get("refund_cents", 0))
        currency = order.currency if order is not None else ""
        count = len(payload.get("ticket_ids", []))
        mail["Subject"] = f"Tickets canceled: {event_name}"
        mail.set_content(
            f"{count} ticket(s) for {event_name} ({when}) were canceled.\n"
            + (f"A refund of {_money(refund, currency)} is on its way.\n" if refund else "No refund is due.\n")
        )
    elif message.kind is MessageKind.REFUND_ISSUED:
        amount = _money(int(payload.get("amount_cents", 0)), str(payload.get("currency", "")))
        mail["Subject"] = f"Refund issued: {event_name}"
        mail.set_content(f"We refunded {amount} for {event_name} ({when}).\n")
    else:
        amount = _money(int(payload.get("amount_cents", 0)), str(payload.get("currency", "")))
        mail["Subject"] = f"Your payment for {event_name} will be refunded"
        mail.set_content(
            f"Your payment arrived after your reservation for {event_name} ({when}) had expired, and the seats "
            f"were no longer free. We are refunding {amount}.\n"
        )
    return mail
