from __future__ import annotations

import pytest

from kiosk.camera.dedupe import InViewDeduplicator

FRAME = 1 / 30


def feed(dedupe: InViewDeduplicator, frames: list[list[str]], start: float = 0.0) -> list[str]:
    """Frames at 30 per second; everything that counted, in order."""
    counted: list[str] = []
    for index, payloads in enumerate(frames):
        counted += dedupe.observe(payloads, start + index * FRAME)
    return counted


def test_a_code_held_in_view_counts_once() -> None:
    assert feed(InViewDeduplicator(grace=0.5), [["A"]] * 90) == ["A"]


def test_a_code_held_for_minutes_still_counts_once() -> None:
    assert feed(InViewDeduplicator(grace=0.5), [["A"]] * 30 * 60 * 3) == ["A"]


def test_frames_the_decoder_missed_while_the_code_was_in_view_do_not_make_it_count_again() -> None:
    frames = [["A"], [], [], ["A"], [], ["A"]] * 10  # read in half of the frames, never missed for 0.5 s
    assert feed(InViewDeduplicator(grace=0.5), frames) == ["A"]


def test_a_code_shown_again_after_it_left_counts_again() -> None:
    frames = [["A"]] * 10 + [[]] * 20 + [["A"]] * 10  # gone for 20 frames = 0.67 s > grace
    assert feed(InViewDeduplicator(grace=0.5), frames) == ["A", "A"]


def test_a_gap_just_within_the_grace_period_is_the_same_appearance() -> None:
    dedupe = InViewDeduplicator(grace=0.5)
    assert dedupe.observe(["A"], 10.0) == ["A"]
    assert dedupe.observe([], 10.3) == []
    assert dedupe.observe(["A"], 10.5) == []
    assert dedupe.observe(["A"], 11.0001) == ["A"]  # last read at 10.5, so it left before this frame


def test_two_codes_in_view_each_count_once_in_the_order_read() -> None:
    frames = [["A"]] * 5 + [["B", "A"]] * 5 + [["A", "B", "C"]] * 5
    assert feed(InViewDeduplicator(), frames) == ["A", "B", "C"]


def test_a_payload_twice_in_one_frame_counts_once() -> None:
    assert InViewDeduplicator().observe(["A", "A"], 0.0) == ["A"]


def test_one_code_leaving_does_not_reset_another() -> None:
    frames = [["A", "B"]] * 5 + [["B"]] * 30 + [["A", "B"]] * 5
    assert feed(InViewDeduplicator(grace=0.5), frames) == ["A", "B", "A"]


def test_in_view_lists_codes_read_within_the_grace_period() -> None:
    dedupe = InViewDeduplicator(grace=1.0)
    dedupe.observe(["A"], 0.0)
    dedupe.observe(["B"], 0.8)
    assert dedupe.in_view(1.0) == {"A", "B"}
    assert dedupe.in_view(1.5) == {"B"}


def test_reset_makes_a_code_in_view_count_again() -> None:
    dedupe = InViewDeduplicator()
    dedupe.observe(["A"], 0.0)
    dedupe.reset()
    assert dedupe.observe(["A"], 0.1) == ["A"]


def test_negative_grace_is_refused() -> None:
    with pytest.raises(ValueError, match="grace"):
        InViewDeduplicator(grace=-1)
