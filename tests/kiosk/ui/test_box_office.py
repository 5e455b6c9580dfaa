"""The box office, the organizer's attendee list and self-check-in, on the door's replica, offline: a printed ticket
scans at the door, the shift report adds up, the list filters and exports, and the guests' screen keeps staff
settings behind the PIN."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from pytestqt.qtbot import QtBot

from kiosk.boxoffice.controller import BoxOffice
from kiosk.boxoffice.model import BasketLine, SaleRequest, SaleResult
from kiosk.checkin.model import ScanSource
from kiosk.controller import Presentation
from kiosk.store.attendees import AttendeeState
from shared import wire
from shared.wire import PaymentMethod
from tests.kiosk.door import Door, page, wire_row
from tests.kiosk.ui.conftest import Kiosk

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def desk_of(kiosk: Kiosk, *, seats: int = 10) -> BoxOffice:
    """This kiosk's box office, with ``seats`` set aside for it and its own key trusted (the server sends both)."""
    credentials = kiosk.controller.data_dir.load_credentials()
    assert credentials is not None
    key = credentials.signing_key
    device = kiosk.controller.device
    assert device is not None
    device.replica.apply_page(
        page(
            cursor="desk",
            keys=[
                wire_row(
                    wire.KEYS,
                    key_id=key.key_id.hex(),
                    public_key=key.public_bytes().hex(),
                    owner_kind="device",
                    owner_id=credentials.device_id.hex,
                )
            ],
            allotments=[
                wire_row(
                    wire.ALLOTMENTS,
                    id=uuid.uuid4().hex,
                    occurrence_id=kiosk.door.jazz.hex,
                    seats=seats,
                    seats_used=0,
                    status="active",
                )
            ],
        )
    )
    desk = kiosk.controller.box_office
    assert desk is not None
    return desk


def sell(qtbot: QtBot, desk: BoxOffice, request: SaleRequest, **kwargs: object) -> SaleResult:
    with qtbot.wait_signal(desk.sale_finished, timeout=10_000) as blocker:
        desk.sell(request, **kwargs)  # type: ignore[arg-type]
    result = blocker.args[0]
    assert isinstance(result, SaleResult)
    return result


def scan(qtbot: QtBot, kiosk: Kiosk, payload: str) -> Presentation:
    with qtbot.wait_signal(kiosk.controller.verdict_ready, timeout=10_000) as blocker:
        kiosk.controller.submit(payload, ScanSource.CAMERA)
    presentation = blocker.args[0]
    assert isinstance(presentation, Presentation)
    return presentation


def test_a_printed_ticket_carries_a_qr_code_the_door_then_accepts(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], door: Door
) -> None:
    kiosk = make_kiosk(printer="pdf")
    desk = desk_of(kiosk)
    result = sell(
        qtbot,
        desk,
        SaleRequest(door.jazz, (BasketLine(door.general, 1),), PaymentMethod.CASH, tendered_cents=3000, name="Walk In"),
    )
    assert result.change_cents == 500
    with qtbot.wait_signal(desk.notice, timeout=20_000) as printed:
        pdf = desk.print_result(result)
    assert pdf is not None
    assert "printed to" in printed.args[0]

    document = pypdfium2.PdfDocument(str(pdf))
    assert len(document) == 1
    image = document[0].render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    document.close()
    assert [code.text for code in codes] == [result.tickets[0].token]

    admitted = scan(qtbot, kiosk, codes[0].text)
    assert admitted.verdict.outcome.ok
    assert admitted.view.headline == "Walk In"
    assert scan(qtbot, kiosk, codes[0].text).view.headline == "Already checked in"


def test_the_shift_report_adds_up_cash_card_and_comps_by_ticket_type(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], door: Door
) -> None:
    kiosk = make_kiosk()
    desk = desk_of(kiosk, seats=20)
    desk.open_shift(opening_float_cents=5000)
    cash = SaleRequest(
        door.jazz, (BasketLine(door.general, 2), BasketLine(door.vip, 1)), PaymentMethod.CASH, tendered_cents=12000
    )
    assert sell(qtbot, desk, cash).change_cents == 12000 - 11000
    sell(qtbot, desk, SaleRequest(door.jazz, (BasketLine(door.vip, 2),), PaymentMethod.CARD_TERMINAL, None, "T-88"))
    sell(qtbot, desk, SaleRequest(door.jazz, (BasketLine(door.general, 3),), PaymentMethod.COMPLIMENTARY))

    report = desk.shift_report()

    assert {line.label: (line.tickets, line.total_cents) for line in report.by_method} == {
        "cash": (3, 11000),
        "card_terminal": (2, 12000),
        "complimentary": (3, 0),
    }
    assert {line.label: (line.tickets, line.total_cents) for line in report.by_ticket_type} == {
        "General admission": (5, 5000),
        "VIP table": (3, 18000),
    }
    assert (report.tickets, report.total_cents) == (8, 23000)
    assert (report.cash_tendered_cents, report.change_given_cents) == (12000, 1000)
    assert report.cash_expected_cents == 5000 + 11000
    kiosk.window.desk.open_report()
    shown = [
        kiosk.window.desk.report.table.item(row, 1).text() for row in range(kiosk.window.desk.report.table.rowCount())
    ]
    assert "EUR 160.00" in shown  # the drawer
    assert desk.seats_left_offline(door.jazz) == 20 - 8


def test_an_offline_sale_beyond_the_allotment_needs_the_supervisor_pin(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], door: Door
) -> None:
    kiosk = make_kiosk()
    desk = desk_of(kiosk, seats=1)
    kiosk.controller.set_pin("2468")
    request = SaleRequest(door.jazz, (BasketLine(door.general, 2),), PaymentMethod.CASH, tendered_cents=5000)
    with qtbot.wait_signal(desk.sale_refused, timeout=10_000) as refused:
        desk.sell(request)
    assert refused.args[0].code == "beyond_allotment"
    assert refused.args[0].needs_override
    with qtbot.wait_signal(desk.sale_refused, timeout=10_000) as wrong:
        desk.sell(request, supervisor_pin="1111")
    assert wrong.args[0].code == "wrong_pin"

    result = sell(qtbot, desk, request, supervisor_pin="2468")

    assert result.provisional
    assert [sale.override for sale in _queued_sales(kiosk)] == [True]


def _queued_sales(kiosk: Kiosk) -> list[wire.SaleMutation]:
    entries = kiosk.door.replica.pending()
    sales = [wire.decode_mutation(entry.document).body for entry in entries if entry.kind == "sale"]
    return [sale for sale in sales if isinstance(sale, wire.SaleMutation)]


def test_the_attendee_list_filters_by_state_and_type_and_exports_csv(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], door: Door, tmp_path: Path
) -> None:
    kiosk = make_kiosk()
    desk = desk_of(kiosk)
    scan(qtbot, kiosk, door.token("Grace Hopper"))
    sell(
        qtbot, desk, SaleRequest(door.jazz, (BasketLine(door.vip, 1),), PaymentMethod.COMPLIMENTARY, name="Desk Guest")
    )
    kiosk.window.desk.open_attendees()
    screen = kiosk.window.desk.attendees

    def names() -> list[str]:
        return [screen.table.item(row, 0).text() for row in range(screen.table.rowCount())]

    assert names() == ["Ada Lovelace", "Alan Turing", "Desk Guest", "Grace Hopper"]  # the Tango ticket is not served
    screen.state.setCurrentIndex(screen.state.findData(AttendeeState.CHECKED_IN))
    assert names() == ["Grace Hopper"]
    assert screen.table.item(0, 3).text().startswith("In ")
    screen.state.setCurrentIndex(screen.state.findData(AttendeeState.CANCELED))
    assert names() == ["Alan Turing"]
    screen.state.setCurrentIndex(screen.state.findData(None))
    screen.ticket_type.setCurrentIndex(screen.ticket_type.findData(door.vip.hex))
    assert names() == ["Ada Lovelace", "Desk Guest"]
    screen.query.setText("desk")
    qtbot.wait_until(lambda: names() == ["Desk Guest"], timeout=3000)

    screen.query.clear()
    screen.ticket_type.setCurrentIndex(0)
    qtbot.wait_until(lambda: len(names()) == 4, timeout=3000)
    with qtbot.wait_signal(desk.notice, timeout=10_000) as exported:
        screen.export_button.click()
    assert "4 attendees exported" in exported.args[0]
    (path,) = (kiosk.controller.data_dir.root / "exports").glob("attendees-*.csv")
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["name"]: row["state"] for row in rows} == {
        "Ada Lovelace": "not_yet",
        "Alan Turing": "canceled",
        "Desk Guest": "not_yet",
        "Grace Hopper": "checked_in",
    }
    assert next(row for row in rows if row["name"] == "Ada Lovelace")["confirmation_code"] == "K7MXQ-2P9RT"


def test_self_check_in_mode_cannot_reach_the_settings_without_the_staff_pin(
    qtbot: QtBot, make_kiosk: Callable[..., Kiosk], door: Door
) -> None:
    kiosk = make_kiosk()
    window, controller = kiosk.window, kiosk.controller
    assert not controller.enter_self_check_in()  # no PIN set: there would be no way out
    controller.set_pin("2468")
    window.settings.self_check_in.click()
    assert window.stack.currentWidget() is window.self_check_in
    assert window.isFullScreen()

    for attempt in (window.on_settings_clicked, window.on_conflicts_clicked, window.on_sell_clicked):
        attempt()
        assert window.pin_dialog is not None
        window.pin_dialog.pin.setText("1111")
        window.pin_dialog.accept()
        assert window.stack.currentWidget() is window.self_check_in
    window._open_staff_page("settings")  # even a direct call opens nothing while guests face the screen
    assert window.stack.currentWidget() is window.self_check_in
    window.close()
    assert window.isVisible()  # a guest cannot close it either

    admitted = scan(qtbot, kiosk, door.token("Grace Hopper"))
    assert admitted.view.headline == "Welcome, Grace!"
    assert window.overlay.isVisible()

    window.self_check_in.staff_button.click()
    assert window.pin_dialog is not None
    window.pin_dialog.pin.setText("2468")
    window.pin_dialog.accept()
    assert window.stack.currentWidget() is window.settings
    assert not controller.settings.self_check_in
    assert not controller.data_dir.load_settings().self_check_in
