"""A kiosk window on the door's replica: paired, serving Jazz Night at the main door, offline unless a test
connects it. Time stands still at 21:00 unless a test moves it; keys come 0.3 s apart (a person) unless a test
makes them come faster (a scanner)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.camera.worker import CameraScanner
from kiosk.config import Credentials, DataDir, KioskSettings
from kiosk.controller import Controller, ServerConnection
from kiosk.sound import SilentPlayer
from kiosk.sync.runner import ClockOffsetHolder
from kiosk.ui.window import MainWindow
from shared.qrtoken import SigningKey
from tests.kiosk.door import DEVICE_ID, DOORS_OPEN, Door
from tests.support.clock import ManualClock

AT_NINE = DOORS_OPEN + timedelta(hours=2)


class KeyClock:
    """Monotonic seconds that advance ``step`` per reading: how fast keys seem to arrive."""

    def __init__(self, step: float = 0.3) -> None:
        self.step = step
        self.now = 100.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@dataclass
class Kiosk:
    window: MainWindow
    controller: Controller
    sound: SilentPlayer
    clock: ManualClock
    keys: KeyClock
    door: Door

    @property
    def overlay_text(self) -> str:
        o = self.window.overlay
        return "\n".join((o.headline.text(), o.details.text(), o.notes.text()))


def paired_data_dir(path: Path, door: Door, **settings: object) -> DataDir:
    data_dir = DataDir(path)
    data_dir.save_credentials(
        Credentials(
            server_url="http://127.0.0.1:9",
            device_id=DEVICE_ID,
            device_token="usherdev_test",
            signing_key=SigningKey.generate(),
            device_name="Door 1",
        )
    )
    data_dir.save_settings(KioskSettings(occurrence_ids=[str(door.jazz)], gate="Main door", **settings))  # type: ignore[arg-type]
    return data_dir


@pytest.fixture
def make_kiosk(qtbot: QtBot, tmp_path: Path, door: Door) -> Iterator[Callable[..., Kiosk]]:
    made: list[Kiosk] = []

    def make(
        *,
        make_scanner: Callable[[KioskSettings], CameraScanner | None] | None = None,
        connect: Callable[[Credentials, ClockOffsetHolder], ServerConnection] | None = None,
        clock: ManualClock | None = None,
        **settings: object,
    ) -> Kiosk:
        data_dir = paired_data_dir(tmp_path, door, **settings)
        clock, keys, sound = clock or ManualClock(AT_NINE), KeyClock(), SilentPlayer()
        controller = Controller(
            data_dir, clock=clock, sound=sound, make_scanner=make_scanner, monotonic=keys, connect=connect
        )
        window = MainWindow(controller)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        controller.start()
        kiosk = Kiosk(window, controller, sound, clock, keys, door)
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.window.force_close()
