"""The waitlist's mails, rendered at delivery time from the entry (nothing personal is copied into the outbox)."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.notifications.models import OutboxMessage
from server.tenancy.models import Organization
from server.waitlist import links
from server.waitlist.models import WaitlistEntry


def _context(session: Session, message: OutboxMessage) -> tuple[WaitlistEntry, str, str, str]:
    entry = session.get_one(WaitlistEntry, uuid.UUID(str(message.payload["entry_id"])))
    occurrence = session.get_one(EventOccurrence, entry.event_occurrence_id)
    definition = session.get_one(EventDefinition, occurrence.event_definition_id)
    slug = session.scalar(sa.select(Organization.slug).where(Organization.id == entry.org_id)) or ""
    local = occurrence.start_at.astimezone(ZoneInfo(occurrence.timezone))
    name = occurrence.occurrence_name or definition.name
    return entry, name, f"{local:%A %d %B %Y, %H:%M} ({occurrence.timezone})", slug


def render_joined(
    session: Session, message: OutboxMessage, mail: EmailMessage, *, secret_key: str, base_url: str
) -> None:
    entry, name, when, slug = _context(session, message)
    place = int(message.payload.get("place", 0))
    link = links.entry_link(
        base_url=base_url, org_slug=slug, entry_id=entry.id, secret=links.entry_secret(secret_key, entry.id)
    )
    seats = f"{entry.quantity_requested} seat{'s' if entry.quantity_requested != 1 else ''}"
    mail["Subject"] = f"You're #{place} on the waitlist: {name}"
    mail.set_content(
        f"You're #{place} on the waitlist for {name}, {when}, for {seats}.\n\n"
        "When seats open up we hold them for you for 24 hours and write to you with a link to buy them.\n\n"
        f"See your place in line or leave the waitlist:\n{link}\n"
    )


def render_offer(
    session: Session, message: OutboxMessage, mail: EmailMessage, *, secret_key: str, base_url: str
) -> None:
    entry, name, when, slug = _context(session, message)
    ticket_type = (
        session.scalar(sa.select(TicketType.name).where(TicketType.id == entry.held_ticket_type_id))
        if entry.held_ticket_type_id
        else None
    )
    link = links.entry_link(
        base_url=base_url, org_slug=slug, entry_id=entry.id, secret=links.entry_secret(secret_key, entry.id)
    )
    deadline = ""
    if entry.expires_at is not None:
        occurrence = session.get_one(EventOccurrence, entry.event_occurrence_id)
        local = entry.expires_at.astimezone(ZoneInfo(occurrence.timezone))
        deadline = f" until {local:%A %d %B %Y, %H:%M} ({occurrence.timezone})"
    what = f"{entry.quantity_requested} x {ticket_type}" if ticket_type else f"{entry.quantity_requested} seat(s)"
    mail["Subject"] = f"Seats are waiting for you: {name}"
    mail.set_content(
        f"Good news: seats opened up for {name}, {when}.\n\n"
        f"We are holding {what} for you{deadline}. Buy them here:\n{link}\n\n"
        "If you don't, they go to the next person in line.\n"
    )
