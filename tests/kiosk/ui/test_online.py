"""The kiosk with a server (an in-memory one, see ``tests/kiosk/sync/fake_server.py``): online redeem, the offline
fallback with the same nonce, the sync state on screen, "work offline", and a revoked device."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from kiosk.checkin.model import DecidedBy, ScanSource
from kiosk.config import Credentials
from kiosk.controller import Screen
from kiosk.sync.client import HttpConnection
from kiosk.sync.engine import SyncStatus
from kiosk.sync.runner import ClockOffsetHolder
from tests.kiosk.sync.fake_server import FakeServer
from tests.kiosk.ui.conftest import AT_NINE, Kiosk
from tests.support.clock import ManualClock

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def connect_to(server: FakeServer, clock: ManualClock) -> Callable[[Credentials, ClockOffsetHolder], HttpConnection]:
    def connect(credentials: Credentials, offset: ClockOffsetHolder) -> HttpConnection:
        return HttpConnection(credentials, clock=clock, offset=offset, transport=server.transport())

    return connect


@pytest.fixture
def server() -> FakeServer:
    return FakeServer(now=AT_NINE)


def online_kiosk(qtbot: QtBot, make_kiosk: Callable[..., Kiosk], server: FakeServer, **settings: object) -> Kiosk:
    clock = ManualClock(AT_NINE)
    kiosk: Kiosk = make_kiosk(connect=connect_to(server, clock), clock=clock, **settings)
    return kiosk


def wait_status(qtbot: QtBot, kiosk: Kiosk, check: Callable[[SyncStatus], bool]) -> SyncStatus:
    qtbot.wait_until(lambda: check(kiosk.controller.sync_status), timeout=5000)
    return kiosk.controller.sync_status


def test_online_the_server_decides_and_nothing_is_queued(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], server: FakeServer
) -> None:
    kiosk = online_kiosk(qtbot, make_kiosk, server)
    wait_status(qtbot, kiosk, lambda s: s.online)
    with qtbot.wait_signal(kiosk.controller.verdict_ready, timeout=5000) as blocker:
        kiosk.controller.submit("K7MXQ2P9RT", ScanSource.TYPED)
    verdict = blocker.args[0].verdict
    assert verdict.decided_by is DecidedBy.SERVER
    assert kiosk.window.overlay.headline.text() == "Online Guest"
    assert list(server.redeemed) == [verdict.scan.nonce]
    assert kiosk.door.replica.pending_count() == 0


def test_a_redeem_that_times_out_is_decided_offline_with_the_same_nonce_and_counted_once(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], server: FakeServer
) -> None:
    kiosk = online_kiosk(qtbot, make_kiosk, server)
    wait_status(qtbot, kiosk, lambda s: s.online)
    server.redeem_times_out = True
    with qtbot.wait_signal(kiosk.controller.verdict_ready, timeout=5000) as blocker:
        kiosk.controller.submit("K7MXQ2P9RT", ScanSource.TYPED)
    verdict = blocker.args[0].verdict
    assert verdict.decided_by is DecidedBy.LOCAL
    assert kiosk.window.overlay.headline.text() == "Ada Lovelace"
    assert list(server.redeemed) == [verdict.scan.nonce]  # the server did see the first attempt
    wait_status(qtbot, kiosk, lambda s: not s.online)
    kiosk.controller.sync_now()
    wait_status(qtbot, kiosk, lambda s: s.online and s.pending == 0)
    assert server.check_in_nonces() == [verdict.scan.nonce]  # the upload carries the same nonce


def test_the_screen_shows_offline_since_and_scans_waiting_then_online_again(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], server: FakeServer
) -> None:
    server.down = True
    kiosk = online_kiosk(qtbot, make_kiosk, server)
    wait_status(qtbot, kiosk, lambda s: s.error is not None)
    with qtbot.wait_signal(kiosk.controller.verdict_ready, timeout=5000):
        kiosk.controller.submit("K7MXQ2P9RT", ScanSource.TYPED)
    wait_status(qtbot, kiosk, lambda s: s.pending == 1)
    text = kiosk.window.scan.status.sync.text()
    assert "Offline since 21:00" in text
    assert "1 scan waiting to upload" in text
    server.down = False
    kiosk.controller.sync_now()
    wait_status(qtbot, kiosk, lambda s: s.online and s.pending == 0)
    assert "Online" in kiosk.window.scan.status.sync.text()
    assert "last sync 21:00" in kiosk.window.scan.status.sync.text()
    assert len(server.check_in_nonces()) == 1


def test_work_offline_decides_locally_and_sends_nothing(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], server: FakeServer
) -> None:
    kiosk = online_kiosk(qtbot, make_kiosk, server, work_offline=True)
    qtbot.wait(200)
    with qtbot.wait_signal(kiosk.controller.verdict_ready, timeout=5000) as blocker:
        kiosk.controller.submit("K7MXQ2P9RT", ScanSource.TYPED)
    assert blocker.args[0].verdict.decided_by is DecidedBy.LOCAL
    kiosk.controller.sync_now()
    qtbot.wait(200)
    assert server.calls == []
    assert "Working offline" in kiosk.window.scan.status.sync.text()
    kiosk.controller.set_work_offline(False)
    wait_status(qtbot, kiosk, lambda s: s.online and s.pending == 0)


def test_a_revoked_device_erases_its_data_and_asks_to_be_paired_again(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], server: FakeServer
) -> None:
    server.revoked = True
    kiosk = online_kiosk(qtbot, make_kiosk, server)
    qtbot.wait_until(lambda: kiosk.controller.screen is Screen.PAIRING, timeout=5000)
    assert kiosk.window.stack.currentWidget() is kiosk.window.pairing
    assert kiosk.controller.data_dir.load_credentials() is None
    assert kiosk.door.replica.occurrences() == []
    assert "revoked" in kiosk.window.pairing.error.text()
