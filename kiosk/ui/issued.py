"""After a sale: the change to give (big), the tickets with their QR codes to show or photograph, print, and the
state of the sale when it is not simply done (provisional, or refused by the server: give the money back)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from kiosk.boxoffice.model import SaleResult
from kiosk.boxoffice.printing import draw_qr
from kiosk.store.rows import IssuedTicket
from kiosk.ui.style import AMBER, GREEN, INK, RED
from shared.boxoffice import format_money
from shared.codes import format_for_display
from shared.wire import PaymentMethod


def qr_pixmap(data: str, size: int = 260) -> QPixmap:
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    try:
        draw_qr(painter, data, QRectF(0, 0, size, size))
    finally:
        painter.end()
    return QPixmap.fromImage(image)


class TicketCard(QWidget):
    def __init__(self, ticket: IssuedTicket, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ticket = ticket
        self.qr = QLabel()
        self.qr.setPixmap(qr_pixmap(ticket.token))
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        code = QLabel(format_for_display(ticket.code))
        code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        code.setStyleSheet("font-size: 20pt; font-weight: 800; letter-spacing: 2px;")
        label = QLabel(f"{ticket.ticket_type_name}" + (f" · {ticket.name}" if ticket.name else ""))
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("font-size: 14pt;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.qr)
        layout.addWidget(code)
        layout.addWidget(label)
        self.setObjectName("ticketcard")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#ticketcard { background: white; border-radius: 12px; } QLabel { background: white; }")


class IssuedScreen(QWidget):
    print_clicked = Signal()
    new_sale_clicked = Signal()
    back_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headline = QLabel("")
        self.headline.setWordWrap(True)
        self.headline.setStyleSheet("font-size: 26pt; font-weight: 700;")
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.change = QLabel("")
        self.change.setStyleSheet(f"font-size: 40pt; font-weight: 800; color: {GREEN};")
        self.notice = QLabel("")
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.grid = QGridLayout()
        self.grid.setSpacing(16)
        holder = QWidget()
        holder.setLayout(self.grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.cards: list[TicketCard] = []
        self.print_button = QPushButton("Print tickets")
        self.new_sale_button = QPushButton("New sale")
        self.new_sale_button.setObjectName("primary")
        self.back_button = QPushButton("Back to scanning")
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.new_sale_button)
        top = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.headline)
        titles.addWidget(self.state)
        top.addLayout(titles, 1)
        top.addWidget(self.change)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(30, 20, 30, 16)
        layout.addLayout(top)
        layout.addWidget(self.notice)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.print_button.clicked.connect(self.print_clicked)
        self.new_sale_button.clicked.connect(self.new_sale_clicked)
        self.back_button.clicked.connect(self.back_clicked)

    def show_result(self, result: SaleResult) -> None:
        refused = result.refused
        total = format_money(result.total_cents, result.currency)
        count = len(result.tickets)
        self.notice.setText("")
        if refused is not None:
            self.headline.setText("The server refused this sale")
            back = (
                "Give the money back" if result.method is not PaymentMethod.COMPLIMENTARY else "Take the tickets back"
            )
            how = {
                PaymentMethod.CASH: f": {total} in cash",
                PaymentMethod.CARD_TERMINAL: f": refund {total} on the card terminal",
            }
            self._state(RED, f"{back}{how.get(result.method, '')}. {refused.message or ''}".strip())
            self.change.setText("")
            self._cards(())
            self.print_button.setEnabled(False)
            return
        self.headline.setText(f"Sold: {count} ticket{'s' if count != 1 else ''} · {total}")
        if result.provisional:
            self._state(
                AMBER,
                "Provisional: the server decides at the next sync. If it refuses, the conflicts screen says so.",
            )
        else:
            self._state(GREEN, "Done. Show the QR codes, print them, or read out the codes.")
        if result.method is PaymentMethod.CASH:
            self.change.setText(f"Change {format_money(result.change_cents, result.currency)}")
        else:
            self.change.setText("")
        self._cards(result.tickets)
        self.print_button.setEnabled(bool(result.tickets))

    def _state(self, colour: str, text: str) -> None:
        ink = INK if colour == AMBER else "white"
        self.state.setStyleSheet(
            f"background: {colour}; color: {ink}; border-radius: 8px; padding: 10px; font-size: 16pt; font-weight: 600;"
        )
        self.state.setText(text)

    def _cards(self, tickets: Sequence[IssuedTicket]) -> None:
        for card in self.cards:
            self.grid.removeWidget(card)
            card.deleteLater()
        self.cards = [TicketCard(ticket) for ticket in tickets]
        for index, card in enumerate(self.cards):
            self.grid.addWidget(card, index // 3, index % 3)
