"""``usher demo`` seeds a believable organization and serves it; running it again reuses it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from server.demo import prepare_demo
from server.events.models import EventDefinition, EventOccurrence, TicketType
from server.villas.models import Space
from shared.enums import DefinitionStatus, EventType, SpaceKind
from tests.support.live_server import free_port


def test_demo_seed_has_villas_venues_and_sellable_events(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    first = prepare_demo(database_url=url, fresh=False)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        kinds = connection.execute(sa.select(Space.kind, sa.func.count()).group_by(Space.kind)).all()
        types = set(connection.scalars(sa.select(EventDefinition.event_type)))
        statuses = set(connection.scalars(sa.select(EventDefinition.status)))
        unpriced = connection.scalar(
            sa.select(sa.func.count())
            .select_from(EventDefinition)
            .where(~sa.exists().where(TicketType.event_definition_id == EventDefinition.id))
        )
        occurrences = connection.scalar(sa.select(sa.func.count()).select_from(EventOccurrence))
    engine.dispose()
    assert dict(kinds) == {SpaceKind.VILLA.value: 3, SpaceKind.VENUE.value: 2}
    assert {EventType.ONE_TIME.value, EventType.RECURRING.value, EventType.MULTI_DAY.value} <= set(types)
    assert statuses == {DefinitionStatus.ACTIVE.value}
    assert unpriced == 0
    assert occurrences > 30  # the recurring yoga alone fills 90 days

    second = prepare_demo(database_url=url, fresh=False)
    assert (second.created, second.org_id) == (False, first.org_id)
    assert second.admin_token != first.admin_token


def test_usher_demo_serves_the_api_and_prints_the_token(tmp_path: Path) -> None:
    port = free_port()
    # No display: the demo runs the server alone (a kiosk window in a test run would be a stray); its tickets go
    # into the test's folder, not the working directory.
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["USHER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "demo", "--port", str(port), "--output", str(tmp_path / "demo-output")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "usher demo exited early"
            assert time.monotonic() < deadline, "usher demo did not come up"
            time.sleep(0.2)
        assert httpx.get(f"{base}/docs").status_code == 200
        listing = httpx.get(f"{base}/api/v1/public/casa-serena/occurrences").json()
        assert listing["items"], "the demo must have bookable occurrences"
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    token_lines = [line for line in output.splitlines() if "admin token" in line]
    assert token_lines
    assert "usher_" in token_lines[0]
    assert f"http://127.0.0.1:{port}/docs" in output
