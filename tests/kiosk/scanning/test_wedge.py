from __future__ import annotations

import pytest

from kiosk.scanning.wedge import KeyboardWedgeDetector


def type_keys(detector: KeyboardWedgeDetector, keys: str, start: float, gap: float) -> list[str | None]:
    """Each character of ``keys`` (``\\r`` is Enter) ``gap`` seconds after the one before."""
    return [detector.key(key, start + i * gap) for i, key in enumerate(keys)]


def scans(results: list[str | None]) -> list[str]:
    return [r for r in results if r is not None]


def test_a_fast_run_ending_in_enter_is_a_scan() -> None:
    detector = KeyboardWedgeDetector()
    assert scans(type_keys(detector, "U1:ABCDEFGH2345\r", 0.0, 0.008)) == ["U1:ABCDEFGH2345"]


def test_a_scanner_sending_every_30_ms_is_still_a_scan() -> None:
    detector = KeyboardWedgeDetector()
    assert scans(type_keys(detector, "K7QF2M9XA\r", 0.0, 0.030)) == ["K7QF2M9XA"]


def test_a_long_token_is_a_scan() -> None:
    token = "U1:" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 5
    assert scans(type_keys(KeyboardWedgeDetector(), token + "\r", 5.0, 0.004)) == [token]


def test_human_typing_is_not_a_scan() -> None:
    detector = KeyboardWedgeDetector()
    assert scans(type_keys(detector, "K7QF2M9XA\r", 0.0, 0.140)) == []


def test_a_fast_typist_with_an_occasional_quick_pair_is_not_a_scan() -> None:
    detector = KeyboardWedgeDetector()
    times = [0.0, 0.03, 0.15, 0.18, 0.30, 0.42, 0.45, 0.60, 0.70, 0.74]
    results = [detector.key(key, at) for key, at in zip("K7QF2M9XA\r", times, strict=True)]
    assert scans(results) == []


def test_too_short_a_fast_run_is_not_a_scan() -> None:
    detector = KeyboardWedgeDetector(min_length=6)
    assert scans(type_keys(detector, "12345\r", 0.0, 0.005)) == []


def test_a_slow_enter_after_a_fast_run_is_not_a_scan() -> None:
    detector = KeyboardWedgeDetector()
    type_keys(detector, "K7QF2M9XA", 0.0, 0.005)
    assert detector.key("\r", 1.0) is None


def test_typing_before_a_scan_does_not_end_up_in_its_payload() -> None:
    detector = KeyboardWedgeDetector()
    type_keys(detector, "hello", 0.0, 0.2)
    assert scans(type_keys(detector, "K7QF2M9XA\n", 2.0, 0.006)) == ["K7QF2M9XA"]


def test_two_scans_in_a_row_are_two_scans() -> None:
    detector = KeyboardWedgeDetector()
    first = type_keys(detector, "AAAAAAAAA1\r", 0.0, 0.005)
    second = type_keys(detector, "BBBBBBBBB2\r", 0.5, 0.005)
    assert scans(first + second) == ["AAAAAAAAA1", "BBBBBBBBB2"]


def test_shift_presses_between_characters_neither_count_nor_break_the_run() -> None:
    detector = KeyboardWedgeDetector()
    at = 0.0
    for char in "K7QF2M9XA":
        assert detector.key("", at) is None  # Shift
        assert detector.key(char, at + 0.004) is None
        at += 0.008
    assert detector.key("\r", at) == "K7QF2M9XA"


def test_an_auto_repeating_key_is_not_a_scan() -> None:
    detector = KeyboardWedgeDetector()
    detector.key("a", 0.0)
    for i in range(1, 10):
        detector.key("a", 0.5 + i * 0.03, auto_repeat=True)
    assert detector.key("\r", 0.5 + 10 * 0.03) is None


def test_pending_while_a_fast_run_may_still_become_a_scan() -> None:
    detector = KeyboardWedgeDetector(max_gap=0.05)
    assert not detector.pending(0.0)
    type_keys(detector, "K7Q", 0.0, 0.005)
    assert detector.pending(0.03)
    assert not detector.pending(0.2)


@pytest.mark.parametrize(("max_gap", "min_length"), [(0.0, 6), (0.05, 0)])
def test_nonsense_settings_are_refused(max_gap: float, min_length: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        KeyboardWedgeDetector(max_gap=max_gap, min_length=min_length)
