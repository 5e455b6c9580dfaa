"""The replica: schema versions, atomic check-in writes, undo, pulls meeting local scans, search, outbox, wipe."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from kiosk.checkin.model import Scan, ScanSource
from kiosk.checkin.offline import OfflineChecker
from kiosk.store.db import open_engine
from kiosk.store.migrations import LATEST, WIRE_DDL_KEY, SchemaTooNew, migrate
from kiosk.store.replica import Replica
from shared import wire
from shared.passages import Direction
from tests.kiosk.door import DOORS_OPEN, Door, page, wire_row

AT_NINE = DOORS_OPEN + timedelta(hours=2)


def check_in(door: Door, text: str, minutes: int = 0, nonce: str | None = None) -> str:
    nonce = nonce or Scan.new_nonce()
    scan = Scan(ScanSource.CAMERA, nonce, AT_NINE + timedelta(minutes=minutes), text=text)
    OfflineChecker(door.replica).decide(scan, gate=door.gate, direction=Direction.ENTRY)
    return nonce


def applied(seq: int, entry_id: uuid.UUID) -> wire.MutationResult:
    return wire.MutationResult(id=entry_id, seq=seq, status=wire.ResultStatus.APPLIED)


def test_replica_upgrades_from_version_1_keeping_what_this_kiosk_recorded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = open_engine(path)
    migrate(engine, target=1)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO local_passages (nonce, ticket_id, occurrence_id, direction, at, gate, device_id) "
            "VALUES ('n1', 't1', 'o1', 'entry', 0, 'Main door', 'd1')"
        )
        connection.exec_driver_sql(
            "INSERT INTO outbox (id, kind, nonce, document, created_at) VALUES ('m1', 'check_in', 'n1', '{}', 0)"
        )
        assert connection.exec_driver_sql("PRAGMA user_version").scalar_one() == 1
    engine.dispose()

    replica = Replica.open(path)
    with replica.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA user_version").scalar_one() == LATEST == 3
    assert replica.pending_count() == 1
    replica.mark_handled("conflict:x", at=DOORS_OPEN)  # the table version 2 added
    assert replica.sales.shift_sales(None) == []  # the tables version 3 added
    replica.close()


def test_a_new_wire_contract_rebuilds_the_servers_tables_and_keeps_local_ones(door: Door, tmp_path: Path) -> None:
    check_in(door, door.token("Grace Hopper"))
    door.replica.apply_page(page(cursor="c-42"))
    with door.replica.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE meta SET value = 'old' WHERE key = ?", (WIRE_DDL_KEY,))
    door.replica.close()

    replica = Replica.open(tmp_path / "replica.sqlite3")
    assert replica.cursor() is None
    assert replica.occurrences() == []
    assert replica.pending_count() == 1
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


def test_offline_checkin_writes_log_passage_and_outbox_with_one_nonce(door: Door) -> None:
    nonce = check_in(door, door.token("Grace Hopper"))
    ticket_id = door.tickets["Grace Hopper"].id
    assert [p.direction for p in door.replica.history(ticket_id)] == [Direction.ENTRY]
    assert door.replica.admitted(ticket_id)
    assert [entry.document["body"]["nonce"] for entry in door.replica.pending()] == [nonce]
    with door.replica.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT nonce FROM attempts").scalars().all() == [nonce]


def test_a_failed_write_leaves_nothing_half_done(door: Door, monkeypatch: pytest.MonkeyPatch) -> None:
    first = check_in(door, door.token("Grace Hopper"))

    def encode_fails(_mutation: wire.Mutation) -> dict[str, Any]:
        raise RuntimeError("disk full")  # after the log, passage and outbox rows went in

    monkeypatch.setattr(wire, "encode_mutation", encode_fails)
    scan = Scan(ScanSource.CAMERA, "another-nonce", AT_NINE, text=door.token("Ada Lovelace"))
    with pytest.raises(RuntimeError, match="disk full"):
        OfflineChecker(door.replica).decide(scan, gate=door.gate, direction=Direction.ENTRY)
    ada = door.tickets["Ada Lovelace"].id
    assert door.replica.history(ada) == []
    assert [e.document["body"]["nonce"] for e in door.replica.pending()] == [first]
    with door.replica.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM attempts").scalar_one() == 1


def test_recording_the_same_nonce_twice_changes_nothing(door: Door) -> None:
    scan = Scan(ScanSource.CAMERA, "n-000001", AT_NINE, text=door.token("Grace Hopper"))
    first = OfflineChecker(door.replica).decide(scan, gate=door.gate, direction=Direction.ENTRY)
    again = OfflineChecker(door.replica).decide(scan, gate=door.gate, direction=Direction.ENTRY)
    assert first.recorded
    assert not again.recorded
    assert door.replica.pending_count() == 1
    assert len(door.replica.history(door.tickets["Grace Hopper"].id)) == 1


def test_annul_lets_the_ticket_in_again_and_queues_the_annulment(door: Door) -> None:
    nonce = check_in(door, door.token("Grace Hopper"))
    at = AT_NINE + timedelta(minutes=1)
    assert door.replica.annul(nonce, at=at, upload=wire.AnnulMutation(nonce=nonce, device_time=at))
    assert not door.replica.admitted(door.tickets["Grace Hopper"].id)
    assert [e.kind for e in door.replica.pending()] == ["check_in", "annul"]
    assert not door.replica.annul(nonce, at=at)
    check_in(door, door.token("Grace Hopper"), minutes=2)
    assert door.replica.admitted(door.tickets["Grace Hopper"].id)


def test_an_undo_here_overrides_the_servers_copy_until_the_server_has_it(door: Door) -> None:
    nonce = check_in(door, door.token("Grace Hopper"))
    door.server_check_in("Grace Hopper", AT_NINE, gate="Main door", nonce=nonce)  # the upload came back
    assert len(door.replica.history(door.tickets["Grace Hopper"].id)) == 1  # one passage, not two
    door.replica.annul(nonce, at=AT_NINE + timedelta(minutes=1))
    assert not door.replica.admitted(door.tickets["Grace Hopper"].id)
    assert door.replica.counters([door.jazz]).checked_in == 0


def test_a_pulled_page_cannot_hide_an_entry_not_uploaded_yet(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    door.add("Grace Hopper", status="confirmed")  # the server's state from before the scan
    assert door.replica.admitted(door.tickets["Grace Hopper"].id)


def test_counters_count_sold_checked_in_and_inside_for_the_served_occurrences(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    door.server_check_in("Ada Lovelace", AT_NINE - timedelta(minutes=5))
    door.server_check_in("Ada Lovelace", AT_NINE - timedelta(minutes=1), direction="exit")
    counters = door.replica.counters([door.jazz])
    assert (counters.sold, counters.checked_in, counters.inside) == (2, 2, 1)  # Alan's ticket is canceled


def test_search_finds_by_name_email_or_code_from_three_characters(door: Door) -> None:
    served = [door.jazz]
    assert door.replica.search("gr", served) == []
    assert [t.holder_name for t in door.replica.search("GRACE", served)] == ["Grace Hopper"]
    assert [t.holder_name for t in door.replica.search("ada.love", served)] == ["Ada Lovelace"]
    assert [t.holder_name for t in door.replica.search("k7m-xq", served)] == ["Ada Lovelace"]
    assert [t.holder_name for t in door.replica.search("k7m\txq", served)] == ["Ada Lovelace"]  # a wedge's tab
    assert door.replica.search("tango", served) == []  # not an occurrence this gate serves
    assert door.replica.search("100%", served) == []


def test_search_ignores_accents_and_case_on_both_sides(door: Door) -> None:
    served = [door.jazz]
    door.add("Zoë Müller", email="zoe@example.org")
    door.add("ÉLODIE Durand", email="élodie@example.fr")
    door.add("Zoe Smith", email="zs@example.org")

    def names(query: str) -> list[str]:
        return [t.holder_name for t in door.replica.search(query, served)]

    assert names("muller") == ["Zoë Müller"]
    assert names("MÜLLER") == ["Zoë Müller"]
    assert names("zoe") == ["Zoe Smith", "Zoë Müller"]
    assert names("Zoë") == ["Zoe Smith", "Zoë Müller"]
    assert names("elodie") == ["ÉLODIE Durand"]
    assert names("lodie@") == ["ÉLODIE Durand"]  # the email, folded too
    assert names("durant") == []
    door.add("Søren Łukasz Straße")
    assert names("soren lukasz strasse") == ["Søren Łukasz Straße"]
    assert [row.name for row in door.replica.attendees(served, query="mull")] == ["Zoë Müller"]


def test_push_results_settle_final_entries_and_keep_deferred_ones(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    check_in(door, door.token("Ada Lovelace"))
    first, second = door.replica.pending()
    deferred = wire.MutationResult(id=second.id, seq=second.seq, status=wire.ResultStatus.DEFERRED)
    response = wire.PushResponse(
        server_time=AT_NINE, results=(applied(first.seq, first.id), deferred), last_applied_seq=1
    )
    assert door.replica.apply_push(response) == 1
    assert [e.seq for e in door.replica.pending()] == [second.seq]


def test_conflicts_list_what_the_server_flagged_and_rejected_until_handled(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    (entry,) = door.replica.pending()
    rejected = wire.MutationResult(
        id=entry.id, seq=entry.seq, status=wire.ResultStatus.REJECTED, code="invalid_mutation", message="bad gate"
    )
    door.replica.apply_push(wire.PushResponse(server_time=AT_NINE, results=(rejected,), last_applied_seq=0))
    conflict = wire_row(
        wire.CONFLICTS,
        id=uuid.uuid4().hex,
        kind="duplicate_entry",
        ticket_id=door.tickets["Grace Hopper"].id.hex,
        device_id=door.gate.device_id.hex,
        detail="also admitted at Garden gate at 21:02",
        detected_at=wire.time_to_wire(AT_NINE + timedelta(minutes=5)),
    )
    door.replica.apply_page(page(conflicts=[conflict]))
    listed = door.replica.conflicts(door.gate.device_id)
    assert [c.summary for c in listed] == [
        "Grace Hopper: Entered twice: also admitted at another gate",
        "Upload refused by the server (invalid_mutation)",
    ]
    door.replica.mark_handled(listed[0].key, at=AT_NINE)
    assert [c.key for c in door.replica.conflicts(door.gate.device_id)] == [listed[1].key]
    assert door.replica.conflicts(uuid.uuid4()) == [listed[1]]  # another device's conflict is not shown here


def test_outbox_sequence_numbers_have_no_gaps_after_a_failed_write(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    insert = "INSERT INTO outbox (id, kind, document, created_at) VALUES ('x', 'annul', '{}', 0)"

    def insert_twice() -> None:
        with door.replica.engine.begin() as connection:
            connection.exec_driver_sql(insert)
            connection.exec_driver_sql(insert)  # the unique id fails: the first row rolls back with it

    with pytest.raises(sa.exc.IntegrityError):
        insert_twice()
    check_in(door, door.token("Ada Lovelace"))
    assert [e.seq for e in door.replica.pending()] == [1, 2]


def test_wipe_erases_everything(door: Door) -> None:
    check_in(door, door.token("Grace Hopper"))
    door.replica.set_meta({"clock_offset_us": "42"})
    door.replica.wipe()
    assert door.replica.occurrences() == []
    assert door.replica.pending_count() == 0
    assert door.replica.get_meta("clock_offset_us") is None
    assert door.replica.cursor() is None
    assert len(door.replica.keyring()) == 0
    assert door.replica.history(door.tickets["Grace Hopper"].id) == []


def test_a_pull_that_brings_nothing_keeps_the_cached_server_counts(door: Door) -> None:
    door.server_check_in("Ada Lovelace", AT_NINE - timedelta(minutes=5))
    assert door.replica.counters([door.jazz]).checked_in == 1  # counted, and cached
    with door.replica.engine.begin() as connection:  # behind the cache's back, to see whether it is asked again
        connection.exec_driver_sql("DELETE FROM check_ins")

    door.replica.apply_page(page(cursor="nothing-new"))
    assert door.replica.counters([door.jazz]).checked_in == 1  # the cache stood

    door.server_check_in("Grace Hopper", AT_NINE - timedelta(minutes=4))
    door.server_check_in("Ada Lovelace", AT_NINE - timedelta(minutes=3))
    assert door.replica.counters([door.jazz]).checked_in == 2  # a page with rows: recounted from the table


def test_counters_follow_local_scans_and_undos_on_top_of_the_servers_figures(door: Door) -> None:
    door.server_check_in("Ada Lovelace", AT_NINE - timedelta(minutes=5), nonce="ada-0001")
    assert door.replica.counters([door.jazz]).checked_in == 1  # the server's figures, now cached
    nonce = check_in(door, door.token("Grace Hopper"))
    assert door.replica.counters([door.jazz]) == door.replica.counters([door.jazz])
    assert (door.replica.counters([door.jazz]).checked_in, door.replica.counters([door.jazz]).inside) == (2, 2)
    door.replica.annul(nonce, at=AT_NINE)
    assert door.replica.counters([door.jazz]).checked_in == 1
    door.server_check_in("Grace Hopper", AT_NINE, gate="Main door", nonce=nonce)  # the upload came back ...
    assert door.replica.counters([door.jazz]).checked_in == 1  # ... before the undo did: the undo still holds
