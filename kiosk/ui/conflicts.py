"""What the server rejected or flagged after a sync (duplicate entries, check-ins of canceled tickets)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from kiosk.store.rows import Conflict

ID_ROLE = Qt.ItemDataRole.UserRole


class ConflictsScreen(QWidget):
    handled = Signal(str)  # conflict key
    back_clicked = Signal()

    def __init__(self, tz: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tz = tz
        title = QLabel("Conflicts to look at")
        title.setObjectName("title")
        hint = QLabel("The server has the final say. These are the scans it flagged or turned down after a sync.")
        hint.setObjectName("subtitle")
        hint.setWordWrap(True)
        self.items = QListWidget()
        self.empty = QLabel("Nothing to look at. ✓")
        self.handled_button = QPushButton("Mark as handled")
        self.handled_button.setObjectName("primary")
        self.back_button = QPushButton("Back to scanning")
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.handled_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.empty)
        layout.addWidget(self.items, 1)
        layout.addLayout(buttons)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.handled_button.clicked.connect(self.on_handled_clicked)
        self.back_button.clicked.connect(self.back_clicked)

    def show_conflicts(self, conflicts: Sequence[Conflict]) -> None:
        self.items.clear()
        for conflict in conflicts:
            when = conflict.reported_at.astimezone(self._tz)
            text = f"{conflict.summary}\n{when:%H:%M} · {conflict.details}" if conflict.details else conflict.summary
            item = QListWidgetItem(text)
            item.setData(ID_ROLE, conflict.key)
            self.items.addItem(item)
        self.empty.setVisible(not conflicts)
        self.items.setVisible(bool(conflicts))
        self.handled_button.setEnabled(bool(conflicts))
        if conflicts:
            self.items.setCurrentRow(0)

    @Slot()
    def on_handled_clicked(self) -> None:
        item = self.items.currentItem()
        if item is not None:
            self.handled.emit(str(item.data(ID_ROLE)))
