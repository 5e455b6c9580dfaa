"""The desk: pick the occurrence, ticket types and quantities; the buyer's name and email if they give them; how they
pay (cash with the change shown big, a card terminal's slip reference, or complimentary); then sell. The allotment
panel shows "N seats left to sell offline" and asks for more seats or gives them back."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kiosk.boxoffice.model import BasketLine, BasketQuote, Refusal, SaleRequest
from kiosk.store.rows import OccurrenceRow, TicketTypeRow
from kiosk.ui.style import GREEN, MUTED, RED
from shared import wire
from shared.boxoffice import format_money
from shared.wire import PaymentMethod

_MONEY = re.compile(r"^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$")


def parse_money(text: str) -> int | None:
    """``"50"``, ``"50.5"``, ``"50,50"`` -> cents; ``None`` when it is not an amount."""
    match = _MONEY.match(text)
    if match is None:
        return None
    whole, fraction = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(fraction or 0)


class TicketTypeRowWidget(QWidget):
    """One ticket type: its name and price, and how many."""

    changed = Signal()

    def __init__(self, ticket_type: TicketTypeRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ticket_type = ticket_type
        name = QLabel(ticket_type.name)
        name.setStyleSheet("font-weight: 600;")
        price = QLabel(format_money(ticket_type.price_cents, ticket_type.currency))
        price.setStyleSheet(f"color: {MUTED};")
        self.quantity = QSpinBox()
        self.quantity.setRange(0, ticket_type.max_quantity)
        self.quantity.setMinimumWidth(110)
        self.quantity.setStyleSheet("font-size: 20pt; padding: 6px;")
        self.quantity.setEnabled(ticket_type.status == "active")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.addWidget(name, 1)
        layout.addWidget(price)
        layout.addSpacing(12)
        layout.addWidget(self.quantity)
        self.quantity.valueChanged.connect(self.changed)


class AllotmentPanel(QFrame):
    """ "N seats left to sell offline", with a request for more and a release of the unused ones."""

    request_clicked = Signal(int)
    release_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("allotment")
        self.setStyleSheet("#allotment { background: #e8eef4; border-radius: 10px; }")
        self.left = QLabel("")
        self.left.setWordWrap(True)
        self.left.setStyleSheet("background: transparent; font-weight: 700;")
        self.seats = QSpinBox()
        self.seats.setRange(1, 500)
        self.seats.setValue(10)
        self.request_button = QPushButton("Request seats")
        self.release_button = QPushButton("Release unused")
        row = QHBoxLayout()
        row.addWidget(self.seats)
        row.addWidget(self.request_button)
        row.addWidget(self.release_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addWidget(self.left)
        layout.addLayout(row)
        self.request_button.clicked.connect(self.on_request_clicked)
        self.release_button.clicked.connect(self.release_clicked)

    def show_allotments(self, allotments: Sequence[wire.Allotment], seats_left: int) -> None:
        held = sum(a.seats for a in allotments)
        if allotments:
            self.left.setText(f"{seats_left} seats left to sell offline (of {held} set aside for this desk)")
        else:
            self.left.setText("No seats set aside: offline, this desk cannot sell without a supervisor")
        self.release_button.setEnabled(bool(allotments))

    @Slot()
    def on_request_clicked(self) -> None:
        self.request_clicked.emit(self.seats.value())


class BoxOfficeScreen(QWidget):
    occurrence_chosen = Signal(object)  # uuid.UUID
    basket_changed = Signal()
    sell_clicked = Signal()
    report_clicked = Signal()
    back_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Box office")
        title.setObjectName("title")
        self.occurrence = QComboBox()
        self.types_box = QVBoxLayout()
        self.type_rows: list[TicketTypeRowWidget] = []
        self.name = QLineEdit()
        self.name.setPlaceholderText("Name (optional)")
        self.email = QLineEdit()
        self.email.setPlaceholderText("Email (optional: the tickets are mailed)")
        self.check_in_now = QCheckBox("Check in at once")
        self.allotment = AllotmentPanel()

        self.cash = QPushButton("Cash")
        self.card = QPushButton("Card")
        self.comp = QPushButton("Comp")
        self.methods = QButtonGroup(self)
        for button, method in ((self.cash, PaymentMethod.CASH), (self.card, PaymentMethod.CARD_TERMINAL)):
            button.setProperty("method", method.value)
        self.comp.setProperty("method", PaymentMethod.COMPLIMENTARY.value)
        for button in (self.cash, self.card, self.comp):
            button.setCheckable(True)
            self.methods.addButton(button)
        self.cash.setChecked(True)
        self.total = QLabel("")
        self.total.setStyleSheet("font-size: 34pt; font-weight: 800;")
        self.breakdown = QLabel("")
        self.breakdown.setWordWrap(True)
        self.breakdown.setStyleSheet(f"color: {MUTED}; font-size: 14pt;")
        self.tendered = QLineEdit()
        self.tendered.setPlaceholderText("Cash tendered, e.g. 50")
        self.tendered.setStyleSheet("font-size: 24pt;")
        self.quick = [QPushButton(label) for label in ("Exact", "20", "50", "100")]
        self.terminal_reference = QLineEdit()
        self.terminal_reference.setPlaceholderText("Terminal slip reference")
        self.change = QLabel("")
        self.change.setStyleSheet(f"font-size: 32pt; font-weight: 800; color: {GREEN};")
        self.change.setWordWrap(True)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.sell_button = QPushButton("Sell")
        self.sell_button.setObjectName("primary")
        self.sell_button.setMinimumHeight(70)
        self.sell_button.setStyleSheet("font-size: 24pt;")
        self.report_button = QPushButton("Shift report")
        self.back_button = QPushButton("Back to scanning")

        left = QVBoxLayout()
        left.addWidget(self.occurrence)
        left.addSpacing(6)
        left.addLayout(self.types_box)
        left.addSpacing(6)
        left.addWidget(self.name)
        left.addWidget(self.email)
        left.addWidget(self.check_in_now)
        left.addStretch(1)
        left.addWidget(self.allotment)

        methods = QHBoxLayout()
        for button in (self.cash, self.card, self.comp):
            methods.addWidget(button)
        quick = QHBoxLayout()
        for button in self.quick:
            quick.addWidget(button)
        right = QVBoxLayout()
        right.addWidget(self.total)
        right.addWidget(self.breakdown)
        right.addLayout(methods)
        right.addWidget(self.tendered)
        right.addLayout(quick)
        right.addWidget(self.terminal_reference)
        right.addWidget(self.change)
        right.addWidget(self.message)
        right.addStretch(1)
        right.addWidget(self.sell_button)

        body = QGridLayout()
        body.setHorizontalSpacing(30)
        body.addLayout(left, 0, 0)
        body.addLayout(right, 0, 1)
        body.setColumnStretch(0, 3)
        body.setColumnStretch(1, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(self.back_button)
        bottom.addStretch(1)
        bottom.addWidget(self.report_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(30, 20, 30, 16)
        layout.addWidget(title)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)
        self._connect_signals()
        self.on_method_clicked()

    def _connect_signals(self) -> None:
        self.occurrence.currentIndexChanged.connect(self.on_occurrence_changed)
        self.methods.buttonClicked.connect(self.on_method_clicked)
        self.tendered.textChanged.connect(self.basket_changed)
        self.terminal_reference.textChanged.connect(self.basket_changed)
        for button in self.quick:
            button.clicked.connect(lambda _checked=False, b=button: self.on_quick_clicked(b.text()))
        self.sell_button.clicked.connect(self.sell_clicked)
        self.report_button.clicked.connect(self.report_clicked)
        self.back_button.clicked.connect(self.back_clicked)

    # --- filling in -------------------------------------------------------------------------------------------

    def set_occurrences(self, occurrences: Sequence[OccurrenceRow], tz: object = None) -> None:
        self.occurrence.blockSignals(True)
        current = self.occurrence.currentData()
        self.occurrence.clear()
        for occurrence in occurrences:
            when = occurrence.start_at.astimezone(tz).strftime("%a %d %b, %H:%M")  # type: ignore[arg-type]
            self.occurrence.addItem(f"{occurrence.title} · {when}", occurrence.id.hex)
        index = self.occurrence.findData(current) if current is not None else 0
        self.occurrence.setCurrentIndex(max(index, 0))
        self.occurrence.blockSignals(False)

    def set_ticket_types(self, ticket_types: Sequence[TicketTypeRow]) -> None:
        for row in self.type_rows:
            self.types_box.removeWidget(row)
            row.deleteLater()
        self.type_rows = [TicketTypeRowWidget(t) for t in ticket_types]
        for row in self.type_rows:
            self.types_box.addWidget(row)
            row.changed.connect(self.basket_changed)

    def reset(self) -> None:
        for row in self.type_rows:
            row.quantity.setValue(0)
        for field in (self.name, self.email, self.tendered, self.terminal_reference):
            field.clear()
        self.check_in_now.setChecked(False)
        self.cash.setChecked(True)
        self.on_method_clicked()
        self.message.setText("")

    @property
    def occurrence_id(self) -> uuid.UUID | None:
        data = self.occurrence.currentData()
        return uuid.UUID(hex=data) if isinstance(data, str) else None

    @property
    def method(self) -> PaymentMethod:
        button = self.methods.checkedButton()
        return PaymentMethod(str(button.property("method"))) if button is not None else PaymentMethod.CASH

    def request(self) -> SaleRequest | None:
        occurrence_id = self.occurrence_id
        if occurrence_id is None:
            return None
        lines = tuple(
            BasketLine(row.ticket_type.id, row.quantity.value()) for row in self.type_rows if row.quantity.value()
        )
        return SaleRequest(
            occurrence_id=occurrence_id,
            lines=lines,
            method=self.method,
            tendered_cents=parse_money(self.tendered.text()) if self.method is PaymentMethod.CASH else None,
            terminal_reference=self.terminal_reference.text() if self.method is PaymentMethod.CARD_TERMINAL else None,
            name=self.name.text(),
            email=self.email.text(),
            check_in_now=self.check_in_now.isChecked(),
        )

    # --- showing ------------------------------------------------------------------------------------------------

    def show_quote(self, quote: BasketQuote | Refusal | None, tendered_cents: int | None) -> None:
        self.change.setText("")
        self._total_cents: int | None = None
        if quote is None:
            self.total.setText("")
            self.breakdown.setText("Choose the tickets")
            self.sell_button.setEnabled(False)
            return
        if isinstance(quote, Refusal):
            self.total.setText("")
            self.breakdown.setText("")
            self.message.setText(quote.message if quote.code != "empty" else "")
            self.sell_button.setEnabled(False)
            return
        self.message.setText("")
        self._total_cents = quote.total_cents
        self.total.setText(format_money(quote.total_cents, quote.currency))
        parts = [f"{line.prices.quantity} x {line.name}" for line in quote.lines]
        if quote.fee_cents:
            parts.append(
                f"incl. {quote.lines[0].prices.fee_label.lower()} {format_money(quote.fee_cents, quote.currency)}"
            )
        self.breakdown.setText(" · ".join(parts))
        ready = True
        if self.method is PaymentMethod.CASH:
            if tendered_cents is None:
                ready = False
            elif tendered_cents < quote.total_cents:
                self.change.setStyleSheet(f"font-size: 28pt; font-weight: 800; color: {RED};")
                self.change.setText(f"Short by {format_money(quote.total_cents - tendered_cents, quote.currency)}")
                ready = False
            else:
                self.change.setStyleSheet(f"font-size: 32pt; font-weight: 800; color: {GREEN};")
                self.change.setText(f"Change {format_money(tendered_cents - quote.total_cents, quote.currency)}")
        elif self.method is PaymentMethod.CARD_TERMINAL:
            ready = bool(self.terminal_reference.text().strip())
        self.sell_button.setEnabled(ready)

    # --- slots ----------------------------------------------------------------------------------------------------

    @Slot()
    def on_occurrence_changed(self) -> None:
        self.occurrence_chosen.emit(self.occurrence_id)

    @Slot()
    def on_method_clicked(self) -> None:
        method = self.method
        self.tendered.setVisible(method is PaymentMethod.CASH)
        for button in self.quick:
            button.setVisible(method is PaymentMethod.CASH)
        self.terminal_reference.setVisible(method is PaymentMethod.CARD_TERMINAL)
        self.basket_changed.emit()

    def on_quick_clicked(self, label: str) -> None:
        if label == "Exact":
            cents = self._total_cents or 0
            self.tendered.setText(f"{cents // 100}.{cents % 100:02d}")
        else:
            self.tendered.setText(label)
