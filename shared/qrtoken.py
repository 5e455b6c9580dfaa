"""Signed ticket tokens: the payload of a ticket's QR code, verifiable offline with public keys alone.

Format (version 1)::

    "U1:" + BASE32(body || signature)            RFC 4648 alphabet, upper case, no padding

    body (65 bytes, big-endian)                  signature (64 bytes)
      version        1 byte   = 1                 Ed25519 over SIGNING_CONTEXT || body
      key_id         4 bytes  first bytes of SHA-256(raw public key), unless the issuer chose its own
      ticket_id      16 bytes
      occurrence_id  16 bytes
      ticket_type_id 16 bytes
      valid_from     uint32   seconds since the Unix epoch, UTC
      valid_until    uint32
      issued_at      uint32

A token is always **210 characters** (3 + 207), all in the QR code's alphanumeric set (upper-case letters, digits
and ``:``), which packs 5.5 bits per character: 210 characters fit a version 8 symbol at error correction level M,
where the same bytes in base64 would need byte mode and version 9.

Decisions worth knowing:

* Case: decoding upper-cases first, so a scanner or a person that lower-cases the text still gets in. Base32 carries
  the same bits in either case, so this weakens nothing.
* Canonical form: the last base32 character carries 3 unused bits; a token whose unused bits are not zero is refused,
  so exactly one string verifies for one signed body (every altered character is rejected).
* The signature covers a context string before the body, so a signature a device key makes for another purpose (a
  sync request, say) can never be replayed as a ticket, and the reverse.
* Validity window: ``valid_from``/``valid_until`` are the issuer's hard outer bound (say, from doors opening the day
  before to the end of the occurrence). ``verify_ticket`` reports a token outside it as ``NOT_YET_VALID``/``EXPIRED``
  with its claims, and the check-in rule turns those into "too early"/"too late" alongside the occurrence's own
  doors-open window, which only the occurrence snapshot knows and which may change after the token was printed.
* Revocation is by issue time: a key revoked at T (a lost box-office device) still vouches for the tokens it issued
  before T, and not for those it claims to have issued later. A thief holding the private key can backdate
  ``issued_at``; only the server, which knows which tickets a device really sold, can catch that.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.clock import require_aware

TOKEN_PREFIX = "U1:"  # noqa: S105 (a format marker, not a secret)
TOKEN_VERSION = 1
KEY_ID_LENGTH = 4
SIGNATURE_LENGTH = 64
SIGNING_CONTEXT = b"usher ticket token v1\x00"

_BODY = struct.Struct(f">B{KEY_ID_LENGTH}s16s16s16sIII")
_TOKEN_BYTES = _BODY.size + SIGNATURE_LENGTH
_ENCODED_LENGTH = -(-_TOKEN_BYTES * 8 // 5)
TOKEN_LENGTH = len(TOKEN_PREFIX) + _ENCODED_LENGTH
_BASE32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_MAX_EPOCH = 2**32 - 1


def key_id_for(public_key: bytes) -> bytes:
    """The default key id: a short digest of the raw public key, so that anyone holding the key can compute it."""
    return hashlib.sha256(public_key).digest()[:KEY_ID_LENGTH]


class KeyOwnerKind(StrEnum):
    ORGANIZATION = "organization"
    DEVICE = "device"


@dataclass(frozen=True)
class KeyOwner:
    """Who holds the private key: the org (the server signs online sales) or a kiosk (offline box-office sales)."""

    kind: KeyOwnerKind
    id: uuid.UUID


@dataclass(frozen=True)
class TrustedKey:
    """A public key the verifier accepts. ``revoked_at``: tokens issued at or after this instant are not trusted;
    set it both when a device is lost and when a rotated key stops signing."""

    key_id: bytes
    public_key: bytes
    owner: KeyOwner
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        if len(self.key_id) != KEY_ID_LENGTH:
            raise ValueError(f"key_id must be {KEY_ID_LENGTH} bytes")
        Ed25519PublicKey.from_public_bytes(self.public_key)  # refuses anything that is not a 32-byte Ed25519 key
        if self.revoked_at is not None:
            object.__setattr__(self, "revoked_at", require_aware(self.revoked_at, "revoked_at"))


class Keyring:
    """The keys a verifier trusts, looked up by key id. Several may be live at once (rotation, many devices)."""

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        self._keys: dict[bytes, TrustedKey] = {}
        for key in keys:
            if key.key_id in self._keys:
                raise ValueError(f"two keys share the key id {key.key_id.hex()}; give one of them another id")
            self._keys[key.key_id] = key

    def get(self, key_id: bytes) -> TrustedKey | None:
        return self._keys.get(key_id)

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True, eq=False)
class SigningKey:
    """A private key and the id its tokens carry. Store ``private_bytes()``; never log it."""

    key_id: bytes
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        if len(self.key_id) != KEY_ID_LENGTH:
            raise ValueError(f"key_id must be {KEY_ID_LENGTH} bytes")

    @classmethod
    def generate(cls) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        return cls(key_id=key_id_for(private_key.public_key().public_bytes_raw()), private_key=private_key)

    @classmethod
    def from_private_bytes(cls, raw: bytes, *, key_id: bytes | None = None) -> SigningKey:
        private_key = Ed25519PrivateKey.from_private_bytes(raw)
        public = private_key.public_key().public_bytes_raw()
        return cls(key_id=key_id if key_id is not None else key_id_for(public), private_key=private_key)

    def private_bytes(self) -> bytes:
        return self.private_key.private_bytes_raw()

    def public_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes_raw()

    def trusted(self, *, owner: KeyOwner, revoked_at: datetime | None = None) -> TrustedKey:
        """The keyring entry that lets others verify this key's tokens."""
        return TrustedKey(key_id=self.key_id, public_key=self.public_bytes(), owner=owner, revoked_at=revoked_at)

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id.hex()!r})"


def _whole_seconds(value: datetime, name: str) -> datetime:
    value = require_aware(value, name).replace(microsecond=0)
    if not 0 <= value.timestamp() <= _MAX_EPOCH:
        raise ValueError(f"{name} is outside what a token can carry (1970 to 2106)")
    return value


@dataclass(frozen=True)
class TicketClaims:
    """What a token asserts. Times are truncated to whole seconds, the token's resolution."""

    ticket_id: uuid.UUID
    occurrence_id: uuid.UUID
    ticket_type_id: uuid.UUID
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime

    def __post_init__(self) -> None:
        for name in ("valid_from", "valid_until", "issued_at"):
            object.__setattr__(self, name, _whole_seconds(getattr(self, name), name))
        if self.valid_from >= self.valid_until:
            raise ValueError("valid_from must be before valid_until")


# A token's outer validity window around its occurrence. Check-in's doors-open and late-entry rules work inside it;
# the window only makes sure an old token cannot be replayed for ever.
VALID_BEFORE_START = timedelta(hours=24)
VALID_AFTER_END = timedelta(hours=6)


def claims_for_ticket(
    *,
    ticket_id: uuid.UUID,
    occurrence_id: uuid.UUID,
    ticket_type_id: uuid.UUID,
    start_at: datetime,
    end_at: datetime,
    issued_at: datetime,
) -> TicketClaims:
    """The claims every issuer signs for a ticket (the server on confirmation, a kiosk selling offline)."""
    return TicketClaims(
        ticket_id=ticket_id,
        occurrence_id=occurrence_id,
        ticket_type_id=ticket_type_id,
        valid_from=start_at - VALID_BEFORE_START,
        valid_until=end_at + VALID_AFTER_END,
        issued_at=issued_at,
    )


class TokenStatus(StrEnum):
    VALID = "valid"
    MALFORMED = "malformed"  # not a version 1 token: wrong prefix, length, alphabet or version byte
    UNKNOWN_KEY = "unknown_key"  # well formed, but no key in the keyring has its key id
    BAD_SIGNATURE = "bad_signature"  # forged, altered, or signed by another key with the same id
    KEY_REVOKED = "key_revoked"  # signed by a key revoked at or before the token's issued_at
    NOT_YET_VALID = "not_yet_valid"  # authentic, but before valid_from
    EXPIRED = "expired"  # authentic, but at or after valid_until


@dataclass(frozen=True)
class TokenVerification:
    """The verdict on a token. ``claims`` is present whenever the signature verified (never for a forgery), but
    only ``VALID`` means the token admits anyone; ``signer`` says whose key signed it."""

    status: TokenStatus
    claims: TicketClaims | None = None
    key_id: bytes | None = None
    signer: KeyOwner | None = None

    @property
    def valid(self) -> bool:
        return self.status is TokenStatus.VALID


def looks_like_token(text: str) -> bool:
    """Whether scanned text claims to be a signed token (it may still fail to verify)."""
    return text.strip().upper().startswith(TOKEN_PREFIX)


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def sign_ticket(claims: TicketClaims, *, key: SigningKey) -> str:
    """The token for ``claims``, signed with ``key``. Deterministic: the same claims and key give the same text."""
    body = _BODY.pack(
        TOKEN_VERSION,
        key.key_id,
        claims.ticket_id.bytes,
        claims.occurrence_id.bytes,
        claims.ticket_type_id.bytes,
        _epoch(claims.valid_from),
        _epoch(claims.valid_until),
        _epoch(claims.issued_at),
    )
    signature = key.private_key.sign(SIGNING_CONTEXT + body)
    return TOKEN_PREFIX + base64.b32encode(body + signature).decode("ascii").rstrip("=")


def _decode(token: str) -> bytes | None:
    """The raw token bytes, or ``None`` unless ``token`` is the one canonical spelling of a version 1 token."""
    text = token.strip().upper()
    if not text.startswith(TOKEN_PREFIX) or len(text) != TOKEN_LENGTH:
        return None
    encoded = text[len(TOKEN_PREFIX) :]
    if not set(encoded) <= _BASE32_ALPHABET:
        return None
    try:
        raw = base64.b32decode(encoded + "=" * (-len(encoded) % 8))
    except (binascii.Error, ValueError):
        return None
    if base64.b32encode(raw).decode("ascii").rstrip("=") != encoded:
        return None
    return raw


def verify_ticket(token: str, keyring: Keyring, *, now: datetime) -> TokenVerification:
    """Check a scanned token: form, key, signature, the key's revocation, then the token's own validity window."""
    now = require_aware(now, "now")
    raw = _decode(token)
    if raw is None:
        return TokenVerification(TokenStatus.MALFORMED)
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    version, key_id, ticket, occurrence, ticket_type, valid_from, valid_until, issued_at = _BODY.unpack(body)
    if version != TOKEN_VERSION:
        return TokenVerification(TokenStatus.MALFORMED)
    trusted = keyring.get(key_id)
    if trusted is None:
        return TokenVerification(TokenStatus.UNKNOWN_KEY, key_id=key_id)
    try:
        Ed25519PublicKey.from_public_bytes(trusted.public_key).verify(signature, SIGNING_CONTEXT + body)
    except InvalidSignature:
        return TokenVerification(TokenStatus.BAD_SIGNATURE, key_id=key_id)
    try:
        claims = TicketClaims(
            ticket_id=uuid.UUID(bytes=ticket),
            occurrence_id=uuid.UUID(bytes=occurrence),
            ticket_type_id=uuid.UUID(bytes=ticket_type),
            valid_from=_from_epoch(valid_from),
            valid_until=_from_epoch(valid_until),
            issued_at=_from_epoch(issued_at),
        )
    except ValueError:
        # A trusted key signed nonsense (an empty window): refuse it rather than guess what the issuer meant.
        return TokenVerification(TokenStatus.MALFORMED, key_id=key_id, signer=trusted.owner)

    def verdict(status: TokenStatus) -> TokenVerification:
        return TokenVerification(status, claims=claims, key_id=key_id, signer=trusted.owner)

    # issued_at has whole seconds only: compare against the revocation's second, so a token from the same second as
    # the revocation counts as issued after it.
    if trusted.revoked_at is not None and claims.issued_at >= trusted.revoked_at.replace(microsecond=0):
        return verdict(TokenStatus.KEY_REVOKED)
    if now < claims.valid_from:
        return verdict(TokenStatus.NOT_YET_VALID)
    if now >= claims.valid_until:
        return verdict(TokenStatus.EXPIRED)
    return verdict(TokenStatus.VALID)
