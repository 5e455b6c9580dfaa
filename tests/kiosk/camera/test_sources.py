from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.camera.sources import (
    CameraSource,
    FrameSource,
    ImageFolderSource,
    SourceError,
    VideoFileSource,
    open_source,
)
from kiosk.camera.synthetic import Image, blank_frame, write_video


def read_all(source: FrameSource, limit: int = 1000) -> list[Image]:
    frames = []
    while len(frames) < limit and (frame := source.read()) is not None:
        frames.append(frame)
    source.close()
    return frames


def marked(value: int) -> Image:
    """A small frame whose mean brightness says which one it is, surviving lossy compression."""
    return np.full((120, 160, 3), value, dtype=np.uint8)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.mark.parametrize("suffix", [".avi", ".mp4"])
def test_video_file_source_reads_every_frame_of_a_written_video_then_ends(tmp_path: Path, suffix: str) -> None:
    path = write_video(tmp_path / f"door{suffix}", [marked(v) for v in (30, 120, 220)])
    frames = read_all(VideoFileSource(path))
    assert [round(float(f.mean()), -1) for f in frames] == [30, 120, 220]
    assert frames[0].shape == (120, 160, 3)


def test_video_file_source_loops_when_asked(tmp_path: Path) -> None:
    path = write_video(tmp_path / "door.avi", [marked(v) for v in (30, 220)])
    frames = read_all(VideoFileSource(path, loop=True), limit=5)
    assert [round(float(f.mean()), -1) for f in frames] == [30, 220, 30, 220, 30]


def test_video_file_source_paced_at_its_native_rate_sleeps_between_frames(tmp_path: Path) -> None:
    path = write_video(tmp_path / "door.avi", [marked(100)] * 4, fps=20.0)
    fake = FakeTime()
    read_all(VideoFileSource(path, fps="native", clock=fake.clock, sleep=fake.sleep))
    assert fake.slept == [0.05, 0.05, 0.05]


def test_a_missing_video_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"video .*nothing\.mp4 does not exist"):
        VideoFileSource(tmp_path / "nothing.mp4").read()


def test_a_file_that_is_not_a_video_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")
    with pytest.raises(SourceError, match="cannot be read"):
        VideoFileSource(path).read()


def test_image_folder_source_reads_images_in_name_order_and_skips_other_files(tmp_path: Path) -> None:
    for name, value in (("b.png", 120), ("a.png", 30), ("c.jpg", 220)):
        cv2.imwrite(str(tmp_path / name), marked(value))
    (tmp_path / "readme.txt").write_text("not an image")
    frames = read_all(ImageFolderSource(tmp_path))
    assert [round(float(f.mean()), -1) for f in frames] == [30, 120, 220]


def test_image_folder_source_loops_and_paces_when_asked(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), blank_frame())
    fake = FakeTime()
    source = ImageFolderSource(tmp_path, loop=True, fps=4.0, clock=fake.clock, sleep=fake.sleep)
    assert len(read_all(source, limit=3)) == 3
    assert fake.slept == [0.25, 0.25]


def test_an_empty_or_missing_folder_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="has no images"):
        ImageFolderSource(tmp_path).read()
    with pytest.raises(SourceError, match="does not exist"):
        ImageFolderSource(tmp_path / "missing").read()


def test_an_unreadable_image_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG but not really")
    with pytest.raises(SourceError, match=r"broken\.png is not an image"):
        ImageFolderSource(tmp_path).read()


def test_a_camera_that_is_not_there_is_a_source_error() -> None:
    source = CameraSource(97)
    with pytest.raises(SourceError, match="camera 97 could not be opened"):
        source.read()
    source.close()


def test_sources_open_nothing_until_the_first_read(tmp_path: Path) -> None:
    for source in (CameraSource(97), VideoFileSource(tmp_path / "x.mp4"), ImageFolderSource(tmp_path / "x")):
        source.close()  # nothing to close, and no error either


@pytest.mark.parametrize(
    ("spec", "kind", "attributes"),
    [
        ("camera:0", CameraSource, {"index": 0, "width": None, "height": None}),
        ("0", CameraSource, {"index": 0}),
        ("camera:2@1280x720", CameraSource, {"index": 2, "width": 1280, "height": 720}),
        ("file:/videos/door.mp4", VideoFileSource, {"path": Path("/videos/door.mp4"), "loop": False}),
        ("file:/videos/door.mp4?loop&fps=10", VideoFileSource, {"loop": True, "fps": 10.0}),
        ("folder:/frames", ImageFolderSource, {"path": Path("/frames"), "loop": False}),
        ("folder:/frames?fps=2&loop", ImageFolderSource, {"loop": True}),
    ],
)
def test_settings_strings_name_sources(spec: str, kind: type, attributes: dict[str, object]) -> None:
    source = open_source(spec)
    assert isinstance(source, kind)
    for name, value in attributes.items():
        assert getattr(source, name) == value


def test_a_file_source_from_settings_plays_at_the_files_own_rate() -> None:
    source = open_source("file:/videos/door.mp4")
    assert isinstance(source, VideoFileSource)
    assert source.fps == "native"


@pytest.mark.parametrize(
    "spec", ["camera:x", "camera:0@1280", "camera:0?loop", "webcam:0", "file:", "file:/a.mp4?speed=2", "folder:?loop"]
)
def test_malformed_settings_strings_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the messages differ; that it is refused is the point
        open_source(spec)
