"""Pick the occurrences this gate serves, the gate's name and entry or exit; the first sync's progress shows here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import tzinfo

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.checkin.wording import local_zone
from kiosk.store.rows import OccurrenceRow
from shared.passages import Direction

ID_ROLE = Qt.ItemDataRole.UserRole


def occurrence_label(occurrence: OccurrenceRow, tz: tzinfo | None) -> str:
    start = occurrence.start_at.astimezone(local_zone(occurrence, tz))
    return f"{occurrence.title}\n{start:%a %d %b %Y, %H:%M}"


class SetupScreen(QWidget):
    chosen = Signal(list, str, str)  # occurrence ids, gate, direction

    def __init__(self, tz: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tz = tz
        title = QLabel("What does this door serve?")
        title.setObjectName("title")
        self.progress = QProgressBar()
        self.progress_label = QLabel("Downloading tickets…")
        self.progress_label.setObjectName("subtitle")
        self.occurrence_list = QListWidget()
        self.gate = QLineEdit("Main door")
        self.entry = QPushButton("Entry")
        self.exit = QPushButton("Exit")
        self.directions = QButtonGroup(self)
        for button in (self.entry, self.exit):
            button.setCheckable(True)
            self.directions.addButton(button)
        self.entry.setChecked(True)
        self.start_button = QPushButton("Start scanning")
        self.start_button.setObjectName("primary")
        self.error = QLabel("")
        self.error.setObjectName("error")

        gate_row = QHBoxLayout()
        gate_row.addWidget(QLabel("Gate"))
        gate_row.addWidget(self.gate, 1)
        gate_row.addSpacing(24)
        gate_row.addWidget(self.entry)
        gate_row.addWidget(self.exit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.occurrence_list, 1)
        layout.addLayout(gate_row)
        bottom = QHBoxLayout()
        bottom.addWidget(self.error, 1)
        bottom.addWidget(self.start_button)
        layout.addLayout(bottom)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.start_button.clicked.connect(self.on_start_clicked)

    def set_occurrences(self, occurrences: Sequence[OccurrenceRow], selected: frozenset[uuid.UUID]) -> None:
        checked = self.selected_ids() or list(selected)
        self.occurrence_list.clear()
        for occurrence in occurrences:
            item = QListWidgetItem(occurrence_label(occurrence, self._tz))
            item.setData(ID_ROLE, str(occurrence.id))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if occurrence.id in checked else Qt.CheckState.Unchecked)
            self.occurrence_list.addItem(item)

    def set_choice(self, gate: str, direction: Direction) -> None:
        self.gate.setText(gate)
        (self.exit if direction is Direction.EXIT else self.entry).setChecked(True)

    def selected_ids(self) -> list[uuid.UUID]:
        items = (self.occurrence_list.item(row) for row in range(self.occurrence_list.count()))
        return [uuid.UUID(item.data(ID_ROLE)) for item in items if item.checkState() == Qt.CheckState.Checked]

    @Slot(int, int)
    def on_progress(self, done: int, remaining: int) -> None:
        if remaining < 0:
            self.progress.setRange(0, 0)
            self.progress_label.setText(f"Downloading tickets… {done:,} so far")
            return
        total = max(done + remaining, 1)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress_label.setText(f"Downloading tickets… {done:,} of {total:,}")

    def set_synced(self, done: bool, detail: str = "") -> None:
        self.progress.setVisible(not done)
        if done:
            self.progress_label.setText(detail or "Up to date. Tick the events this door serves.")

    @Slot()
    def on_start_clicked(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self.error.setText("Tick at least one event.")
            return
        self.error.setText("")
        direction = Direction.EXIT if self.exit.isChecked() else Direction.ENTRY
        self.chosen.emit(ids, self.gate.text(), direction.value)
