"""The flash-sale benchmark still runs end to end on PostgreSQL (a tiny load; the real run is in docs/benchmarks.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_flash_sale_benchmark_runs_and_oversells_nothing(postgres_template) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "flash_sale.py"),
            "--clients",
            "4",
            "--requests",
            "40",
            "--rounds",
            "1",
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ratio to the floor:" in result.stdout
    assert "oversold 0" in result.stdout
