"""The sync benchmark still runs end to end (on a small data set; the real run is in docs/benchmarks.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sync_benchmark_runs_on_a_small_event_and_applies_every_scan() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sync.py"), "--tickets", "600", "--scans", "100", "--backend", "sqlite"],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| initial sync, 600 tickets, end to end |" in result.stdout
    assert "(100 counted)" in result.stdout
