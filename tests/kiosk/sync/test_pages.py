"""Pages one ahead: the next page is requested while the current one is written, and nothing comes out of order."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from kiosk.sync.pages import pages_ahead
from shared import wire

NOW = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)


class Server:
    """Three pages, cursors "1", "2", "3"; records each request as it starts."""

    def __init__(self, *, fail_at: str | None = None) -> None:
        self.requested: list[str | None] = []
        self.asked = threading.Condition()
        self.fail_at = fail_at

    def pull(self, cursor: str | None) -> wire.PullPage:
        with self.asked:
            self.requested.append(cursor)
            self.asked.notify_all()
        if self.fail_at is not None and cursor == self.fail_at:
            raise ConnectionError("the network went away")
        number = int(cursor or 0) + 1
        return wire.PullPage(server_time=NOW, cursor=str(number), more=number < 3)

    def wait_for(self, cursor: str, timeout: float = 5.0) -> bool:
        with self.asked:
            return self.asked.wait_for(lambda: cursor in self.requested, timeout)


def test_the_next_page_is_requested_before_the_current_one_is_written() -> None:
    server = Server()
    seen = []
    for page in pages_ahead(server.pull, None, lambda page: page):
        if page.more:
            # While "writing" this page, the request for the next one is already out.
            assert server.wait_for(page.cursor), server.requested
        seen.append(page.cursor)

    assert seen == ["1", "2", "3"]
    assert server.requested == [None, "1", "2"]  # one request per page, none after the last


def test_a_failed_request_surfaces_at_its_page_after_the_pages_before_it() -> None:
    server = Server(fail_at="2")
    written: list[str] = []

    def write_all() -> None:
        for page in pages_ahead(server.pull, None, lambda page: page):
            written.append(page.cursor)

    with pytest.raises(ConnectionError):
        write_all()

    assert written == ["1", "2"]


def test_when_the_caller_stops_the_page_fetched_ahead_is_dropped_and_the_generator_ends() -> None:
    server = Server()
    pages = pages_ahead(server.pull, None, lambda page: page)
    first = next(pages)
    assert server.wait_for(first.cursor)  # page 2 is on its way

    pages.close()  # the caller could not write page 1 and gives up

    with pytest.raises(StopIteration):
        next(pages)  # page 2 is never handed out
    assert server.requested == [None, "1"]
