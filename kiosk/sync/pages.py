"""Pull pages one ahead: the next page downloads while the caller writes this one.

The server builds a page and the kiosk writes it into SQLite in about the same time, and a page names the cursor of
the next, so the request for page N+1 can go out as soon as page N is decoded. That overlaps the two halves of an
initial sync (``bench/sync.py`` measures it). Nothing is written out of order: pages are yielded in cursor order, and
a page fetched ahead of a failure is dropped unapplied, so the stored cursor still names the last page written.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from shared import wire

Fetched = TypeVar("Fetched")


def pages_ahead(
    pull: Callable[[str | None], Fetched], cursor: str | None, page_of: Callable[[Fetched], wire.PullPage]
) -> Generator[Fetched, None, None]:
    """What ``pull(cursor)`` answers, page after page until one says no more, each next one requested before the
    current one is yielded. ``page_of`` finds the page in what ``pull`` returns (which may carry timings too).
    Errors of ``pull`` surface where the page they concern would have been yielded."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="usher-pull")
    pending: Future[Fetched] | None = pool.submit(pull, cursor)
    try:
        while pending is not None:
            fetched = pending.result()
            page = page_of(fetched)
            pending = pool.submit(pull, page.cursor) if page.more else None
            yield fetched
    finally:
        # When the caller stopped early, a page still in flight is not needed: it finishes on its own, unread.
        pool.shutdown(wait=False, cancel_futures=True)
