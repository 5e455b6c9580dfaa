"""Organizer tools at the kiosk: the attendee list of the served occurrences with check-in status, search and
filters (checked in, not yet, canceled; ticket type), CSV export and "sync now"."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import tzinfo

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
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

from kiosk.store.attendees import AttendeeState
from kiosk.store.rows import AttendeeRow
from kiosk.ui.style import GREEN, MUTED, RED
from shared.codes import format_for_display

SHOWN = 500  # lines on screen; the export has them all
STATES = (
    ("All", None),
    ("Checked in", AttendeeState.CHECKED_IN),
    ("Not yet", AttendeeState.NOT_YET),
    ("Canceled", AttendeeState.CANCELED),
)
_COLOURS = {AttendeeState.CHECKED_IN: GREEN, AttendeeState.NOT_YET: MUTED, AttendeeState.CANCELED: RED}
_WORDS = {AttendeeState.CHECKED_IN: "In", AttendeeState.NOT_YET: "Not yet", AttendeeState.CANCELED: "Canceled"}


class AttendeesScreen(QWidget):
    filters_changed = Signal()
    export_clicked = Signal()
    sync_now_clicked = Signal()
    back_clicked = Signal()

    def __init__(self, tz: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tz = tz
        title = QLabel("Attendees")
        title.setObjectName("title")
        self.summary = QLabel("")
        self.summary.setObjectName("subtitle")
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search name, email or code")
        self.state = QComboBox()
        for label, value in STATES:
            self.state.addItem(label, value)
        self.ticket_type = QComboBox()
        self.ticket_type.addItem("All ticket types", None)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Name", "Ticket type", "Code", "Status", "Email"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setStyleSheet("QTableWidget { background: white; font-size: 14pt; }")
        self.notice = QLabel("")
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.export_button = QPushButton("Export CSV")
        self.sync_button = QPushButton("Sync now")
        self.back_button = QPushButton("Back to scanning")
        self.back_button.setObjectName("primary")
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(200)
        filters = QHBoxLayout()
        filters.addWidget(self.query, 2)
        filters.addWidget(self.state, 1)
        filters.addWidget(self.ticket_type, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.notice, 1)
        buttons.addWidget(self.sync_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(30, 20, 30, 16)
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.query.textChanged.connect(self.debounce.start)
        self.debounce.timeout.connect(self.filters_changed)
        self.state.currentIndexChanged.connect(self.filters_changed)
        self.ticket_type.currentIndexChanged.connect(self.filters_changed)
        self.export_button.clicked.connect(self.export_clicked)
        self.sync_button.clicked.connect(self.sync_now_clicked)
        self.back_button.clicked.connect(self.back_clicked)

    def set_ticket_types(self, names: Sequence[tuple[uuid.UUID, str]]) -> None:
        self.ticket_type.blockSignals(True)
        current = self.ticket_type.currentData()
        self.ticket_type.clear()
        self.ticket_type.addItem("All ticket types", None)
        for ticket_type_id, name in names:
            self.ticket_type.addItem(name, ticket_type_id.hex)  # plain text data: Qt compares it in findData
        self.ticket_type.setCurrentIndex(max(self.ticket_type.findData(current), 0) if current else 0)
        self.ticket_type.blockSignals(False)

    @property
    def state_filter(self) -> AttendeeState | None:
        value = self.state.currentData()
        return AttendeeState(value) if value else None

    @property
    def ticket_type_filter(self) -> uuid.UUID | None:
        value = self.ticket_type.currentData()
        return uuid.UUID(hex=value) if isinstance(value, str) else None

    def show_rows(self, rows: Sequence[AttendeeRow]) -> None:
        shown = rows[:SHOWN]
        self.table.setRowCount(len(shown))
        for index, row in enumerate(shown):
            state = AttendeeState(row.state)
            if state is AttendeeState.CHECKED_IN and row.checked_in_at is not None:
                status = f"In {row.checked_in_at.astimezone(self._tz):%H:%M}" + (f" · {row.gate}" if row.gate else "")
            else:
                status = _WORDS[state]
            code = format_for_display(row.code) if row.code else ""
            values = (row.name or "(no name)", row.ticket_type, code, status, row.email)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 3:
                    item.setForeground(QColor(_COLOURS[state]))
                self.table.setItem(index, column, item)
        if len(rows) > SHOWN:
            self.summary.setText(f"The first {SHOWN} by name: search or filter to narrow them; the export has all")
        else:
            checked = sum(1 for row in rows if row.state == AttendeeState.CHECKED_IN)
            self.summary.setText(f"{len(rows)} tickets · {checked} checked in")

    @Slot(str)
    def show_notice(self, message: str) -> None:
        self.notice.setText(message)
