"""The sync engine: rounds of ``SyncRunner`` on their own thread, on a timer, with backoff, and the state to show.

``SyncEngine`` lives on the UI thread and owns a ``QThread`` running a ``SyncWorker``. The worker does all network and
database work of the sync there; the UI thread only receives ``status_changed`` (a ``SyncStatus`` value),
``progress`` (changes downloaded so far, and what remains when known), ``synced`` (the replica changed) and
``wiped`` (the server revoked the device; the replica is already erased).

When rounds run: at start; ``interval`` seconds after a successful round; soon after a scan was queued offline
(``sync_soon``); at once on ``sync_now``; after a failure, after an exponential backoff with jitter. The engine is
"online" after a round succeeded and "offline" from the first failure, until one succeeds again. "Work offline"
(a staff switch) stops all network traffic and makes every check-in decide locally; its uploads wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot

from kiosk.store.replica import Replica
from kiosk.sync.backoff import Backoff
from kiosk.sync.runner import INITIAL_SYNC_DONE, SyncRunner, last_sync_at
from kiosk.sync.transport import DeviceRevoked, TransportError
from shared.clock import Clock

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 15.0  # seconds between rounds while online
SOON = 0.5  # seconds: upload a fresh offline scan quickly once the network is back


@dataclass(frozen=True)
class SyncStatus:
    online: bool = False
    working_offline: bool = False
    offline_since: datetime | None = None
    pending: int = 0
    last_success: datetime | None = None
    syncing: bool = False
    initial_sync_done: bool = False
    error: str | None = None


class SyncWorker(QObject):
    status_changed = Signal(object)
    progress = Signal(int, int)  # changes so far, remaining (-1: unknown)
    synced = Signal()
    wiped = Signal()
    stopped = Signal()

    def __init__(
        self,
        replica: Replica,
        make_runner: Callable[[Callable[[int, int | None], None]], SyncRunner],
        *,
        clock: Clock,
        backoff: Backoff,
        interval: float,
    ) -> None:
        super().__init__()
        self._replica = replica
        self._runner = make_runner(self._on_progress)
        self._clock = clock
        self._backoff = backoff
        self._interval = interval
        self._timer: QTimer | None = None
        self._running = False
        self._in_backoff = False
        self._status = SyncStatus(
            last_success=last_sync_at(replica),
            initial_sync_done=replica.get_meta(INITIAL_SYNC_DONE) == "1",
            pending=replica.pending_count(),
            offline_since=clock.now(),
        )

    @property
    def status(self) -> SyncStatus:
        return self._status

    def _publish(self, **changes: object) -> None:
        self._status = replace(self._status, **changes)  # type: ignore[arg-type]
        self.status_changed.emit(self._status)

    def _on_progress(self, done: int, remaining: int | None) -> None:
        self.progress.emit(done, -1 if remaining is None else remaining)

    @Slot()
    def start(self) -> None:
        self._running = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._round)
        self._publish()
        self._schedule(0)

    @Slot()
    def stop(self) -> None:
        self._running = False
        if self._timer is not None:
            self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None and self.thread() is not app.thread():
            self.moveToThread(app.thread())
        self.stopped.emit()

    @Slot()
    def sync_now(self) -> None:
        self._backoff.reset()
        self._in_backoff = False
        self._schedule(0)

    @Slot()
    def sync_soon(self) -> None:
        self._publish(pending=self._replica.pending_count())
        if not self._in_backoff and self._timer is not None and self._timer.remainingTime() > SOON * 1000:
            self._schedule(SOON)

    @Slot(bool)
    def set_work_offline(self, offline: bool) -> None:
        now = self._clock.now()
        self._publish(
            working_offline=offline,
            online=False if offline else self._status.online,
            offline_since=(self._status.offline_since or now) if offline else self._status.offline_since,
        )
        if not offline:
            self.sync_now()

    @Slot(str)
    def report_unreachable(self, message: str) -> None:
        """The check-in path could not reach the server: count as offline until a round succeeds."""
        if self._status.online:
            self._publish(online=False, offline_since=self._clock.now(), error=message)
            self._schedule(self._backoff.next_delay())
            self._in_backoff = True

    def _schedule(self, seconds: float) -> None:
        if self._running and self._timer is not None:
            self._timer.start(max(0, round(seconds * 1000)))

    @Slot()
    def _round(self) -> None:
        if not self._running:
            return
        if self._status.working_offline:
            self._publish(pending=self._replica.pending_count())
            self._schedule(self._interval)
            return
        self._publish(syncing=True)
        try:
            result = self._runner.run_once()
        except DeviceRevoked:
            self._publish(syncing=False, online=False, pending=0, error="This device was revoked")
            self._running = False
            self.wiped.emit()
            return
        except TransportError as exc:
            delay = self._backoff.next_delay()
            self._in_backoff = True
            was_online = self._status.online
            offline_since = self._clock.now() if was_online or self._status.offline_since is None else None
            self._publish(
                syncing=False,
                online=False,
                offline_since=offline_since or self._status.offline_since,
                pending=self._replica.pending_count(),
                error=str(exc) or type(exc).__name__,
            )
            logger.info("sync failed (%s); next try in %.1f s", exc, delay)
            self._schedule(delay)
            return
        except Exception as exc:  # a bug; keep the kiosk scanning offline and try again later
            logger.exception("sync round failed unexpectedly")
            self._publish(syncing=False, online=False, error=f"sync error: {exc}")
            self._schedule(self._backoff.next_delay())
            return
        self._backoff.reset()
        self._in_backoff = False
        self._publish(
            syncing=False,
            online=True,
            offline_since=None,
            error=None,
            pending=self._replica.pending_count(),
            last_success=last_sync_at(self._replica),
            initial_sync_done=True,
        )
        if result.changes or result.uploaded:
            self.synced.emit()
        self._schedule(SOON if self._status.pending else self._interval)


class SyncEngine(QObject):
    """The UI thread's handle on the sync worker and its thread. ``use_server()`` is safe from any thread."""

    status_changed = Signal(object)
    progress = Signal(int, int)
    synced = Signal()
    wiped = Signal()
    _start_requested = Signal()
    _stop_requested = Signal()
    _sync_now_requested = Signal()
    _sync_soon_requested = Signal()
    _offline_requested = Signal(bool)
    _unreachable_reported = Signal(str)

    def __init__(
        self,
        replica: Replica,
        make_runner: Callable[[Callable[[int, int | None], None]], SyncRunner],
        *,
        clock: Clock,
        backoff: Backoff | None = None,
        interval: float = DEFAULT_INTERVAL,
        work_offline: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._worker = SyncWorker(replica, make_runner, clock=clock, backoff=backoff or Backoff(), interval=interval)
        self._status = replace(self._worker.status, working_offline=work_offline)
        self._lock = threading.Lock()
        self._thread: QThread | None = None
        self._initially_offline = work_offline
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._worker.status_changed.connect(self.on_worker_status_changed)
        self._worker.progress.connect(self.progress)
        self._worker.synced.connect(self.synced)
        self._worker.wiped.connect(self.wiped)
        self._start_requested.connect(self._worker.start)
        self._stop_requested.connect(self._worker.stop)
        self._sync_now_requested.connect(self._worker.sync_now)
        self._sync_soon_requested.connect(self._worker.sync_soon)
        self._offline_requested.connect(self._worker.set_work_offline)
        self._unreachable_reported.connect(self._worker.report_unreachable)

    @property
    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def use_server(self) -> bool:
        status = self.status
        return status.online and not status.working_offline

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the sync engine was already started")
        thread = QThread()
        thread.setObjectName("usher-sync")
        self._worker.moveToThread(thread)
        self._worker.stopped.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread = thread
        thread.start()
        if self._initially_offline:
            self._offline_requested.emit(True)
        self._start_requested.emit()

    def stop(self, *, timeout_ms: int = 10_000) -> bool:
        """Ask the worker to stop after the round in hand and wait for its thread to end."""
        if self._thread is None:
            return True
        self._stop_requested.emit()
        finished = self._thread.wait(timeout_ms)
        self._thread = None
        return finished

    def sync_now(self) -> None:
        self._sync_now_requested.emit()

    def sync_soon(self) -> None:
        self._sync_soon_requested.emit()

    def set_work_offline(self, offline: bool) -> None:
        with self._lock:
            self._status = replace(self._status, working_offline=offline)
        self._offline_requested.emit(offline)

    def report_unreachable(self, message: str) -> None:
        """Safe from any thread (the check-in worker calls it)."""
        with self._lock:
            self._status = replace(self._status, online=False)
        self._unreachable_reported.emit(message)

    @Slot(object)
    def on_worker_status_changed(self, status: SyncStatus) -> None:
        with self._lock:
            self._status = status
        self.status_changed.emit(status)
