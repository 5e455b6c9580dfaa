"""A keypad for the staff PIN: big keys, digits hidden."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class PinDialog(QDialog):
    def __init__(self, prompt: str = "Staff PIN", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(prompt)
        self.setModal(True)
        label = QLabel(prompt)
        label.setObjectName("title")
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin.setStyleSheet("font-size: 30pt; letter-spacing: 8px;")
        self.error = QLabel("")
        self.error.setObjectName("error")
        keys = QGridLayout()
        for index, key in enumerate(("1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK")):
            button = QPushButton(key)
            button.setMinimumSize(110, 80)
            button.setStyleSheet("font-size: 26pt;")
            if key == "OK":
                button.setObjectName("primary")
            button.clicked.connect(lambda _checked=False, k=key: self.on_key_clicked(k))
            keys.addWidget(button, index // 3, index % 3)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.pin)
        layout.addWidget(self.error)
        layout.addLayout(keys)
        layout.addWidget(cancel)
        self.pin.returnPressed.connect(self.accept)

    @Slot(str)
    def on_key_clicked(self, key: str) -> None:
        if key == "OK":
            self.accept()
        elif key == "⌫":
            self.pin.backspace()
        else:
            self.pin.insert(key)

    def value(self) -> str:
        return self.pin.text()
