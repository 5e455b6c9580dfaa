"""Reading settings: problems are values with a path, and a parse either has a value or says why not."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.settings import Parsed, SettingsProblem, read_bool, read_int, read_percent


def test_an_integer_must_be_a_whole_number_within_bounds_and_not_a_boolean() -> None:
    problems: list[SettingsProblem] = []
    assert read_int(5, "a", problems, minimum=0, maximum=10) == 5
    assert read_int(True, "b", problems) is None
    assert read_int(2.0, "c", problems) is None
    assert read_int(-1, "d", problems, minimum=0) is None
    assert read_int(11, "e", problems, maximum=10) is None
    assert [problem.path for problem in problems] == ["b", "c", "d", "e"]


def test_a_percent_is_read_exactly_from_numbers_and_strings() -> None:
    problems: list[SettingsProblem] = []
    assert read_percent(12.3, "p", problems) == Decimal("12.3")
    assert read_percent("0.05", "p", problems) == Decimal("0.05")
    assert read_percent(100, "p", problems) == Decimal(100)
    assert problems == []


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-1", "100.01", "1.005", "", "ten", None, [5], False])
def test_a_percent_outside_zero_to_hundred_or_with_three_decimals_is_a_problem(value: object) -> None:
    problems: list[SettingsProblem] = []
    assert read_percent(value, "fees.percent", problems) is None
    assert problems[0].path == "fees.percent"


def test_a_boolean_must_be_true_or_false_not_a_truthy_value() -> None:
    problems: list[SettingsProblem] = []
    assert read_bool(False, "x", problems) is False
    assert read_bool(1, "y", problems) is None
    assert [str(problem) for problem in problems] == ["y: must be true or false"]


def test_unwrapping_a_failed_parse_is_a_bug_that_names_every_problem() -> None:
    failed: Parsed[int] = Parsed(None, (SettingsProblem("a", "bad"), SettingsProblem("b", "worse")))
    assert not failed.ok
    with pytest.raises(ValueError, match="a: bad; b: worse"):
        failed.unwrap()
    assert Parsed(3).unwrap() == 3
