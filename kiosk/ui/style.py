"""Colours and type sizes: readable from a metre away, the three verdict colours unmistakable."""

from __future__ import annotations

from kiosk.checkin.wording import Tone

GREEN = "#1b873f"
AMBER = "#e0a100"
RED = "#c62828"
INK = "#16202a"
PAPER = "#f4f6f8"
MUTED = "#5b6b7a"
ACCENT = "#1f5fa8"

TONE_BACKGROUND = {Tone.GREEN: GREEN, Tone.AMBER: AMBER, Tone.RED: RED}
TONE_INK = {Tone.GREEN: "#ffffff", Tone.AMBER: INK, Tone.RED: "#ffffff"}

APP_STYLESHEET = f"""
QWidget {{ font-size: 18pt; color: {INK}; background: {PAPER}; }}
QLabel#title {{ font-size: 30pt; font-weight: 700; }}
QLabel#subtitle {{ font-size: 16pt; color: {MUTED}; }}
QLabel#error {{ color: {RED}; font-weight: 600; }}
QLabel#notice {{ color: {ACCENT}; font-weight: 600; }}
QLineEdit {{ padding: 8px 10px; min-height: 36px; border: 2px solid #b8c4cf; border-radius: 8px; background: white; }}
QLineEdit:focus {{ border-color: {ACCENT}; }}
QPushButton {{ padding: 12px 22px; border-radius: 8px; background: #dde4ea; border: none; font-weight: 600; }}
QPushButton:hover {{ background: #cfd8e0; }}
QPushButton:checked {{ background: {ACCENT}; color: white; }}
QPushButton#primary {{ background: {ACCENT}; color: white; }}
QPushButton#primary:disabled {{ background: #9db4cf; }}
QPushButton#danger {{ background: {RED}; color: white; }}
QListWidget {{ background: white; border: 2px solid #d3dbe2; border-radius: 8px; }}
QListWidget::item {{ padding: 12px; border-bottom: 1px solid #e6ebef; }}
QListWidget::item:selected {{ background: #dbe8f6; color: {INK}; }}
QListWidget::indicator {{ width: 30px; height: 30px; }}
QProgressBar {{ border: 2px solid #b8c4cf; border-radius: 8px; text-align: center; height: 28px; background: white; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 6px; }}
QComboBox {{ padding: 8px; border: 2px solid #b8c4cf; border-radius: 8px; background: white; }}
QCheckBox {{ spacing: 12px; }}
QCheckBox::indicator {{ width: 28px; height: 28px; }}
"""
