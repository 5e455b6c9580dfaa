"""Confirmation codes: what a guest reads out at the door or types into the kiosk when the QR code will not scan.

A code is 10 characters from a 31-character alphabet with nothing that reads like something else (no 0/O, 1/I/L),
which gives 49.5 bits of randomness: guessing one code out of a million issued takes about 800 million tries. It is
shown in two groups of five (``K7MXQ-2P9RT``) and accepted in any case, with or without spaces and dashes.
Uniqueness is the database's job (a unique constraint, retry on conflict); at a million codes the chance that a new
one collides is about one in 800 million.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from shared.qrtoken import looks_like_token

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_GROUP = 5
_SEPARATORS = str.maketrans("", "", " -\t")


def new_confirmation_code() -> str:
    """A fresh code in its stored form (upper case, no dash)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def compact_code(text: str) -> str:
    """What someone typed of a code, in the stored form's spelling: upper case, no spaces, tabs or dashes. A prefix
    of a code stays a prefix (for search as staff type)."""
    return text.translate(_SEPARATORS).upper()


def normalize_confirmation_code(text: str) -> str | None:
    """The stored form of what someone typed or scanned, or ``None`` when it cannot be a code.

    Upper-cases and drops spaces, tabs and dashes. It does not guess: an ``O`` is not turned into a ``0``, since
    neither is in the alphabet and a code containing one was mistyped beyond repair.
    """
    candidate = compact_code(text)
    if len(candidate) != CODE_LENGTH or not set(candidate) <= set(CODE_ALPHABET):
        return None
    return candidate


def format_for_display(code: str) -> str:
    """``K7MXQ2P9RT`` -> ``K7MXQ-2P9RT``: groups short enough to read out over a noisy door."""
    normalized = normalize_confirmation_code(code)
    if normalized is None:
        raise ValueError(f"not a confirmation code: {code!r}")
    return "-".join(normalized[i : i + _GROUP] for i in range(0, CODE_LENGTH, _GROUP))


class ScanKind(StrEnum):
    SIGNED_TOKEN = "signed_token"  # noqa: S105 (a kind of scan, not a secret)
    CONFIRMATION_CODE = "confirmation_code"
    UNRECOGNIZED = "unrecognized"


@dataclass(frozen=True)
class ScannedText:
    """What the kiosk camera or the redeem endpoint received, sorted. ``value`` is the normalized confirmation code,
    or the text as received for a token (``verify_ticket`` normalizes it itself), or ``None``."""

    kind: ScanKind
    value: str | None


def classify_scan(text: str) -> ScannedText:
    """Tell a signed token from a confirmation code. A token announces itself with its prefix (a code has no ``:``),
    so the two can never be confused."""
    if looks_like_token(text):
        return ScannedText(ScanKind.SIGNED_TOKEN, text)
    code = normalize_confirmation_code(text)
    if code is not None:
        return ScannedText(ScanKind.CONFIRMATION_CODE, code)
    return ScannedText(ScanKind.UNRECOGNIZED, None)
