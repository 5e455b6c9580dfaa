"""At the door: typed codes, a USB scanner, the camera, undo; what staff see and hear."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.checkin.wording import Tone
from kiosk.controller import Screen
from tests.kiosk.ui.conftest import Kiosk

# Qt's offscreen platform says this about every shown main window; it is not ours to fix.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def type_code(qtbot: QtBot, kiosk: Kiosk, text: str) -> None:
    field = kiosk.window.scan.code
    field.setFocus()
    with qtbot.wait_signal(kiosk.controller.verdict_ready, timeout=5000):
        qtbot.keyClicks(field, text)
        qtbot.keyClick(field, Qt.Key.Key_Return)


def test_a_paired_kiosk_with_its_events_chosen_opens_on_the_scan_screen(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    assert kiosk.controller.screen is Screen.SCAN
    assert kiosk.window.stack.currentWidget() is kiosk.window.scan
    assert kiosk.window.scan.heading.text() == "Jazz Night on the Terrace"


def test_typed_code_shows_green_with_name_type_and_accessibility_note(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk]
) -> None:
    kiosk = make_kiosk()
    type_code(qtbot, kiosk, "k7mxq-2p9rt")
    assert kiosk.window.overlay.isVisible()
    assert kiosk.window.overlay.view is not None
    assert kiosk.window.overlay.view.tone is Tone.GREEN
    assert "Ada Lovelace" in kiosk.overlay_text
    assert "VIP" in kiosk.overlay_text
    assert "Accessibility: wheelchair" in kiosk.overlay_text
    assert kiosk.sound.played == [Tone.GREEN]
    assert kiosk.window.scan.code.text() == ""


def test_the_same_code_again_shows_amber_with_time_and_gate(qtbot: QtBot, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    type_code(qtbot, kiosk, "K7MXQ2P9RT")
    kiosk.clock.advance(timedelta(minutes=4))
    type_code(qtbot, kiosk, "K7MXQ2P9RT")
    assert kiosk.window.overlay.view is not None
    assert kiosk.window.overlay.view.tone is Tone.AMBER
    assert "Already checked in" in kiosk.overlay_text
    assert "at 21:00 at Main door" in kiosk.overlay_text
    assert kiosk.sound.played == [Tone.GREEN, Tone.AMBER]


def test_a_canceled_ticket_shows_red_in_plain_words(qtbot: QtBot, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    type_code(qtbot, kiosk, kiosk.door.token("Alan Turing"))
    assert kiosk.window.overlay.view is not None
    assert kiosk.window.overlay.view.tone is Tone.RED
    assert "Ticket canceled" in kiosk.overlay_text


def test_a_ticket_for_another_event_names_that_event_and_its_time(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk]
) -> None:
    kiosk = make_kiosk()
    type_code(qtbot, kiosk, kiosk.door.token("Tango Dancer"))
    assert "Wrong event" in kiosk.overlay_text
    assert "This ticket is for Tango Evening, Tue 02 Jun, 21:00" in kiosk.overlay_text


def test_a_usb_scanner_typing_fast_is_taken_as_a_scan_without_enter_reaching_the_field(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk]
) -> None:
    kiosk = make_kiosk()
    kiosk.keys.step = 0.004  # a scanner types a key every 4 ms
    token = kiosk.door.token("Grace Hopper")
    kiosk.window.scan.code.setFocus()
    with qtbot.wait_signal(kiosk.controller.verdict_ready, timeout=5000) as blocker:
        qtbot.keyClicks(kiosk.window.scan.code, token)
        qtbot.keyClick(kiosk.window.scan.code, Qt.Key.Key_Return)
    presentation = blocker.args[0]
    assert presentation.verdict.scan.source.value == "wedge"
    assert presentation.view.headline == "Grace Hopper"
    assert kiosk.window.scan.code.text() == ""  # the scanner's characters were taken out of the field again
    assert kiosk.door.replica.pending_count() == 1  # counted once, not again through the field's Enter


def test_undo_annuls_the_last_check_in_and_the_ticket_can_enter_again(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk]
) -> None:
    kiosk = make_kiosk()
    type_code(qtbot, kiosk, "K7MXQ2P9RT")
    assert kiosk.controller.counters().checked_in == 1
    kiosk.clock.advance(timedelta(minutes=2))
    qtbot.mouseClick(kiosk.window.scan.undo_button, Qt.MouseButton.LeftButton)
    assert kiosk.window.scan.notice.text() == "Undone: Ada Lovelace (entry at 21:00)"
    assert kiosk.controller.counters().checked_in == 0
    assert [e.kind for e in kiosk.door.replica.pending()] == ["check_in", "annul"]
    type_code(qtbot, kiosk, "K7MXQ2P9RT")
    assert kiosk.window.overlay.view is not None
    assert kiosk.window.overlay.view.tone is Tone.GREEN


def test_undo_after_the_window_is_refused(qtbot: QtBot, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    type_code(qtbot, kiosk, "K7MXQ2P9RT")
    kiosk.clock.advance(timedelta(minutes=6))
    qtbot.mouseClick(kiosk.window.scan.undo_button, Qt.MouseButton.LeftButton)
    assert kiosk.window.scan.notice.text().startswith("Too late to undo Ada Lovelace")
    assert kiosk.controller.counters().checked_in == 1


def test_counters_show_checked_in_of_sold_and_inside(qtbot: QtBot, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    type_code(qtbot, kiosk, "K7MXQ2P9RT")
    strip = kiosk.window.scan.status.counters
    assert strip.checked_in.text().startswith("1")
    assert "of 2 checked in" in strip.checked_in.text()
    assert strip.inside.text().startswith("1")


def test_the_verdict_goes_away_by_itself(qtbot: QtBot, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    type_code(qtbot, kiosk, "K7MXQ2P9RT")
    with qtbot.wait_signal(kiosk.window.overlay.dismissed, timeout=5000):
        pass
    assert not kiosk.window.overlay.isVisible()


def _tool_at(kiosk: Kiosk, row: int, column: int) -> str:
    item = kiosk.window.scan.tools.itemAtPosition(row, column)
    return item.widget().text() if item is not None else ""


def test_a_door_that_does_not_sell_shows_its_tools_without_a_gap(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()  # paired as a door scanner
    tools = [[_tool_at(kiosk, row, column) for column in (0, 1)] for row in range(3)]

    assert not kiosk.window.scan.sell_button.isVisible()
    assert tools == [["Find attendee", "Undo last"], ["Attendee list", "Conflicts"], ["Settings", ""]]

    kiosk.window.scan.show_selling(True)
    assert kiosk.window.scan.sell_button.isVisible()
    assert _tool_at(kiosk, 1, 0) == "Sell tickets"
    assert _tool_at(kiosk, 2, 1) == "Settings"
