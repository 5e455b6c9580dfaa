"""Sync benchmark: a kiosk's initial sync of 100,000 tickets to an empty replica, and the upload of 10,000 queued
scans, each beside a baseline measured in the same run.

    .venv/bin/python bench/sync.py                        # PostgreSQL (a fresh database on the local server)
    .venv/bin/python bench/sync.py --tickets 20000 --scans 2000 --backend sqlite

The server is the real app under uvicorn in this process's background thread (loopback); the client is an
``httpx.Client`` speaking ``shared.wire`` exactly as the kiosk does (gzip accepted, pages of 20,000 rows), and the
replica is a plain SQLite file made by ``wire.replica_ddl()`` (WAL, synchronous=NORMAL), filled by
``wire.apply_pull_page``.

* Initial sync, end to end: from the first request to the last page committed in the replica (server query and
  encoding, gzip, transfer, decoding, insert). Bytes on the wire are the compressed bodies. Baseline: the same rows
  inserted into an empty replica with one plain ``executemany`` per table (what the insert alone costs).
* Upload: 10,000 offline check-ins (one per ticket, as a kiosk queues them), pushed in batches of 2,000 until every
  result is final. Baseline: the same 10,000 rows inserted with one plain SQLite ``executemany``.

Seeding the server's database (attendees, tickets, their triggers) is not timed.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import random
import secrets
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi import FastAPI  # noqa: E402

from kiosk.sync.pages import pages_ahead  # noqa: E402
from server.app import create_app  # noqa: E402
from server.bookings.models import Attendee, Ticket  # noqa: E402
from server.config import Environment, Settings  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.tenancy import service as tenancy_service  # noqa: E402
from shared import wire  # noqa: E402
from shared.checkin import CheckInStatus  # noqa: E402
from shared.codes import new_confirmation_code  # noqa: E402
from shared.passages import Direction  # noqa: E402
from tests.support.factories import SellableEvent, make_sellable_event  # noqa: E402
from tests.support.live_server import running_server  # noqa: E402
from tests.support.orgs import SeededOrg  # noqa: E402

ADMIN_URL = os.environ.get("USHER_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "Tim",
    "Katherine",
    "John",
    "Hedy",
    "Linus",
    "Sophie",
    "Niklaus",
    "Annie",
    "Guido",
    "Yukihiro",
    "Anita",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "McCarthy",
    "Lamarr",
    "Torvalds",
    "Wilson",
    "Wirth",
    "Easley",
    "Borg",
]
NOW = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)


class FixedClock:
    def __call__(self) -> datetime:
        return NOW


def seed(app: FastAPI, tickets: int) -> tuple[SeededOrg, SellableEvent]:
    factory = app.state.session_factory
    with factory() as session:
        made = tenancy_service.bootstrap_organization(session=session, org_name="Bench", account_name="Org", now=NOW)
        session.commit()
        org = SeededOrg(made.organization.id, made.account.id, made.token_secret)
    event = make_sellable_event(
        factory,
        org,
        start_at=NOW + timedelta(minutes=30),
        capacity=tickets + 1000,
        definition_settings={"check_in": {"doors_open_minutes": 120}},
    )
    rng = random.Random(7)
    batch = 10_000
    with factory() as session:
        for offset in range(0, tickets, batch):
            attendees, rows = [], []
            for i in range(offset, min(offset + batch, tickets)):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                attendee_id = uuid.uuid4()
                notes = {}
                if i % 20 == 0:
                    notes = {"accessibility_needs": ["wheelchair"]}
                elif i % 25 == 0:
                    notes = {"dietary_restrictions": ["vegetarian"]}
                attendees.append(
                    {
                        "id": attendee_id,
                        "org_id": org.org_id,
                        "email": f"{first}.{last}{rng.randrange(1000)}@example.com".lower(),
                        "given_name": first,
                        "family_name": last,
                        "created_at": NOW,
                        "updated_at": NOW,
                        **notes,
                    }
                )
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "org_id": org.org_id,
                        "account_id": org.account_id,
                        "event_occurrence_id": event.occurrence_id,
                        "ticket_type_id": event.ticket_type_id,
                        "attendee_id": attendee_id,
                        "confirmation_code": new_confirmation_code(),
                        "price_paid_cents": 2500,
                        "currency": "USD",
                        "status": "confirmed",
                        "confirmed_at": NOW,
                        "settings": {},
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
            session.execute(sa.insert(Attendee), attendees)
            session.execute(sa.insert(Ticket), rows)
            session.commit()
    return org, event


def pair(http: httpx.Client, org: SeededOrg, event: SellableEvent, role: str = "door_scanner") -> str:
    created = http.post(
        "/api/v1/devices",
        json={"name": f"Bench {role}", "role": role, "event_ids": [str(event.definition_id)]},
        headers={"Authorization": f"Bearer {org.token}"},
    ).json()
    from shared.qrtoken import SigningKey

    answer = http.post(
        wire.Path.PAIR,
        json=wire.encode_pair_request(wire.PairRequest(created["pairing_code"], SigningKey.generate().public_bytes())),
    )
    return wire.decode_pair_response(answer.json()).device_token


def new_replica(path: Path) -> sqlite3.Connection:
    replica = sqlite3.connect(path, isolation_level=None)
    replica.execute("PRAGMA journal_mode=WAL")
    replica.execute("PRAGMA synchronous=NORMAL")
    for statement in wire.replica_ddl():
        replica.execute(statement)
    return replica


def initial_sync(
    http: httpx.Client, token: str, replica: sqlite3.Connection
) -> tuple[float, int, int, list[wire.PullPage]]:
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    pages = []
    wire_bytes = 0
    started = time.perf_counter()

    def pull(cursor: str | None) -> tuple[wire.PullPage, int]:
        params: dict[str, str] = {"cursor": cursor} if cursor else {}
        with http.stream("GET", wire.Path.PULL, params=params, headers=headers) as response:
            body = response.read()
            return wire.decode_pull_page(body), response.num_bytes_downloaded

    # The kiosk's way (``kiosk.sync.pages``): the next page downloads while this one is written.
    for page, size in pages_ahead(pull, None, lambda fetched: fetched[0]):
        wire_bytes += size
        wire.apply_pull_page(replica, page)
        pages.append(page)
    return time.perf_counter() - started, wire_bytes, sum(p.count("tickets") for p in pages), pages


def baseline_insert(path: Path, pages: list) -> float:  # type: ignore[type-arg]
    replica = new_replica(path)
    started = time.perf_counter()
    replica.execute("BEGIN")
    for page in pages:
        for name, rows in page.tables.items():
            table = wire.TABLES_BY_NAME[name]
            marks = ", ".join("?" for _ in table.columns)
            replica.executemany(f"INSERT OR REPLACE INTO {name} VALUES ({marks})", rows)
    replica.execute("COMMIT")
    elapsed = time.perf_counter() - started
    replica.close()
    return elapsed


def upload(http: httpx.Client, token: str, codes: list[str], occurrence_id: uuid.UUID) -> tuple[float, int]:
    mutations = [
        wire.Mutation(
            uuid.uuid4(),
            seq,
            wire.CheckInMutation(
                nonce=secrets.token_hex(12),
                occurrence_ids=(occurrence_id,),
                gate="Bench door",
                direction=Direction.ENTRY,
                device_time=NOW + timedelta(milliseconds=seq),
                local_status=CheckInStatus.OK,
                payload=code,
            ),
            timedelta(0),
        )
        for seq, code in enumerate(codes, 1)
    ]
    headers = {"Authorization": f"Bearer {token}"}
    applied = 0
    started = time.perf_counter()
    for index in range(0, len(mutations), wire.MAX_PUSH_BATCH):
        batch = mutations[index : index + wire.MAX_PUSH_BATCH]
        response = http.post(wire.Path.PUSH, json=wire.encode_push_request(batch), headers=headers)
        answer = wire.decode_push_response(response.json())
        applied += sum(1 for r in answer.results if r.status is wire.ResultStatus.APPLIED and r.counted)
    return time.perf_counter() - started, applied


def baseline_scans(path: Path, count: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE scans (id TEXT PRIMARY KEY, nonce TEXT, ticket_id TEXT, direction TEXT, at INTEGER, gate TEXT)"
    )
    rows = [(uuid.uuid4().hex, secrets.token_hex(12), uuid.uuid4().hex, "entry", i, "Bench door") for i in range(count)]
    started = time.perf_counter()
    db.execute("BEGIN")
    db.executemany("INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def gzip_levels(http: httpx.Client, token: str) -> list[tuple[int, int, float]]:
    """One full page, uncompressed, then compressed at a few levels: size and time of each."""
    raw = http.get(wire.Path.PULL, headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}).content
    figures = [(0, len(raw), 0.0)]
    for level in (1, 6, 9):
        started = time.perf_counter()
        size = len(gzip.compress(raw, compresslevel=level))
        figures.append((level, size, time.perf_counter() - started))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="usher-bench-sync-"))
    drop = None
    if args.backend == "postgres":
        name = f"usher_bench_sync_{secrets.token_hex(4)}"
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    else:
        url = f"sqlite:///{workdir / 'server.sqlite3'}"
    try:
        upgrade(url)
        app = create_app(Settings(database_url=url, environment=Environment.TEST, run_jobs=False), clock=FixedClock())
        started = time.perf_counter()
        org, event = seed(app, args.tickets)
        print(
            f"Python {platform.python_version()}, {args.backend}, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f}; "
            f"seeded {args.tickets} tickets in {time.perf_counter() - started:.0f} s"
        )
        with running_server(app) as base_url, httpx.Client(base_url=base_url, timeout=120) as http:
            token = pair(http, org, event)
            levels = gzip_levels(http, token)
            seconds, wire_bytes, rows, pages = initial_sync(http, token, new_replica(workdir / "replica.sqlite3"))
            base = baseline_insert(workdir / "baseline.sqlite3", pages)
            codes = [
                str(code)
                for (code,) in sqlite3.connect(workdir / "replica.sqlite3").execute(
                    f"SELECT code FROM tickets LIMIT {args.scans}"
                )
            ]
            scanner = pair(http, org, event)
            upload_seconds, counted = upload(http, scanner, codes, event.occurrence_id)
            scans_base = baseline_scans(workdir / "scans.sqlite3", len(codes))
        print()
        print("| measure | result | baseline (plain SQLite executemany, same rows) | target |")
        print("|---|---|---|---|")
        print(
            f"| initial sync, {rows} tickets, end to end | {seconds:.2f} s ({len(pages)} pages) | {base:.2f} s "
            f"| <= 4 s |"
        )
        print(
            f"| bytes per ticket on the wire (gzip) | {wire_bytes / max(rows, 1):.1f} B "
            f"({wire_bytes / 1e6:.2f} MB) | | <= 60 B |"
        )
        print(
            f"| upload of {len(codes)} queued scans | {upload_seconds:.2f} s ({counted} counted) "
            f"| {scans_base:.3f} s | <= 3 s |"
        )
        print()
        print(
            "gzip of one full page ("
            + ", ".join(f"level {lv}: {size / 1e6:.2f} MB in {t * 1000:.0f} ms" for lv, size, t in levels)
            + ")"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        app.state.engine.dispose()
        ok = rows == args.tickets and counted == len(codes)
        return 0 if ok else 1
    finally:
        if drop is not None:
            drop()


if __name__ == "__main__":
    sys.exit(main())
