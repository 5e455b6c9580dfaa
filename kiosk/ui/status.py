"""The always-visible strip: sync state (online, offline since, scans waiting, last sync) and the live counters."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from kiosk.store.rows import Counters
from kiosk.sync.engine import SyncStatus
from kiosk.ui.style import AMBER, GREEN, INK, MUTED, RED


def describe_sync(status: SyncStatus, tz: tzinfo | None) -> tuple[str, str]:
    """(colour, text) for the sync state."""
    waiting = ""
    if status.pending:
        waiting = f" · {status.pending} scan{'s' if status.pending != 1 else ''} waiting to upload"
    last = f" · last sync {status.last_success.astimezone(tz):%H:%M}" if status.last_success else " · never synced"
    if status.working_offline:
        return AMBER, f"Working offline (switch on){waiting}{last}"
    if status.online:
        label = "Syncing…" if status.syncing else "Online"
        return GREEN, f"{label}{waiting}{last}"
    since = f" since {status.offline_since.astimezone(tz):%H:%M}" if status.offline_since else ""
    return RED, f"Offline{since}{waiting}{last}"


class SyncIndicator(QLabel):
    def __init__(self, tz: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tz = tz
        self.setObjectName("sync")
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.on_status_changed(SyncStatus())

    @Slot(object)
    def on_status_changed(self, status: SyncStatus) -> None:
        colour, text = describe_sync(status, self._tz)
        self.setText(f'<span style="color:{colour}; font-size:22pt">●</span>&nbsp;{text}')


class CounterStrip(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.checked_in = QLabel()
        self.inside = QLabel()
        for label in (self.checked_in, self.inside):
            label.setStyleSheet("font-size: 20pt; font-weight: 700;")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.checked_in)
        layout.addSpacing(28)
        layout.addWidget(self.inside)
        self.on_counters_changed(Counters())

    @Slot(object)
    def on_counters_changed(self, counters: Counters) -> None:
        muted = f'<span style="color:{MUTED}; font-weight:400">'
        self.checked_in.setText(f"{counters.checked_in:,}{muted} of {counters.sold:,} checked in</span>")
        self.inside.setText(f"{counters.inside:,}{muted} inside now</span>")


class StatusBar(QWidget):
    def __init__(self, tz: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sync = SyncIndicator(tz)
        self.counters = CounterStrip()
        self.setObjectName("statusbar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(f"#statusbar {{ background: #e3e9ee; }} QLabel {{ background: transparent; color: {INK}; }}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 10, 24, 10)
        layout.addWidget(self.sync, 1)
        layout.addWidget(self.counters)
