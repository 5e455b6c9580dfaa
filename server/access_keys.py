"""Keys that let a guest reach their own order or waitlist entry without an account.

A key is derived from the record's id with HMAC-SHA256 under ``USHER_SECRET_KEY``, one purpose string per kind of
record, so nothing needs storing: the first answer, a replayed request and a mail rendered later all carry the same
key, and a database leak reveals none. Changing ``USHER_SECRET_KEY`` invalidates outstanding keys (as it does the
signing keys encrypted with it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

ORDER = "usher/order/v1"
WAITLIST_ENTRY = "usher/waitlist-entry/v1"


def derive(secret_key: str, purpose: str, record_id: uuid.UUID) -> str:
    mac = hmac.new(secret_key.encode(), purpose.encode() + b"\x00" + record_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def matches(secret_key: str, purpose: str, record_id: uuid.UUID, given: str | None) -> bool:
    """Whether ``given`` is the record's key, compared in constant time."""
    return bool(given) and hmac.compare_digest(derive(secret_key, purpose, record_id), given or "")
