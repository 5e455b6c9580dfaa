"""The scanning loop on its own thread: frames in, ``code_scanned`` out, a preview on the side.

Two objects:

- ``ScanWorker`` is the loop. It lives on a worker ``QThread``; a zero-interval ``QTimer`` there reads one frame,
  decodes it, de-duplicates what it read and emits, then returns to the thread's event loop, so that a queued
  ``stop`` gets in between two frames. Source, decoder, clock and de-duplicator are injected.
- ``CameraScanner`` is what the UI holds. It lives on the UI thread, owns the ``QThread`` and the worker, and re-emits
  the worker's signals there. ``start()`` returns at once; ``stop()`` asks the worker to stop between frames and
  (by default) waits for the thread to end.

Signals, the same names on both:

- ``frame_ready(QImage)``: a downscaled preview, about ``preview_fps`` per second at most;
- ``code_scanned(str)``: a payload that just came into view (see ``dedupe``);
- ``error(str)``: the source failed, with a message for the operator; always followed by ``stopped``;
- ``stopped()``: the loop ended (stop asked for, source ended or failed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from kiosk.camera.decoders import Decoder
from kiosk.camera.dedupe import InViewDeduplicator
from kiosk.camera.sources import Frame, FrameSource, SourceError

logger = logging.getLogger(__name__)

DEFAULT_PREVIEW_WIDTH = 640
DEFAULT_PREVIEW_FPS = 15.0


def preview_image(frame: Frame, width: int = DEFAULT_PREVIEW_WIDTH) -> QImage:
    """A QImage of ``frame`` at most ``width`` pixels wide, owning its pixels (safe to send to another thread)."""
    if frame.shape[1] > width:
        height = max(round(frame.shape[0] * width / frame.shape[1]), 1)
        frame = np.asarray(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    frame = np.ascontiguousarray(frame)
    height, width = frame.shape[:2]
    image_format = QImage.Format.Format_Grayscale8 if frame.ndim == 2 else QImage.Format.Format_BGR888
    return QImage(frame.data, width, height, frame.strides[0], image_format).copy()


class ScanWorker(QObject):
    """Reads, decodes and de-duplicates frames on the thread it lives on.

    ``clock`` (monotonic seconds) is called once per frame; that time drives both the de-duplication and the preview
    throttle, so a test can run a video at full speed with a clock that advances one frame interval per call.
    """

    frame_ready = Signal(QImage)
    code_scanned = Signal(str)
    error = Signal(str)
    stopped = Signal()

    def __init__(
        self,
        source: FrameSource,
        decoder: Decoder,
        *,
        clock: Callable[[], float] = time.monotonic,
        deduplicator: InViewDeduplicator | None = None,
        preview_width: int = DEFAULT_PREVIEW_WIDTH,
        preview_fps: float = DEFAULT_PREVIEW_FPS,
    ) -> None:
        super().__init__()
        self._source = source
        self._decoder = decoder
        self._clock = clock
        self._dedupe = deduplicator if deduplicator is not None else InViewDeduplicator()
        self._preview_width = preview_width
        # 10% slack: frames arrive with jitter, and a preview every 2nd frame should not become every 3rd
        self._preview_interval = 0.9 / preview_fps if preview_fps > 0 else float("inf")
        self._last_preview: float | None = None
        self._timer: QTimer | None = None
        self._running = False
        self._decoder_failed = False

    @Slot()
    def start(self) -> None:
        """Begin the loop on the calling (worker) thread."""
        if self._running:
            return
        self._running = True
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)
        self._timer.start()

    @Slot()
    def stop(self) -> None:
        """End the loop and release the source; emits ``stopped`` once. Call it on the worker's thread."""
        if not self._running:
            return
        self._running = False
        if self._timer is not None:
            self._timer.stop()
        try:
            self._source.close()
        except Exception:  # closing must not keep the loop from reporting that it stopped
            logger.exception("closing %s failed", self._source.description)
        # Hand this object (and its stopped timer) back to the application's thread, so that it is destroyed on
        # the thread it belongs to, after the worker thread has ended. Only the owning thread may push an object.
        app = QCoreApplication.instance()
        if app is not None and self.thread() is not app.thread():
            self.moveToThread(app.thread())
        self.stopped.emit()

    @Slot()
    def _step(self) -> None:
        if not self._running:
            return
        try:
            frame = self._source.read()
        except SourceError as exc:
            self.error.emit(str(exc))
            self.stop()
            return
        except Exception as exc:  # a bug, not the camera's fault; still, stop cleanly and tell the operator
            logger.exception("reading from %s failed", self._source.description)
            self.error.emit(f"{self._source.description} failed unexpectedly: {exc}")
            self.stop()
            return
        if frame is None:
            self.stop()
            return
        now = self._clock()
        for payload in self._dedupe.observe(self._decode(frame), now):
            self.code_scanned.emit(payload)
        if self._last_preview is None or now - self._last_preview >= self._preview_interval:
            self._last_preview = now
            self.frame_ready.emit(preview_image(frame, self._preview_width))

    def _decode(self, frame: Frame) -> list[str]:
        try:
            return self._decoder.decode(frame)
        except Exception:  # one odd frame must not end scanning at the door; log the first such failure
            if not self._decoder_failed:
                logger.exception("decoder %s failed on a frame", self._decoder.name)
                self._decoder_failed = True
            return []


class CameraScanner(QObject):
    """Runs a ``ScanWorker`` on its own ``QThread``; create and use it on the UI thread.

    The application must ``stop()`` it before it is destroyed (e.g. when the main window closes): Qt aborts the
    process if a running ``QThread`` is destroyed.
    """

    frame_ready = Signal(QImage)
    code_scanned = Signal(str)
    error = Signal(str)
    stopped = Signal()
    _stop_requested = Signal()

    def __init__(
        self,
        source: FrameSource,
        decoder: Decoder,
        *,
        clock: Callable[[], float] = time.monotonic,
        deduplicator: InViewDeduplicator | None = None,
        preview_width: int = DEFAULT_PREVIEW_WIDTH,
        preview_fps: float = DEFAULT_PREVIEW_FPS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._worker = ScanWorker(
            source,
            decoder,
            clock=clock,
            deduplicator=deduplicator,
            preview_width=preview_width,
            preview_fps=preview_fps,
        )
        self._thread: QThread | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._worker.frame_ready.connect(self.frame_ready)
        self._worker.code_scanned.connect(self.code_scanned)
        self._worker.error.connect(self.error)
        self._stop_requested.connect(self._worker.stop)

    def start(self) -> None:
        """Start scanning on a new thread; returns at once. A scanner runs once: build a new one to scan again."""
        if self._thread is not None:
            raise RuntimeError("this scanner was already started")
        thread = QThread()
        thread.setObjectName("usher-camera")
        self._worker.moveToThread(thread)
        thread.started.connect(self._worker.start)
        # Direct: quit() is thread-safe, and a UI thread blocked in stop(wait=True) could not run a queued call.
        self._worker.stopped.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self.on_thread_finished)
        self._thread = thread
        thread.start()

    def stop(self, *, wait: bool = True, timeout_ms: int = 5000) -> bool:
        """Ask the worker to stop after the frame in hand; with ``wait``, block until the thread has ended.

        Returns whether the thread has ended (always True when it never started).
        """
        if self._thread is None:
            return True
        self._stop_requested.emit()
        if not wait:
            return self._thread.isFinished()
        return self._thread.wait(timeout_ms)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    @Slot()
    def on_thread_finished(self) -> None:
        self.stopped.emit()
