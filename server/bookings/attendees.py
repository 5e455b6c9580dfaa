"""Attendees: listing, linking to a registered user, and erasure on request (GDPR).

Erasure blanks every personal field of the attendee row and of the copies this domain made: the buyer's address on
orders bought with the same address, the recipient of mails not yet sent (those are canceled), and the address a
waitlist entry is keyed by (the entry leaves the line). Tickets, orders,
refunds and payment events stay, for accounting. ``attendees.erased_at`` records the erasure; a kiosk replica learns
from it (issue 5's sync) that it must drop what it holds about the person.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.bookings.models import Attendee, Order, Ticket
from server.errors import NotFound
from server.notifications.models import OutboxMessage, OutboxStatus
from server.waitlist import service as waitlist_service

ERASED_NAME = "Erased"


def erased_email(attendee_id: uuid.UUID) -> str:
    """A placeholder that says nothing about the person (the column is NOT NULL, and kept unique per attendee)."""
    return f"erased-{attendee_id.hex[:12]}@erased.invalid"


def get_attendee(session: Session, *, org_id: uuid.UUID, attendee_id: uuid.UUID) -> Attendee:
    attendee = session.scalar(sa.select(Attendee).where(Attendee.id == attendee_id, Attendee.org_id == org_id))
    if attendee is None:
        raise NotFound("attendee_not_found", "No such attendee.")
    return attendee


def erase_attendee(*, session: Session, org_id: uuid.UUID, attendee_id: uuid.UUID, now: datetime) -> Attendee:
    """Anonymizes the attendee everywhere this domain holds their data. Idempotent. Commits."""
    attendee = get_attendee(session, org_id=org_id, attendee_id=attendee_id)
    if attendee.erased_at is not None:
        return attendee
    address = attendee.email.strip().lower()
    if address:
        order_ids = sa.select(Ticket.order_id).where(Ticket.attendee_id == attendee.id)
        # Orders this person bought (their tickets' orders, under their own address) lose the address.
        session.execute(
            sa.update(Order)
            .where(Order.id.in_(order_ids), sa.func.lower(Order.email) == address)
            .values(email=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.org_id == org_id,
                sa.func.lower(OutboxMessage.recipient) == address,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.CANCELED, last_error="recipient erased", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.org_id == org_id, sa.func.lower(OutboxMessage.recipient) == address)
            .values(recipient=erased_email(attendee.id), updated_at=now)
            .execution_options(synchronize_session=False)
        )
    # Waitlist entries: out of the line, and no longer keyed by the address.
    waitlist_service.forget_person(session, org_id=org_id, attendee_id=attendee.id, address=address, now=now)
    attendee.email = erased_email(attendee.id)
    attendee.given_name = ERASED_NAME
    attendee.family_name = None
    attendee.phone = None
    attendee.emergency_contact = None
    attendee.dietary_restrictions = None
    attendee.accessibility_needs = None
    attendee.notes = None
    attendee.user_id = None
    attendee.erased_at = now
    attendee.updated_at = now
    session.commit()
    return attendee


def link_user(
    *, session: Session, org_id: uuid.UUID, attendee_id: uuid.UUID, user_id: uuid.UUID | None, now: datetime
) -> Attendee:
    """Links the attendee to a registered platform user (or unlinks with ``None``). Commits."""
    attendee = get_attendee(session, org_id=org_id, attendee_id=attendee_id)
    if attendee.erased_at is not None:
        from server.errors import Conflict

        raise Conflict("attendee_erased", "This attendee's data was erased.")
    attendee.user_id = user_id
    attendee.updated_at = now
    session.commit()
    return attendee
