"""The cursor never skips a change, even when a transaction with a lower sequence number commits after one with a
higher number (PostgreSQL, where writers run concurrently)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.app import create_app
from server.bookings.models import Ticket
from server.config import Environment, Settings
from tests.support.doors import DOORS_OPEN, sell
from tests.support.factories import make_sellable_event
from tests.support.kiosk import SimulatedKiosk
from tests.support.orgs import make_org


@pytest.fixture
def pg_app(postgres_url, clock):
    app = create_app(Settings(database_url=postgres_url, environment=Environment.TEST, run_jobs=False), clock=clock)
    yield app
    app.state.engine.dispose()


def test_a_change_committed_late_with_a_lower_sequence_number_is_still_pulled(pg_app, clock) -> None:
    from fastapi.testclient import TestClient

    org = make_org(pg_app.state.session_factory, clock)
    event = make_sellable_event(
        pg_app.state.session_factory, org, start_at=clock() + timedelta(minutes=30), definition_settings=DOORS_OPEN
    )
    with TestClient(pg_app) as client:
        first, second = sell(client, org, event, quantity=2)
        kiosk = SimulatedKiosk.pair(client, org.headers, clock, event_ids=[event.definition_id])
        kiosk.pull_all()
        engine = pg_app.state.engine
        writer_a, writer_b = engine.connect(), engine.connect()
        try:
            # Writer A changes the first ticket and takes the lower sequence number, but does not commit yet.
            tx_a = writer_a.begin()
            writer_a.execute(
                sa.update(Ticket).where(Ticket.id == uuid.UUID(first["id"])).values(settings={"note": "A"})
            )
            seq_a = writer_a.execute(sa.select(Ticket.change_seq).where(Ticket.id == uuid.UUID(first["id"]))).scalar()
            # Writer B changes the second ticket, takes a higher number, and commits first.
            with writer_b.begin():
                writer_b.execute(
                    sa.update(Ticket).where(Ticket.id == uuid.UUID(second["id"])).values(settings={"note": "B"})
                )
            seq_b = writer_b.execute(sa.select(Ticket.change_seq).where(Ticket.id == uuid.UUID(second["id"]))).scalar()
            # B took the higher number and committed first: a naive "WHERE change_seq > cursor" would serve B's
            # change now, remember seq_b, and then skip A's lower number for good.
            assert seq_a < seq_b
            served_between = kiosk.pull_all()
            tx_a.commit()
            served_after = kiosk.pull_all()
        finally:
            writer_a.close()
            writer_b.close()

    between = {row[0] for page in served_between for row in page.tables.get("tickets", [])}
    after = {row[0] for page in served_after for row in page.tables.get("tickets", [])}
    # A's change reaches the kiosk once A commits: the cursor did not pass it.
    assert uuid.UUID(first["id"]).hex in after
    # While A ran, B's change was held back with it (above the horizon), and came with it.
    assert uuid.UUID(second["id"]).hex not in between
    assert uuid.UUID(second["id"]).hex in after
