"""Ed25519 keys that sign ticket QR tokens.

An org key has its private half here, encrypted at rest (AES-GCM under a key derived from ``settings.secret_key``).
Keys are never deleted: a retired key stops signing but its public half keeps verifying the tickets it signed.
Issue 5 adds device keys (a kiosk's own public key, no private half here) to the same table.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db.core import Base, ChangeTracked, org_fk, uuid_pk
from server.db.types import UTCDateTime


class SigningKey(ChangeTracked, Base):
    __tablename__ = "signing_keys"
    __table_args__ = (
        # Key ids are short (they ride in every token); they only need to be unique within one org's keyring.
        sa.UniqueConstraint("org_id", "key_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = org_fk()
    # The short identifier carried in every token it signs (hex of ``shared.qrtoken``'s 4-byte key id).
    key_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    # nonce || AES-GCM ciphertext of the raw 32-byte private key; NULL for keys whose private half lives elsewhere.
    private_key_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # Stops signing from then on (rotation); still verifies what it signed before.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Compromised at this instant: what it claims to have signed from then on is not trusted.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
