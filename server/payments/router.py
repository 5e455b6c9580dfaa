"""The payment provider's webhook and the refund requests waiting on the Payments domain."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request

from server.bookings.schemas import RefundRequestRead
from server.deps import CanManageEvents, ClockDep, DbSession, SettingsDep
from server.payments import webhook
from server.payments.models import RefundRequest, RefundStatus

router = APIRouter(tags=["payments"])


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


@router.post("/payments/webhook")
def receive_webhook(
    body: RawBody, request: Request, session: DbSession, clock: ClockDep, settings: SettingsDep
) -> dict[str, Any]:
    """Signed by the provider (``Usher-Signature``, HMAC-SHA256 over the raw body); each provider event id is acted
    on once."""
    now = clock()
    webhook.verify(
        body,
        request.headers.get(webhook.SIGNATURE_HEADER),
        secret=settings.payment_webhook_secret.get_secret_value(),
        now=now,
    )
    result = webhook.handle(
        session=session,
        body=body,
        secret_key=settings.secret_key.get_secret_value(),
        now=now,
    )
    return {"event_id": result.event_id, "outcome": result.outcome, "duplicate": result.duplicate}


@router.get("/refund-requests", response_model=list[RefundRequestRead])
def list_refund_requests(
    session: DbSession, principal: CanManageEvents, status: RefundStatus | None = None
) -> list[RefundRequest]:
    statement = sa.select(RefundRequest).where(RefundRequest.org_id == principal.org_id)
    if status is not None:
        statement = statement.where(RefundRequest.status == status)
    return list(session.scalars(statement.order_by(RefundRequest.requested_at)))
