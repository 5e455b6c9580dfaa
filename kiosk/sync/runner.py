"""One sync round, with no Qt in it: upload first, then download.

Upload first, so that the download that follows already carries what this kiosk did (and a ticket's pulled state
does not hide a check-in made here). Uploads go in per-device sequence order, in batches; an entry leaves the outbox
only when the server's answer for it is stored, in the same transaction as any conflict it reports. If the process
dies between the server applying a batch and the kiosk storing the answers, the next round uploads the same entries
with the same client ids and sequence numbers, and the server, which applies each exactly once, returns its stored
results.

Download pages follow the cursor, the next one requested while this one is written (``kiosk.sync.pages``); each page
and the cursor after it are written in one transaction, so a crash mid-download resumes at the last complete page.
Every pull response carries the server's time: the round keeps the clock offset from the sample with the shortest
round trip (``shared.clock``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.store.replica import Replica
from kiosk.sync.pages import pages_ahead
from kiosk.sync.transport import DeviceRevoked, SyncTransport
from shared import wire
from shared.clock import Clock, ClockOffset, best_clock_offset, estimate_clock_offset

logger = logging.getLogger(__name__)

PUSH_BATCH = wire.MAX_PUSH_BATCH
CLOCK_OFFSET_US = "clock_offset_us"
CLOCK_UNCERTAINTY_US = "clock_uncertainty_us"
LAST_SYNC_AT = "last_sync_at_ms"
INITIAL_SYNC_DONE = "initial_sync_done"


@dataclass(frozen=True)
class RoundResult:
    uploaded: int
    pages: int
    changes: int
    offset: ClockOffset | None


class ClockOffsetHolder:
    """The current estimate of server time minus device time, shared by the sync thread (which measures it) and the
    check-in path (which reads it for every scan). Calling it gives the offset (zero before any measurement)."""

    def __init__(self, initial: ClockOffset | None = None) -> None:
        self._lock = threading.Lock()
        self._estimate = initial

    def __call__(self) -> timedelta:
        with self._lock:
            return self._estimate.offset if self._estimate is not None else timedelta(0)

    def estimate(self) -> ClockOffset | None:
        with self._lock:
            return self._estimate

    def set(self, estimate: ClockOffset) -> None:
        with self._lock:
            self._estimate = estimate

    @classmethod
    def from_replica(cls, replica: Replica) -> ClockOffsetHolder:
        offset, uncertainty = replica.get_meta(CLOCK_OFFSET_US), replica.get_meta(CLOCK_UNCERTAINTY_US)
        if offset is None:
            return cls()
        return cls(ClockOffset(timedelta(microseconds=int(offset)), timedelta(microseconds=int(uncertainty or 0))))


def last_sync_at(replica: Replica) -> datetime | None:
    stored = replica.get_meta(LAST_SYNC_AT)
    return wire.time_from_wire(int(stored), LAST_SYNC_AT) if stored else None


class SyncRunner:
    def __init__(
        self,
        replica: Replica,
        transport: SyncTransport,
        *,
        clock: Clock,
        offset: ClockOffsetHolder,
        on_progress: Callable[[int, int | None], None] = lambda _done, _remaining: None,
        push_batch: int = PUSH_BATCH,
    ) -> None:
        self._replica = replica
        self._transport = transport
        self._clock = clock
        self._offset = offset
        self._on_progress = on_progress
        self._push_batch = push_batch

    def run_once(self) -> RoundResult:
        """Upload, then download. Raises ``TransportError`` (try later) or ``DeviceRevoked`` (after wiping)."""
        try:
            uploaded = self.upload()
            pages, changes, offset = self.download()
        except DeviceRevoked:
            logger.warning("the server revoked this device: wiping the replica")
            self._replica.wipe()
            raise
        self._replica.set_meta({LAST_SYNC_AT: str(wire.time_to_wire(self._clock.now()))})
        return RoundResult(uploaded=uploaded, pages=pages, changes=changes, offset=offset)

    def upload(self) -> int:
        uploaded = 0
        while True:
            entries = self._replica.pending(limit=self._push_batch)
            if not entries:
                return uploaded
            self._replica.mark_tried([e.seq for e in entries])
            response = self._transport.push([e.document for e in entries])
            settled = self._replica.apply_push(response)
            uploaded += settled
            if not settled:
                # The server settled none of them (a gap it is waiting for, a fault): stop, retry next round.
                logger.warning("the server settled none of %d uploaded mutations", len(entries))
                return uploaded

    def download(self) -> tuple[int, int, ClockOffset | None]:
        cursor = self._replica.cursor()
        samples: list[ClockOffset] = []
        pages = changes = 0
        best: ClockOffset | None = None

        def timed_pull(after: str | None) -> tuple[wire.PullPage, datetime, datetime]:
            sent_at = self._clock.now()
            page = self._transport.pull(after)
            return page, sent_at, self._clock.now()

        # Closed on the way out even when a write fails, so a page fetched ahead is dropped at once.
        with closing(pages_ahead(timed_pull, cursor, lambda fetched: fetched[0])) as downloads:
            for page, sent_at, received_at in downloads:
                if received_at >= sent_at:
                    samples.append(
                        estimate_clock_offset(sent_at=sent_at, received_at=received_at, server_time=page.server_time)
                    )
                meta: dict[str, str | None] = {}
                best = best_clock_offset(samples) if samples else None
                if best is not None:
                    meta[CLOCK_OFFSET_US] = str(best.offset // timedelta(microseconds=1))
                    meta[CLOCK_UNCERTAINTY_US] = str(best.uncertainty // timedelta(microseconds=1))
                if not page.more:
                    meta[INITIAL_SYNC_DONE] = "1"
                self._replica.apply_page(page, meta=meta)
                if best is not None:
                    self._offset.set(best)
                pages += 1
                changes += sum(len(rows) for rows in page.tables.values()) + sum(len(k) for k in page.deleted.values())
                self._on_progress(changes, page.remaining if page.more else 0)
        self._replica.warm_counters()  # here, off the UI thread
        return pages, changes, best
