"""The packaged kiosk (``make package``): it starts offscreen, opens its main window, loads its decoders and exits 0.

Building takes about half a minute, so the suite does not build it: CI runs ``make package-smoke`` before ``make test``
and this test runs the artifact again. Locally it is skipped when there is no build; with CI=true a missing build
fails."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.databases import IN_CI

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "build" / "dist" / "usher-kiosk" / "usher-kiosk"


@pytest.mark.slow
def test_the_packaged_kiosk_opens_its_main_window_and_exits_cleanly(tmp_path: Path) -> None:
    if not APP.exists():
        if IN_CI:
            pytest.fail(f"{APP} is missing: CI builds it with 'make package' before the tests", pytrace=False)
        pytest.skip("no packaged kiosk: run 'make package'")
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [str(APP), "--data-dir", str(tmp_path), "--exit-after", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "main window open" in done.stdout
    assert "decoder zxing-multipass loaded" in done.stdout
    assert (tmp_path / "settings.json").exists()
