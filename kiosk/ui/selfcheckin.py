"""The guest-facing screen: "show your ticket to the camera", a big friendly answer, and no staff controls. The
small "Staff" corner button asks for the staff PIN; nothing else leaves this screen."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.ui.scan import CameraPreview


class SelfCheckInScreen(QWidget):
    staff_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("Welcome!")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading.setStyleSheet("font-size: 40pt; font-weight: 800;")
        self.prompt = QLabel("Hold the QR code of your ticket up to the camera")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt.setWordWrap(True)
        self.prompt.setStyleSheet("font-size: 26pt;")
        self.preview = CameraPreview()
        self.hint = QLabel("Paper or phone both work. Turn up the screen brightness if it does not read.")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setObjectName("subtitle")
        self.hint.setWordWrap(True)
        self.staff_button = QPushButton("Staff")
        self.staff_button.setFlat(True)
        self.staff_button.setStyleSheet("font-size: 12pt; color: #8a97a3; background: transparent; padding: 6px;")
        self.staff_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        corner = QHBoxLayout()
        corner.addStretch(1)
        corner.addWidget(self.staff_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(60, 30, 60, 12)
        layout.addWidget(self.heading)
        layout.addWidget(self.prompt)
        layout.addSpacing(10)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.hint)
        layout.addLayout(corner)
        self.staff_button.clicked.connect(self.staff_clicked)

    def set_event(self, title: str) -> None:
        self.heading.setText(f"Welcome to {title}" if title else "Welcome!")
