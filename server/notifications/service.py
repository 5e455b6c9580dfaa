"""Putting mails in the outbox. Called inside the transaction of the change the mail reports, never after it:
the mail exists exactly when the change does."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.notifications.models import MessageKind, OutboxMessage, OutboxStatus


def enqueue(
    *,
    session: Session,
    org_id: uuid.UUID,
    kind: MessageKind,
    recipient: str | None,
    now: datetime,
    order_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> uuid.UUID | None:
    """Adds a mail to the outbox (no commit). Nothing is queued without an address (a walk-up sale without one)."""
    if not recipient:
        return None
    message_id = uuid.uuid4()
    session.execute(
        sa.insert(OutboxMessage),
        [
            {
                "id": message_id,
                "org_id": org_id,
                "kind": kind,
                "recipient": recipient,
                "order_id": order_id,
                "payload": payload or {},
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    return message_id
