"""Reading rule settings out of the JSON ``settings`` documents: problems come back as values.

The server turns ``Parsed.problems`` into a 422 listing every problem at once; the kiosk, which only reads settings
the server has already accepted, can treat a problem as a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SettingsProblem:
    """One thing wrong with a settings document. ``path`` is dotted, e.g. ``refund_policy[1].percent``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """Either a value or the problems that prevented one."""

    value: T | None
    problems: tuple[SettingsProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def unwrap(self) -> T:
        """The value, for callers that only read settings already validated (a failure here is a bug)."""
        if self.problems or self.value is None:
            raise ValueError("; ".join(str(problem) for problem in self.problems) or "no value")
        return self.value


def section(settings: Mapping[str, object] | None, key: str) -> object:
    """``settings[key]`` or ``None``; a missing settings document reads as empty."""
    if settings is None:
        return None
    return settings.get(key)


def read_int(
    value: object, path: str, problems: list[SettingsProblem], *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """An integer within bounds, else a problem. Booleans are not integers here, though Python says they are."""
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(SettingsProblem(path, "must be a whole number"))
        return None
    if minimum is not None and value < minimum:
        problems.append(SettingsProblem(path, f"must be at least {minimum}"))
        return None
    if maximum is not None and value > maximum:
        problems.append(SettingsProblem(path, f"must be at most {maximum}"))
        return None
    return value


def read_percent(value: object, path: str, problems: list[SettingsProblem]) -> Decimal | None:
    """A percentage 0 to 100 with at most two decimals, given as a number or a string ("12.5").

    Floats are read through ``str`` so that 12.3 means 12.3, not 12.300000000000000710542735760100185871124267578125.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        problems.append(SettingsProblem(path, "must be a number between 0 and 100"))
        return None
    try:
        percent = Decimal(str(value))
    except InvalidOperation:
        problems.append(SettingsProblem(path, "must be a number between 0 and 100"))
        return None
    if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
        problems.append(SettingsProblem(path, "must be a number between 0 and 100"))
        return None
    if percent != percent.quantize(Decimal("0.01")):
        problems.append(SettingsProblem(path, "may have at most two decimals"))
        return None
    return percent


def read_bool(value: object, path: str, problems: list[SettingsProblem]) -> bool | None:
    if not isinstance(value, bool):
        problems.append(SettingsProblem(path, "must be true or false"))
        return None
    return value
