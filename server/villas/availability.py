"""Villa availability: what a night costs and whether it is free, behind an interface.

Villa calendars belong to the Availability & Calendars domain. Packages ask this interface only, so that domain's
real service can replace the database implementation here, which keeps the nights packages sold in
``villa_nights``: its primary key (villa, night) makes a night impossible to sell twice, on both databases and
under any concurrency (the insert is the check).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.villas.models import BookedNight, Space
from shared.enums import SpaceKind


@dataclass(frozen=True)
class NightlyRate:
    price_cents: int | None  # None: the villa has no price, so it cannot be sold
    currency: str


class VillaAvailability(Protocol):
    def nightly_rate(self, *, space_id: uuid.UUID) -> NightlyRate | None:
        """The villa's price per night, or ``None`` if there is no such villa."""
        ...

    def booked_nights(self, *, space_id: uuid.UUID, nights: Sequence[date]) -> set[date]:
        """Which of ``nights`` are already sold (or held for a booking being paid)."""
        ...

    def holders(self, *, space_id: uuid.UUID, nights: Sequence[date]) -> list[uuid.UUID]:
        """The bookings holding any of ``nights``."""
        ...

    def hold(
        self, *, org_id: uuid.UUID, space_id: uuid.UUID, nights: Sequence[date], booking_id: uuid.UUID, now: datetime
    ) -> bool:
        """Takes all of ``nights`` for ``booking_id``, or none of them (``False``: one is taken)."""
        ...

    def release(self, *, booking_ids: Sequence[uuid.UUID]) -> None:
        """Gives the nights of these bookings back."""
        ...


class DatabaseVillaAvailability:
    """``VillaAvailability`` over this database, inside the caller's transaction (it never commits)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def nightly_rate(self, *, space_id: uuid.UUID) -> NightlyRate | None:
        row = self._session.execute(
            sa.select(Space.nightly_price_cents, Space.currency).where(
                Space.id == space_id, Space.kind == SpaceKind.VILLA
            )
        ).first()
        return NightlyRate(row.nightly_price_cents, row.currency) if row is not None else None

    def booked_nights(self, *, space_id: uuid.UUID, nights: Sequence[date]) -> set[date]:
        if not nights:
            return set()
        return set(
            self._session.scalars(
                sa.select(BookedNight.night).where(BookedNight.space_id == space_id, BookedNight.night.in_(nights))
            )
        )

    def holders(self, *, space_id: uuid.UUID, nights: Sequence[date]) -> list[uuid.UUID]:
        if not nights:
            return []
        return list(
            self._session.scalars(
                sa.select(BookedNight.booking_id)
                .where(BookedNight.space_id == space_id, BookedNight.night.in_(nights))
                .distinct()
            )
        )

    def hold(
        self, *, org_id: uuid.UUID, space_id: uuid.UUID, nights: Sequence[date], booking_id: uuid.UUID, now: datetime
    ) -> bool:
        rows = [
            {"space_id": space_id, "night": night, "org_id": org_id, "booking_id": booking_id, "created_at": now}
            for night in sorted(nights)
        ]
        savepoint = self._session.begin_nested()
        try:
            self._session.execute(sa.insert(BookedNight), rows)
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def release(self, *, booking_ids: Sequence[uuid.UUID]) -> None:
        if booking_ids:
            self._session.execute(sa.delete(BookedNight).where(BookedNight.booking_id.in_(booking_ids)))
