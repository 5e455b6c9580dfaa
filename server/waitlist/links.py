"""The guest's key to their waitlist entry (to see it, leave the line, and buy through the offer) and the link that
carries it. The key is derived, never stored (``server.access_keys``): the join answer, the position mail and the
offer mail all carry the same key, and the mail renderer rebuilds it at delivery time."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from server import access_keys


def entry_secret(secret_key: str, entry_id: uuid.UUID) -> str:
    return access_keys.derive(secret_key, access_keys.WAITLIST_ENTRY, entry_id)


def secret_matches(secret_key: str, entry_id: uuid.UUID, given: str | None) -> bool:
    return access_keys.matches(secret_key, access_keys.WAITLIST_ENTRY, entry_id, given)


def entry_link(*, base_url: str, org_slug: str, entry_id: uuid.UUID, secret: str) -> str:
    """Where the guest sees their place in line, leaves, or buys what is held for them."""
    return f"{base_url.rstrip('/')}/api/v1/public/{quote(org_slug)}/waitlist/{entry_id}?secret={secret}"
