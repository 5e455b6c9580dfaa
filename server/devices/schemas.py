"""What the organizer's device endpoints accept and answer (device endpoints speak ``shared.wire``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.wire import DeviceRole


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["North door 1"])
    role: DeviceRole
    event_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    occurrence_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class DeviceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    event_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    occurrence_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)


class DeviceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    role: DeviceRole
    event_ids: list[uuid.UUID]
    occurrence_ids: list[uuid.UUID]
    key_id: str | None
    paired_at: datetime | None
    pairing_expires_at: datetime | None
    revoked_at: datetime | None
    wipe_sent_at: datetime | None
    last_seen_at: datetime | None
    last_pull_at: datetime | None
    last_push_at: datetime | None
    clock_offset_ms: int | None
    clock_uncertainty_ms: int | None
    last_applied_seq: int
    created_at: datetime


class PairingCodeRead(BaseModel):
    device: DeviceRead
    pairing_code: str = Field(description="Shown once: type it into the kiosk's pairing screen.")
    pairing_expires_at: datetime
