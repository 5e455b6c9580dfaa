"""Matching what staff type against holder names, emails and confirmation codes in the replica.

Staff at a door type what they hear: "zoe" for Zoë, "muller" for Müller, "lea" for LÉA. SQLite's LIKE only folds
ASCII case, so names are compared folded (accents dropped, case folded) by ``usher_fold``, a Python function each
replica connection registers. Calling it for every row would triple a search over 100,000 tickets, so only values
that hold a non-ASCII character (more characters than bytes) go through it; the rest are matched by LIKE itself,
which ignores ASCII case. Folds are cached: staff typing "alv", "alva", "alvar" fold the same names each time.
Measured in ``bench/scan.py --verdict`` (docs/benchmarks.md).
"""

from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shared.codes import compact_code

FOLD_FUNCTION = "usher_fold"


# Letters that Unicode does not decompose into a base letter and a mark, spelled as people type them.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
)


def fold(text: str) -> str:
    """``text`` without accents and case, as staff type it: "Zoë Müller" -> "zoe muller", "Søren Łukasz" ->
    "soren lukasz", "Straße" -> "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def register(connection: sqlite3.Connection) -> None:
    """Make ``usher_fold`` available in SQL on this connection (deterministic, so SQLite may reuse results)."""
    connection.create_function(FOLD_FUNCTION, 1, _fold_or_none, deterministic=True)


@lru_cache(maxsize=1 << 17)
def _cached_fold(value: str) -> str:
    return fold(value)


def _fold_or_none(value: Any) -> str | None:
    return None if value is None else _cached_fold(str(value))


@dataclass(frozen=True)
class TextMatch:
    """An SQL condition and its parameters, for ``WHERE``."""

    sql: str
    params: tuple[str, ...]


def text_match(query: str, *, name: str = "t.name", email: str = "t.email", code: str = "t.code") -> TextMatch:
    """Rows whose name or email contains ``query`` (accents and case ignored), or whose confirmation code starts
    with it (dashes, spaces and case ignored)."""
    folded = fold(query.strip())
    pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    compact = compact_code(query)
    code_pattern = compact + "%" if compact.isalnum() and compact.isascii() else "\x00"
    conditions = []
    params: list[str] = []
    for column in (name, email):
        non_ascii = f"length({column}) <> length(CAST({column} AS BLOB))"
        conditions.append(
            f"{column} LIKE ? ESCAPE '\\' OR ({non_ascii} AND {FOLD_FUNCTION}({column}) LIKE ? ESCAPE '\\')"
        )
        params += [pattern, pattern]
    conditions.append(f"{code} LIKE ?")
    params.append(code_pattern)
    return TextMatch("(" + " OR ".join(conditions) + ")", tuple(params))
