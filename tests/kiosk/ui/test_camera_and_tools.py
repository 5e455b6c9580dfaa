"""The camera at the door, and the staff tools: search and manual check-in, conflicts, the lock and its PIN."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.camera.decoders import ZxingDecoder
from kiosk.camera.dedupe import InViewDeduplicator
from kiosk.camera.sources import VideoFileSource
from kiosk.camera.synthetic import blank_frame, ticket_frame, write_video
from kiosk.camera.worker import CameraScanner
from kiosk.checkin.wording import Tone
from kiosk.config import KioskSettings, check_pin
from shared import wire
from tests.kiosk.door import Door, page, wire_row
from tests.kiosk.ui.conftest import AT_NINE, Kiosk

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


class FrameClock:
    def __init__(self) -> None:
        self.frames = 0

    def __call__(self) -> float:
        self.frames += 1
        return self.frames / 30


def test_a_ticket_held_up_to_the_camera_is_admitted_once_on_screen(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], tmp_path: Path, door: Door
) -> None:
    token = door.token("Grace Hopper")
    held = [ticket_frame(token, 0), ticket_frame(token, 1, "phone")] * 5
    video = write_video(tmp_path / "door.avi", [blank_frame(1)] * 3 + held + [blank_frame(2)] * 3, fps=30)
    scanners: list[CameraScanner] = []

    def make_scanner(settings: KioskSettings) -> CameraScanner:
        scanner = CameraScanner(
            VideoFileSource(video), ZxingDecoder(), clock=FrameClock(), deduplicator=InViewDeduplicator(grace=0.3)
        )
        scanners.append(scanner)
        return scanner

    verdicts: list[object] = []
    kiosk = make_kiosk(make_scanner=make_scanner)
    kiosk.controller.verdict_ready.connect(verdicts.append)
    with qtbot.wait_signal(scanners[0].stopped, timeout=20_000):
        pass
    qtbot.wait_until(lambda: len(verdicts) >= 1, timeout=5000)
    qtbot.wait(100)  # anything else queued would arrive now
    assert len(verdicts) == 1
    assert kiosk.window.overlay.isVisible()
    assert kiosk.window.overlay.view is not None
    assert kiosk.window.overlay.view.tone is Tone.GREEN
    assert kiosk.window.overlay.headline.text() == "Grace Hopper"
    assert kiosk.window.scan.preview.frames > 0  # the live preview showed the frames
    assert kiosk.door.replica.pending()[0].document["body"]["payload"] == token


def test_search_by_part_of_a_name_and_check_in_by_hand(qtbot: QtBot, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    qtbot.mouseClick(kiosk.window.scan.search_button, Qt.MouseButton.LeftButton)
    assert kiosk.window.stack.currentWidget() is kiosk.window.search
    qtbot.keyClicks(kiosk.window.search.query, "hopp")
    qtbot.wait_until(lambda: kiosk.window.search.results.count() == 1, timeout=3000)
    assert kiosk.window.search.results.item(0).text().startswith("Grace Hopper  ·  not checked in")
    with qtbot.wait_signal(kiosk.controller.verdict_ready, timeout=5000) as blocker:
        qtbot.mouseClick(kiosk.window.search.check_in_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].verdict.scan.source.value == "search"
    assert kiosk.window.overlay.headline.text() == "Grace Hopper"
    assert kiosk.window.stack.currentWidget() is kiosk.window.scan
    assert kiosk.door.replica.pending()[0].document["body"]["ticket_id"] == kiosk.door.tickets["Grace Hopper"].id.hex


def test_search_needs_three_characters(qtbot: QtBot, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    kiosk.window.on_search_clicked()
    qtbot.keyClicks(kiosk.window.search.query, "gr")
    qtbot.wait_until(lambda: kiosk.window.search.summary.text() == "Type at least 3 characters", timeout=3000)
    assert kiosk.window.search.results.count() == 0


def test_conflicts_screen_lists_what_the_server_flagged_and_staff_mark_them_handled(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk]
) -> None:
    kiosk = make_kiosk()
    conflict = wire_row(
        wire.CONFLICTS,
        id=uuid.uuid4().hex,
        kind="checked_in_refused_ticket",
        ticket_id=kiosk.door.tickets["Alan Turing"].id.hex,
        device_id=kiosk.controller.gate.device_id.hex,
        detail="canceled",
        detected_at=wire.time_to_wire(AT_NINE),
    )
    kiosk.door.replica.apply_page(page(conflicts=[conflict]))
    kiosk.controller.on_synced()
    assert kiosk.window.scan.conflicts_button.text() == "Conflicts (1)"
    qtbot.mouseClick(kiosk.window.scan.conflicts_button, Qt.MouseButton.LeftButton)
    assert kiosk.window.stack.currentWidget() is kiosk.window.conflicts
    assert (
        kiosk.window.conflicts.items.item(0)
        .text()
        .startswith("Alan Turing: Admitted offline, but the server refuses this ticket")
    )
    qtbot.mouseClick(kiosk.window.conflicts.handled_button, Qt.MouseButton.LeftButton)
    assert kiosk.window.conflicts.items.count() == 0
    assert kiosk.window.conflicts.empty.isVisible()


def test_a_locked_kiosk_opens_settings_only_with_the_staff_pin(qtbot: QtBot, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    kiosk.controller.set_pin("2468")
    kiosk.controller.set_locked(True)
    qtbot.mouseClick(kiosk.window.scan.settings_button, Qt.MouseButton.LeftButton)
    dialog = kiosk.window.pin_dialog
    assert dialog is not None
    for digit in "1111":
        dialog.on_key_clicked(digit)
    dialog.on_key_clicked("OK")
    assert kiosk.window.stack.currentWidget() is kiosk.window.scan
    assert kiosk.window.scan.notice.text() == "Wrong PIN"

    qtbot.mouseClick(kiosk.window.scan.settings_button, Qt.MouseButton.LeftButton)
    dialog = kiosk.window.pin_dialog
    assert dialog is not None
    for digit in "2468":
        dialog.on_key_clicked(digit)
    dialog.on_key_clicked("OK")
    assert kiosk.window.stack.currentWidget() is kiosk.window.settings


def test_the_pin_is_stored_hashed_and_a_locked_kiosk_does_not_close(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    kiosk.controller.set_pin("2468")
    kiosk.controller.set_locked(True)
    stored = kiosk.controller.data_dir.load_settings().pin_hash
    assert stored is not None
    assert "2468" not in stored
    assert check_pin("2468", stored)
    assert not check_pin("2469", stored)
    assert not kiosk.window.close()
    assert kiosk.window.isVisible()


def test_settings_choices_persist_for_the_next_start(qtbot: QtBot, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    kiosk.window.on_settings_clicked()
    kiosk.window.settings.camera_source.setText("file:/tmp/door.mp4?loop")
    kiosk.window.settings.decoder.setCurrentText("pyzbar")
    qtbot.mouseClick(kiosk.window.settings.apply_camera, Qt.MouseButton.LeftButton)
    kiosk.window.settings.work_offline.setChecked(True)
    saved = kiosk.controller.data_dir.load_settings()
    assert (saved.camera_source, saved.decoder, saved.work_offline) == ("file:/tmp/door.mp4?loop", "pyzbar", True)
    credentials_file = kiosk.controller.data_dir.root / "device.json"
    assert credentials_file.stat().st_mode & 0o777 == 0o600
