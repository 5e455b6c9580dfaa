"""Change tracking and the push log: the sequence counter, tombstones of deleted rows, applied mutations and
conflicts. The tracked tables themselves carry ``change_txid``/``change_seq`` (``server.db.core.ChangeTracked``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.bookings.models import Ticket
from server.db.core import Base, ChangeTracked, org_fk, uuid_pk
from server.db.types import JSONDocument, UTCDateTime
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.signing.models import SigningKey

# Indexes that serve pulls, on other domains' tables (declared here, beside the design they serve).
sa.Index("ix_tickets_occurrence_change", Ticket.event_occurrence_id, Ticket.change_txid, Ticket.change_seq)
sa.Index(
    "ix_event_occurrences_org_change", EventOccurrence.org_id, EventOccurrence.change_txid, EventOccurrence.change_seq
)
sa.Index("ix_ticket_types_org_change", TicketType.org_id, TicketType.change_txid, TicketType.change_seq)
sa.Index(
    "ix_event_definitions_org_change", EventDefinition.org_id, EventDefinition.change_txid, EventDefinition.change_seq
)
sa.Index("ix_signing_keys_org_change", SigningKey.org_id, SigningKey.change_txid, SigningKey.change_seq)


class SyncCounter(Base):
    """SQLite's change counter (one row): writers are serialized there, so a counter grows in commit order.
    PostgreSQL uses the ``sync_change_seq`` sequence and transaction ids instead; the row exists there unused."""

    __tablename__ = "sync_counter"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class SyncTombstone(ChangeTracked, Base):
    """A replicated row that was deleted (a catalog row of an unsold event): kiosks delete it too. Written by the
    tables' delete triggers."""

    __tablename__ = "sync_tombstones"
    __table_args__ = (sa.Index("ix_sync_tombstones_org_change", "org_id", "change_txid", "change_seq"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(40), nullable=False)  # the wire table's name
    row_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), nullable=False)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), nullable=False)
    event_definition_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class SyncMutation(Base):
    """A mutation a device pushed, applied (or rejected) once: its stored result answers every replay."""

    __tablename__ = "sync_mutations"
    __table_args__ = (
        sa.UniqueConstraint("device_id", "seq"),
        sa.UniqueConstraint("device_id", "mutation_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    device_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("devices.id", ondelete="RESTRICT"), nullable=False
    )
    mutation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), nullable=False)
    seq: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ConflictKind(StrEnum):
    DUPLICATE_ENTRY = "duplicate_entry"
    CHECKED_IN_REFUSED_TICKET = "checked_in_refused_ticket"
    EXIT_NOT_INSIDE = "exit_not_inside"
    OVER_CAPACITY = "over_capacity"
    SALE_REFUSED = "sale_refused"
    SALE_ADJUSTED = "sale_adjusted"


class SyncConflict(ChangeTracked, Base):
    """Where the server overruled or flagged what a device did. Reported in the push result, pulled by the devices
    involved, listed for organizers until resolved."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (
        sa.Index("ix_sync_conflicts_occurrence", "event_occurrence_id", "detected_at"),
        sa.Index("ix_sync_conflicts_org_change", "org_id", "change_txid", "change_seq"),
        sa.Index("ix_sync_conflicts_check_in", "check_in_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    event_occurrence_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    other_device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    check_in_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    other_check_in_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    mutation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(), nullable=True)
    detail: Mapped[str] = mapped_column(sa.Text, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
