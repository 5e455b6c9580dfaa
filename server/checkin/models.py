"""The check-in log: every scan, accepted or refused, online or uploaded after the fact."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, ChangeTracked, org_fk, uuid_pk
from server.db.types import JSONDocument, UTCDateTime, enum_column_type
from shared.checkin import CheckInStatus
from shared.passages import Direction


class CheckInSource(StrEnum):
    ONLINE = "online"  # redeemed: the server decided at the time
    OFFLINE = "offline"  # decided by the kiosk, uploaded later
    STAFF = "staff"  # an organizer checked the ticket in by hand


class CheckIn(ChangeTracked, Base):
    """One scan at a gate. Rows are never deleted; a mistaken passage is annulled.

    ``status``/``reason``: the server's verdict (``shared.checkin.decide_check_in``). ``admitted``: someone went
    through the gate (the server said ok, or an offline kiosk did). ``counted``: the passage counts (admitted, and
    not a duplicate entry or an exit of someone not inside); it is what the rule reads as history. ``at`` is on the
    server's clock (device time plus the device's clock offset for uploads). ``ticket_id`` has no foreign key: an
    authentic token of a ticket not on record yet (sold offline by another kiosk) is judged on its claims.
    """

    __tablename__ = "check_ins"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "nonce"),
        sa.Index("ix_check_ins_ticket", "ticket_id", "at"),
        sa.Index("ix_check_ins_occurrence_change", "event_occurrence_id", "change_txid", "change_seq"),
        sa.Index("ix_check_ins_occurrence_at", "event_occurrence_id", "at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    nonce: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    event_occurrence_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("devices.id", ondelete="RESTRICT"), nullable=True
    )
    gate: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    direction: Mapped[Direction] = mapped_column(enum_column_type(Direction, "passage_direction"), nullable=False)
    source: Mapped[CheckInSource] = mapped_column(enum_column_type(CheckInSource, "check_in_source"), nullable=False)
    status: Mapped[CheckInStatus] = mapped_column(enum_column_type(CheckInStatus, "check_in_status"), nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    local_status: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    local_reason: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    admitted: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    counted: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    clock_offset_ms: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    annulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    payload_kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    mutation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    # The outcome as answered (wire form), so that a replayed nonce gets exactly the same answer.
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)


class GuestListEntry(Base):
    """A guest imported from an organizer's list: its external reference makes importing the same list twice add
    nothing."""

    __tablename__ = "guest_list_entries"
    __table_args__ = (sa.UniqueConstraint("event_occurrence_id", "external_ref"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    event_occurrence_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_occurrences.id", ondelete="RESTRICT"), nullable=False
    )
    external_ref: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("tickets.id", ondelete="RESTRICT"), nullable=False
    )
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
