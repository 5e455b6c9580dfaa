"""Find an attendee by name, email or confirmation code (3 characters or more) and check them in by hand."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.store.rows import TicketRow
from shared.codes import format_for_display
from shared.enums import TicketStatus

TICKET_ROLE = Qt.ItemDataRole.UserRole
STATUS_WORDS = {
    TicketStatus.CONFIRMED: "not checked in",
    TicketStatus.CHECKED_IN: "checked in",
    TicketStatus.CANCELED: "canceled",
    TicketStatus.REFUNDED: "refunded",
    TicketStatus.RESERVED: "not paid",
}


def ticket_label(ticket: TicketRow) -> str:
    code = format_for_display(ticket.confirmation_code) if ticket.confirmation_code else "no code"
    kind = ticket.snapshot.ticket_type_name or "ticket"
    first = f"{ticket.holder_name or '(no name)'}  ·  {STATUS_WORDS[ticket.snapshot.status]}"
    return f"{first}\n{ticket.holder_email}  ·  {code}  ·  {kind}"


class SearchScreen(QWidget):
    query_changed = Signal(str)  # after a short pause in typing
    check_in_requested = Signal(object)  # TicketRow
    back_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Find attendee")
        title.setObjectName("title")
        self.query = QLineEdit()
        self.query.setPlaceholderText("Name, email or confirmation code (3+ characters)")
        self.results = QListWidget()
        self.summary = QLabel("")
        self.summary.setObjectName("subtitle")
        self.check_in_button = QPushButton("Check in")
        self.check_in_button.setObjectName("primary")
        self.check_in_button.setEnabled(False)
        self.back_button = QPushButton("Back to scanning")
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(250)

        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.check_in_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addWidget(self.query)
        layout.addWidget(self.summary)
        layout.addWidget(self.results, 1)
        layout.addLayout(buttons)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.query.textChanged.connect(self.on_query_text_changed)
        self.debounce.timeout.connect(self.on_debounce_timeout)
        self.results.currentItemChanged.connect(self.on_results_current_item_changed)
        self.results.itemActivated.connect(self.on_check_in_clicked)
        self.check_in_button.clicked.connect(self.on_check_in_clicked)
        self.back_button.clicked.connect(self.back_clicked)

    def reset(self) -> None:
        self.query.clear()
        self.results.clear()
        self.summary.setText("")
        self.query.setFocus()

    def show_results(self, tickets: Sequence[TicketRow]) -> None:
        self.results.clear()
        for ticket in tickets:
            item = QListWidgetItem(ticket_label(ticket))
            item.setData(TICKET_ROLE, ticket)
            self.results.addItem(item)
        if len(self.query.text().strip()) < 3:
            self.summary.setText("Type at least 3 characters")
        else:
            self.summary.setText(f"{len(tickets)} found" if tickets else "Nobody found for this event")
        if tickets:
            self.results.setCurrentRow(0)

    def selected(self) -> TicketRow | None:
        item = self.results.currentItem()
        if item is None:
            return None
        ticket: TicketRow = item.data(TICKET_ROLE)
        return ticket

    @Slot(str)
    def on_query_text_changed(self, _text: str) -> None:
        self.debounce.start()

    @Slot()
    def on_debounce_timeout(self) -> None:
        self.query_changed.emit(self.query.text())

    @Slot()
    def on_results_current_item_changed(self) -> None:
        self.check_in_button.setEnabled(self.selected() is not None)

    @Slot()
    def on_check_in_clicked(self) -> None:
        ticket = self.selected()
        if ticket is not None:
            self.check_in_requested.emit(ticket)
