"""The kiosk against the real server: pairing, the first sync, offline check-ins reconciled when the network
returns, a duplicate entry with another kiosk reported back, and a revoked kiosk wiped."""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.checkin.model import DecidedBy, ScanSource
from kiosk.config import DataDir
from kiosk.controller import Controller, Screen
from kiosk.sound import SilentPlayer
from kiosk.store.replica import Replica
from kiosk.sync.client import DeviceApi, connector, pair
from kiosk.sync.runner import ClockOffsetHolder, SyncRunner
from kiosk.ui.window import MainWindow
from server.events.models import EventOccurrence
from tests.kiosk.server.conftest import NetworkSwitch, Venue
from tests.support.clock import ManualClock
from tests.support.doors import DOORS_OPEN, sell
from tests.support.factories import make_sellable_event
from tests.support.kiosk import SimulatedKiosk, create_device

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def open_kiosk(
    qtbot: QtBot, data_dir: DataDir, clock: ManualClock, network: NetworkSwitch
) -> tuple[MainWindow, Controller]:
    controller = Controller(
        data_dir, clock=clock, sound=SilentPlayer(), connect=connector(clock=clock, transport=network)
    )
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.show()
    controller.start()
    return window, controller


def scan(qtbot: QtBot, controller: Controller, payload: str) -> object:
    with qtbot.wait_signal(controller.verdict_ready, timeout=10_000) as blocker:
        controller.submit(payload, ScanSource.CAMERA)
    return blocker.args[0].verdict


def test_offline_check_ins_reconcile_with_the_server_when_the_network_returns(
    qtbot: QtBot, venue: Venue, clock: ManualClock, tmp_path: Path
) -> None:
    sold = venue.sell(4)
    network = NetworkSwitch()
    window, controller = open_kiosk(qtbot, venue.pair_kiosk(tmp_path / "k1", network=network), clock, network)
    qtbot.wait_until(lambda: controller.sync_status.online and controller.counters().sold == 4, timeout=15_000)
    late = venue.sell(1)[0]  # sold after the kiosk's first sync

    network.up = False
    other = SimulatedKiosk.pair(
        venue.http, venue.org.headers, clock, name="Garden gate", occurrence_ids=[venue.event.occurrence_id]
    )
    other.redeem(sold[2]["confirmation_code"], [venue.event.occurrence_id])  # admitted at the other gate meanwhile
    clock.advance(minutes=1)

    verdicts = [scan(qtbot, controller, sold[i]["qr_code_data"]) for i in (0, 1, 2)]
    verdicts.append(scan(qtbot, controller, late["qr_code_data"]))  # known only by its signature
    verdicts.append(scan(qtbot, controller, sold[0]["qr_code_data"]))  # the same guest again: amber
    assert [v.decided_by for v in verdicts] == [DecidedBy.LOCAL] * 5  # type: ignore[attr-defined]
    assert [v.outcome.ok for v in verdicts] == [True, True, True, True, False]  # type: ignore[attr-defined]
    qtbot.wait_until(lambda: controller.sync_status.pending == 5, timeout=10_000)
    assert "Offline since" in window.scan.status.sync.text()

    network.up = True
    controller.sync_now()
    qtbot.wait_until(lambda: controller.sync_status.online and controller.sync_status.pending == 0, timeout=15_000)
    counters = venue.counters()
    assert counters["checked_in"] == 4  # sold[0], sold[1], sold[2] (once, despite two gates) and the late one
    mine = [entry for entry in venue.log() if entry["gate"] == "Door 1"]
    assert len(mine) == 5  # every attempt, the refused one too, exactly once
    assert sum(1 for entry in mine if entry["counted"]) == 3  # sold[2]'s entry here came after the garden gate's
    qtbot.wait_until(lambda: any(c.kind == "duplicate_entry" for c in controller.conflicts()), timeout=10_000)
    assert controller.counters().checked_in == 4
    window.force_close()


def test_a_kiosk_revoked_by_the_organizer_wipes_its_replica_and_asks_for_pairing(
    qtbot: QtBot, venue: Venue, clock: ManualClock, tmp_path: Path
) -> None:
    venue.sell(2)
    network = NetworkSwitch()
    data_dir = venue.pair_kiosk(tmp_path / "k1", network=network)
    window, controller = open_kiosk(qtbot, data_dir, clock, network)
    qtbot.wait_until(lambda: controller.counters().sold == 2, timeout=15_000)
    device_id = data_dir.load_credentials().device_id  # type: ignore[union-attr]
    response = venue.http.post(f"/api/v1/devices/{device_id}/revoke", headers=venue.org.headers)
    assert response.status_code == 200, response.text
    controller.sync_now()
    qtbot.wait_until(lambda: controller.screen is Screen.PAIRING, timeout=15_000)
    assert data_dir.load_credentials() is None
    replica = Replica.open(data_dir.replica_path)
    assert replica.occurrences() == []
    assert replica.search("doe", [uuid.UUID(int=0)]) == []
    with replica.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one() == 0
    replica.close()
    window.force_close()


def test_first_run_pairs_on_screen_syncs_then_picks_the_event_and_scans(
    qtbot: QtBot, venue: Venue, clock: ManualClock, tmp_path: Path
) -> None:
    sold = venue.sell(3)
    code = create_device(
        venue.http,
        venue.org.headers,
        name="Terrace door",
        role="door_scanner",
        occurrence_ids=[venue.event.occurrence_id],
    )
    network = NetworkSwitch()
    data_dir = DataDir(tmp_path / "fresh")
    controller = Controller(
        data_dir,
        clock=clock,
        sound=SilentPlayer(),
        connect=connector(clock=clock, transport=network),
        pair=functools.partial(pair, transport=network),
    )
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.show()
    controller.start()
    assert window.stack.currentWidget() is window.pairing

    qtbot.keyClicks(window.pairing.server_url, venue.base_url)
    qtbot.keyClicks(window.pairing.code, "WRONG-CODE")
    with qtbot.wait_signal(controller.pairing_failed, timeout=10_000):
        qtbot.mouseClick(window.pairing.pair_button, Qt.MouseButton.LeftButton)
    assert "not valid" in window.pairing.error.text()

    window.pairing.code.setText(code)
    with qtbot.wait_signal(controller.screen_changed, timeout=10_000):
        qtbot.mouseClick(window.pairing.pair_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.setup
    credentials = data_dir.load_credentials()
    assert credentials is not None
    assert credentials.device_name == "Terrace door"
    assert (data_dir.root / "device.json").stat().st_mode & 0o777 == 0o600
    qtbot.wait_until(lambda: window.setup.occurrence_list.count() == 1, timeout=10_000)
    qtbot.wait_until(lambda: not window.setup.progress.isVisible(), timeout=10_000)

    window.setup.occurrence_list.item(0).setCheckState(Qt.CheckState.Checked)
    window.setup.gate.setText("Terrace door")
    qtbot.mouseClick(window.setup.start_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.scan
    verdict = scan(qtbot, controller, sold[0]["qr_code_data"])
    assert verdict.outcome.ok  # type: ignore[attr-defined]
    assert verdict.decided_by is DecidedBy.SERVER  # type: ignore[attr-defined]
    assert data_dir.load_settings().occurrence_ids == [str(venue.event.occurrence_id)]
    window.force_close()


def test_a_long_first_download_reports_how_much_is_left(venue: Venue, clock: ManualClock, tmp_path: Path) -> None:
    venue.sell(9)
    data_dir = venue.pair_kiosk(tmp_path / "k1")
    credentials = data_dir.load_credentials()
    assert credentials is not None
    replica = Replica.open(data_dir.replica_path)
    offset = ClockOffsetHolder.from_replica(replica)
    api = DeviceApi(credentials, clock=clock, offset=offset, pull_limit=4)
    reports: list[tuple[int, int | None]] = []
    runner = SyncRunner(replica, api, clock=clock, offset=offset, on_progress=lambda *report: reports.append(report))
    try:
        runner.run_once()
        tickets = replica.counters([venue.event.occurrence_id]).sold
    finally:
        api.close()
        replica.close()

    assert tickets == 9
    assert len(reports) >= 3  # pages of 4 rows
    remainders = [remaining for _, remaining in reports]
    assert all(isinstance(r, int) for r in remainders), remainders  # the bar shows a share, never just "busy"
    assert remainders == sorted(remainders, reverse=True)
    assert remainders[0] >= 9 - reports[0][0]  # nearly all of what is left are tickets
    assert remainders[-1] == 0


def test_online_a_ticket_for_an_event_this_kiosk_does_not_hold_is_named_on_the_red_screen(
    qtbot: QtBot, venue: Venue, app: FastAPI, clock: ManualClock, tmp_path: Path
) -> None:
    other = make_sellable_event(
        app.state.session_factory, venue.org, start_at=clock() + timedelta(minutes=90), definition_settings=DOORS_OPEN
    )
    with app.state.session_factory() as session:
        occurrence = session.get(EventOccurrence, other.occurrence_id)
        assert occurrence is not None
        occurrence.occurrence_name = "Wine tasting in the cellar"
        starts = occurrence.start_at.astimezone(ZoneInfo(occurrence.timezone)).strftime("%H:%M")
        session.commit()
    (ticket,) = sell(venue.http, venue.org, other)
    network = NetworkSwitch()
    window, controller = open_kiosk(qtbot, venue.pair_kiosk(tmp_path / "k1", network=network), clock, network)
    qtbot.wait_until(lambda: controller.sync_status.online, timeout=15_000)

    verdict = scan(qtbot, controller, ticket["qr_code_data"])

    assert verdict.decided_by is DecidedBy.SERVER  # type: ignore[attr-defined]
    assert window.overlay.headline.text() == "Wrong event"
    assert window.overlay.details.text() == f"This ticket is for Wine tasting in the cellar, {starts}"
    window.force_close()
