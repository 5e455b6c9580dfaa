"""First run: pair this kiosk with the server, with the one-time code an organizer created."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class PairingScreen(QWidget):
    pair_requested = Signal(str, str)  # server URL, pairing code

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Pair this kiosk")
        title.setObjectName("title")
        hint = QLabel(
            "An organizer creates this kiosk in Usher (its name, role and events) and gets a one-time pairing code."
            " Enter the server's address and that code here, once."
        )
        hint.setObjectName("subtitle")
        hint.setWordWrap(True)
        self.server_url = QLineEdit()
        self.server_url.setPlaceholderText("https://usher.example.org")
        self.code = QLineEdit()
        self.code.setPlaceholderText("e.g. 482 913")
        self.pair_button = QPushButton("Pair")
        self.pair_button.setObjectName("primary")
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.setVerticalSpacing(16)
        form.addRow("Server", self.server_url)
        form.addRow("Pairing code", self.code)
        box = QWidget()
        box.setFixedWidth(760)
        inner = QVBoxLayout(box)
        inner.addWidget(title)
        inner.addWidget(hint)
        inner.addSpacing(24)
        inner.addLayout(form)
        inner.addSpacing(12)
        inner.addWidget(self.pair_button, alignment=Qt.AlignmentFlag.AlignLeft)
        inner.addWidget(self.error)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(box, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.pair_button.clicked.connect(self.on_pair_clicked)
        self.code.returnPressed.connect(self.on_pair_clicked)

    @Slot()
    def on_pair_clicked(self) -> None:
        if not self.server_url.text().strip() or not self.code.text().strip():
            self.error.setText("Enter the server address and the pairing code.")
            return
        self.error.setText("")
        self.pair_button.setEnabled(False)
        self.pair_button.setText("Pairing…")
        self.pair_requested.emit(self.server_url.text(), self.code.text())

    @Slot(str)
    def on_pairing_failed(self, message: str) -> None:
        self.pair_button.setEnabled(True)
        self.pair_button.setText("Pair")
        self.error.setText(message)
