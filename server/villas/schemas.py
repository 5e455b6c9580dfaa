from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.enums import SpaceKind


class SpaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    kind: SpaceKind
    address: dict[str, Any] | None = None
    capacity: int | None = Field(default=None, gt=0)
    nightly_price_cents: int | None = Field(default=None, ge=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


class SpaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: dict[str, Any] | None = None
    capacity: int | None = Field(default=None, gt=0)
    nightly_price_cents: int | None = Field(default=None, ge=0)


class SpaceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: SpaceKind
    address: dict[str, Any] | None
    capacity: int | None
    nightly_price_cents: int | None
    currency: str
    created_at: datetime
