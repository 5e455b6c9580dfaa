"""The org's ticket-signing keys (public halves), rotation, and a server-side check of a scanned token."""

from __future__ import annotations

import base64
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter

from server.bookings.models import Ticket
from server.bookings.schemas import SigningKeyRead, TokenCheck, TokenCheckRead
from server.deps import CanManageEvents, CanSellTickets, ClockDep, DbSession, SettingsDep
from server.signing import service
from server.signing.models import SigningKey
from shared.qrtoken import verify_ticket

router = APIRouter(tags=["signing"])


def _read(row: SigningKey) -> SigningKeyRead:
    return SigningKeyRead(
        key_id=row.key_id,
        public_key=base64.b64encode(row.public_key).decode(),
        created_at=row.created_at,
        retired_at=row.retired_at,
        revoked_at=row.revoked_at,
    )


@router.get("/signing-keys", response_model=list[SigningKeyRead])
def list_signing_keys(session: DbSession, principal: CanManageEvents) -> list[SigningKeyRead]:
    rows = session.scalars(
        sa.select(SigningKey).where(SigningKey.org_id == principal.org_id).order_by(SigningKey.created_at)
    )
    return [_read(row) for row in rows]


@router.post("/signing-keys/rotate", response_model=SigningKeyRead)
def rotate_signing_key(
    session: DbSession, clock: ClockDep, settings: SettingsDep, principal: CanManageEvents
) -> SigningKeyRead:
    """New tickets are signed with a new key; tickets already issued keep verifying."""
    row = service.rotate_signing_key(
        session=session, org_id=principal.org_id, secret_key=settings.secret_key.get_secret_value(), now=clock()
    )
    return _read(row)


@router.post("/tickets/verify-token", response_model=TokenCheckRead)
def verify_token(body: TokenCheck, session: DbSession, clock: ClockDep, principal: CanSellTickets) -> Any:
    """Checks a scanned QR token against the org's keyring (form, key, signature, window) and names its ticket."""
    keyring = service.load_keyring(session=session, org_id=principal.org_id)
    verdict = verify_ticket(body.token, keyring, now=clock())
    if verdict.claims is None:
        return TokenCheckRead(status=verdict.status.value)
    ticket_status = session.scalar(
        sa.select(Ticket.status).where(Ticket.id == verdict.claims.ticket_id, Ticket.org_id == principal.org_id)
    )
    return TokenCheckRead(
        status=verdict.status.value,
        ticket_id=verdict.claims.ticket_id,
        occurrence_id=verdict.claims.occurrence_id,
        ticket_type_id=verdict.claims.ticket_type_id,
        ticket_status=ticket_status,
    )
