"""The shift report: sales by payment method and ticket type, the total, and what the cash drawer should hold (the
opening float, plus cash tendered, less change given, less cash refunds due). Printable; a new shift starts with the
float counted into the drawer."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.ui.boxoffice import parse_money


class ShiftReportScreen(QWidget):
    print_clicked = Signal()
    new_shift_requested = Signal(int)  # opening float in cents
    back_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Shift report")
        title.setObjectName("title")
        self.opened = QLabel("")
        self.opened.setObjectName("subtitle")
        self.table = QTableWidget(0, 2)
        self.table.horizontalHeader().hide()
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setStyleSheet("QTableWidget { background: white; border-radius: 8px; font-size: 16pt; }")
        self.float_input = QLineEdit()
        self.float_input.setPlaceholderText("Opening float, e.g. 100")
        self.new_shift_button = QPushButton("Close shift, start a new one")
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.print_button = QPushButton("Print")
        self.print_button.setObjectName("primary")
        self.back_button = QPushButton("Back to the desk")
        shift_row = QHBoxLayout()
        shift_row.addWidget(self.float_input, 1)
        shift_row.addWidget(self.new_shift_button)
        shift_row.addWidget(self.message, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 24, 40, 20)
        layout.addWidget(title)
        layout.addWidget(self.opened)
        layout.addWidget(self.table, 1)
        layout.addLayout(shift_row)
        layout.addLayout(buttons)
        self.print_button.clicked.connect(self.print_clicked)
        self.back_button.clicked.connect(self.back_clicked)
        self.new_shift_button.clicked.connect(self.on_new_shift_clicked)

    def show_lines(self, lines: Sequence[tuple[str, str]]) -> None:
        """``report_lines``' output: the first two are the title and when the shift opened."""
        body = list(lines[2:])
        self.opened.setText(lines[1][0] if len(lines) > 1 else "")
        self.table.setRowCount(len(body))
        for row, (label, amount) in enumerate(body):
            left, right = QTableWidgetItem(label), QTableWidgetItem(amount)
            right.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if not amount or label.startswith(("Total", "  =")):
                font = left.font()
                font.setBold(True)
                left.setFont(font)
                right.setFont(font)
            self.table.setItem(row, 0, left)
            self.table.setItem(row, 1, right)
        self.table.resizeRowsToContents()

    @Slot()
    def on_new_shift_clicked(self) -> None:
        text = self.float_input.text().strip() or "0"
        cents = parse_money(text)
        if cents is None:
            self.message.setText("Type the float as an amount, e.g. 100 or 85.50")
            return
        self.message.setText("")
        self.float_input.clear()
        self.new_shift_requested.emit(cents)
