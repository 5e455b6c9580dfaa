"""The guest's key to their waitlist entry: to see it, leave the line, and buy through the offer.

The key is derived from the entry's id with HMAC-SHA256 under the server's secret key (domain-separated), so nothing
needs storing: the join answer, the position mail and the offer mail all carry the same key, and the mail renderer
can rebuild it at delivery time. Changing ``USHER_SECRET_KEY`` invalidates outstanding links (as it does signing
keys at rest).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from urllib.parse import quote

_PURPOSE = b"usher/waitlist-entry/v1\x00"


def entry_secret(secret_key: str, entry_id: uuid.UUID) -> str:
    mac = hmac.new(secret_key.encode(), _PURPOSE + entry_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def secret_matches(secret_key: str, entry_id: uuid.UUID, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(entry_secret(secret_key, entry_id), given or "")


def entry_link(*, base_url: str, org_slug: str, entry_id: uuid.UUID, secret: str) -> str:
    """Where the guest sees their place in line, leaves, or buys what is held for them."""
    return f"{base_url.rstrip('/')}/api/v1/public/{quote(org_slug)}/waitlist/{entry_id}?secret={secret}"
