"""The payment provider's webhook: signed, fresh, and acted on once per provider event id.

Signature header ``Usher-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is HMAC-SHA256 over
``"<t>." + raw body`` with ``settings.payment_webhook_secret``. The timestamp must be within ``TOLERANCE`` of our
clock, so a captured request cannot be replayed later; within the window, the unique provider event id makes a
replay a no-op.

Body::

    {"id": "evt_...", "provider": "fake", "type": "payment.succeeded" | "refund.succeeded" | "refund.failed",
     "data": {"order_id": "...", "amount_cents": 5000, "currency": "USD", "reference": "fake_..."}
             | {"booking_id": "...", "amount_cents": 5000, "currency": "USD", "reference": "..."}  (a package)
             | {"refund_request_id": "...", "provider_refund_id": "re_..."}}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.bookings import cancellation, confirmation
from server.bookings.models import Order
from server.errors import Conflict, InvalidInput, Unauthenticated
from server.packages import booking as package_booking
from server.payments.models import PaymentEvent
from server.villas.models import Booking

SIGNATURE_HEADER = "Usher-Signature"
TOLERANCE = timedelta(minutes=5)


def sign(body: bytes, *, secret: str, timestamp: int) -> str:
    """The header value a provider sends with ``body`` (also what tests and the fake provider use)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(body: bytes, header: str | None, *, secret: str, now: datetime) -> None:
    if not header:
        raise Unauthenticated("webhook_signature_missing", f"Send the {SIGNATURE_HEADER} header.")
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise Unauthenticated("webhook_signature_invalid", "The signature header is malformed.") from None
    expected = sign(body, secret=secret, timestamp=timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise Unauthenticated("webhook_signature_invalid", "The webhook signature does not match.")
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        raise Unauthenticated("webhook_too_old", "The webhook's timestamp is outside the tolerance window.")


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    outcome: str
    duplicate: bool = False


def _uuid(value: Any, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput("invalid_webhook", f"data.{field} is not an id.", field=f"data.{field}") from None


def handle(*, session: Session, body: bytes, secret_key: str, now: datetime) -> WebhookResult:
    """Acts on a verified webhook body and records it, in one transaction; a replayed event id changes nothing."""
    try:
        event = json.loads(body)
        event_id, event_type = str(event["id"]), str(event["type"])
        provider = str(event.get("provider", "fake"))
        data = event.get("data") or {}
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("invalid_webhook", "The webhook body is not a payment event.") from None
    seen = session.scalar(
        sa.select(PaymentEvent.outcome).where(
            PaymentEvent.provider == provider, PaymentEvent.provider_event_id == event_id
        )
    )
    if seen is not None:
        session.rollback()
        return WebhookResult(event_id, seen, duplicate=True)
    order_id: uuid.UUID | None = None
    if event_type == "payment.succeeded":
        _refuse_reference_of_another_payment(session, provider=provider, data=data, event_id=event_id)
    if event_type == "payment.succeeded" and data.get("booking_id") is not None:
        # A package: one payment for all its orders (server.packages.booking).
        try:
            outcome = package_booking.confirm_payment(
                session=session,
                booking_id=_uuid(data.get("booking_id"), "booking_id"),
                payment=confirmation.Payment(
                    gateway=provider,
                    reference=str(data.get("reference") or event_id),
                    amount_cents=int(data["amount_cents"]),
                    currency=str(data["currency"]),
                    details={"webhook_event": event_id},
                ),
                secret_key=secret_key,
                now=now,
            )
        except LookupError:
            outcome = "ignored:unknown_booking"
        except (KeyError, ValueError):
            raise InvalidInput("invalid_webhook", "payment.succeeded needs amount_cents and currency.") from None
    elif event_type == "payment.succeeded":
        order_id = _uuid(data.get("order_id"), "order_id")
        try:
            outcome = confirmation.apply_payment(
                session=session,
                order_id=order_id,
                payment=confirmation.Payment(
                    gateway=provider,
                    reference=str(data.get("reference") or event_id),
                    amount_cents=int(data["amount_cents"]),
                    currency=str(data["currency"]),
                    details={"webhook_event": event_id},
                ),
                secret_key=secret_key,
                now=now,
            ).result.value
        except LookupError:
            order_id, outcome = None, "ignored:unknown_order"
        except (KeyError, ValueError):
            raise InvalidInput("invalid_webhook", "payment.succeeded needs amount_cents and currency.") from None
    elif event_type in ("refund.succeeded", "refund.failed"):
        refund = cancellation.complete_refund(
            session=session,
            refund_request_id=_uuid(data.get("refund_request_id"), "refund_request_id"),
            succeeded=event_type == "refund.succeeded",
            provider_refund_id=str(data.get("provider_refund_id") or event_id),
            now=now,
        )
        order_id = refund.order_id if refund is not None else None
        outcome = "ignored:unknown_refund" if refund is None else f"refund_{refund.status.value}"
    else:
        outcome = f"ignored:{event_type}"[:60]
    session.add(
        PaymentEvent(
            provider=provider,
            provider_event_id=event_id,
            event_type=event_type[:60],
            order_id=order_id,
            outcome=outcome,
            payload=event,
            received_at=now,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        # The same event, delivered twice at once: the other delivery acted; this one's work is rolled back.
        if _seen(session, provider, event_id) is not None:
            return WebhookResult(event_id, "duplicate", duplicate=True)
        raise
    return WebhookResult(event_id, outcome)


def _seen(session: Session, provider: str, event_id: str) -> str | None:
    return session.scalar(
        sa.select(PaymentEvent.outcome).where(
            PaymentEvent.provider == provider, PaymentEvent.provider_event_id == event_id
        )
    )


def _refuse_reference_of_another_payment(
    session: Session, *, provider: str, data: dict[str, Any], event_id: str
) -> None:
    """A provider's charge reference names one payment. Seen on another order or package already, this event
    cannot be honoured as it stands: answer 409 so the provider keeps the event (and retries, or someone looks),
    rather than acknowledging money that went nowhere."""
    reference = str(data.get("reference") or event_id)
    target = str(data.get("order_id") or data.get("booking_id") or "")
    elsewhere = [
        *session.scalars(
            sa.select(Order.id).where(Order.payment_gateway == provider, Order.payment_reference == reference)
        ),
        *session.scalars(
            sa.select(Booking.id).where(Booking.payment_gateway == provider, Booking.payment_reference == reference)
        ),
    ]
    if any(str(other) != target for other in elsewhere):
        raise Conflict(
            "payment_reference_in_use",
            f"The provider's reference {reference!r} already paid another order; this event was not applied.",
            field="data.reference",
        )
