"""How names and emails are folded for the attendee search: case and accents do not matter ("José" finds "jose")."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def search_text(holder_name: str, holder_email: str) -> str:
    """The ``tickets.search`` column: both fields folded, with a separator no query can span."""
    return f"{fold(holder_name)}\n{fold(holder_email)}"
