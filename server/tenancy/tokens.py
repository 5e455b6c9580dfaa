"""API token secrets: generated once, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "usher_"  # noqa: S105 - a public prefix, not a secret


def new_token_secret(prefix: str = TOKEN_PREFIX) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    """SHA-256 is enough here: the secret has 256 bits of entropy, so there is nothing to brute-force."""
    return hashlib.sha256(secret.encode()).hexdigest()
