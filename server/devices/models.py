"""Paired kiosks, and the seat allotments box-office kiosks hold."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, ChangeTracked, Timestamped, org_fk, uuid_pk
from server.db.types import JSONDocument, UTCDateTime, enum_column_type
from shared.wire import DeviceRole


class Device(ChangeTracked, Timestamped, Base):
    """A kiosk of an org. Created by an organizer with a one-time pairing code; the kiosk redeems the code for a
    device token (only its SHA-256 is kept) and registers its own Ed25519 public key, which signs its offline
    box-office sales. ``event_ids``/``occurrence_ids`` are its scope: every occurrence of those events (present and
    future) and the occurrences named. ``scope_version`` grows when the scope changes (the next pull starts over).

    Triggers re-stamp the row for replication only when its key or revocation changes: the volatile columns (last
    seen, clock offset, last applied sequence number) change on every sync and are nobody else's business.
    """

    __tablename__ = "devices"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "key_id"),
        sa.Index("ix_devices_org_change", "org_id", "change_txid", "change_seq"),
        sa.CheckConstraint("last_applied_seq >= 0", name="last_applied_seq_non_negative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    role: Mapped[DeviceRole] = mapped_column(enum_column_type(DeviceRole, "device_role"), nullable=False)
    event_ids: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False, default=list)
    occurrence_ids: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False, default=list)
    scope_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    # HMAC-SHA256 (under the server's secret key) of the pending pairing code; NULL once paired.
    pairing_code_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, unique=True)
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, unique=True)
    public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    key_id: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    software: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    wipe_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # server time - device time, as last measured or reported; corrects offline device times.
    clock_offset_ms: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    clock_uncertainty_ms: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    last_applied_seq: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    created_by_token_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("api_tokens.id", ondelete="SET NULL"), nullable=True
    )


class AllotmentStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"  # the device gave the unused seats back
    RECLAIMED = "reclaimed"  # an organizer took them back, or the device was revoked
    CLOSED = "closed"  # doors closed: the periodic job gave them back


class SeatAllotment(ChangeTracked, Timestamped, Base):
    """Seats of an occurrence set aside for one box-office device: out of capacity (``seats_blocked``) while the
    allotment is active, so its offline sales can never oversell. ``seats_used`` of them became tickets; the rest
    go back when the allotment ends. With a ticket type, that type's quantity was taken up front as well."""

    __tablename__ = "seat_allotments"
    __table_args__ = (
        sa.CheckConstraint("seats >= 0", name="seats_non_negative"),
        sa.CheckConstraint("seats_used >= 0 AND seats_used <= seats", name="seats_used_within"),
        sa.Index("ix_seat_allotments_device_change", "device_id", "change_txid", "change_seq"),
        sa.Index("ix_seat_allotments_occurrence_status", "event_occurrence_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    device_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("devices.id", ondelete="RESTRICT"), nullable=False
    )
    event_occurrence_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("event_occurrences.id", ondelete="RESTRICT"), nullable=False
    )
    ticket_type_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("ticket_types.id", ondelete="RESTRICT"), nullable=True
    )
    seats: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    seats_used: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    status: Mapped[AllotmentStatus] = mapped_column(
        enum_column_type(AllotmentStatus, "allotment_status"), nullable=False, default=AllotmentStatus.ACTIVE
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
