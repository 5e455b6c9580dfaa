"""The box office's behaviour, between its screens and the service, the server and the printer.

``BoxOffice`` lives on the UI thread; everything that writes, waits or talks to the network runs on its
``DeskWorker`` (thread "usher-desk"), one job after another: recording a sale (and, for a sale only the server can
allow, waiting up to ``SERVER_ANSWER_TIMEOUT`` for its answer), requesting and releasing allotments, printing, and
writing exports. The screens call its methods and render its signals.

Online or offline is the sync engine's view (``use_server``). A sale inside this desk's allotment is final at once and
uploaded soon; one beyond it goes to the server at once when online (the engine syncs now and the worker waits for
the result), and needs the supervisor's PIN when offline (then it is provisional until the next sync).
"""

from __future__ import annotations

import csv
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QThread, Signal, Slot

from kiosk.boxoffice.model import BasketQuote, Refusal, SaleRequest, SaleResult
from kiosk.boxoffice.printing import (
    TicketPrint,
    print_tickets,
    printer_available,
    report_lines,
    write_report_pdf,
    write_tickets_pdf,
)
from kiosk.boxoffice.service import BoxOfficeService
from kiosk.store.replica import Replica
from kiosk.store.rows import AttendeeRow, IssuedTicket, OccurrenceRow, Shift, TicketTypeRow
from kiosk.sync.transport import TransportError
from shared import wire
from shared.boxoffice import ShiftReport, offline_seats_left, shift_report
from shared.clock import Clock
from shared.codes import format_for_display
from shared.qrtoken import SigningKey

logger = logging.getLogger(__name__)

SERVER_ANSWER_TIMEOUT = 10.0  # seconds a sale beyond the allotment waits online for the server's answer


class DeskApi(Protocol):
    def request_allotment(self, request: wire.AllotmentRequest) -> wire.Allotment: ...

    def release_allotment(self, allotment_id: uuid.UUID) -> wire.Allotment: ...


class DeskWorker(QObject):
    """The desk's slow work, in order, on its own thread."""

    sold = Signal(object)  # SaleResult
    refused = Signal(object)  # Refusal
    allotment_changed = Signal(str)  # a message for staff
    allotment_failed = Signal(str)
    done = Signal(str)  # printed, exported: a message for staff
    failed = Signal(str)

    def __init__(
        self,
        replica: Replica,
        service: BoxOfficeService,
        *,
        desk: DeskApi | None,
        clock: Clock,
        sync_now: Callable[[], None],
        answer_timeout: float = SERVER_ANSWER_TIMEOUT,
    ) -> None:
        super().__init__()
        self._replica = replica
        self._service = service
        self._desk = desk
        self._clock = clock
        self._sync_now = sync_now
        self._answer_timeout = answer_timeout

    @Slot(object, bool, object)
    def sell(self, request: SaleRequest, online: bool, shift_id: uuid.UUID | None) -> None:
        try:
            result = self._service.sell(request, device_time=self._clock.now(), online=online, shift_id=shift_id)
        except Exception as exc:  # a bug or a broken disk: nothing was recorded (one transaction)
            logger.exception("recording a sale failed")
            self.refused.emit(Refusal("error", f"The sale could not be recorded: {exc}"))
            return
        if isinstance(result, Refusal):
            self.refused.emit(result)
            return
        self._sync_now()
        if result.needs_server:
            result = self._await_answer(result)
        self.sold.emit(result)

    def _await_answer(self, result: SaleResult) -> SaleResult:
        deadline = time.monotonic() + self._answer_timeout
        while True:
            states = self._replica.sales.states(result.order_ids)
            final = all(state.state != "pending" for state in states.values())
            if final or time.monotonic() >= deadline:
                issued = self._replica.sales.issued(result.order_ids)
                return replace(result, states=tuple(states.values()), tickets=tuple(issued))
            time.sleep(0.05)

    @Slot(object, int, object)
    def request_allotment(self, occurrence_id: uuid.UUID, seats: int, ticket_type_id: uuid.UUID | None) -> None:
        if self._desk is None:
            self.allotment_failed.emit("This kiosk has no server connection.")
            return
        try:
            allotment = self._desk.request_allotment(wire.AllotmentRequest(occurrence_id, seats, ticket_type_id))
        except TransportError as exc:
            words = "Those seats are not free any more." if "sold_out" in str(exc) else f"The server said: {exc}"
            self.allotment_failed.emit(f"No allotment: {words}")
            return
        self._replica.sales.put_allotment(allotment, server_time=self._clock.now())
        self._sync_now()
        self.allotment_changed.emit(f"{allotment.seats} seats set aside for this desk to sell offline.")

    @Slot(object)
    def release_allotment(self, allotment_id: uuid.UUID) -> None:
        if self._desk is None:
            self.allotment_failed.emit("This kiosk has no server connection.")
            return
        try:
            allotment = self._desk.release_allotment(allotment_id)
        except TransportError as exc:
            self.allotment_failed.emit(f"Could not release the seats: {exc}")
            return
        self._replica.sales.put_allotment(allotment, server_time=self._clock.now())
        self._sync_now()
        given_back = allotment.seats - allotment.seats_used
        self.allotment_changed.emit(f"{given_back} unused seats given back.")

    @Slot(object, object, str)
    def print_tickets(self, pages: Sequence[TicketPrint], pdf_path: Path, printer: str) -> None:
        try:
            if printer != "pdf" and printer_available(printer):
                name = print_tickets(pages, printer_name=printer)
                self.done.emit(f"{len(pages)} ticket(s) sent to {name}")
                return
            write_tickets_pdf(pages, pdf_path)
        except Exception as exc:
            logger.exception("printing failed")
            self.failed.emit(f"Printing failed: {exc}")
            return
        self.done.emit(f"{len(pages)} ticket(s) printed to {pdf_path}")

    @Slot(object, object)
    def print_report(self, lines: Sequence[tuple[str, str]], pdf_path: Path) -> None:
        try:
            write_report_pdf(lines, pdf_path)
        except Exception as exc:
            logger.exception("printing the report failed")
            self.failed.emit(f"Printing failed: {exc}")
            return
        self.done.emit(f"Shift report printed to {pdf_path}")

    @Slot(object, object, object)
    def export_attendees(self, query: Callable[[], Sequence[AttendeeRow]], path: Path, tz: tzinfo | None) -> None:
        """Read the list (a second for 100,000 tickets) and write it, both here, off the UI thread."""
        try:
            rows = query()
            write_attendees_csv(rows, path, tz)
        except OSError as exc:
            self.failed.emit(f"Export failed: {exc}")
            return
        self.done.emit(f"{len(rows)} attendees exported to {path}")


def write_attendees_csv(rows: Sequence[AttendeeRow], path: Path, tz: tzinfo | None) -> Path:
    """The attendee list as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the names right)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".csv.tmp")
    with temporary.open("w", newline="", encoding="utf-8-sig") as handle:
        out = csv.writer(handle)
        out.writerow(["name", "email", "confirmation_code", "ticket_type", "state", "checked_in_at", "gate"])
        for row in rows:
            out.writerow(
                [
                    row.name,
                    row.email,
                    format_for_display(row.code) if row.code else "",
                    row.ticket_type,
                    row.state,
                    "" if row.checked_in_at is None else row.checked_in_at.astimezone(tz).isoformat(timespec="minutes"),
                    row.gate or "",
                ]
            )
    temporary.replace(path)
    return path


class BoxOffice(QObject):
    """The desk, as the screens see it."""

    quote_changed = Signal(object)  # BasketQuote | Refusal
    sale_finished = Signal(object)  # SaleResult
    sale_refused = Signal(object)  # Refusal
    allotments_changed = Signal()
    notice = Signal(str)
    _sell_requested = Signal(object, bool, object)
    _allotment_requested = Signal(object, int, object)
    _release_requested = Signal(object)
    _print_requested = Signal(object, object, str)
    _report_print_requested = Signal(object, object)
    _export_requested = Signal(object, object, object)

    def __init__(
        self,
        replica: Replica,
        *,
        signing_key: SigningKey,
        clock: Clock,
        clock_offset: Callable[[], timedelta],
        online: Callable[[], bool],
        sync_now: Callable[[], None],
        check_in: Callable[[str], None],
        check_pin: Callable[[str], bool],
        desk: DeskApi | None,
        out_dir: Path,
        printer: Callable[[], str] = lambda: "",
        tz: tzinfo | None = None,
        answer_timeout: float = SERVER_ANSWER_TIMEOUT,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._replica = replica
        self._clock = clock
        self._online = online
        self._check_in = check_in
        self._check_pin = check_pin
        self._out_dir = out_dir
        self._printer = printer
        self.tz = tz
        self.service = BoxOfficeService(replica, signing_key=signing_key, clock_offset=clock_offset)
        self.last_result: SaleResult | None = None
        self.busy = False
        self.worker = DeskWorker(
            replica, self.service, desk=desk, clock=clock, sync_now=sync_now, answer_timeout=answer_timeout
        )
        self._thread = QThread()
        self._thread.setObjectName("usher-desk")
        self.worker.moveToThread(self._thread)
        self._connect_signals()
        self._thread.start()

    def _connect_signals(self) -> None:
        w = self.worker
        self._sell_requested.connect(w.sell)
        self._allotment_requested.connect(w.request_allotment)
        self._release_requested.connect(w.release_allotment)
        self._print_requested.connect(w.print_tickets)
        self._report_print_requested.connect(w.print_report)
        self._export_requested.connect(w.export_attendees)
        w.sold.connect(self.on_sold)
        w.refused.connect(self.on_refused)
        w.allotment_changed.connect(self.on_allotment_changed)
        w.allotment_failed.connect(self.on_allotment_failed)
        w.done.connect(self.notice)
        w.failed.connect(self.notice)

    def shutdown(self) -> None:
        self._thread.quit()
        self._thread.wait()

    # --- selling --------------------------------------------------------------------------------------------------

    def ticket_types(self, occurrence_id: uuid.UUID) -> list[TicketTypeRow]:
        return self.service.ticket_types(occurrence_id)

    def quote(self, request: SaleRequest) -> BasketQuote | Refusal:
        """The basket's price now (a replica read and arithmetic: fast enough for every key press)."""
        quote = self.service.quote(request, device_time=self._clock.now())
        self.quote_changed.emit(quote)
        return quote

    def sell(self, request: SaleRequest, *, supervisor_pin: str | None = None) -> bool:
        """Record the basket on the desk thread; ``sale_finished`` or ``sale_refused`` follows. A supervisor's PIN
        makes an offline sale beyond the allotment provisional instead of refused. False when not started."""
        if self.busy:
            self.notice.emit("The last sale is still being recorded")
            return False
        if supervisor_pin is not None:
            if not self._check_pin(supervisor_pin):
                self.sale_refused.emit(Refusal("wrong_pin", "Wrong supervisor PIN: the sale was not made."))
                return False
            request = replace(request, override=True)
        self.busy = True
        shift = self.current_shift() or self.open_shift(opening_float_cents=0)
        self._sell_requested.emit(request, self._online(), shift.id)
        return True

    @Slot(object)
    def on_sold(self, result: SaleResult) -> None:
        self.busy = False
        self.last_result = result
        if result.refused is None and result.check_in_now:
            for ticket in result.tickets:
                self._check_in(ticket.token)
        self.sale_finished.emit(result)
        self.allotments_changed.emit()

    @Slot(object)
    def on_refused(self, refusal: Refusal) -> None:
        self.busy = False
        self.sale_refused.emit(refusal)

    def issued(self, order_ids: Sequence[uuid.UUID]) -> list[IssuedTicket]:
        return self._replica.sales.issued(order_ids)

    # --- printing -------------------------------------------------------------------------------------------------

    def print_result(self, result: SaleResult | None = None) -> Path | None:
        """Print the tickets of a sale (the last one by default): to the printer chosen in the settings, else to a
        PDF in the kiosk's ``printed`` folder. Returns the PDF's path (written on the desk thread)."""
        result = result or self.last_result
        if result is None or not result.tickets:
            return None
        occurrence = self._replica.occurrence(result.tickets[0].occurrence_id)
        pages = [self._page(ticket, occurrence) for ticket in self._replica.sales.issued(result.order_ids)]
        path = self._out_dir / "printed" / f"tickets-{self._stamp()}-{result.basket_id.hex[:8]}.pdf"
        self._print_requested.emit(pages, path, self._printer())
        return path

    def _page(self, ticket: IssuedTicket, occurrence: OccurrenceRow | None) -> TicketPrint:
        title = occurrence.title if occurrence is not None else "Ticket"
        starts = occurrence.start_at if occurrence is not None else self._clock.now()
        return TicketPrint(ticket, title, starts, self.tz)

    def _stamp(self) -> str:
        return f"{self._clock.now().astimezone(self.tz):%Y%m%d-%H%M%S}"

    # --- allotments -----------------------------------------------------------------------------------------------

    def allotments(self, occurrence_ids: Sequence[uuid.UUID]) -> list[wire.Allotment]:
        return [a for a in self._replica.sales.allotments(occurrence_ids) if a.status == "active"]

    def seats_left_offline(self, occurrence_id: uuid.UUID) -> int:
        sales = self._replica.sales
        return offline_seats_left(
            sales.allotments([occurrence_id]), occurrence_id=occurrence_id, unreflected=sales.unreflected()
        )

    def request_allotment(self, occurrence_id: uuid.UUID, seats: int, ticket_type_id: uuid.UUID | None = None) -> None:
        if seats < 1:
            self.notice.emit("Ask for at least one seat")
            return
        self._allotment_requested.emit(occurrence_id, seats, ticket_type_id)

    def release_allotment(self, allotment_id: uuid.UUID) -> None:
        self._release_requested.emit(allotment_id)

    @Slot(str)
    def on_allotment_changed(self, message: str) -> None:
        self.allotments_changed.emit()
        self.notice.emit(message)

    @Slot(str)
    def on_allotment_failed(self, message: str) -> None:
        self.notice.emit(message)

    # --- shifts ---------------------------------------------------------------------------------------------------

    def current_shift(self) -> Shift | None:
        return self._replica.sales.current_shift()

    def open_shift(self, *, opening_float_cents: int) -> Shift:
        """Close the current shift and start one with this float in the drawer."""
        return self._replica.sales.open_shift(at=self._clock.now(), opening_float_cents=opening_float_cents)

    def shift_report(self) -> ShiftReport:
        shift = self.current_shift()
        sales = self._replica.sales.shift_sales(shift.id if shift is not None else uuid.UUID(int=0))
        return shift_report(sales, opening_float_cents=shift.opening_float_cents if shift else 0)

    def report_lines(self) -> list[tuple[str, str]]:
        shift = self.current_shift()
        opened = f"{shift.opened_at.astimezone(self.tz):%d %b %Y %H:%M}" if shift else "(no sale yet)"
        return report_lines(self.shift_report(), title="Shift report", opened=opened)

    def print_report(self) -> Path:
        path = self._out_dir / "printed" / f"shift-report-{self._stamp()}.pdf"
        self._report_print_requested.emit(self.report_lines(), path)
        return path

    # --- organizer tools ------------------------------------------------------------------------------------------

    def export_attendees(self, query: Callable[[], Sequence[AttendeeRow]], *, at: datetime | None = None) -> Path:
        """Write the attendee list (``query`` reads it from the replica) as CSV into the kiosk's ``exports`` folder,
        both off the UI thread."""
        stamp = f"{(at or self._clock.now()).astimezone(self.tz):%Y%m%d-%H%M%S}"
        path = self._out_dir / "exports" / f"attendees-{stamp}.csv"
        self._export_requested.emit(query, path, self.tz)
        return path
