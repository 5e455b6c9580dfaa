"""The box office's and the organizer's pages in the main window, wired to the controller: the sale, the issued
tickets, the shift report, and the attendee list. The main window owns the stack; this module only wires these pages,
so the window's own wiring stays about the door."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import tzinfo

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QStackedWidget, QWidget

from kiosk.boxoffice.model import Refusal, SaleResult
from kiosk.controller import Controller
from kiosk.ui.attendees import SHOWN, AttendeesScreen
from kiosk.ui.boxoffice import BoxOfficeScreen
from kiosk.ui.issued import IssuedScreen
from kiosk.ui.pin import PinDialog
from kiosk.ui.report import ShiftReportScreen


class DeskPages(QObject):
    def __init__(
        self,
        controller: Controller,
        stack: QStackedWidget,
        *,
        show_page: Callable[[QWidget], None],
        back_to_scanning: Callable[[], None],
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__(stack)
        self.controller = controller
        self._show_page = show_page
        self._back = back_to_scanning
        self._tz = tz
        self.sale = BoxOfficeScreen()
        self.issued = IssuedScreen()
        self.report = ShiftReportScreen()
        self.attendees = AttendeesScreen(tz)
        for page in (self.sale, self.issued, self.report, self.attendees):
            stack.addWidget(page)
        self.pin_dialog: PinDialog | None = None
        self._connected_to: object | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.sale.occurrence_chosen.connect(self.on_occurrence_chosen)
        self.sale.basket_changed.connect(self.on_basket_changed)
        self.sale.sell_clicked.connect(self.on_sell_clicked)
        self.sale.report_clicked.connect(self.open_report)
        self.sale.back_clicked.connect(self._back)
        self.sale.allotment.request_clicked.connect(self.on_request_allotment)
        self.sale.allotment.release_clicked.connect(self.on_release_allotment)
        self.issued.print_clicked.connect(self.on_print_clicked)
        self.issued.new_sale_clicked.connect(self.open_sale)
        self.issued.back_clicked.connect(self._back)
        self.report.print_clicked.connect(self.on_print_report_clicked)
        self.report.new_shift_requested.connect(self.on_new_shift_requested)
        self.report.back_clicked.connect(self.open_sale)
        self.attendees.filters_changed.connect(self.refresh_attendees)
        self.attendees.export_clicked.connect(self.on_export_clicked)
        self.attendees.sync_now_clicked.connect(self.on_sync_now_clicked)
        self.attendees.back_clicked.connect(self._back)
        self.controller.occurrences_changed.connect(self.on_replica_changed)
        self.controller.counters_changed.connect(lambda _counters: self.on_replica_changed())

    def _desk_signals(self) -> None:
        """Connect to the box office of the paired device (it changes when the kiosk pairs again)."""
        desk = self.controller.box_office
        if desk is None or desk is self._connected_to:
            return
        self._connected_to = desk
        desk.sale_finished.connect(self.on_sale_finished)
        desk.sale_refused.connect(self.on_sale_refused)
        desk.allotments_changed.connect(self.refresh_allotments)
        desk.notice.connect(self.on_notice)

    # --- the sale -------------------------------------------------------------------------------------------------

    def open_sale(self) -> None:
        self._desk_signals()
        self.sale.reset()
        self.sale.set_occurrences(self.controller.served_occurrences(), self._tz)
        self.on_occurrence_chosen()
        self._show_page(self.sale)

    @Slot()
    def on_occurrence_chosen(self) -> None:
        desk = self.controller.box_office
        occurrence_id = self.sale.occurrence_id
        if desk is None or occurrence_id is None:
            self.sale.set_ticket_types([])
        else:
            self.sale.set_ticket_types(desk.ticket_types(occurrence_id))
        self.refresh_allotments()
        self.on_basket_changed()

    @Slot()
    def on_basket_changed(self) -> None:
        desk = self.controller.box_office
        request = self.sale.request()
        if desk is None or request is None or not request.lines:
            self.sale.show_quote(None, None)
            return
        self.sale.show_quote(desk.quote(request), request.tendered_cents)

    @Slot()
    def refresh_allotments(self) -> None:
        desk = self.controller.box_office
        occurrence_id = self.sale.occurrence_id
        if desk is None or occurrence_id is None:
            self.sale.allotment.show_allotments([], 0)
            return
        self.sale.allotment.show_allotments(desk.allotments([occurrence_id]), desk.seats_left_offline(occurrence_id))

    @Slot()
    def on_sell_clicked(self, supervisor_pin: str | None = None) -> None:
        desk = self.controller.box_office
        request = self.sale.request()
        if desk is None or request is None or not request.lines:
            return
        self.sale.sell_button.setEnabled(False)
        self.sale.message.setText("Recording the sale…")
        desk.sell(request, supervisor_pin=supervisor_pin)

    @Slot(object)
    def on_sale_finished(self, result: SaleResult) -> None:
        self.sale.message.setText("")
        self.issued.show_result(result)
        self._show_page(self.issued)
        self.refresh_allotments()

    @Slot(object)
    def on_sale_refused(self, refusal: Refusal) -> None:
        self.sale.message.setText(refusal.message)
        self.sale.sell_button.setEnabled(True)
        if refusal.needs_override:
            self.ask_supervisor()

    def ask_supervisor(self) -> None:
        dialog = PinDialog("Supervisor PIN: allow a provisional sale", self.sale)
        dialog.accepted.connect(lambda: self.on_supervisor_pin(dialog))
        self.pin_dialog = dialog
        dialog.open()

    def on_supervisor_pin(self, dialog: PinDialog) -> None:
        self.pin_dialog = None
        self.on_sell_clicked(supervisor_pin=dialog.value())

    @Slot(int)
    def on_request_allotment(self, seats: int) -> None:
        desk = self.controller.box_office
        occurrence_id = self.sale.occurrence_id
        if desk is not None and occurrence_id is not None:
            self.sale.allotment.left.setText("Asking the server…")
            desk.request_allotment(occurrence_id, seats)

    @Slot()
    def on_release_allotment(self) -> None:
        desk = self.controller.box_office
        occurrence_id = self.sale.occurrence_id
        if desk is None or occurrence_id is None:
            return
        for allotment in desk.allotments([occurrence_id]):
            desk.release_allotment(allotment.id)

    @Slot()
    def on_print_clicked(self) -> None:
        desk = self.controller.box_office
        if desk is not None and desk.print_result() is not None:
            self.issued.notice.setText("Printing…")

    # --- the shift report -------------------------------------------------------------------------------------

    @Slot()
    def open_report(self) -> None:
        self._desk_signals()
        desk = self.controller.box_office
        if desk is None:
            return
        self.report.show_lines(desk.report_lines())
        self._show_page(self.report)

    @Slot()
    def on_print_report_clicked(self) -> None:
        desk = self.controller.box_office
        if desk is not None:
            desk.print_report()
            self.report.message.setText("Printing…")

    @Slot(int)
    def on_new_shift_requested(self, opening_float_cents: int) -> None:
        desk = self.controller.box_office
        if desk is not None:
            desk.open_shift(opening_float_cents=opening_float_cents)
            self.report.show_lines(desk.report_lines())

    # --- the attendee list --------------------------------------------------------------------------------------

    def open_attendees(self) -> None:
        self._desk_signals()
        desk = self.controller.box_office
        names: dict[uuid.UUID, str] = {}
        if desk is not None:
            for occurrence in self.controller.served_occurrences():
                for ticket_type in desk.ticket_types(occurrence.id):
                    names[ticket_type.id] = ticket_type.name
        self.attendees.set_ticket_types(list(names.items()))
        self.refresh_attendees()
        self._show_page(self.attendees)

    @Slot()
    def refresh_attendees(self) -> None:
        """The first lines on screen (a read of at most ``SHOWN`` + 1 lines stays fast at any size); the counts for
        the whole list come from the replica's counters."""
        rows = self.controller.attendees(
            self.attendees.query.text(),
            self.attendees.state_filter,
            self.attendees.ticket_type_filter,
            limit=SHOWN + 1,
        )
        self.attendees.show_rows(rows)

    @Slot()
    def on_export_clicked(self) -> None:
        desk = self.controller.box_office
        if desk is None:
            return
        query, state, ticket_type = (
            self.attendees.query.text(),
            self.attendees.state_filter,
            self.attendees.ticket_type_filter,
        )
        desk.export_attendees(lambda: self.controller.attendees(query, state, ticket_type))
        self.attendees.show_notice("Exporting…")

    @Slot()
    def on_sync_now_clicked(self) -> None:
        self.controller.sync_now()
        self.attendees.show_notice("Syncing…")

    # --- updates ------------------------------------------------------------------------------------------------

    @Slot()
    def on_replica_changed(self) -> None:
        current = self.sale.parentWidget()
        stack = current if isinstance(current, QStackedWidget) else None
        if stack is None:
            return
        if stack.currentWidget() is self.attendees:
            self.refresh_attendees()
        elif stack.currentWidget() is self.sale:
            self.refresh_allotments()

    @Slot(str)
    def on_notice(self, message: str) -> None:
        """What the desk thread reports (printed, exported, seats set aside or refused) on whichever page shows."""
        for label in (self.issued.notice, self.attendees.notice, self.report.message, self.sale.message):
            label.setText(message)
        self.refresh_allotments()
