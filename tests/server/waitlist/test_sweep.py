"""The waitlist's periodic job is safe with several processes: two sweepers at once offer each seat once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from server.notifications.models import MessageKind, OutboxMessage
from server.tenancy.models import Organization
from server.waitlist import offers
from tests.support.factories import make_sellable_event
from tests.support.orgs import make_org
from tests.support.waitlist import assert_consistent, cancel_ticket, joined, sell_out, statuses


@pytest.mark.slow
def test_two_sweepers_at_once_pass_each_lapsed_offer_on_exactly_once(postgres_url, clock) -> None:
    app = create_app(Settings(database_url=postgres_url, run_jobs=False), clock=clock)
    db = app.state.session_factory
    org = make_org(db, clock)
    with db() as session:
        slug = session.get_one(Organization, org.org_id).slug
    events = []
    with TestClient(app) as client:
        for n in range(12):
            event = make_sellable_event(db, org, start_at=clock() + timedelta(days=4), capacity=2)
            orders = sell_out(client, slug, event, 2)
            for m in range(3):
                joined(client, slug, event, f"e{n}-{m}@example.com")
            cancel_ticket(client, org.headers, orders[0])
            events.append(event)
    later = clock() + timedelta(hours=24)
    barrier = threading.Barrier(2)
    offered: list[int] = []

    def sweep() -> None:
        barrier.wait()
        offered.append(offers.sweep(session_factory=db, now=later))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(offered) <= 12
    # Whatever one sweeper skipped (locked by the other) is settled at the next round.
    offers.sweep(session_factory=db, now=later)
    for event in events:
        assert statuses(db, event) == [(1, "expired"), (1, "notified"), (1, "waiting")]
        assert_consistent(db, event)
    with db() as session:
        mails = session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == MessageKind.WAITLIST_OFFER)
        )
    assert mails == 24  # the first offer of each occurrence, and the one passed on
    app.state.engine.dispose()
