"""Device public keys in the org's keyring: a kiosk's offline sales verify at every other kiosk and at the server.

Registered as a key source of ``server.signing.service.load_keyring`` when this package is imported.
"""

from __future__ import annotations

import secrets
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.devices.models import Device
from server.signing import service as signing_service
from server.signing.models import SigningKey as OrgKeyRow
from shared.qrtoken import KeyOwner, KeyOwnerKind, TrustedKey, key_id_for


def device_trusted_keys(session: Session, org_id: uuid.UUID) -> list[TrustedKey]:
    """Every paired device's key; a revoked device's key vouches only for tokens issued before its revocation.
    A device key whose 4-byte id happens to equal an org key's is left out (an org key created after the device
    paired can clash; the org's own key wins and that device's tokens then fail to verify)."""
    org_key_ids = set(session.scalars(sa.select(OrgKeyRow.key_id).where(OrgKeyRow.org_id == org_id)))
    rows = session.execute(
        sa.select(Device.id, Device.key_id, Device.public_key, Device.revoked_at).where(
            Device.org_id == org_id, Device.public_key.is_not(None), Device.key_id.is_not(None)
        )
    ).all()
    return [
        TrustedKey(
            key_id=bytes.fromhex(row.key_id),
            public_key=row.public_key,
            owner=KeyOwner(KeyOwnerKind.DEVICE, row.id),
            revoked_at=row.revoked_at,
        )
        for row in rows
        if row.key_id not in org_key_ids
    ]


def free_key_id(session: Session, org_id: uuid.UUID, public_key: bytes) -> bytes:
    """The key's default id (a digest anyone can recompute) unless the org already has a key with it; then a
    random free one, which the pairing answer hands to the kiosk."""
    taken = set(session.scalars(sa.select(OrgKeyRow.key_id).where(OrgKeyRow.org_id == org_id)))
    taken |= set(session.scalars(sa.select(Device.key_id).where(Device.org_id == org_id, Device.key_id.is_not(None))))
    candidate = key_id_for(public_key)
    while candidate.hex() in taken:
        candidate = secrets.token_bytes(len(candidate))
    return candidate


def register() -> None:
    if device_trusted_keys not in signing_service.KEY_SOURCES:
        signing_service.KEY_SOURCES.append(device_trusted_keys)
