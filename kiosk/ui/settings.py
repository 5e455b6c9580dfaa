"""Staff settings: camera and decoder, work offline, sounds, kiosk lock and PIN, sync now, events and gate."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.camera.decoders import DECODER_NAMES
from kiosk.config import Credentials, KioskSettings


class SettingsScreen(QWidget):
    camera_changed = Signal(str, str)  # source, decoder
    work_offline_toggled = Signal(bool)
    sounds_toggled = Signal(bool)
    lock_toggled = Signal(bool)
    pin_entered = Signal(str)
    sync_now_clicked = Signal()
    change_setup_clicked = Signal()
    self_check_in_clicked = Signal()
    back_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Settings")
        title.setObjectName("title")
        self.device = QLabel("")
        self.device.setObjectName("subtitle")
        self.device.setWordWrap(True)
        self.camera_source = QLineEdit()
        self.camera_source.setPlaceholderText("camera:0, camera:0@1280x720, file:/path/video.mp4?loop, folder:/path")
        self.decoder = QComboBox()
        self.decoder.addItems(list(DECODER_NAMES))
        self.apply_camera = QPushButton("Apply camera")
        self.work_offline = QCheckBox("Work offline (decide every scan on this kiosk; uploads wait)")
        self.sounds = QCheckBox("Sounds")
        self.locked = QCheckBox("Kiosk lock (full screen, settings behind the PIN)")
        self.new_pin = QLineEdit()
        self.new_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_pin.setPlaceholderText("4+ digits")
        self.set_pin = QPushButton("Set PIN")
        self.pin_message = QLabel("")
        self.pin_message.setObjectName("notice")
        self.sync_now = QPushButton("Sync now")
        self.change_setup = QPushButton("Change events or gate")
        self.self_check_in = QPushButton("Self-check-in mode")
        self.back_button = QPushButton("Back to scanning")
        self.back_button.setObjectName("primary")

        camera_row = QHBoxLayout()
        camera_row.addWidget(self.camera_source, 1)
        camera_row.addWidget(self.decoder)
        camera_row.addWidget(self.apply_camera)
        pin_row = QHBoxLayout()
        pin_row.addWidget(self.new_pin, 1)
        pin_row.addWidget(self.set_pin)
        pin_row.addWidget(self.pin_message, 1)
        form = QFormLayout()
        form.setVerticalSpacing(14)
        form.addRow("Camera", camera_row)
        form.addRow("", self.work_offline)
        form.addRow("", self.sounds)
        form.addRow("", self.locked)
        form.addRow("Staff PIN", pin_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sync_now)
        buttons.addWidget(self.change_setup)
        buttons.addWidget(self.self_check_in)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addWidget(self.device)
        layout.addSpacing(12)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.apply_camera.clicked.connect(self.on_apply_camera_clicked)
        self.work_offline.toggled.connect(self.work_offline_toggled)
        self.sounds.toggled.connect(self.sounds_toggled)
        self.locked.toggled.connect(self.lock_toggled)
        self.set_pin.clicked.connect(self.on_set_pin_clicked)
        self.sync_now.clicked.connect(self.sync_now_clicked)
        self.change_setup.clicked.connect(self.change_setup_clicked)
        self.self_check_in.clicked.connect(self.self_check_in_clicked)
        self.back_button.clicked.connect(self.back_clicked)

    def load(self, settings: KioskSettings, credentials: Credentials | None) -> None:
        widgets = (self.work_offline, self.sounds, self.locked)
        for widget in widgets:
            widget.blockSignals(True)
        self.camera_source.setText(settings.camera_source)
        self.decoder.setCurrentText(settings.decoder)
        self.work_offline.setChecked(settings.work_offline)
        self.sounds.setChecked(settings.sounds)
        self.locked.setChecked(settings.locked)
        for widget in widgets:
            widget.blockSignals(False)
        self.new_pin.clear()
        self.pin_message.setText("" if settings.pin_hash else "No PIN set yet")
        if credentials is not None:
            self.device.setText(
                f"{credentials.device_name or 'This kiosk'} · {credentials.server_url} · device {credentials.device_id}"
            )

    @Slot()
    def on_apply_camera_clicked(self) -> None:
        self.camera_changed.emit(self.camera_source.text(), self.decoder.currentText())

    @Slot()
    def on_set_pin_clicked(self) -> None:
        self.pin_entered.emit(self.new_pin.text())
        self.new_pin.clear()
