"""The kiosk's behaviour, between the thin widgets of ``kiosk.ui`` and the store, sync and camera below.

Widgets call the controller's methods and render its signals; they decide nothing themselves. The controller
lives on the UI thread and keeps the slow work off it:

- the decision for each scan runs on the "usher-check" thread (``CheckWorker``): the online redeem may take up to
  its 2-second timeout, and scans are decided one after another in the order they came;
- sync rounds run on the "usher-sync" thread (``kiosk.sync.engine``);
- the camera reads and decodes on the "usher-camera" thread (``kiosk.camera.worker``);
- pairing runs on a short-lived Python thread;
- the box office's sales, allotment calls, printing and exports run on the "usher-desk" thread
  (``kiosk.boxoffice.controller``).

What is on disk (settings, credentials, replica) is in a ``DataDir``; time comes from an injected ``Clock``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum
from typing import Protocol

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from kiosk.boxoffice.controller import BoxOffice
from kiosk.camera.worker import CameraScanner
from kiosk.checkin.model import Scan, ScanSource, Verdict
from kiosk.checkin.service import CheckInService, Redeemer
from kiosk.checkin.wording import VerdictView, describe, describe_for_guest
from kiosk.config import Credentials, DataDir, KioskSettings, check_pin, hash_pin
from kiosk.scanning.wedge import KeyboardWedgeDetector
from kiosk.sound import SoundPlayer
from kiosk.store.attendees import AttendeeState
from kiosk.store.replica import Replica
from kiosk.store.rows import AttendeeRow, Conflict, Counters, OccurrenceRow, TicketRow
from kiosk.sync.engine import SyncEngine, SyncStatus
from kiosk.sync.runner import ClockOffsetHolder, SyncRunner
from kiosk.sync.transport import SyncTransport
from shared import wire
from shared.checkin import Gate
from shared.clock import Clock
from shared.passages import Direction, Passage, can_annul
from shared.qrtoken import SigningKey

logger = logging.getLogger(__name__)


class Screen(StrEnum):
    PAIRING = "pairing"
    SETUP = "setup"  # pick occurrences and gate; shows the initial sync
    SCAN = "scan"


class ServerConnection(Protocol):
    """What a paired device talks to: the sync transport and the online redeem."""

    @property
    def transport(self) -> SyncTransport: ...

    @property
    def redeemer(self) -> Redeemer: ...

    def close(self) -> None: ...


class Pairer(Protocol):
    def __call__(self, *, server_url: str, code: str, key: SigningKey) -> Credentials:
        """Exchange a one-time pairing code for this device's credentials; raises with a message for staff."""
        ...


@dataclass(frozen=True)
class Presentation:
    """A verdict and how to show it."""

    verdict: Verdict
    view: VerdictView


class CheckWorker(QObject):
    """Decides scans on its own thread, in order."""

    decided = Signal(object)
    failed = Signal(str)

    def __init__(self, service: CheckInService) -> None:
        super().__init__()
        self._service = service

    @Slot(object, object, object)
    def check(self, scan: Scan, gate: Gate, direction: Direction) -> None:
        try:
            verdict = self._service.check(scan, gate=gate, direction=direction)
        except Exception as exc:  # a bug or a broken disk: say so at the door, keep the kiosk running
            logger.exception("deciding a scan failed")
            self.failed.emit(f"Could not decide this scan: {exc}")
            return
        self.decided.emit(verdict)


@dataclass
class _Device:
    """Everything that exists only while the kiosk is paired."""

    credentials: Credentials
    replica: Replica
    offset: ClockOffsetHolder
    service: CheckInService
    worker: CheckWorker
    thread: QThread
    connection: ServerConnection | None
    engine: SyncEngine | None
    desk: BoxOffice


class Controller(QObject):
    screen_changed = Signal(str)
    verdict_ready = Signal(object)  # Presentation
    counters_changed = Signal(object)  # Counters
    sync_status_changed = Signal(object)  # SyncStatus
    sync_progress = Signal(int, int)  # changes so far, remaining (-1: unknown)
    occurrences_changed = Signal()
    conflicts_changed = Signal(int)  # how many are open
    frame_ready = Signal(QImage)
    camera_error = Signal(str)
    notice = Signal(str)  # a short message for staff ("Undone: ...", "Nothing to undo")
    pairing_failed = Signal(str)
    locked_changed = Signal(bool)
    self_check_in_changed = Signal(bool)
    _check_requested = Signal(object, object, object)
    _paired = Signal(object)
    _pairing_error = Signal(str)

    def __init__(
        self,
        data_dir: DataDir,
        *,
        clock: Clock,
        sound: SoundPlayer,
        connect: Callable[[Credentials, ClockOffsetHolder], ServerConnection] | None = None,
        pair: Pairer | None = None,
        make_scanner: Callable[[KioskSettings], CameraScanner | None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        tz: tzinfo | None = None,
        sync_interval: float = 15.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.clock = clock
        self.tz = tz
        self._sound = sound
        self._connect = connect
        self._pair = pair
        self._make_scanner = make_scanner
        self._monotonic = monotonic
        self._sync_interval = sync_interval
        self.settings = data_dir.load_settings()
        self.wedge = KeyboardWedgeDetector()
        self.screen = Screen.PAIRING
        self.device: _Device | None = None
        self.scanner: CameraScanner | None = None
        self.last_presentation: Presentation | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._paired.connect(self.on_paired)
        self._pairing_error.connect(self.pairing_failed)

    # --- start, pairing, setup --------------------------------------------------------------------------------

    def start(self) -> None:
        credentials = self.data_dir.load_credentials()
        if credentials is None:
            self._show(Screen.PAIRING)
            return
        self._open_device(credentials)
        self._show(Screen.SCAN if self._ready_to_scan() else Screen.SETUP)

    def pair(self, server_url: str, code: str) -> None:
        """Pair in the background; ``screen_changed`` (to setup) or ``pairing_failed`` follows."""
        if self._pair is None:
            self.pairing_failed.emit("This kiosk was started without a server connection.")
            return
        pair = self._pair
        key = SigningKey.generate()

        def run() -> None:
            try:
                credentials = pair(server_url=server_url.strip(), code=code.strip(), key=key)
            except Exception as exc:  # shown to staff as it is: "wrong code", "server not reachable", ...
                self._pairing_error.emit(str(exc) or type(exc).__name__)
                return
            self._paired.emit(credentials)

        threading.Thread(target=run, name="usher-pairing", daemon=True).start()

    @Slot(object)
    def on_paired(self, credentials: Credentials) -> None:
        self.data_dir.save_credentials(credentials)
        self._open_device(credentials)
        self._show(Screen.SETUP)

    def occurrences(self) -> list[OccurrenceRow]:
        return self.device.replica.occurrences() if self.device else []

    def choose(self, occurrence_ids: list[uuid.UUID], gate: str, direction: Direction = Direction.ENTRY) -> None:
        """Serve these occurrences at this gate; then scan."""
        if not occurrence_ids:
            self.notice.emit("Choose at least one event to serve")
            return
        self.settings.occurrence_ids = [str(i) for i in occurrence_ids]
        self.settings.gate = gate.strip() or "Main door"
        self.settings.direction = direction.value
        self.data_dir.save_settings(self.settings)
        self._show(Screen.SCAN)

    def change_setup(self) -> None:
        self._show(Screen.SETUP)

    def _ready_to_scan(self) -> bool:
        return bool(self.settings.occurrence_ids)

    def _open_device(self, credentials: Credentials) -> None:
        replica = Replica.open(self.data_dir.replica_path)
        offset = ClockOffsetHolder.from_replica(replica)
        connection = self._connect(credentials, offset) if self._connect is not None else None
        engine: SyncEngine | None = None
        if connection is not None:
            transport = connection.transport

            def make_runner(on_progress: Callable[[int, int | None], None]) -> SyncRunner:
                return SyncRunner(replica, transport, clock=self.clock, offset=offset, on_progress=on_progress)

            engine = SyncEngine(
                replica,
                make_runner,
                clock=self.clock,
                interval=self._sync_interval,
                work_offline=self.settings.work_offline,
                parent=self,
            )
        service = CheckInService(
            replica,
            redeemer=connection.redeemer if connection is not None else None,
            use_server=engine.use_server if engine is not None else lambda: False,
            clock_offset=offset,
            on_unreachable=engine.report_unreachable if engine is not None else lambda _m: None,
        )
        desk = BoxOffice(
            replica,
            signing_key=credentials.signing_key,
            clock=self.clock,
            clock_offset=offset,
            online=engine.use_server if engine is not None else lambda: False,
            sync_now=engine.sync_now if engine is not None else lambda: None,
            check_in=lambda token: self.submit(token, ScanSource.DESK),
            check_pin=self.check_pin,
            desk=getattr(connection, "desk", None),
            out_dir=self.data_dir.root,
            printer=lambda: self.settings.printer,
            tz=self.tz,
            parent=self,
        )
        worker = CheckWorker(service)
        thread = QThread()
        thread.setObjectName("usher-check")
        worker.moveToThread(thread)
        self._check_requested.connect(worker.check)
        worker.decided.connect(self.on_decided)
        worker.failed.connect(self.notice)
        thread.start()
        self.device = _Device(credentials, replica, offset, service, worker, thread, connection, engine, desk)
        if engine is not None:
            engine.status_changed.connect(self.on_sync_status_changed)
            engine.progress.connect(self.sync_progress)
            engine.synced.connect(self.on_synced)
            engine.wiped.connect(self.on_wiped)
            engine.start()

    def _close_device(self) -> None:
        device, self.device = self.device, None
        if device is None:
            return
        self._stop_camera()
        if device.engine is not None:
            device.engine.stop()
        self._check_requested.disconnect(device.worker.check)
        device.thread.quit()
        device.thread.wait()
        device.desk.shutdown()
        if device.connection is not None:
            device.connection.close()
        device.replica.close()

    def _show(self, screen: Screen) -> None:
        self.screen = screen
        if screen is Screen.SCAN:
            self._start_camera()
            self.refresh_counters()
        else:
            self._stop_camera()
        self.screen_changed.emit(screen.value)

    def shutdown(self) -> None:
        """Stop the camera, the sync and the check thread; close the replica. Call before the window goes."""
        self._close_device()

    # --- scanning -------------------------------------------------------------------------------------------------

    @property
    def gate(self) -> Gate:
        device_id = self.device.credentials.device_id if self.device else uuid.UUID(int=0)
        return Gate(device_id=device_id, name=self.settings.gate, occurrence_ids=self.settings.occurrences)

    @property
    def direction(self) -> Direction:
        return Direction(self.settings.direction)

    def set_direction(self, direction: Direction) -> None:
        self.settings.direction = direction.value
        self.data_dir.save_settings(self.settings)

    def submit(self, text: str, source: ScanSource) -> None:
        """A scanned or typed payload: decided on the check thread; ``verdict_ready`` follows."""
        if self.device is None or self.screen is not Screen.SCAN or not text.strip():
            return
        scan = Scan(source, Scan.new_nonce(), self.clock.now(), text=text.strip())
        self._check_requested.emit(scan, self.gate, self.direction)

    def check_in_ticket(self, ticket: TicketRow) -> None:
        """Manual check-in of a ticket staff found by searching."""
        if self.device is None:
            return
        scan = Scan(ScanSource.SEARCH, Scan.new_nonce(), self.clock.now(), ticket_id=ticket.id)
        self._check_requested.emit(scan, self.gate, self.direction)

    def wedge_key(self, text: str, *, auto_repeat: bool = False) -> str | None:
        """Every key press on the scan screen; a scanner's run ending in Enter is submitted as a scan."""
        payload = self.wedge.key(text, self._monotonic(), auto_repeat=auto_repeat)
        if payload is not None:
            self.submit(payload, ScanSource.WEDGE)
        return payload

    @Slot(str)
    def on_code_scanned(self, payload: str) -> None:
        self.submit(payload, ScanSource.CAMERA)

    @Slot(object)
    def on_decided(self, verdict: Verdict) -> None:
        words = describe_for_guest if self.settings.self_check_in else describe
        presentation = Presentation(verdict, words(verdict, self.tz))
        self.last_presentation = presentation
        if self.settings.sounds:
            self._sound.play(presentation.view.tone)
        self.verdict_ready.emit(presentation)
        self.refresh_counters()
        if self.device is not None and self.device.engine is not None and verdict.decided_by == "local":
            self.device.engine.sync_soon()

    def refresh_counters(self) -> None:
        if self.device is not None:
            self.counters_changed.emit(self.device.replica.counters(self.settings.occurrences))

    def counters(self) -> Counters:
        return self.device.replica.counters(self.settings.occurrences) if self.device else Counters()

    # --- the camera ---------------------------------------------------------------------------------------------

    def _start_camera(self) -> None:
        if self.scanner is not None or self._make_scanner is None:
            return
        try:
            scanner = self._make_scanner(self.settings)
        except ValueError as exc:  # a malformed source or decoder name in the settings
            self.camera_error.emit(str(exc))
            return
        if scanner is None:
            return
        scanner.code_scanned.connect(self.on_code_scanned)
        scanner.frame_ready.connect(self.frame_ready)
        scanner.error.connect(self.camera_error)
        self.scanner = scanner
        scanner.start()

    def _stop_camera(self) -> None:
        scanner, self.scanner = self.scanner, None
        if scanner is not None:
            scanner.stop(wait=True)

    def restart_camera(self) -> None:
        self._stop_camera()
        if self.screen is Screen.SCAN:
            self._start_camera()

    # --- staff tools ----------------------------------------------------------------------------------------------

    def search(self, query: str) -> list[TicketRow]:
        if self.device is None:
            return []
        return self.device.replica.search(query, self.settings.occurrences)

    def undo_last(self) -> None:
        """Annul this device's last standing passage, within the annul window (``shared.passages.can_annul``)."""
        if self.device is None:
            return
        replica = self.device.replica
        last = replica.last_passage(self.device.credentials.device_id)
        if last is None:
            self.notice.emit("Nothing to undo")
            return
        device_time = self.clock.now()
        now = device_time + self.device.offset()
        passage = Passage(last.ticket_id, last.direction, last.at, last.gate, last.device_id, last.annulled_at)
        verdict = can_annul(passage, device_id=self.device.credentials.device_id, now=now)
        ticket = replica.ticket(last.ticket_id)
        who = ticket.holder_name if ticket is not None and ticket.holder_name else "the last ticket"
        if not verdict.allowed:
            self.notice.emit(f"Too late to undo {who}: a supervisor can correct it on the server")
            return
        upload = wire.AnnulMutation(nonce=last.nonce, device_time=device_time)
        replica.annul(last.nonce, at=now, upload=upload, clock_offset=self.device.offset())
        self.notice.emit(f"Undone: {who} ({last.direction.value} at {last.at.astimezone(self.tz):%H:%M})")
        self.refresh_counters()
        if self.device.engine is not None:
            self.device.engine.sync_soon()

    def conflicts(self) -> list[Conflict]:
        if self.device is None:
            return []
        return self.device.replica.conflicts(self.device.credentials.device_id)

    def mark_conflict_handled(self, key: str) -> None:
        if self.device is not None:
            self.device.replica.mark_handled(key, at=self.clock.now())
            self.conflicts_changed.emit(len(self.conflicts()))

    # --- settings and lock ----------------------------------------------------------------------------------------

    @property
    def has_pin(self) -> bool:
        return bool(self.settings.pin_hash)

    def check_pin(self, pin: str) -> bool:
        """Whether ``pin`` opens the staff tools. With no PIN set, anything does (the setup screen asks for one)."""
        return not self.has_pin or check_pin(pin, self.settings.pin_hash)

    def set_pin(self, pin: str) -> None:
        if len(pin) < 4 or not pin.isdigit():
            raise ValueError("the staff PIN must be at least 4 digits")
        self.settings.pin_hash = hash_pin(pin)
        self.data_dir.save_settings(self.settings)

    @property
    def box_office(self) -> BoxOffice | None:
        return self.device.desk if self.device is not None else None

    @property
    def sells(self) -> bool:
        """Whether this kiosk is a box office (its role from pairing): the sales screens show only then."""
        return self.device is not None and self.device.credentials.role == wire.DeviceRole.BOX_OFFICE.value

    def served_occurrences(self) -> list[OccurrenceRow]:
        served = self.settings.occurrences
        return [o for o in self.occurrences() if o.id in served]

    def attendees(
        self,
        query: str = "",
        state: AttendeeState | None = None,
        ticket_type_id: uuid.UUID | None = None,
        *,
        limit: int | None = None,
    ) -> list[AttendeeRow]:
        """The organizer's attendee list of the served occurrences, from the replica."""
        if self.device is None:
            return []
        return self.device.replica.attendees(
            self.settings.occurrences, query=query, state=state, ticket_type_id=ticket_type_id, limit=limit
        )

    # --- self-check-in --------------------------------------------------------------------------------------------

    def enter_self_check_in(self) -> bool:
        """Turn the kiosk guest-facing. Needs a staff PIN to be set (it is the only way back). False if none is."""
        if not self.has_pin:
            self.notice.emit("Set a staff PIN first: it is the only way out of self-check-in")
            return False
        self.settings.self_check_in = True
        self.settings.direction = Direction.ENTRY.value
        self.data_dir.save_settings(self.settings)
        self.self_check_in_changed.emit(True)
        return True

    def leave_self_check_in(self, pin: str) -> bool:
        """Back to the staff screens, with the staff PIN only."""
        if not self.settings.self_check_in:
            return True
        if not check_pin(pin, self.settings.pin_hash):
            return False
        self.settings.self_check_in = False
        self.data_dir.save_settings(self.settings)
        self.self_check_in_changed.emit(False)
        return True

    def set_locked(self, locked: bool) -> None:
        self.settings.locked = locked
        self.data_dir.save_settings(self.settings)
        self.locked_changed.emit(locked)

    def set_work_offline(self, offline: bool) -> None:
        self.settings.work_offline = offline
        self.data_dir.save_settings(self.settings)
        if self.device is not None and self.device.engine is not None:
            self.device.engine.set_work_offline(offline)

    def set_camera(self, source: str, decoder: str) -> None:
        self.settings.camera_source = source.strip()
        self.settings.decoder = decoder
        self.data_dir.save_settings(self.settings)
        self.restart_camera()

    def sync_now(self) -> None:
        if self.device is not None and self.device.engine is not None:
            self.device.engine.sync_now()

    @property
    def sync_status(self) -> SyncStatus:
        if self.device is None or self.device.engine is None:
            return SyncStatus(working_offline=True)
        return self.device.engine.status

    # --- from the sync engine -------------------------------------------------------------------------------------

    @Slot(object)
    def on_sync_status_changed(self, status: SyncStatus) -> None:
        self.sync_status_changed.emit(status)

    @Slot()
    def on_synced(self) -> None:
        self.occurrences_changed.emit()
        self.refresh_counters()
        if self.device is not None:
            self.conflicts_changed.emit(len(self.conflicts()))

    @Slot()
    def on_wiped(self) -> None:
        """The server revoked this device: the replica is erased already; forget the credentials and pair again."""
        self._close_device()
        self.data_dir.forget_device()
        self.settings = self.data_dir.load_settings()
        self._show(Screen.PAIRING)
        self.notice.emit("This kiosk was revoked by the organizer: its data was erased. Pair it again to continue.")
