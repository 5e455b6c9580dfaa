"""Where frames come from: a camera, a video file or a folder of images, all behind one small protocol.

``read()`` returns the next BGR frame, or None when a finite source (file, folder) has ended. A source that fails
(camera missing or unplugged, file unreadable) raises ``SourceError``; the scan worker reports it and stops.

Sources open lazily, on the first ``read()``, so that building one on the UI thread costs nothing and the slow part
(a camera can take a second to open) happens on the worker thread that reads from it.

``open_source(spec)`` builds one from the kiosk's settings string:

=================================  ===========================================================================
``camera:0``                       camera 0 at its default resolution (a bare ``0`` works too)
``camera:1@1280x720``              camera 1, asking for 1280x720
``file:/path/door.mp4``            a video file, paced at its own frame rate, played once
``file:/path/door.mp4?loop``       ... played in a loop; ``?fps=10`` paces it at 10 frames per second instead
``folder:/path/frames``            the images in a folder (sorted by name), at 5 per second, once
``folder:/path/frames?fps=2&loop`` ... at 2 per second, in a loop
=================================  ===========================================================================
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

Frame = NDArray[np.uint8]
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
DEFAULT_FOLDER_FPS = 5.0


class SourceError(Exception):
    """The source cannot deliver frames (not there, unplugged, unreadable). The message is for the operator."""


class FrameSource(Protocol):
    @property
    def description(self) -> str: ...

    def read(self) -> Frame | None:
        """The next BGR frame; None when the source has ended. Raises ``SourceError`` when it fails."""
        ...

    def close(self) -> None:
        """Release the device or file. Safe to call more than once, and before the first ``read``."""
        ...


class _Pacer:
    """Sleeps so that successive frames are ``1 / fps`` apart, like a camera's."""

    def __init__(self, fps: float | None, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._interval = 1.0 / fps if fps else 0.0
        self._clock = clock
        self._sleep = sleep
        self._due: float | None = None

    def wait(self) -> None:
        if not self._interval:
            return
        now = self._clock()
        if self._due is None or now - self._due > self._interval:  # first frame, or we fell behind: no catching up
            self._due = now
        elif self._due > now:
            self._sleep(self._due - now)
        self._due += self._interval


class CameraSource:
    """A camera through OpenCV's ``VideoCapture``, asking for ``width`` x ``height`` when given."""

    # consecutive failed grabs before the camera counts as gone; a webcam drops a frame now and then
    MAX_FAILED_READS = 10

    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None) -> None:
        self.index = index
        self.width = width
        self.height = height
        self._capture: cv2.VideoCapture | None = None
        self._failed_reads = 0

    @property
    def description(self) -> str:
        size = f" at {self.width}x{self.height}" if self.width and self.height else ""
        return f"camera {self.index}{size}"

    def read(self) -> Frame | None:
        capture = self._open()
        while True:
            ok, frame = capture.read()
            if ok and frame is not None:
                self._failed_reads = 0
                return np.asarray(frame, dtype=np.uint8)
            self._failed_reads += 1
            if self._failed_reads >= self.MAX_FAILED_READS:
                raise SourceError(f"{self.description} stopped sending pictures (unplugged?)")

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def _open(self) -> cv2.VideoCapture:
        if self._capture is not None:
            return self._capture
        capture = cv2.VideoCapture(self.index)
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"{self.description} could not be opened (not connected, or in use by another program)")
        if self.width and self.height:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # decode the newest picture, not one from a second ago
        self._capture = capture
        return capture


class VideoFileSource:
    """A video file as a camera. ``fps``: None reads as fast as asked, ``"native"`` paces at the file's own rate."""

    def __init__(
        self,
        path: Path | str,
        *,
        loop: bool = False,
        fps: float | str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = Path(path)
        self.loop = loop
        self.fps = fps
        self._clock = clock
        self._sleep = sleep
        self._capture: cv2.VideoCapture | None = None
        self._pacer: _Pacer | None = None
        self._frames_read = 0

    @property
    def description(self) -> str:
        return f"video {self.path}"

    def read(self) -> Frame | None:
        capture = self._open()
        ok, frame = capture.read()
        if not ok and self.loop and self._frames_read:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = capture.read()
        if not ok or frame is None:
            return None
        self._frames_read += 1
        if self._pacer is not None:
            self._pacer.wait()
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def _open(self) -> cv2.VideoCapture:
        if self._capture is not None:
            return self._capture
        if not self.path.is_file():
            raise SourceError(f"{self.description} does not exist")
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"{self.description} cannot be read (not a video OpenCV understands)")
        fps = self.fps
        if fps == "native":
            fps = float(capture.get(cv2.CAP_PROP_FPS)) or 30.0
        if isinstance(fps, str):
            raise ValueError(f"fps must be a number, None or 'native', not {fps!r}")
        self._pacer = _Pacer(fps, self._clock, self._sleep) if fps else None
        self._capture = capture
        return capture


class ImageFolderSource:
    """The images in a folder, sorted by file name, one per ``read()``. ``fps`` paces them; None does not."""

    def __init__(
        self,
        path: Path | str,
        *,
        loop: bool = False,
        fps: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = Path(path)
        self.loop = loop
        self._pacer = _Pacer(fps, clock, sleep)
        self._files: list[Path] | None = None
        self._next = 0

    @property
    def description(self) -> str:
        return f"image folder {self.path}"

    def read(self) -> Frame | None:
        files = self._list()
        if self._next >= len(files):
            if not self.loop:
                return None
            self._next = 0
        file = files[self._next]
        self._next += 1
        frame = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if frame is None:
            raise SourceError(f"{file} is not an image OpenCV can read")
        self._pacer.wait()
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        self._files = None  # nothing held open; a later read() starts over

    def _list(self) -> list[Path]:
        if self._files is None:
            if not self.path.is_dir():
                raise SourceError(f"{self.description} does not exist")
            self._files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            self._next = 0
            if not self._files:
                raise SourceError(f"{self.description} has no images in it")
        return self._files


def open_source(spec: str) -> FrameSource:
    """A frame source from a settings string (see the module docstring). Raises ValueError for a malformed one.

    Nothing is opened yet; that happens on the first ``read()``.
    """
    kind, _, rest = spec.strip().partition(":")
    if not rest and kind.isdigit():
        return CameraSource(int(kind))
    location, options = _split_options(rest)
    match kind.lower():
        case "camera":
            if options:
                raise ValueError(f"camera sources take no options: {spec!r}")
            return _camera_source(location, spec)
        case "file":
            fps: float | str = float(options.pop("fps")) if "fps" in options else "native"
            source: FrameSource = VideoFileSource(location, loop=options.pop("loop", None) is not None, fps=fps)
        case "folder":
            folder_fps = float(options.pop("fps")) if "fps" in options else DEFAULT_FOLDER_FPS
            source = ImageFolderSource(location, loop=options.pop("loop", None) is not None, fps=folder_fps)
        case _:
            raise ValueError(f"unknown frame source {spec!r}; use camera:N[@WxH], file:PATH or folder:PATH")
    if options:
        raise ValueError(f"unknown option(s) {', '.join(sorted(options))} in {spec!r}")
    if not location:
        raise ValueError(f"no path in {spec!r}")
    return source


def _split_options(rest: str) -> tuple[str, dict[str, str]]:
    """``"/a/b.mp4?loop&fps=10"`` -> ``("/a/b.mp4", {"loop": "", "fps": "10"})``."""
    location, _, query = rest.partition("?")
    options: dict[str, str] = {}
    for item in filter(None, query.split("&")):
        key, _, value = item.partition("=")
        options[key.strip().lower()] = value.strip()
    return location, options


def _camera_source(location: str, spec: str) -> CameraSource:
    index, _, size = location.partition("@")
    try:
        if not size:
            return CameraSource(int(index))
        width, _, height = size.lower().partition("x")
        return CameraSource(int(index), int(width), int(height))
    except ValueError:
        raise ValueError(f"malformed camera source {spec!r}; expected camera:N or camera:N@WIDTHxHEIGHT") from None
