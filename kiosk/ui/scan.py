"""The door: camera preview, typed code, the last verdict, staff tools; sync state and counters below."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.checkin.wording import VerdictView
from kiosk.ui.status import StatusBar
from kiosk.ui.style import TONE_BACKGROUND, TONE_INK
from shared.passages import Direction


class CameraPreview(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(QSize(480, 270))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setStyleSheet("background: #0f1418; color: #c9d3dc; border-radius: 12px; font-size: 18pt;")
        self.setText("Camera starting…")
        self.frames = 0

    @Slot(QImage)
    def on_frame_ready(self, image: QImage) -> None:
        self.frames += 1
        pixmap = QPixmap.fromImage(image).scaled(
            self.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.setPixmap(pixmap)

    @Slot(str)
    def on_camera_error(self, message: str) -> None:
        self.clear()
        self.setText(f"Camera: {message}\n\nTickets can still be scanned with a USB scanner or typed.")
        self.setWordWrap(True)


class LastVerdict(QLabel):
    """A small card repeating the last verdict after the full-screen one has gone."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setMinimumHeight(96)
        self.setText("")

    def show_view(self, view: VerdictView) -> None:
        background, ink = TONE_BACKGROUND[view.tone], TONE_INK[view.tone]
        self.setStyleSheet(f"background: {background}; color: {ink}; border-radius: 10px; padding: 12px;")
        lines = " · ".join((*view.lines, *view.notes))
        self.setText(f"<b style='font-size:22pt'>{view.headline}</b><br>{lines}")


class ScanScreen(QWidget):
    code_entered = Signal(str)
    direction_chosen = Signal(str)
    search_clicked = Signal()
    undo_clicked = Signal()
    conflicts_clicked = Signal()
    settings_clicked = Signal()
    sell_clicked = Signal()
    attendees_clicked = Signal()

    def __init__(self, tz: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("")
        self.heading.setObjectName("title")
        self.gate_label = QLabel("")
        self.gate_label.setObjectName("subtitle")
        self.entry = QPushButton("Entry")
        self.exit = QPushButton("Exit")
        self.directions = QButtonGroup(self)
        for button in (self.entry, self.exit):
            button.setCheckable(True)
            self.directions.addButton(button)
        self.entry.setChecked(True)
        self.preview = CameraPreview()
        prompt = QLabel("Hold the ticket's QR code up to the camera, scan it, or type its code")
        prompt.setWordWrap(True)
        self.code = QLineEdit()
        self.code.setPlaceholderText("Type a code")
        self.code.setStyleSheet("font-size: 24pt; padding: 14px;")
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("primary")
        self.last = LastVerdict()
        self.notice = QLabel("")
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.search_button = QPushButton("Find attendee")
        self.undo_button = QPushButton("Undo last")
        self.conflicts_button = QPushButton("Conflicts")
        self.settings_button = QPushButton("Settings")
        self.sell_button = QPushButton("Sell tickets")
        self.attendees_button = QPushButton("Attendee list")
        self.status = StatusBar(tz)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.heading)
        titles.addWidget(self.gate_label)
        header.addLayout(titles, 1)
        header.addWidget(self.entry)
        header.addWidget(self.exit)

        code_row = QHBoxLayout()
        code_row.addWidget(self.code, 1)
        code_row.addWidget(self.check_button)
        self.tools = QGridLayout()
        side = QVBoxLayout()
        side.addWidget(prompt)
        side.addLayout(code_row)
        side.addSpacing(10)
        side.addWidget(self.last)
        side.addWidget(self.notice)
        side.addStretch(1)
        side.addLayout(self.tools)
        body = QHBoxLayout()
        body.addWidget(self.preview, 3)
        body.addSpacing(24)
        body.addLayout(side, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        content = QVBoxLayout()
        content.setContentsMargins(30, 20, 30, 16)
        content.addLayout(header)
        content.addSpacing(8)
        content.addLayout(body, 1)
        layout.addLayout(content, 1)
        layout.addWidget(self.status)
        # Only now that the grid belongs to this widget: shown before, a button would open as a window of its own.
        self.show_selling(True)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.code.returnPressed.connect(self.on_code_return_pressed)
        self.check_button.clicked.connect(self.on_code_return_pressed)
        self.entry.clicked.connect(self.on_direction_clicked)
        self.exit.clicked.connect(self.on_direction_clicked)
        self.search_button.clicked.connect(self.search_clicked)
        self.undo_button.clicked.connect(self.undo_clicked)
        self.conflicts_button.clicked.connect(self.conflicts_clicked)
        self.settings_button.clicked.connect(self.settings_clicked)
        self.sell_button.clicked.connect(self.sell_clicked)
        self.attendees_button.clicked.connect(self.attendees_clicked)

    def set_heading(self, heading: str, gate: str, direction: Direction) -> None:
        self.heading.setText(heading)
        self.gate_label.setText(f"Gate: {gate}")
        (self.exit if direction is Direction.EXIT else self.entry).setChecked(True)

    def show_selling(self, sells: bool) -> None:
        """The staff tools two by two, "Sell tickets" among them only on a device that sells: no hole where it was."""
        buttons = [self.search_button, self.undo_button]
        if sells:
            buttons.append(self.sell_button)
        buttons += [self.attendees_button, self.conflicts_button, self.settings_button]
        self.sell_button.setVisible(sells)
        for button in (self.sell_button, *buttons):
            self.tools.removeWidget(button)
        for index, button in enumerate(buttons):
            self.tools.addWidget(button, index // 2, index % 2)

    def set_conflicts(self, count: int) -> None:
        self.conflicts_button.setText(f"Conflicts ({count})" if count else "Conflicts")
        self.conflicts_button.setObjectName("danger" if count else "")
        self.conflicts_button.style().unpolish(self.conflicts_button)
        self.conflicts_button.style().polish(self.conflicts_button)

    @Slot()
    def on_code_return_pressed(self) -> None:
        text = self.code.text().strip()
        self.code.clear()
        if text:
            self.code_entered.emit(text)

    @Slot()
    def on_direction_clicked(self) -> None:
        self.direction_chosen.emit(Direction.EXIT.value if self.exit.isChecked() else Direction.ENTRY.value)
