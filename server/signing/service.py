"""The org keys that sign ticket tokens: created on first need, encrypted at rest, rotated without breaking tickets.

The private half of an org key is stored as ``nonce || AES-GCM(ciphertext)`` under a 256-bit key derived from
``settings.secret_key`` with HKDF, with the org and key id as associated data (a ciphertext copied to another row
does not decrypt). Changing ``secret_key`` therefore makes the stored private keys unreadable: rotate the signing
keys first (old public keys keep verifying).

The keyring a verifier needs is every public key of the org. Issue 5 adds device keys: a module registers a
``KeySource`` in ``KEY_SOURCES`` and ``load_keyring`` includes its keys.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from server.signing.models import SigningKey as SigningKeyRow
from shared.qrtoken import KeyOwner, KeyOwnerKind, Keyring, SigningKey, TrustedKey

_HKDF_INFO = b"usher org signing keys v1"
_NONCE_BYTES = 12

KeySource = Callable[[Session, uuid.UUID], Iterable[TrustedKey]]
# Further keys an org's keyring trusts (issue 5: its devices' keys).
KEY_SOURCES: list[KeySource] = []


def _cipher(secret_key: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret_key.encode())
    return AESGCM(derived)


def _associated_data(org_id: uuid.UUID, key_id: str) -> bytes:
    return f"{org_id}:{key_id}".encode()


def encrypt_private_key(raw: bytes, *, secret_key: str, org_id: uuid.UUID, key_id: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + _cipher(secret_key).encrypt(nonce, raw, _associated_data(org_id, key_id))


def decrypt_private_key(blob: bytes, *, secret_key: str, org_id: uuid.UUID, key_id: str) -> bytes:
    nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    return _cipher(secret_key).decrypt(nonce, ciphertext, _associated_data(org_id, key_id))


def _signing_rows(org_id: uuid.UUID) -> sa.Select[SigningKeyRow]:
    return (
        sa.select(SigningKeyRow)
        .where(
            SigningKeyRow.org_id == org_id,
            SigningKeyRow.private_key_encrypted.is_not(None),
            SigningKeyRow.retired_at.is_(None),
            SigningKeyRow.revoked_at.is_(None),
        )
        .order_by(SigningKeyRow.created_at.desc())
    )


def create_signing_key(*, session: Session, org_id: uuid.UUID, secret_key: str, now: datetime) -> SigningKeyRow:
    """A fresh org key (flushed, not committed). Regenerates on the rare clash of a 4-byte key id within the org."""
    taken = set(session.scalars(sa.select(SigningKeyRow.key_id).where(SigningKeyRow.org_id == org_id)))
    key = SigningKey.generate()
    while key.key_id.hex() in taken:
        key = SigningKey.generate()
    key_id = key.key_id.hex()
    row = SigningKeyRow(
        org_id=org_id,
        key_id=key_id,
        public_key=key.public_bytes(),
        private_key_encrypted=encrypt_private_key(
            key.private_bytes(), secret_key=secret_key, org_id=org_id, key_id=key_id
        ),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def current_signing_key(*, session: Session, org_id: uuid.UUID, secret_key: str, now: datetime) -> SigningKey:
    """The key that signs the org's new tickets, created on first need (inside the caller's transaction)."""
    row = session.scalars(_signing_rows(org_id).limit(1)).first()
    if row is None:
        row = create_signing_key(session=session, org_id=org_id, secret_key=secret_key, now=now)
    assert row.private_key_encrypted is not None
    raw = decrypt_private_key(row.private_key_encrypted, secret_key=secret_key, org_id=org_id, key_id=row.key_id)
    return SigningKey.from_private_bytes(raw, key_id=bytes.fromhex(row.key_id))


def rotate_signing_key(*, session: Session, org_id: uuid.UUID, secret_key: str, now: datetime) -> SigningKeyRow:
    """Retire the org's signing keys and make a new one; tickets signed before keep verifying. Commits."""
    session.execute(
        sa.update(SigningKeyRow)
        .where(SigningKeyRow.org_id == org_id, SigningKeyRow.retired_at.is_(None))
        .values(retired_at=now)
    )
    row = create_signing_key(session=session, org_id=org_id, secret_key=secret_key, now=now)
    session.commit()
    return row


def _trust_cutoff(row: SigningKeyRow) -> datetime | None:
    """Tokens a key claims to have issued from this instant on are not trusted: after it stopped signing
    (retired) or was compromised (revoked), whichever came first."""
    moments = [moment for moment in (row.retired_at, row.revoked_at) if moment is not None]
    return min(moments) if moments else None


def org_trusted_keys(session: Session, org_id: uuid.UUID) -> list[TrustedKey]:
    rows = session.scalars(sa.select(SigningKeyRow).where(SigningKeyRow.org_id == org_id))
    owner = KeyOwner(KeyOwnerKind.ORGANIZATION, org_id)
    return [
        TrustedKey(
            key_id=bytes.fromhex(row.key_id), public_key=row.public_key, owner=owner, revoked_at=_trust_cutoff(row)
        )
        for row in rows
    ]


def load_keyring(*, session: Session, org_id: uuid.UUID) -> Keyring:
    """Every public key that vouches for the org's tickets: its own keys (current and rotated) and those of the
    registered key sources (devices)."""
    keys = org_trusted_keys(session, org_id)
    for source in KEY_SOURCES:
        keys.extend(source(session, org_id))
    return Keyring(keys)
