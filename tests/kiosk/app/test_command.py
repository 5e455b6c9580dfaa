"""``usher kiosk`` starts, opens its window on the pairing screen, and exits cleanly; the server's command line does
not load Qt or the camera stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_usher_kiosk_starts_offscreen_and_exits_cleanly(tmp_path: Path) -> None:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [
        sys.executable,
        "-m",
        "server.cli",
        "kiosk",
        "--data-dir",
        str(tmp_path),
        "--camera",
        "file:/none.mp4",
        "--decoder",
        "zxing",
        "--exit-after",
        "1",
    ]
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert (settings["camera_source"], settings["decoder"]) == ("file:/none.mp4", "zxing")
    assert not (tmp_path / "device.json").exists()  # not paired yet: it showed the pairing screen


def test_the_server_command_line_does_not_load_the_kiosk_stack() -> None:
    code = "import sys, server.cli; print(sorted(m for m in ('PySide6', 'cv2', 'zxingcpp') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
