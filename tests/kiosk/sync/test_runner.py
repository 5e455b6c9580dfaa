"""A sync round through the real HTTP client: upload first, pages after the cursor, exactly once, clock, wipe."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from kiosk.checkin.model import Scan, ScanSource
from kiosk.checkin.offline import OfflineChecker
from kiosk.config import Credentials
from kiosk.sync.client import DeviceApi
from kiosk.sync.runner import ClockOffsetHolder, SyncRunner
from kiosk.sync.transport import DeviceRevoked, TransportError
from shared import wire
from shared.passages import Direction
from shared.qrtoken import SigningKey
from tests.kiosk.door import DEVICE_ID, DOORS_OPEN, Door, wire_row
from tests.kiosk.sync.fake_server import FakeServer
from tests.support.clock import ManualClock

AT_NINE = DOORS_OPEN + timedelta(hours=2)


def runner_for(door: Door, server: FakeServer, clock: ManualClock) -> tuple[SyncRunner, ClockOffsetHolder]:
    credentials = Credentials("http://kiosk.test", DEVICE_ID, "usherdev_x", SigningKey.generate())
    offset = ClockOffsetHolder()
    api = DeviceApi(credentials, clock=clock, offset=offset, transport=server.transport())
    return SyncRunner(door.replica, api, clock=clock, offset=offset), offset


def scan(door: Door, name: str) -> str:
    nonce = uuid.uuid4().hex
    OfflineChecker(door.replica).decide(
        Scan(ScanSource.CAMERA, nonce, AT_NINE, text=door.token(name)), gate=door.gate, direction=Direction.ENTRY
    )
    return nonce


def ticket_page(door: Door, *names: str) -> wire.PullPage:
    rows = [
        wire_row(
            wire.TICKETS,
            id=uuid.uuid4().hex,
            occurrence_id=door.jazz.hex,
            ticket_type_id=door.general.hex,
            status="confirmed",
            code=None,
            name=name,
            email="",
            notes="[]",
            revoked=0,
        )
        for name in names
    ]
    return wire.PullPage(server_time=AT_NINE, cursor="", more=False, tables={"tickets": rows})


def test_a_round_uploads_first_then_downloads_every_page(door: Door) -> None:
    clock = ManualClock(AT_NINE)
    server = FakeServer(now=AT_NINE, pages=[ticket_page(door, "Late Buyer"), ticket_page(door, "Later Buyer")])
    runner, _ = runner_for(door, server, clock)
    nonce = scan(door, "Grace Hopper")
    result = runner.run_once()
    assert server.calls == ["push", "pull", "pull"]
    assert server.check_in_nonces() == [nonce]
    assert (result.uploaded, result.pages) == (1, 2)
    assert door.replica.pending_count() == 0
    assert [t.holder_name for t in door.replica.search("buyer", [door.jazz])] == ["Late Buyer", "Later Buyer"]
    assert door.replica.cursor() == "2"
    runner.run_once()
    assert server.calls[-1] == "pull"  # nothing to upload: no push call


def test_a_push_whose_answer_was_lost_is_sent_again_and_counts_once(door: Door) -> None:
    clock = ManualClock(AT_NINE)
    server = FakeServer(now=AT_NINE, lose_push_answers=1)
    runner, _ = runner_for(door, server, clock)
    first, second = scan(door, "Grace Hopper"), scan(door, "Ada Lovelace")
    with pytest.raises(TransportError):
        runner.run_once()
    assert door.replica.pending_count() == 2  # the kiosk does not know the server has them
    runner.run_once()
    assert server.check_in_nonces() == [first, second]
    assert door.replica.pending_count() == 0


def test_the_clock_offset_comes_from_the_pull_and_travels_in_headers(door: Door) -> None:
    clock = ManualClock(AT_NINE)
    server = FakeServer(now=AT_NINE + timedelta(seconds=90))  # the kiosk's clock is 90 s behind
    runner, offset = runner_for(door, server, clock)
    runner.run_once()
    assert offset() == timedelta(seconds=90)
    assert ClockOffsetHolder.from_replica(door.replica)() == timedelta(seconds=90)
    runner.run_once()
    assert server.headers[-1][wire.CLOCK_OFFSET_HEADER.lower()] == "90000"
    assert server.headers[-1][wire.DEVICE_TIME_HEADER.lower()] == str(wire.time_to_wire(AT_NINE))


def test_an_offline_scan_is_uploaded_with_the_offset_believed_when_it_was_made(door: Door) -> None:
    clock = ManualClock(AT_NINE)
    server = FakeServer(now=AT_NINE + timedelta(seconds=5))
    runner, offset = runner_for(door, server, clock)
    runner.run_once()
    OfflineChecker(door.replica, clock_offset=offset).decide(
        Scan(ScanSource.CAMERA, uuid.uuid4().hex, AT_NINE, text=door.token("Grace Hopper")),
        gate=door.gate,
        direction=Direction.ENTRY,
    )
    runner.run_once()
    (mutation,) = server.applied.values()
    assert mutation.clock_offset == timedelta(seconds=5)


def test_a_server_that_cannot_be_reached_leaves_everything_queued(door: Door) -> None:
    server = FakeServer(now=AT_NINE, down=True)
    runner, _ = runner_for(door, server, ManualClock(AT_NINE))
    scan(door, "Grace Hopper")
    with pytest.raises(TransportError):
        runner.run_once()
    assert door.replica.pending_count() == 1


def test_a_wipe_answer_erases_the_replica(door: Door) -> None:
    server = FakeServer(now=AT_NINE, revoked=True)
    runner, _ = runner_for(door, server, ManualClock(AT_NINE))
    scan(door, "Grace Hopper")
    with pytest.raises(DeviceRevoked):
        runner.run_once()
    assert door.replica.occurrences() == []
    assert door.replica.pending_count() == 0
    assert door.replica.search("grace", [door.jazz]) == []


def test_a_write_that_fails_after_the_next_page_was_fetched_leaves_the_cursor_on_the_last_page_written(
    door: Door,
) -> None:
    clock = ManualClock(AT_NINE)
    server = FakeServer(now=AT_NINE, pages=[ticket_page(door, "First Page"), ticket_page(door, "Second Page")])
    runner, _ = runner_for(door, server, clock)
    cursor_before = door.replica.cursor()
    write = door.replica.apply_page
    written: list[str] = []

    def write_then_fail(page: wire.PullPage, **kwargs: object) -> None:
        if written:
            raise OSError("disk full")
        write(page, **kwargs)  # type: ignore[arg-type]
        written.append(page.cursor)

    door.replica.apply_page = write_then_fail  # type: ignore[method-assign]
    with pytest.raises(OSError, match="disk full"):
        runner.download()

    assert written == ["1"]
    assert door.replica.cursor() == "1" != cursor_before
    assert [t.holder_name for t in door.replica.search("page", [door.jazz])] == ["First Page"]
