"""Printed tickets and shift reports, drawn with Qt's painter onto a PDF (``QPdfWriter``) or a printer (``QPrinter``).

One ticket per page (A6): the event, when, the ticket type and price, the holder, the QR code carrying the signed
token (drawn module by module as vector squares, so it stays sharp at any printer resolution) and the confirmation
code to read out. Painting on a PDF or a printer is allowed off the UI thread, which is where the controller runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

import qrcode
from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPagedPaintDevice, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from qrcode.constants import ERROR_CORRECT_M

from kiosk.store.rows import IssuedTicket
from shared.boxoffice import ShiftReport, format_money
from shared.codes import format_for_display

RESOLUTION = 300  # dots per inch of the PDF's coordinate system


@dataclass(frozen=True)
class TicketPrint:
    """A ticket with what its page says about the event."""

    ticket: IssuedTicket
    event_title: str
    starts_at: datetime
    timezone: tzinfo | None


def qr_matrix(data: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def draw_qr(painter: QPainter, data: str, area: QRectF) -> None:
    """The QR code of ``data`` filling the square ``area``, with a quiet zone of four modules inside it."""
    matrix = qr_matrix(data)
    modules = len(matrix) + 8
    size = min(area.width(), area.height())
    module = size / modules
    left, top = area.x() + 4 * module, area.y() + 4 * module
    painter.fillRect(QRectF(area.x(), area.y(), size, size), QColor("white"))
    black = QColor("black")
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                # A hair wider than a module so that neighbours merge with no seam at any scale.
                painter.fillRect(QRectF(left + x * module, top + y * module, module * 1.02, module * 1.02), black)


def _font(size: float, *, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _paint_ticket(painter: QPainter, page: QRectF, item: TicketPrint) -> None:
    ticket = item.ticket
    flags = int(Qt.AlignmentFlag.AlignHCenter) | int(Qt.TextFlag.TextWordWrap)
    y = page.y()

    def line(text: str, size: float, *, bold: bool = False, gap: float = 0.25) -> None:
        nonlocal y
        painter.setFont(_font(size, bold=bold))
        box = painter.boundingRect(QRectF(page.x(), y, page.width(), page.height()), flags, text)
        painter.drawText(QRectF(page.x(), y, page.width(), box.height()), flags, text)
        y += box.height() + page.height() * gap / 10

    when = item.starts_at.astimezone(item.timezone)
    line(item.event_title, 15, bold=True)
    line(f"{when:%A %d %B %Y, %H:%M}", 10)
    line(f"{ticket.ticket_type_name} · {format_money(ticket.price_cents, ticket.currency)}", 10)
    if ticket.name:
        line(ticket.name, 11, bold=True)
    side = min(page.width() * 0.8, page.bottom() - y - page.height() * 0.14)
    draw_qr(painter, ticket.token, QRectF(page.center().x() - side / 2, y, side, side))
    y += side + page.height() * 0.02
    line(format_for_display(ticket.code), 14, bold=True)
    line("Show this code at the door, or read out the letters above.", 7)


def _layout(device: QPagedPaintDevice) -> None:
    device.setPageSize(QPageSize(QPageSize.PageSizeId.A6))
    device.setPageMargins(QMarginsF(8, 8, 8, 8), QPageLayout.Unit.Millimeter)


def _paint_pages(device: QPagedPaintDevice, pages: Sequence[TicketPrint]) -> None:
    painter = QPainter(device)
    try:
        for index, item in enumerate(pages):
            if index:
                device.newPage()
            area = QRectF(painter.window())
            _paint_ticket(painter, area, item)
    finally:
        painter.end()


def write_tickets_pdf(pages: Sequence[TicketPrint], path: Path) -> Path:
    """The tickets as a PDF file, one A6 page each."""
    if not pages:
        raise ValueError("no tickets to print")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setTitle("Usher tickets")
    writer.setCreator("Usher kiosk")
    _layout(writer)
    _paint_pages(writer, pages)
    return path


def printer_available(name: str = "") -> bool:
    info = QPrinterInfo.printerInfo(name) if name else QPrinterInfo.defaultPrinter()
    return not info.isNull()


def print_tickets(pages: Sequence[TicketPrint], *, printer_name: str = "") -> str:
    """Send the tickets to a printer (the system's default when no name is given); answers the printer's name."""
    info = QPrinterInfo.printerInfo(printer_name) if printer_name else QPrinterInfo.defaultPrinter()
    if info.isNull():
        raise RuntimeError(f"no printer {printer_name or '(default)'} on this machine")
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    printer.setDocName("Usher tickets")
    _layout(printer)
    _paint_pages(printer, pages)
    return info.printerName()


# --- the shift report -------------------------------------------------------------------------------------------


def report_lines(report: ShiftReport, *, title: str, opened: str) -> list[tuple[str, str]]:
    """The shift report as (label, amount) lines: what the screen and the printout show, in that order."""

    def money(cents: int) -> str:
        return format_money(cents, report.currency)

    names = {"cash": "Cash", "card_terminal": "Card terminal", "complimentary": "Complimentary"}
    lines: list[tuple[str, str]] = [(title, ""), (f"Shift opened {opened}", "")]
    lines.append(("By payment method", ""))
    for item in report.by_method:
        lines.append((f"  {names.get(item.label, item.label)}: {_tickets(item.tickets)}", money(item.total_cents)))
    lines.append(("By ticket type", ""))
    for item in report.by_ticket_type:
        lines.append((f"  {item.label}: {_tickets(item.tickets)}", money(item.total_cents)))
    lines.append((f"Total: {report.sales} sales, {report.tickets} tickets", money(report.total_cents)))
    lines.append(("Cash drawer", ""))
    lines.append(("  Opening float", money(report.opening_float_cents)))
    lines.append(("  + cash tendered", money(report.cash_tendered_cents)))
    lines.append(("  - change given", money(report.change_given_cents)))
    if report.cash_refunds_due_cents:
        lines.append(("  - cash refunds due (sales the server refused)", money(report.cash_refunds_due_cents)))
    lines.append(("  = cash expected in the drawer", money(report.cash_expected_cents)))
    if report.refunds_due:
        lines.append((f"Refunds due: {report.refunds_due} sales", money(report.refunds_due_cents)))
    return lines


def _tickets(count: int) -> str:
    return f"{count} ticket{'' if count == 1 else 's'}"


def write_report_pdf(lines: Sequence[tuple[str, str]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setTitle("Usher shift report")
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(18, 18, 18, 18), QPageLayout.Unit.Millimeter)
    painter = QPainter(writer)
    try:
        area = QRectF(painter.window())
        y = area.y()
        for index, (label, amount) in enumerate(lines):
            bold = index == 0 or not amount or label.startswith(("Total", "  ="))
            painter.setFont(_font(16 if index == 0 else 10, bold=bold))
            height = painter.fontMetrics().height() * 1.5
            painter.drawText(QRectF(area.x(), y, area.width() * 0.75, height), int(Qt.AlignmentFlag.AlignLeft), label)
            painter.drawText(QRectF(area.x(), y, area.width(), height), int(Qt.AlignmentFlag.AlignRight), amount)
            y += height
    finally:
        painter.end()
    return path
