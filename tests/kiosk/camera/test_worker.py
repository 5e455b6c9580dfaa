from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import pytest
from PySide6.QtCore import QCoreApplication, QThread
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from kiosk.camera.decoders import Frame, ZxingDecoder, make_decoder
from kiosk.camera.dedupe import InViewDeduplicator
from kiosk.camera.sources import CameraSource, FrameSource, ImageFolderSource, VideoFileSource
from kiosk.camera.synthetic import Image, blank_frame, ticket_frame, write_video
from kiosk.camera.worker import CameraScanner
from tests.kiosk.camera.conftest import TOKEN_A, TOKEN_B

FPS = 30.0


class FrameClock:
    """Advances one frame interval per call: the worker reads the clock once per frame."""

    def __init__(self) -> None:
        self.frames = 0

    def __call__(self) -> float:
        self.frames += 1
        return self.frames / FPS


class Recorder:
    """Everything a scanner emitted, in order."""

    def __init__(self, scanner: CameraScanner) -> None:
        self.scanned: list[str] = []
        self.errors: list[str] = []
        self.previews: list[QImage] = []
        self.delivered_on_ui_thread: list[bool] = []
        scanner.code_scanned.connect(self.on_code_scanned)
        scanner.error.connect(self.errors.append)
        scanner.frame_ready.connect(self.previews.append)

    def on_code_scanned(self, payload: str) -> None:
        self.scanned.append(payload)
        app = QCoreApplication.instance()
        self.delivered_on_ui_thread.append(app is not None and QThread.currentThread() is app.thread())


@pytest.fixture(scope="module")
def door_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A held ticket (with two missed frames), gone, shown again, gone, then another ticket."""
    a_paper, a_phone = ticket_frame(TOKEN_A, 0), ticket_frame(TOKEN_A, 5, "phone")
    b_paper, nothing = ticket_frame(TOKEN_B, 1), blank_frame(3)
    held_a = [a_paper, a_phone] * 4 + [nothing] * 2 + [a_paper, a_phone] * 3  # a 2-frame gap, within grace
    frames = [nothing] * 3 + held_a + [nothing] * 15 + [a_phone] * 10 + [nothing] * 12 + [b_paper] * 10 + [nothing] * 3
    return write_video(tmp_path_factory.mktemp("video") / "door.avi", frames, fps=FPS)


@pytest.fixture
def make_scanner() -> Iterator[Callable[..., CameraScanner]]:
    """Builds scanners with a 0.3 s grace period and a per-frame clock; stops whatever is left at the end."""
    scanners: list[CameraScanner] = []

    def make(source: FrameSource, decoder: object = None, **options: object) -> CameraScanner:
        options.setdefault("clock", FrameClock())
        options.setdefault("deduplicator", InViewDeduplicator(grace=0.3))
        scanner = CameraScanner(source, decoder or ZxingDecoder(), **options)  # type: ignore[arg-type]
        scanners.append(scanner)
        return scanner

    yield make
    for scanner in scanners:
        assert scanner.stop(wait=True)


def test_scanner_reports_each_appearance_of_a_code_once(
    qtbot: QtBot, make_scanner: Callable[..., CameraScanner], door_video: Path
) -> None:
    scanner = make_scanner(VideoFileSource(door_video))
    seen = Recorder(scanner)
    with qtbot.waitSignal(scanner.stopped, timeout=20_000):
        scanner.start()
    assert seen.scanned == [TOKEN_A, TOKEN_A, TOKEN_B]
    assert seen.delivered_on_ui_thread == [True, True, True]
    assert seen.errors == []
    assert not scanner.is_running()


def test_scanner_sends_small_throttled_previews(
    qtbot: QtBot, make_scanner: Callable[..., CameraScanner], door_video: Path
) -> None:
    scanner = make_scanner(VideoFileSource(door_video), preview_width=320, preview_fps=10.0)
    seen = Recorder(scanner)
    with qtbot.waitSignal(scanner.stopped, timeout=20_000):
        scanner.start()
    frames_in_video = int(cv2.VideoCapture(str(door_video)).get(cv2.CAP_PROP_FRAME_COUNT))
    # one preview per 3 frames at 10 previews/s of a 30 frames/s video
    assert len(seen.previews) == pytest.approx(frames_in_video / 3, abs=1)
    assert {(image.width(), image.height()) for image in seen.previews} == {(320, 180)}
    assert not seen.previews[0].isNull()


def test_scanner_reads_an_image_folder(
    qtbot: QtBot, make_scanner: Callable[..., CameraScanner], tmp_path: Path
) -> None:
    for name, image in (
        ("01.png", ticket_frame(TOKEN_A, 2)),
        ("02.png", ticket_frame(TOKEN_A, 3)),
        ("03.png", blank_frame(4)),
        ("04.jpg", ticket_frame(TOKEN_B, 4, "phone_dark")),
    ):
        cv2.imwrite(str(tmp_path / name), image)
    scanner = make_scanner(ImageFolderSource(tmp_path), make_decoder())
    seen = Recorder(scanner)
    with qtbot.waitSignal(scanner.stopped, timeout=20_000):
        scanner.start()
    assert seen.scanned == [TOKEN_A, TOKEN_B]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (CameraSource(97), "camera 97 could not be opened"),
        (VideoFileSource("/nonexistent/door.mp4"), "does not exist"),
    ],
)
def test_a_failing_source_is_reported_and_the_scanner_stops(
    qtbot: QtBot, make_scanner: Callable[..., CameraScanner], source: FrameSource, message: str
) -> None:
    scanner = make_scanner(source)
    seen = Recorder(scanner)
    with qtbot.waitSignals([scanner.error, scanner.stopped], order="strict", timeout=10_000):
        scanner.start()
    assert len(seen.errors) == 1
    assert message in seen.errors[0]
    assert scanner.stop()
    assert not scanner.is_running()


def test_stopping_a_running_scanner_ends_its_thread(
    qtbot: QtBot, make_scanner: Callable[..., CameraScanner], door_video: Path
) -> None:
    scanner = make_scanner(VideoFileSource(door_video, loop=True))
    with qtbot.waitSignal(scanner.frame_ready, timeout=10_000):
        scanner.start()
    assert scanner.is_running()
    with qtbot.waitSignal(scanner.stopped, timeout=10_000):
        assert scanner.stop(wait=True)
    assert not scanner.is_running()


def test_stopping_a_scanner_that_never_started_is_harmless(make_scanner: Callable[..., CameraScanner]) -> None:
    scanner = make_scanner(CameraSource(97))
    assert scanner.stop()
    assert not scanner.is_running()


def test_a_scanner_runs_once(qtbot: QtBot, make_scanner: Callable[..., CameraScanner]) -> None:
    scanner = make_scanner(CameraSource(97))
    with qtbot.waitSignal(scanner.stopped, timeout=10_000):
        scanner.start()
    with pytest.raises(RuntimeError, match="already started"):
        scanner.start()


class FailsOnFirstFrame:
    """A real decoder that breaks on the first frame it gets, as a library bug would."""

    name = "flaky"

    def __init__(self) -> None:
        self._inner = ZxingDecoder()
        self.calls = 0

    def decode(self, frame: Frame) -> list[str]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("decoder bug")
        return self._inner.decode(frame)


def test_a_decoder_failure_on_one_frame_is_logged_and_scanning_goes_on(
    qtbot: QtBot, make_scanner: Callable[..., CameraScanner], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frames: list[Image] = [ticket_frame(TOKEN_A, 0)] * 3
    scanner = make_scanner(VideoFileSource(write_video(tmp_path / "a.avi", frames)), FailsOnFirstFrame())
    seen = Recorder(scanner)
    with caplog.at_level(logging.ERROR), qtbot.waitSignal(scanner.stopped, timeout=10_000):
        scanner.start()
    assert seen.scanned == [TOKEN_A]
    assert "decoder flaky failed on a frame" in caplog.text
