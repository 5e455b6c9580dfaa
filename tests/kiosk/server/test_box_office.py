"""The box office against the real server: an allotment requested from the kiosk, a walk-up sale made offline inside
it and accepted at the next sync (and mailed), a provisional sale beyond every seat rejected and shown on the
conflicts screen with what to refund, and a sale online beyond the allotment decided by the server at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pytestqt.qtbot import QtBot

from kiosk.boxoffice.controller import BoxOffice
from kiosk.boxoffice.model import SaleResult
from kiosk.checkin.model import ScanSource
from kiosk.config import DataDir, KioskSettings
from kiosk.controller import Controller, Presentation
from kiosk.sound import SilentPlayer
from kiosk.sync.client import connector, pair
from kiosk.ui.window import MainWindow
from server.notifications.models import OutboxMessage
from shared.qrtoken import SigningKey
from tests.kiosk.server.conftest import NetworkSwitch, Venue
from tests.support.clock import ManualClock
from tests.support.kiosk import create_device

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def open_desk(
    qtbot: QtBot, venue: Venue, root: Path, clock: ManualClock, network: NetworkSwitch
) -> tuple[MainWindow, Controller, BoxOffice]:
    code = create_device(
        venue.http, venue.org.headers, name="Desk", role="box_office", occurrence_ids=[venue.event.occurrence_id]
    )
    data_dir = DataDir(root)
    data_dir.save_credentials(pair(server_url=venue.base_url, code=code, key=SigningKey.generate(), transport=network))
    data_dir.save_settings(KioskSettings(occurrence_ids=[str(venue.event.occurrence_id)], gate="Desk"))
    controller = Controller(
        data_dir, clock=clock, sound=SilentPlayer(), connect=connector(clock=clock, transport=network)
    )
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.show()
    controller.start()
    qtbot.wait_until(lambda: controller.sync_status.online and controller.sync_status.initial_sync_done, timeout=15_000)
    desk = controller.box_office
    assert desk is not None
    return window, controller, desk


def go_offline(qtbot: QtBot, controller: Controller, network: NetworkSwitch) -> None:
    network.up = False
    controller.sync_now()
    qtbot.wait_until(lambda: not controller.sync_status.online, timeout=10_000)


def sync(qtbot: QtBot, controller: Controller, network: NetworkSwitch) -> None:
    network.up = True
    controller.sync_now()
    qtbot.wait_until(lambda: controller.sync_status.online and controller.sync_status.pending == 0, timeout=15_000)


def sell_on_screen(qtbot: QtBot, window: MainWindow, quantity: int, tendered: str, **fields: str) -> SaleResult:
    desk = window.controller.box_office
    assert desk is not None
    window.on_sell_clicked()
    page = window.desk.sale
    assert window.stack.currentWidget() is page
    page.type_rows[0].quantity.setValue(quantity)
    page.tendered.setText(tendered)
    for name, value in fields.items():
        getattr(page, name).setText(value)
    assert page.sell_button.isEnabled()
    with qtbot.wait_signal(desk.sale_finished, timeout=15_000) as blocker:
        page.sell_button.click()
    result = blocker.args[0]
    assert isinstance(result, SaleResult)
    return result


def test_an_offline_walk_up_sale_inside_the_allotment_syncs_and_is_accepted(
    qtbot: QtBot, venue: Venue, app: FastAPI, clock: ManualClock, tmp_path: Path
) -> None:
    network = NetworkSwitch()
    window, controller, desk = open_desk(qtbot, venue, tmp_path / "desk", clock, network)
    window.on_sell_clicked()
    with qtbot.wait_signal(desk.allotments_changed, timeout=10_000):
        window.desk.sale.allotment.seats.setValue(3)
        window.desk.sale.allotment.request_button.click()
    assert desk.seats_left_offline(venue.event.occurrence_id) == 3
    assert "3 seats left to sell offline" in window.desk.sale.allotment.left.text()
    assert venue.counters()["allotted"] == 3

    go_offline(qtbot, controller, network)
    result = sell_on_screen(qtbot, window, 2, "60", name="Rui Costa", email="rui@example.com")

    assert window.stack.currentWidget() is window.desk.issued
    assert window.desk.issued.change.text() == "Change USD 10.00"
    assert len(window.desk.issued.cards) == 2
    assert not result.provisional
    assert desk.seats_left_offline(venue.event.occurrence_id) == 1
    with qtbot.wait_signal(controller.verdict_ready, timeout=10_000) as admitted:
        controller.submit(result.tickets[0].token, ScanSource.CAMERA)  # this door admits it at once, offline
    assert isinstance(admitted.args[0], Presentation)
    assert admitted.args[0].view.headline == "Rui Costa"

    sync(qtbot, controller, network)

    counters = venue.counters()
    assert (counters["sold"], counters["checked_in"], counters["allotted_unused"]) == (2, 1, 1)
    rows = venue.get(f"/api/v1/occurrences/{venue.event.occurrence_id}/attendees")
    assert {row["ticket"]["confirmation_code"] for row in rows} == {ticket.code for ticket in result.tickets}
    assert {row["attendee"]["email"] for row in rows} == {"rui@example.com"}
    assert controller.conflicts() == []
    assert desk.seats_left_offline(venue.event.occurrence_id) == 1  # the server's figure now counts the sale
    with app.state.session_factory() as session:
        mailed = session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert "rui@example.com" in mailed
    window.force_close()


def test_a_sale_beyond_the_allotment_with_no_seats_left_comes_back_as_a_conflict(
    qtbot: QtBot, venue: Venue, clock: ManualClock, tmp_path: Path
) -> None:
    network = NetworkSwitch()
    window, controller, desk = open_desk(qtbot, venue, tmp_path / "desk", clock, network)
    controller.set_pin("2468")
    venue.sell(20)  # the last seat goes while the desk is offline
    go_offline(qtbot, controller, network)

    window.on_sell_clicked()
    page = window.desk.sale
    page.type_rows[0].quantity.setValue(1)
    page.tendered.setText("25")
    page.sell_button.click()
    qtbot.wait_until(lambda: window.desk.pin_dialog is not None, timeout=10_000)
    assert "supervisor can allow" in page.message.text()
    dialog = window.desk.pin_dialog
    assert dialog is not None
    with qtbot.wait_signal(desk.sale_finished, timeout=10_000) as blocker:
        dialog.pin.setText("2468")
        dialog.accept()
    result = blocker.args[0]
    assert result.provisional
    assert "Provisional" in window.desk.issued.state.text()

    sync(qtbot, controller, network)
    qtbot.wait_until(lambda: any(c.kind == "over_capacity" for c in controller.conflicts()), timeout=15_000)

    assert venue.counters()["sold"] == 20  # never oversold
    window.show_scan_page()
    window.on_conflicts_clicked()
    assert window.stack.currentWidget() is window.conflicts
    (item,) = [window.conflicts.items.item(i).text() for i in range(window.conflicts.items.count())]
    assert "refused: no seats were left" in item
    assert "Refund USD 25.00 in cash" in item
    assert desk.shift_report().refunds_due == 1
    ticket = controller.search(result.tickets[0].code)[0]
    assert ticket.snapshot.status.value == "canceled"  # the desk no longer admits it
    window.force_close()


def test_online_a_sale_beyond_the_allotment_is_decided_by_the_server_at_once(
    qtbot: QtBot, venue: Venue, clock: ManualClock, tmp_path: Path
) -> None:
    network = NetworkSwitch()
    window, _, _ = open_desk(qtbot, venue, tmp_path / "desk", clock, network)
    venue.sell(19)

    accepted = sell_on_screen(qtbot, window, 1, "25")
    assert accepted.refused is None
    assert not accepted.provisional
    assert "Done" in window.desk.issued.state.text()

    refused = sell_on_screen(qtbot, window, 1, "30")
    assert refused.refused is not None
    assert "Give the money back: USD 25.00 in cash" in window.desk.issued.state.text()
    assert window.desk.issued.cards == []
    assert venue.counters()["sold"] == 20
    window.force_close()
