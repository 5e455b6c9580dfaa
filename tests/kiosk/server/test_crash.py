"""Killing the kiosk mid-sync, again and again, loses nothing and doubles nothing.

The kiosk's sync runs in a child process (``python -m kiosk.sync.headless``) against a real uvicorn server, with
small upload batches and small download pages so that there are many places to die in; the test kills it with
SIGKILL at random moments (seeded), several times, then lets one run finish, and compares the server's check-in log
and the kiosk's outbox and replica with what was queued.
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from kiosk.checkin.model import Scan, ScanSource
from kiosk.checkin.offline import OfflineChecker
from kiosk.store.replica import Replica
from kiosk.sync.client import DeviceApi
from kiosk.sync.runner import ClockOffsetHolder, SyncRunner
from shared import wire
from shared.checkin import Gate
from shared.passages import Direction
from tests.kiosk.server.conftest import Venue
from tests.support.clock import ManualClock
from tests.support.doors import DOORS_OPEN
from tests.support.factories import make_sellable_event

ROOT = Path(__file__).resolve().parents[3]
MAX_RUNS = 20
WANTED_KILLS = 5
STARTUP = 0.3  # seconds: the child's imports, before it touches the network


def child(data_dir: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "kiosk.sync.headless",
        "--data-dir",
        str(data_dir),
        "--rounds",
        "5",
        "--push-batch",
        "1",
        "--pull-limit",
        "10",
    ]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def state_of(path: Path) -> tuple[int, int]:
    replica = Replica.open(path)
    try:
        with replica.engine.connect() as connection:
            tickets = int(connection.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one())
        return replica.pending_count(), tickets
    finally:
        replica.close()


class Door:
    """The parent's side of the kiosk: offline scans and undos recorded straight into the replica between runs.
    Every fourth scan shows the last admitted ticket again (refused, and uploaded all the same)."""

    def __init__(self, path: Path, gate: Gate, clock: ManualClock, tickets: list[dict[str, str]]) -> None:
        self.path, self.gate, self.clock = path, gate, clock
        self.waiting = [ticket["qr_code_data"] for ticket in tickets]
        self.last = ""
        self.admitted: list[str] = []  # nonces of admissions
        self.attempts = 0
        self.annulled = 0

    def scan_some(self, count: int) -> None:
        replica = Replica.open(self.path)
        checker = OfflineChecker(replica)
        for _ in range(count):
            again = bool(self.last) and (self.attempts % 4 == 3 or not self.waiting)
            payload = self.last if again else self.waiting.pop()
            nonce = uuid.uuid4().hex
            scan = Scan(ScanSource.CAMERA, nonce, self.clock(), text=payload)
            if checker.decide(scan, gate=self.gate, direction=Direction.ENTRY).outcome.ok:
                self.admitted.append(nonce)
                self.last = payload
            self.attempts += 1
            self.clock.advance(seconds=3)
        if len(self.admitted) > self.annulled * 10 + 5:  # now and then staff undo a scan
            nonce = self.admitted[-1]
            replica.annul(nonce, at=self.clock(), upload=wire.AnnulMutation(nonce=nonce, device_time=self.clock()))
            self.annulled += 1
        replica.close()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])  # the kiosk's crashes are the same whatever the server runs on
def test_killing_the_kiosk_mid_sync_loses_and_doubles_nothing(
    app: FastAPI, venue: Venue, clock: ManualClock, tmp_path: Path
) -> None:
    event = make_sellable_event(
        app.state.session_factory,
        venue.org,
        start_at=clock() + timedelta(minutes=30),
        capacity=300,
        definition_settings=DOORS_OPEN,
    )
    venue = dataclasses.replace(venue, event=event)
    sold = [ticket for _ in range(10) for ticket in venue.sell(10)]
    data_dir = venue.pair_kiosk(tmp_path / "kiosk")
    credentials = data_dir.load_credentials()
    assert credentials is not None
    replica = Replica.open(data_dir.replica_path)
    api = DeviceApi(credentials, clock=clock, offset=ClockOffsetHolder())
    SyncRunner(replica, api, clock=clock, offset=ClockOffsetHolder()).run_once()
    api.close()
    replica.close()
    door = Door(
        data_dir.replica_path, Gate(credentials.device_id, "Door 1", frozenset({event.occurrence_id})), clock, sold
    )

    # The door keeps scanning offline while the kiosk's sync is killed at a random moment, again and again. The
    # moment is drawn within a window that adapts to this machine (shorter when a run got through before the kill,
    # longer when a kill came before any progress).
    rng = random.Random(6)
    window = 0.4
    kills: list[tuple[int, int]] = []  # after each kill that came mid-sync: mutations queued, tickets held
    for run in range(MAX_RUNS):
        if len(kills) >= WANTED_KILLS:
            break
        door.scan_some(12)
        if run % 3 == 0:
            venue.sell(10)  # sold meanwhile: more pages for the kiosk to download
        before = state_of(data_dir.replica_path)
        process = child(data_dir.root)
        time.sleep(STARTUP + rng.uniform(0, window))
        if process.poll() is not None:
            process.communicate(timeout=30)
            window *= 0.7
            continue
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        after = state_of(data_dir.replica_path)
        if after == before:
            window *= 1.5
        elif after[0] > 0 or after[1] < 100 + 10 * (run // 3 + 1):
            kills.append(after)
    final = child(data_dir.root)
    _out, err = final.communicate(timeout=60)
    assert final.returncode == 0, err.decode()
    assert len(kills) >= 2, kills  # at least two kills came mid-sync, each after some progress

    replica = Replica.open(data_dir.replica_path)
    with replica.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        tickets_held = connection.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one()
    outbox = replica.outbox_states()
    assert [seq for seq, _, _ in outbox] == list(range(1, door.attempts + door.annulled + 1))  # no gap, no double
    assert {state for _, _, state in outbox} == {"applied"}
    admitted = len(door.admitted) - door.annulled
    assert replica.counters([event.occurrence_id]).checked_in == admitted
    replica.close()

    assert tickets_held == venue.counters()["sold"]
    log = [entry for entry in venue.log() if entry["gate"] == "Door 1"]
    assert len(log) == door.attempts  # every attempt exactly once, refused ones too
    assert sum(1 for entry in log if entry["annulled_at"]) == door.annulled
    assert venue.counters()["checked_in"] == admitted
