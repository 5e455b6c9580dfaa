"""The scanning benchmark still runs (on a tiny frame set; the real run is documented in docs/benchmarks.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_scan_benchmark_runs_on_a_few_frames_and_finds_no_misreads() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scan.py"), "--per-category", "1", "--decoders", "zxing,zxing-multipass"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "| zxing-multipass |" in result.stdout
    assert "ratio" in result.stdout


def test_scan_benchmark_times_frame_to_verdict_on_a_small_replica() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "scan.py"),
            "--per-category",
            "1",
            "--decoders",
            "zxing",
            "--verdict",
            "--tickets",
            "2000",
            "--verdict-frames",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "| frame to verdict (decode + check + write) |" in result.stdout
    assert "0 wrong reads" in result.stdout
