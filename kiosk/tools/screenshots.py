"""Take a screenshot of every kiosk screen, on a sample door, into ``docs/screenshots/``.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m kiosk.tools.screenshots [OUT_DIR]

(``QT_QPA_PLATFORM=offscreen`` works too.) The kiosk runs for real: its own controller, replica and check thread,
offline, with a clock that stands still at 20:40 on the evening of the sample Jazz Night; each picture is the main
window grabbed after the screen settled.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEventLoop, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication, QWidget

from kiosk.camera.synthetic import ticket_frame
from kiosk.camera.worker import preview_image
from kiosk.checkin.model import ScanSource
from kiosk.config import Credentials, DataDir, KioskSettings, hash_pin
from kiosk.controller import Controller
from kiosk.sound import SilentPlayer
from kiosk.store.replica import Replica
from kiosk.sync.engine import SyncStatus
from kiosk.tools.sample import SampleDoor, fill, make_door, row
from kiosk.ui.window import MainWindow
from shared import wire
from shared.clock import ManualClock
from shared.qrtoken import SigningKey

ZONE = ZoneInfo("Europe/Lisbon")
DEVICE = uuid.UUID("5a1e0000-0000-4000-8000-00000000d001")
SIZE = (1280, 800)


def settle(ms: int = 150) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(signal: SignalInstance, action: Callable[[], None], timeout_ms: int = 5000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    action()
    loop.exec()
    signal.disconnect(loop.quit)


def shoot(widget: QWidget, out: Path, name: str) -> None:
    settle()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(path)


def paired(root: Path, door: SampleDoor, *, chosen: bool, role: str = "door_scanner") -> DataDir:
    data_dir = DataDir(root)
    data_dir.save_credentials(
        Credentials(
            server_url="https://usher.villa-events.example",
            device_id=DEVICE,
            device_token="usherdev_sample",  # noqa: S106 (a sample kiosk that never talks to a server)
            signing_key=SigningKey.generate(),
            device_name="Terrace door",
            role=role,
        )
    )
    settings = KioskSettings(occurrence_ids=[str(door.jazz)] if chosen else [], gate="Terrace door")
    data_dir.save_settings(settings)
    replica = Replica.open(data_dir.replica_path)
    fill(replica, door)
    # earlier arrivals, seen by the server at the garden gate
    tickets = replica.search("example.org", [door.jazz], limit=200)
    arrivals = [
        row(
            wire.CHECK_INS,
            id=uuid.uuid4().hex,
            nonce=uuid.uuid4().hex,
            ticket_id=t.id.hex,
            occurrence_id=door.jazz.hex,
            direction="entry",
            at=wire.time_to_wire(door.start + timedelta(minutes=i % 35)),
            gate="Garden gate",
            device_id=uuid.uuid4().hex,
            counted=1,
        )
        for i, t in enumerate(tickets[:61])
        if t.snapshot.status.value == "confirmed"
    ]
    replica.apply_page(wire.PullPage(server_time=door.start, cursor="x", more=False, tables={"check_ins": arrivals}))
    replica.close()
    return data_dir


def window_for(data_dir: DataDir, clock: ManualClock) -> tuple[MainWindow, Controller]:
    controller = Controller(data_dir, clock=clock, sound=SilentPlayer(), tz=ZONE)
    window = MainWindow(controller, tz=ZONE)
    window.resize(*SIZE)
    window.show()
    controller.start()
    return window, controller


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(argv[:1])
    door = make_door()
    clock = ManualClock(door.start + timedelta(minutes=40))
    root = Path(tempfile.mkdtemp(prefix="usher-shots-"))

    # 1. first run: pairing
    window, controller = window_for(DataDir(root / "new"), clock)
    window.pairing.server_url.setText("https://usher.villa-events.example")
    window.pairing.code.setText("K7MX-Q2P9")
    shoot(window, out, "01-pairing")
    window.force_close()

    # 2. setup: the first sync running, then done
    window, controller = window_for(paired(root / "setup", door, chosen=False), clock)
    window.setup.set_synced(False)
    window.setup.on_progress(48_200, 51_800)  # the server estimates what is left of a long download
    shoot(window, out, "02-initial-sync")
    window.setup.set_synced(True)
    window.setup.occurrence_list.item(0).setCheckState(window.setup.occurrence_list.item(0).checkState().Checked)
    window.setup.gate.setText("Terrace door")
    shoot(window, out, "03-choose-events")
    window.force_close()

    # 3. the door
    data_dir = paired(root / "door", door, chosen=True)
    window, controller = window_for(data_dir, clock)
    online = SyncStatus(online=True, last_success=clock.now() - timedelta(seconds=20), initial_sync_done=True)
    window.scan.status.sync.on_status_changed(online)
    replica = Replica.open(data_dir.replica_path)
    guests = replica.search("example.org", [door.jazz], limit=200)
    waiting = [t for t in guests if t.snapshot.status.value == "confirmed" and not replica.admitted(t.id)]
    vip_with_note = next(t for t in waiting if t.snapshot.notes and t.snapshot.ticket_type_name == "VIP table")
    arrived = next(t for t in guests if replica.admitted(t.id))
    canceled = next(t for t in guests if t.snapshot.status.value == "canceled")
    replica.close()
    controller.scanner = None
    frame = ticket_frame(door.token(vip_with_note.id), 3, "phone")
    controller.frame_ready.emit(preview_image(frame))
    shoot(window, out, "04-scan")

    def scan(text: str) -> None:
        wait_for(controller.verdict_ready, lambda: controller.submit(text, ScanSource.CAMERA))

    scan(door.token(vip_with_note.id, ticket_type=vip_with_note.snapshot.ticket_type_id))
    shoot(window, out, "05-verdict-valid")
    window.overlay.dismiss()
    clock.advance(timedelta(minutes=3))
    scan(door.token(arrived.id))
    shoot(window, out, "06-verdict-already-checked-in")
    window.overlay.dismiss()
    scan(door.token(uuid.uuid4(), occurrence=door.tango))
    shoot(window, out, "07-verdict-wrong-event")
    window.overlay.dismiss()
    scan(door.token(canceled.id))
    shoot(window, out, "08-verdict-canceled")
    window.overlay.dismiss()

    offline = SyncStatus(
        online=False,
        offline_since=clock.now() - timedelta(minutes=12),
        pending=14,
        last_success=clock.now() - timedelta(minutes=13),
        initial_sync_done=True,
    )
    window.scan.status.sync.on_status_changed(offline)
    shoot(window, out, "09-scan-offline")

    window.on_search_clicked()
    window.search.query.setText("lov")
    window.search.on_debounce_timeout()
    shoot(window, out, "10-search")
    window.show_scan_page()
    window.scan.status.sync.on_status_changed(offline)

    replica = Replica.open(data_dir.replica_path)
    conflicts = [
        row(
            wire.CONFLICTS,
            id=uuid.uuid4().hex,
            kind="duplicate_entry",
            ticket_id=arrived.id.hex,
            device_id=DEVICE.hex,
            detail="Also admitted at Garden gate at 20:31 (that entry counts)",
            detected_at=wire.time_to_wire(clock.now() - timedelta(minutes=2)),
        ),
        row(
            wire.CONFLICTS,
            id=uuid.uuid4().hex,
            kind="checked_in_refused_ticket",
            ticket_id=canceled.id.hex,
            device_id=DEVICE.hex,
            detail="Admitted at 20:12 while offline; the ticket was refunded at 19:58",
            detected_at=wire.time_to_wire(clock.now() - timedelta(minutes=6)),
        ),
    ]
    replica.apply_page(wire.PullPage(server_time=clock.now(), cursor="y", more=False, tables={"conflicts": conflicts}))
    replica.close()
    controller.on_synced()
    window.on_conflicts_clicked()
    shoot(window, out, "11-conflicts")

    window.on_settings_clicked()
    shoot(window, out, "12-settings")
    window.show_scan_page()

    controller.settings.pin_hash = hash_pin("2468")
    controller.settings.locked = True
    window._behind_pin("settings")
    settle()
    dialog = window.pin_dialog
    if dialog is not None:
        dialog.pin.setText("24")
        settle()
        dialog.grab().save(str(out / "13-staff-pin.png"))
        print(out / "13-staff-pin.png")
        dialog.reject()
    controller.settings.locked = False
    window.force_close()

    desk_screens(out, root, door, clock)
    del app
    return 0


def desk_screens(out: Path, root: Path, door: SampleDoor, clock: ManualClock) -> None:
    """The box office (offline, inside a 20-seat allotment), the shift report, the attendee list and self-check-in."""
    data_dir = paired(root / "desk", door, chosen=True, role="box_office")
    replica = Replica.open(data_dir.replica_path)
    allotment = row(
        wire.ALLOTMENTS,
        id=uuid.uuid5(door.jazz, "allotment").hex,
        occurrence_id=door.jazz.hex,
        seats=20,
        seats_used=6,
        status="active",
    )
    replica.apply_page(
        wire.PullPage(server_time=door.start, cursor="z", more=False, tables={"allotments": [allotment]})
    )
    replica.close()
    window, controller = window_for(data_dir, clock)
    desk = controller.box_office
    assert desk is not None
    desk.open_shift(opening_float_cents=10_000)
    window.scan.status.sync.on_status_changed(SyncStatus(online=True, last_success=clock.now(), initial_sync_done=True))
    controller.frame_ready.emit(preview_image(ticket_frame(door.token(uuid.uuid4()), 5, "paper")))
    shoot(window, out, "14-scan-box-office")

    def sell(general: int, vip: int, method: str, *, tendered: str = "", slip: str = "", name: str = "") -> None:
        window.desk.open_sale()
        page = window.desk.sale
        page.type_rows[0].quantity.setValue(vip)
        page.type_rows[1].quantity.setValue(general)
        {"cash": page.cash, "card": page.card, "comp": page.comp}[method].click()
        page.tendered.setText(tendered)
        page.terminal_reference.setText(slip)
        page.name.setText(name)
        wait_for(desk.sale_finished, page.sell_button.click)

    sell(1, 0, "card", slip="4471")
    sell(0, 1, "comp", name="Ines Duarte")
    window.desk.open_sale()
    page = window.desk.sale
    page.type_rows[1].quantity.setValue(2)
    page.type_rows[0].quantity.setValue(1)
    page.name.setText("Tomás Silva")
    page.email.setText("tomas@example.org")
    page.tendered.setText("150")
    shoot(window, out, "15-box-office-sale")
    wait_for(desk.sale_finished, page.sell_button.click)
    shoot(window, out, "16-issued-tickets")

    window.desk.open_sale()
    page = window.desk.sale
    page.type_rows[1].quantity.setValue(10)
    page.tendered.setText("250")
    settle()
    page.sell_button.click()
    settle(300)
    if window.desk.pin_dialog is not None:
        window.desk.pin_dialog.reject()
    shoot(window, out, "17-offline-beyond-allotment")

    window.desk.open_report()
    shoot(window, out, "18-shift-report")

    window.desk.open_attendees()
    window.desk.attendees.query.setText("an")
    window.desk.refresh_attendees()
    shoot(window, out, "19-attendees")

    controller.settings.pin_hash = hash_pin("2468")
    controller.enter_self_check_in()
    window.overlay.dismiss()
    frame = ticket_frame(door.token(uuid.uuid4()), 7, "phone")
    controller.frame_ready.emit(preview_image(frame))
    shoot(window, out, "20-self-check-in")
    replica = Replica.open(data_dir.replica_path)
    guest = next(
        t
        for t in replica.search("example.org", [door.jazz], limit=200)
        if t.snapshot.status.value == "confirmed" and not replica.admitted(t.id)
    )
    replica.close()
    wait_for(controller.verdict_ready, lambda: controller.submit(door.token(guest.id), ScanSource.CAMERA))
    shoot(window, out, "21-self-check-in-welcome")
    controller.settings.self_check_in = False
    window.force_close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
