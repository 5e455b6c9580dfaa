"""A package booking's hold ending: the booking expires and its villa nights go back on sale.

Called by the booking path's hold release (``server.bookings.capacity``) after it expired the booking's orders and
gave their seats back, in the same transaction; so this module must not import the booking path.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.villas import availability
from server.villas.models import Booking, BookingStatus


def expired_pending(session: Session, *, booking_ids: Sequence[uuid.UUID], now: datetime) -> list[uuid.UUID]:
    """Those of ``booking_ids`` still pending whose hold has run out."""
    return list(
        session.scalars(
            sa.select(Booking.id)
            .where(
                Booking.id.in_(booking_ids),
                Booking.status == BookingStatus.PENDING,
                Booking.hold_expires_at.is_not(None),
                Booking.hold_expires_at <= now,
            )
            .order_by(Booking.id)
        )
    )


def expire_bookings(session: Session, *, booking_ids: Sequence[uuid.UUID], now: datetime) -> list[uuid.UUID]:
    """Claims the pending ones of ``booking_ids`` as expired (an UPDATE ... RETURNING: of two racers one wins) and
    releases their nights. No commit."""
    if not booking_ids:
        return []
    claimed = list(
        session.scalars(
            sa.update(Booking)
            .where(Booking.id.in_(booking_ids), Booking.status == BookingStatus.PENDING)
            .values(status=BookingStatus.EXPIRED, expired_at=now, updated_at=now)
            .returning(Booking.id)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed:
        availability.DatabaseVillaAvailability(session).release(booking_ids=claimed)
    return claimed
