"""The replica: schema versions, atomic check-in writes, undo, pulls that meet local scans, search, wipe."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from kiosk.checkin import offline as offline_module
from kiosk.checkin.model import Scan, ScanSource, annul_mutation
from kiosk.checkin.offline import OfflineChecker
from kiosk.store import schema
from kiosk.store.db import open_engine
from kiosk.store.migrations import LATEST, SchemaTooNew, migrate
from kiosk.store.replica import Replica
from kiosk.store.rows import Conflict, Mutation, OutboxResult
from shared.enums import TicketStatus
from shared.passages import Direction
from tests.kiosk.door import DOORS_OPEN, Door

AT_NINE = DOORS_OPEN + timedelta(hours=2)


def check_in(door: Door, text: str, minutes: int = 0) -> str:
    nonce = Scan.new_nonce()
    scan = Scan(ScanSource.CAMERA, nonce, AT_NINE + timedelta(minutes=minutes), text=text)
    OfflineChecker(door.replica).decide(scan, gate=door.gate, direction=Direction.ENTRY)
    return nonce


def test_migrated_schema_matches_the_declared_tables(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "r.sqlite3")
    migrate(engine)
    inspector = sa.inspect(engine)
    for table in schema.metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.columns.keys()), table.name
    engine.dispose()


def test_replica_upgrades_from_version_1_keeping_tickets_and_filling_search(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = open_engine(path)
    migrate(engine, target=1)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO tickets (id, occurrence_id, ticket_type_id, status, holder_name, holder_email) "
            "VALUES ('t1', 'o1', 'tt1', 'confirmed', 'José Álvarez', 'JOSE@example.org')"
        )
        connection.exec_driver_sql("INSERT INTO occurrences VALUES ('o1','Jazz','',0,10,'confirmed',NULL,0,0,NULL)")
    engine.dispose()

    replica = Replica.open(path)
    with replica.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA user_version").scalar_one() == LATEST == 2
    with replica.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT search FROM tickets").scalar_one() == "jose alvarez\njose@example.org"
    assert replica.conflicts() == []
    replica.close()


def test_replica_refuses_a_file_from_a_newer_kiosk(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(SchemaTooNew):
        Replica.open(path)


def test_replica_runs_in_wal_mode_with_full_sync(door: Door) -> None:
    with door.replica.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL


def test_offline_checkin_writes_log_passage_ticket_state_and_outbox_with_one_nonce(door: Door) -> None:
    nonce = check_in(door, door.token("Grace Hopper"))
    ticket = door.replica.ticket(door.tickets["Grace Hopper"].id)
    assert ticket is not None
    assert ticket.status is TicketStatus.CHECKED_IN
    assert ticket.inside
    assert [p.nonce for p in door.replica.passages(ticket.id)] == [nonce]
    assert [entry.body["nonce"] for entry in door.replica.pending()] == [nonce]
    with door.replica.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT nonce FROM attempts").scalars().all() == [nonce]


def test_a_failed_write_leaves_nothing_half_done(door: Door, monkeypatch: pytest.MonkeyPatch) -> None:
    first = check_in(door, door.token("Grace Hopper"))
    # reusing a client id violates the outbox's unique constraint after the log and passage rows went in
    taken = door.replica.pending()[0].client_id
    original = offline_module.check_in_mutation

    def clashing(**kwargs: Any) -> Mutation:
        return dataclasses.replace(original(**kwargs), client_id=taken)

    monkeypatch.setattr(offline_module, "check_in_mutation", clashing)
    scan = Scan(ScanSource.CAMERA, "another-nonce", AT_NINE, text=door.token("Ada Lovelace"))
    with pytest.raises(sa.exc.IntegrityError):
        OfflineChecker(door.replica).decide(scan, gate=door.gate, direction=Direction.ENTRY)
    ada = door.replica.ticket(door.tickets["Ada Lovelace"].id)
    assert ada is not None
    assert ada.status is TicketStatus.CONFIRMED
    assert door.replica.passages(ada.id) == []
    assert [e.body["nonce"] for e in door.replica.pending()] == [first]


def test_recording_the_same_nonce_twice_changes_nothing(door: Door) -> None:
    token = door.token("Grace Hopper")
    scan = Scan(ScanSource.CAMERA, "n-1", AT_NINE, text=token)
    first = OfflineChecker(door.replica).decide(scan, gate=door.gate, direction=Direction.ENTRY)
    again = OfflineChecker(door.replica).decide(scan, gate=door.gate, direction=Direction.ENTRY)
    assert first.recorded
    assert not again.recorded
    assert door.replica.pending_count() == 1
    assert len(door.replica.passages(door.tickets["Grace Hopper"].id)) == 1


def test_annul_restores_the_ticket_and_queues_the_annulment(door: Door) -> None:
    nonce = check_in(door, door.token("Grace Hopper"))
    at = AT_NINE + timedelta(minutes=1)
    assert door.replica.annul(nonce, at=at, upload=annul_mutation(nonce=nonce, at=at, device_time=at))
    ticket = door.replica.ticket(door.tickets["Grace Hopper"].id)
    assert ticket is not None
    assert (ticket.status, ticket.checked_in_at, ticket.inside) == (TicketStatus.CONFIRMED, None, False)
    assert [e.kind for e in door.replica.pending()] == ["check_in", "annul"]
    assert not door.replica.annul(nonce, at=at)
    assert check_in(door, door.token("Grace Hopper"), minutes=2)  # admitted again after the undo


def test_a_pulled_page_older_than_a_pending_local_entry_does_not_undo_it(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    door.replica.apply_pull(tickets=[door.tickets["Grace Hopper"]])  # the server's state from before the scan
    ticket = door.replica.ticket(door.tickets["Grace Hopper"].id)
    assert ticket is not None
    assert ticket.status is TicketStatus.CHECKED_IN
    assert ticket.checked_in_at == AT_NINE

    door.replica.apply_results([OutboxResult(seq=e.seq, state="done", result={}) for e in door.replica.pending()])
    door.replica.apply_pull(tickets=[door.tickets["Grace Hopper"]])  # the organizer undid it on the server
    ticket = door.replica.ticket(door.tickets["Grace Hopper"].id)
    assert ticket is not None
    assert ticket.status is TicketStatus.CONFIRMED


def test_a_stand_in_for_an_unsynced_ticket_is_replaced_by_the_pulled_ticket(door: Door) -> None:
    walk_up = door.unsynced_ticket("Walk Up")
    check_in(door, door.token(walk_up))
    stand_in = door.replica.ticket(walk_up.id)
    assert stand_in is not None
    assert not stand_in.on_record
    door.replica.apply_pull(tickets=[walk_up])
    synced = door.replica.ticket(walk_up.id)
    assert synced is not None
    assert synced.on_record
    assert synced.holder_name == "Walk Up"
    assert synced.status is TicketStatus.CHECKED_IN  # the local entry is still waiting for upload


def test_counters_count_sold_checked_in_and_inside_for_the_served_occurrences(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    counters = door.replica.counters([door.jazz.id])
    assert (counters.sold, counters.checked_in, counters.inside) == (2, 1, 1)  # Alan's ticket is canceled


def test_search_finds_by_name_email_or_code_from_three_characters(door: Door) -> None:
    served = [door.jazz.id]
    assert door.replica.search("gr", served) == []
    assert [t.holder_name for t in door.replica.search("GRACE", served)] == ["Grace Hopper"]
    assert [t.holder_name for t in door.replica.search("ada.love", served)] == ["Ada Lovelace"]
    assert [t.holder_name for t in door.replica.search("k7m-xq", served)] == ["Ada Lovelace"]
    assert door.replica.search("tango", served) == []  # not an occurrence this gate serves
    assert door.replica.search("100%", served) == []


def test_results_take_entries_off_the_queue_and_list_conflicts_once(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    check_in(door, door.token("Ada Lovelace"))
    first, second = door.replica.pending()
    conflict = Conflict(key="c1", kind="duplicate_entry", summary="Entered twice", reported_at=AT_NINE)
    door.replica.apply_results(
        [OutboxResult(first.seq, "done", {}), OutboxResult(second.seq, "retry", {})], conflicts=[conflict]
    )
    door.replica.add_conflicts([conflict])
    assert [e.seq for e in door.replica.pending()] == [second.seq]
    listed = door.replica.conflicts()
    assert [c.summary for c in listed] == ["Entered twice"]
    assert listed[0].id is not None
    door.replica.mark_handled(listed[0].id, at=AT_NINE)
    assert door.replica.conflicts() == []
    assert len(door.replica.conflicts(include_handled=True)) == 1


def test_wipe_erases_everything(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    door.replica.set_meta({"cursor": "42"})
    door.replica.wipe()
    assert door.replica.occurrences() == []
    assert door.replica.pending_count() == 0
    assert door.replica.get_meta("cursor") is None
    assert len(door.replica.keyring()) == 0
