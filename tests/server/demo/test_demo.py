"""``usher demo`` as a person runs it, in a process of its own on a fresh SQLite database: without a display it says
so and serves alone; with one (an Xvfb here) it opens a kiosk paired with the server that scans the demo tickets
from its video, and Ctrl-C stops both."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import free_port

pytestmark = pytest.mark.slow


class Demo:
    """``usher demo`` in a subprocess, its output collected line by line on a thread."""

    def __init__(self, tmp_path: Path, *, display: str | None) -> None:
        self.port = free_port()
        self.out = tmp_path / "out"
        environment = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
        environment.pop("QT_QPA_PLATFORM", None)
        environment["USHER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
        if display is not None:
            environment["DISPLAY"] = display
        command = [sys.executable, "-m", "server.cli", "demo", "--port", str(self.port), "--output", str(self.out)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 90) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text)
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in the demo's output:\n{self.text}")

    def stop(self) -> int:
        """Ctrl-C, as in a terminal: the demo and (when there is one) the kiosk get SIGINT."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._reader.join(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()


@pytest.fixture
def xvfb() -> Iterator[str]:
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"], pass_fds=(write,)
    )
    os.close(write)
    received = b""
    while not received.endswith(b"\n"):  # Xvfb may write the number and the newline apart: read both
        chunk = os.read(read, 16)
        if not chunk:
            break
        received += chunk
    try:
        yield f":{received.decode().strip()}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        os.close(read)


def _kiosk_processes(data_dir: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "kiosk" in command and str(data_dir) in command:
                found.append(int(entry.name))
    return found


def test_without_a_display_the_demo_says_so_and_runs_the_server_alone(tmp_path: Path) -> None:
    demo = Demo(tmp_path, display=None)
    try:
        demo.wait_for(r"No display .* running the server alone")
        base_url = f"http://127.0.0.1:{demo.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        tickets = demo.out / "tickets"
        assert len(list(tickets.glob("*.png"))) == 4
        assert len(list(tickets.glob("*.pdf"))) == 5  # one each, and all of them in one
        assert not (demo.out / "kiosk").exists()
    finally:
        code = demo.stop()
    assert code == 0, demo.text


def test_with_a_display_the_demo_opens_a_paired_kiosk_that_scans_a_demo_ticket_green(tmp_path: Path, xvfb: str) -> None:
    demo = Demo(tmp_path, display=xvfb)
    try:
        token = demo.wait_for(r"admin token\s+(\S+)").group(1)
        occurrence = demo.wait_for(r"occurrence ([0-9a-f-]{36})").group(1)
        demo.wait_for(r"kiosk\s+paired as 'Demo desk'")
        headers = {"Authorization": f"Bearer {token}"}
        log_url = f"http://127.0.0.1:{demo.port}/api/v1/occurrences/{occurrence}/check-in/log"
        deadline = time.monotonic() + 90
        admitted: list[dict[str, object]] = []
        while not admitted and time.monotonic() < deadline:
            entries = httpx.get(log_url, headers=headers, timeout=5).json()
            admitted = [e for e in entries if e["status"] == "ok" and e["gate"] == "Terrace gate"]
            time.sleep(0.5)
        assert admitted, demo.text
        assert admitted[0]["device_name"] == "Demo desk"
        assert _kiosk_processes(demo.out / "kiosk")
    finally:
        code = demo.stop()
    assert code == 0, demo.text
    assert "demo stopped" in demo.text
    deadline = time.monotonic() + 10
    while _kiosk_processes(demo.out / "kiosk") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _kiosk_processes(demo.out / "kiosk")
