"""The full-screen verdict: green, amber or red, the headline huge, notes on their own band."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.checkin.wording import Tone, VerdictView
from kiosk.ui.style import TONE_BACKGROUND, TONE_INK

SHOW_MS = {Tone.GREEN: 2500, Tone.AMBER: 4500, Tone.RED: 4500}
MARK = {Tone.GREEN: "✓", Tone.AMBER: "!", Tone.RED: "✕"}


class VerdictOverlay(QWidget):
    """Covers its parent while a verdict shows; hides after a few seconds, on a tap, or when the next one comes."""

    dismissed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("verdict")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.mark = QLabel()
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        for label in (self.mark, self.headline, self.details, self.notes):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(60, 40, 60, 40)
        layout.addStretch(1)
        layout.addWidget(self.mark)
        layout.addWidget(self.headline)
        layout.addWidget(self.details)
        layout.addSpacing(20)
        layout.addWidget(self.notes)
        layout.addStretch(1)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.view: VerdictView | None = None
        self.hide()
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.timer.timeout.connect(self.on_timer_timeout)

    def show_view(self, view: VerdictView) -> None:
        self.view = view
        background, ink = TONE_BACKGROUND[view.tone], TONE_INK[view.tone]
        self.setStyleSheet(
            f"#verdict {{ background: {background}; }} QLabel {{ background: transparent; color: {ink}; }}"
        )
        self.mark.setText(MARK[view.tone])
        self.mark.setStyleSheet("font-size: 96pt; font-weight: 800;")
        self.headline.setText(view.headline)
        self.headline.setStyleSheet("font-size: 60pt; font-weight: 800;")
        self.details.setText("\n".join(view.lines))
        self.details.setStyleSheet("font-size: 30pt; font-weight: 500;")
        self.notes.setText("\n".join(view.notes))
        self.notes.setVisible(bool(view.notes))
        self.notes.setStyleSheet(
            "font-size: 34pt; font-weight: 800; background: rgba(255,255,255,0.92); color: #16202a;"
            "border-radius: 14px; padding: 18px;"
        )
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
        self.timer.start(SHOW_MS[view.tone])

    def dismiss(self) -> None:
        self.timer.stop()
        if self.isVisible():
            self.hide()
            self.dismissed.emit()

    @Slot()
    def on_timer_timeout(self) -> None:
        self.dismiss()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        self.dismiss()
        event.accept()
