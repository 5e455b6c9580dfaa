"""The main window: the pages in a stack, the verdict overlay above them, and the wiring to the controller."""

from __future__ import annotations

import uuid
from datetime import tzinfo

import shiboken6
from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtGui import QCloseEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow, QStackedWidget, QWidget

from kiosk.checkin.model import ScanSource
from kiosk.controller import Controller, Presentation, Screen
from kiosk.store.rows import TicketRow
from kiosk.sync.engine import SyncStatus
from kiosk.ui.conflicts import ConflictsScreen
from kiosk.ui.desk import DeskPages
from kiosk.ui.pairing import PairingScreen
from kiosk.ui.pin import PinDialog
from kiosk.ui.scan import ScanScreen
from kiosk.ui.search import SearchScreen
from kiosk.ui.selfcheckin import SelfCheckInScreen
from kiosk.ui.settings import SettingsScreen
from kiosk.ui.setup import SetupScreen
from kiosk.ui.style import APP_STYLESHEET
from kiosk.ui.verdict import VerdictOverlay
from shared.passages import Direction


class WedgeFilter(QObject):
    """Sees every key press for the main window while the scan page shows, before any widget does, and hands it to
    the wedge detector. A scanner's Enter is swallowed, and the characters it typed into a focused text field are
    taken out again."""

    def __init__(self, controller: Controller, window: QWidget) -> None:
        super().__init__(window)
        self._controller = controller
        self._window = window
        self._last: tuple[int, QWidget] | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False
        # A key that a widget ignores travels up to its parents, and the application's filters see it again at
        # each: count it once, where it first arrived.
        pointer = int(shiboken6.getCppPointer(event)[0])
        last, self._last = self._last, (pointer, watched)
        if last is not None and last[0] == pointer and watched is not last[1] and watched.isAncestorOf(last[1]):
            return False
        payload = self._controller.wedge_key(event.text(), auto_repeat=event.isAutoRepeat())
        if payload is None:
            return False
        if isinstance(watched, QLineEdit) and watched.text().endswith(payload):
            watched.setText(watched.text()[: -len(payload)])
        return True


class MainWindow(QMainWindow):
    def __init__(self, controller: Controller, *, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.controller = controller
        self.setWindowTitle("Usher kiosk")
        self.setStyleSheet(APP_STYLESHEET)
        self.stack = QStackedWidget()
        self.pairing = PairingScreen()
        self.setup = SetupScreen(tz)
        self.scan = ScanScreen(tz)
        self.search = SearchScreen()
        self.conflicts = ConflictsScreen(tz)
        self.settings = SettingsScreen()
        self.self_check_in = SelfCheckInScreen()
        for page in (
            self.pairing,
            self.setup,
            self.scan,
            self.search,
            self.conflicts,
            self.settings,
            self.self_check_in,
        ):
            self.stack.addWidget(page)
        self.desk = DeskPages(
            controller, self.stack, show_page=self._set_page, back_to_scanning=self.show_scan_page, tz=tz
        )
        self.setCentralWidget(self.stack)
        self.overlay = VerdictOverlay(self.stack)
        self.wedge_filter = WedgeFilter(controller, self)
        self.pin_dialog: PinDialog | None = None
        self._closing = False
        self._connect_signals()

    def _connect_signals(self) -> None:
        c = self.controller
        c.screen_changed.connect(self.on_screen_changed)
        c.verdict_ready.connect(self.on_verdict_ready)
        c.counters_changed.connect(self.scan.status.counters.on_counters_changed)
        c.sync_status_changed.connect(self.on_sync_status_changed)
        c.sync_progress.connect(self.setup.on_progress)
        c.occurrences_changed.connect(self.on_occurrences_changed)
        c.conflicts_changed.connect(self.scan.set_conflicts)
        c.frame_ready.connect(self.scan.preview.on_frame_ready)
        c.camera_error.connect(self.scan.preview.on_camera_error)
        c.frame_ready.connect(self.self_check_in.preview.on_frame_ready)
        c.camera_error.connect(self.self_check_in.preview.on_camera_error)
        c.self_check_in_changed.connect(self.on_self_check_in_changed)
        c.notice.connect(self.on_notice)
        c.pairing_failed.connect(self.pairing.on_pairing_failed)
        c.locked_changed.connect(self.on_locked_changed)
        self.pairing.pair_requested.connect(c.pair)
        self.setup.chosen.connect(self.on_setup_chosen)
        self.scan.code_entered.connect(self.on_code_entered)
        self.scan.direction_chosen.connect(self.on_direction_chosen)
        self.scan.search_clicked.connect(self.on_search_clicked)
        self.scan.undo_clicked.connect(c.undo_last)
        self.scan.conflicts_clicked.connect(self.on_conflicts_clicked)
        self.scan.settings_clicked.connect(self.on_settings_clicked)
        self.scan.sell_clicked.connect(self.on_sell_clicked)
        self.scan.attendees_clicked.connect(self.on_attendees_clicked)
        self.self_check_in.staff_clicked.connect(self.on_staff_clicked)
        self.search.query_changed.connect(self.on_query_changed)
        self.search.check_in_requested.connect(self.on_check_in_requested)
        self.search.back_clicked.connect(self.show_scan_page)
        self.conflicts.handled.connect(self.on_conflict_handled)
        self.conflicts.back_clicked.connect(self.show_scan_page)
        self.settings.camera_changed.connect(c.set_camera)
        self.settings.work_offline_toggled.connect(c.set_work_offline)
        self.settings.sounds_toggled.connect(self.on_sounds_toggled)
        self.settings.lock_toggled.connect(c.set_locked)
        self.settings.pin_entered.connect(self.on_pin_entered)
        self.settings.sync_now_clicked.connect(c.sync_now)
        self.settings.change_setup_clicked.connect(c.change_setup)
        self.settings.self_check_in_clicked.connect(self.on_self_check_in_clicked)
        self.settings.back_clicked.connect(self.show_scan_page)
        self.overlay.dismissed.connect(self.on_overlay_dismissed)

    # --- pages ------------------------------------------------------------------------------------------------

    def _set_page(self, page: QWidget) -> None:
        self.stack.setCurrentWidget(page)
        app = QApplication.instance()
        if app is None:
            return
        if page is self.scan or page is self.self_check_in:
            app.installEventFilter(self.wedge_filter)
            if page is self.scan:
                self.scan.code.setFocus()
        else:
            app.removeEventFilter(self.wedge_filter)

    @Slot(str)
    def on_screen_changed(self, screen: str) -> None:
        if screen == Screen.PAIRING.value:
            self.overlay.dismiss()
            self._set_page(self.pairing)
        elif screen == Screen.SETUP.value:
            self.on_occurrences_changed()
            self.setup.set_choice(self.controller.settings.gate, self.controller.direction)
            self.setup.set_synced(self.controller.sync_status.initial_sync_done)
            self._set_page(self.setup)
        else:
            self.show_scan_page()
        self.on_locked_changed(self.controller.settings.locked or self.controller.settings.self_check_in)

    @Slot()
    def show_scan_page(self) -> None:
        """The door: the staff's scan page, or in self-check-in mode the guests' page."""
        served = self.controller.settings.occurrences
        titles = [o.title for o in self.controller.occurrences() if o.id in served]
        if self.controller.settings.self_check_in:
            self.self_check_in.set_event(" + ".join(titles))
            self._set_page(self.self_check_in)
            return
        self.scan.show_selling(self.controller.sells)
        self.scan.set_heading(
            " + ".join(titles) or "Check-in", self.controller.settings.gate, self.controller.direction
        )
        self.scan.set_conflicts(len(self.controller.conflicts()))
        self.scan.status.sync.on_status_changed(self.controller.sync_status)
        self._set_page(self.scan)

    @Slot()
    def on_occurrences_changed(self) -> None:
        self.setup.set_occurrences(self.controller.occurrences(), self.controller.settings.occurrences)

    @Slot(object)
    def on_sync_status_changed(self, status: SyncStatus) -> None:
        self.scan.status.sync.on_status_changed(status)
        if status.initial_sync_done:
            self.setup.set_synced(True)

    @Slot(list, str, str)
    def on_setup_chosen(self, ids: list[uuid.UUID], gate: str, direction: str) -> None:
        self.controller.choose(ids, gate, Direction(direction))

    # --- scanning -----------------------------------------------------------------------------------------------

    @Slot(object)
    def on_verdict_ready(self, presentation: Presentation) -> None:
        if self.stack.currentWidget() is self.search:
            self.show_scan_page()
        if self.controller.settings.self_check_in:
            self.overlay.show_view(presentation.view)
            return
        self.scan.last.show_view(presentation.view)
        self.scan.notice.setText("")
        self.overlay.show_view(presentation.view)

    @Slot()
    def on_overlay_dismissed(self) -> None:
        if self.stack.currentWidget() is self.scan:
            self.scan.code.setFocus()

    @Slot(str)
    def on_code_entered(self, text: str) -> None:
        self.controller.submit(text, ScanSource.TYPED)

    @Slot(str)
    def on_direction_chosen(self, direction: str) -> None:
        self.controller.set_direction(Direction(direction))

    @Slot(str)
    def on_notice(self, message: str) -> None:
        self.scan.notice.setText(message)
        if self.stack.currentWidget() is self.setup:
            self.setup.error.setText(message)
        if self.stack.currentWidget() is self.pairing:
            self.pairing.error.setText(message)

    # --- staff tools ---------------------------------------------------------------------------------------------

    @Slot()
    def on_search_clicked(self) -> None:
        self.search.reset()
        self._set_page(self.search)
        self.search.query.setFocus()

    @Slot(str)
    def on_query_changed(self, query: str) -> None:
        self.search.show_results(self.controller.search(query))

    @Slot(object)
    def on_check_in_requested(self, ticket: TicketRow) -> None:
        self.controller.check_in_ticket(ticket)

    def _behind_pin(self, then: str) -> None:
        """Open a staff page; in kiosk lock with a PIN set, only after the PIN; in self-check-in mode only after the
        PIN, which also leaves that mode."""
        if self.controller.settings.self_check_in:
            self.on_staff_clicked(then)
            return
        if not (self.controller.settings.locked and self.controller.has_pin):
            self._open_staff_page(then)
            return
        dialog = PinDialog("Staff PIN", self)
        dialog.accepted.connect(lambda: self.on_pin_dialog_accepted(dialog, then))
        self.pin_dialog = dialog
        dialog.open()

    def on_pin_dialog_accepted(self, dialog: PinDialog, then: str) -> None:
        self.pin_dialog = None
        if self.controller.check_pin(dialog.value()):
            self._open_staff_page(then)
        else:
            self.scan.notice.setText("Wrong PIN")

    def _open_staff_page(self, page: str) -> None:
        if self.controller.settings.self_check_in:
            return  # guests' screen: nothing behind it opens until the staff PIN has left the mode
        if page == "sell":
            self.desk.open_sale()
        elif page == "attendees":
            self.desk.open_attendees()
        elif page == "settings":
            device = self.controller.device
            self.settings.load(self.controller.settings, device.credentials if device else None)
            self._set_page(self.settings)
        else:
            self.conflicts.show_conflicts(self.controller.conflicts())
            self._set_page(self.conflicts)

    @Slot()
    def on_settings_clicked(self) -> None:
        self._behind_pin("settings")

    @Slot()
    def on_conflicts_clicked(self) -> None:
        self._behind_pin("conflicts")

    @Slot()
    def on_sell_clicked(self) -> None:
        self._behind_pin("sell")

    @Slot()
    def on_attendees_clicked(self) -> None:
        self._behind_pin("attendees")

    # --- self-check-in ----------------------------------------------------------------------------------------------

    @Slot()
    def on_self_check_in_clicked(self) -> None:
        if not self.controller.enter_self_check_in():
            self.settings.pin_message.setText("Set a staff PIN first: it is the only way out of self-check-in")

    @Slot(bool)
    def on_self_check_in_changed(self, on: bool) -> None:
        self.overlay.dismiss()
        if on and not self.isFullScreen():
            self.showFullScreen()
        elif not on and not self.controller.settings.locked and self.isFullScreen():
            self.showNormal()
        if self.controller.screen is Screen.SCAN:
            self.show_scan_page()

    def on_staff_clicked(self, then: str = "settings") -> None:
        """The guests' screen's only way out: the staff PIN, always (a guest may find the button)."""
        dialog = PinDialog("Staff PIN", self)
        dialog.accepted.connect(lambda: self.on_staff_pin_accepted(dialog, then))
        self.pin_dialog = dialog
        dialog.open()

    def on_staff_pin_accepted(self, dialog: PinDialog, then: str) -> None:
        self.pin_dialog = None
        if not self.controller.leave_self_check_in(dialog.value()):
            self.self_check_in.hint.setText("Wrong PIN")
            return
        self._open_staff_page(then)

    @Slot(str)
    def on_conflict_handled(self, key: str) -> None:
        self.controller.mark_conflict_handled(key)
        self.conflicts.show_conflicts(self.controller.conflicts())

    @Slot(str)
    def on_pin_entered(self, pin: str) -> None:
        try:
            self.controller.set_pin(pin)
        except ValueError as exc:
            self.settings.pin_message.setText(str(exc))
            return
        self.settings.pin_message.setText("PIN saved")

    @Slot(bool)
    def on_sounds_toggled(self, on: bool) -> None:
        self.controller.settings.sounds = on
        self.controller.data_dir.save_settings(self.controller.settings)

    @Slot(bool)
    def on_locked_changed(self, locked: bool) -> None:
        if locked and not self.isFullScreen():
            self.showFullScreen()
        elif not locked and self.isFullScreen():
            self.showNormal()

    # --- Qt events ----------------------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.overlay.isVisible():
            self.overlay.setGeometry(self.stack.rect())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        guarded = self.controller.settings.locked or self.controller.settings.self_check_in
        if guarded and self.controller.has_pin and not self._closing:
            event.ignore()  # a locked kiosk does not close from the door; staff unlock it in the settings
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge_filter)
        self.controller.shutdown()
        event.accept()

    def force_close(self) -> None:
        self._closing = True
        self.close()
