"""Flash-sale benchmark: many guests buying 1-4 tickets each from one occurrence, on PostgreSQL, through a real
uvicorn server, against the floor of the same stack.

    .venv/bin/python bench/flash_sale.py                       # 32 clients, 3000 requests per round
    .venv/bin/python bench/flash_sale.py --clients 64 --requests 3000 --rounds 2

The server runs in its own process (uvicorn, one worker, uvloop + httptools, no access log) with the real app and one
extra route, ``POST /bench/floor/{occurrence_id}``: a sync endpoint that only runs the conditional capacity UPDATE of
``server.bookings.capacity`` and commits (the same DbSession, engine and pool). That is the floor: the hot-row lock
plus one HTTP request, and nothing a sale needs besides.

Each round measures the floor, then the storefront reservation (``POST /api/v1/public/{org}/orders``: rules, quote,
seats, order, attendees, tickets), each on its own occurrence with room for every request, so that every request
does the full work. Rounds alternate so load on the shared machine hits both alike; the best round of each is kept.
A final sell-out phase sends 1-4 ticket requests at an occurrence of 500 seats until it is full, and checks that no
seat was sold twice: seats_sold, ticket rows and capacity must agree (the oversell count must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi import Response  # noqa: E402

from server.app import create_app  # noqa: E402
from server.bookings import capacity  # noqa: E402
from server.db.engine import create_db_engine, create_session_factory  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.deps import ClockDep, DbSession  # noqa: E402

SERVER_PID = 0
ADMIN_URL = os.environ.get("USHER_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def bench_app():  # type: ignore[no-untyped-def]
    """The app under test, plus the floor route (uvicorn --factory entry point)."""
    app = create_app()

    @app.post("/bench/floor/{occurrence_id}")
    def floor(occurrence_id: uuid.UUID, session: DbSession, clock: ClockDep) -> Response:
        took = capacity.take_occurrence_seats(session, occurrence_id=occurrence_id, quantity=1, now=clock())
        session.commit()
        return Response(b'{"ok":true}' if took else b'{"ok":false}', media_type="application/json")

    return app


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time of each process, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    times = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        times[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return times


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings; a process that appeared in between counts from zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip().startswith("postgres"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@dataclass
class CpuUse:
    """CPU milliseconds per request: the server process, PostgreSQL, the load generator (this process)."""

    server: float
    postgres: float
    client: float


@dataclass
class Round:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    tickets: int
    cpu: CpuUse | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _admin(statement: str) -> None:
    engine = sa.create_engine(ADMIN_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(statement)
    engine.dispose()


def setup_database() -> str:
    name = f"usher_bench_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def seed(url: str, capacities: list[int | None]) -> tuple[str, list[tuple[uuid.UUID, uuid.UUID]]]:
    """An org and one event per capacity, each with one occurrence and one ticket type; returns the org's slug."""
    from server.events.models import EventDefinition, EventOccurrence, TicketType
    from server.tenancy import service as tenancy_service
    from shared.enums import DefinitionStatus, EventCategory, EventType, OccurrenceStatus, VenueType

    engine = create_db_engine(url, pool_size=1)
    now = datetime.now(UTC)
    made = []
    with create_session_factory(engine)() as session:
        org = tenancy_service.bootstrap_organization(
            session=session, org_name=f"Bench {uuid.uuid4().hex[:6]}", account_name="Bench", now=now
        )
        for index, seats in enumerate(capacities):
            definition = EventDefinition(
                org_id=org.organization.id,
                account_id=org.account.id,
                name=f"Flash sale {index}",
                slug=f"flash-sale-{index}",
                category=EventCategory.ENTERTAINMENT,
                event_type=EventType.ONE_TIME,
                duration_minutes=120,
                venue_type=VenueType.OFF_PROPERTY,
                max_capacity=seats,
                min_capacity=1,
                status=DefinitionStatus.ACTIVE,
                settings={},
                created_at=now,
                updated_at=now,
            )
            session.add(definition)
            session.flush()
            start = now + timedelta(days=30)
            occurrence = EventOccurrence(
                org_id=definition.org_id,
                account_id=definition.account_id,
                event_definition_id=definition.id,
                start_at=start,
                end_at=start + timedelta(hours=2),
                timezone="UTC",
                status=OccurrenceStatus.SCHEDULED,
                settings={},
                created_at=now,
                updated_at=now,
            )
            ticket_type = TicketType(
                org_id=definition.org_id,
                account_id=definition.account_id,
                event_definition_id=definition.id,
                name="General",
                price_cents=4500,
                currency="USD",
                min_quantity=1,
                max_quantity=4,
                settings={},
                created_at=now,
                updated_at=now,
            )
            session.add_all([occurrence, ticket_type])
            session.flush()
            made.append((occurrence.id, ticket_type.id))
        session.commit()
        slug = org.organization.slug
    engine.dispose()
    return slug, made


def order_body(occurrence_id: uuid.UUID, ticket_type_id: uuid.UUID, quantity: int) -> dict[str, object]:
    return {
        "occurrence_id": str(occurrence_id),
        "ticket_type_id": str(ticket_type_id),
        "attendees": [
            {"given_name": f"Fan {i}", "family_name": "Bench", "email": f"fan{i}-{uuid.uuid4().hex[:8]}@example.com"}
            for i in range(quantity)
        ],
    }


async def run_round(
    name: str, base_url: str, clients: int, requests: int, make: Callable[[], tuple[str, dict[str, object] | None, int]]
) -> Round:
    """``requests`` POSTs from ``clients`` concurrent connections. The bodies are built and encoded before the clock
    starts, so the load generator spends its CPU on HTTP only (it shares the two cores with server and database)."""
    prepared = []
    for _ in range(requests):
        path, body, quantity = make()
        prepared.append((path, json.dumps(body).encode() if body is not None else b"", quantity))
    headers = {"Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    tickets = 0
    remaining = requests
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        await asyncio.gather(*(http.get("/health") for _ in range(clients)))  # open the connections

        async def client() -> None:
            nonlocal remaining, tickets
            while remaining > 0:
                remaining -= 1
                path, content, quantity = prepared[remaining]
                started = time.perf_counter()
                response = await http.post(path, content=content, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 201:
                    tickets += quantity

        server_before, postgres_before = _cpu_seconds([SERVER_PID]), _cpu_seconds(_postgres_pids())
        client_before = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        seconds = time.perf_counter() - started
        client_spent = time.process_time() - client_before
        server_spent = _spent(server_before, _cpu_seconds([SERVER_PID]))
        postgres_spent = _spent(postgres_before, _cpu_seconds(_postgres_pids()))
    cpu = CpuUse(*(spent * 1000 / requests for spent in (server_spent, postgres_spent, client_spent)))
    return Round(name, requests, seconds, latencies, statuses, tickets, cpu)


def start_server(url: str, port: int, *, single_statement: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "USHER_DATABASE_URL": url,
        "USHER_RUN_JOBS": "false",
        "USHER_DATABASE_POOL_SIZE": "20",
        "USHER_BOOKING_SINGLE_STATEMENT": "true" if single_statement else "false",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.flash_sale:bench_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            "1",
            # Longer than any pause between phases: a keep-alive connection the server closes while the client
            # reuses it fails the request with a read error (seen with 64 clients at uvicorn's 5 s default).
            "--timeout-keep-alive",
            "120",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def check_oversell(url: str, occurrence_id: uuid.UUID, capacity_seats: int) -> tuple[int, int, int]:
    """(seats_sold, seat-holding ticket rows, oversold seats)."""
    engine = create_db_engine(url, pool_size=1)
    with engine.connect() as connection:
        sold = connection.execute(
            sa.text("SELECT seats_sold FROM event_occurrences WHERE id = :id"), {"id": occurrence_id}
        ).scalar_one()
        rows = connection.execute(
            sa.text(
                "SELECT count(*) FROM tickets WHERE event_occurrence_id = :id "
                "AND status IN ('reserved', 'confirmed', 'checked_in')"
            ),
            {"id": occurrence_id},
        ).scalar_one()
    engine.dispose()
    return sold, rows, max(sold, rows) - capacity_seats if max(sold, rows) > capacity_seats else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=3000, help="requests per measured round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--path",
        choices=["single", "generic"],
        default="single",
        help="the booking path on PostgreSQL: one statement (default) or one statement per step",
    )
    args = parser.parse_args()
    rng = random.Random(7)

    url = setup_database()
    sellout_seats = 500
    capacities: list[int | None] = [None] * (2 * args.rounds + 1) + [sellout_seats]
    slug, events = seed(url, capacities)
    server = start_server(url, args.port, single_statement=args.path == "single")
    global SERVER_PID
    SERVER_PID = server.pid
    base = f"http://127.0.0.1:{args.port}"
    floors: list[Round] = []
    sales: list[Round] = []
    try:
        warm_occ, warm_tt = events[0]
        asyncio.run(
            run_round(
                "warm-up",
                base,
                args.clients,
                400,
                lambda: (f"/api/v1/public/{slug}/orders", order_body(warm_occ, warm_tt, 1), 1),
            )
        )
        for index in range(args.rounds):
            floor_occ = events[1 + 2 * index][0]
            sale_occ, sale_tt = events[2 + 2 * index]
            floor_path = f"/bench/floor/{floor_occ}"

            def floor_request(path: str = floor_path) -> tuple[str, dict[str, object] | None, int]:
                return path, None, 1

            floors.append(asyncio.run(run_round("floor", base, args.clients, args.requests, floor_request)))

            def sale(o: uuid.UUID = sale_occ, t: uuid.UUID = sale_tt) -> tuple[str, dict[str, object], int]:
                quantity = rng.randint(1, 4)
                return f"/api/v1/public/{slug}/orders", order_body(o, t, quantity), quantity

            sales.append(asyncio.run(run_round("sale", base, args.clients, args.requests, sale)))
        sellout_occ, sellout_tt = events[-1]

        def sellout() -> tuple[str, dict[str, object], int]:
            quantity = rng.randint(1, 4)
            return f"/api/v1/public/{slug}/orders", order_body(sellout_occ, sellout_tt, quantity), quantity

        sold_out = asyncio.run(run_round("sell-out", base, args.clients, 400, sellout))
    finally:
        server.terminate()
        server.wait(timeout=30)
    seats_sold, ticket_rows, oversold = check_oversell(url, sellout_occ, sellout_seats)
    _admin(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)')

    floor = max(floors, key=lambda r: r.rps)
    assert all(set(r.statuses) == {200} for r in floors), [r.statuses for r in floors]
    best = max(sales, key=lambda r: r.rps)
    errors = sum(count for code, count in best.statuses.items() if code >= 500)
    print(
        f"clients {args.clients}, {args.requests} requests per round, {args.rounds} rounds (best round shown), "
        f"{args.path} booking path"
    )
    print("latency p50 / p99")
    print(f"floor (capacity UPDATE only): {floor.rps:8.0f} req/s  {floor.pct(0.5):6.1f} / {floor.pct(0.99):6.1f} ms")
    print(
        f"reservation (1-4 tickets):    {best.rps:8.0f} req/s  {best.pct(0.5):6.1f} / {best.pct(0.99):6.1f} ms"
        f"  {best.tickets / best.seconds:8.0f} tickets/s"
    )
    print(
        f"ratio to the floor: {best.rps / floor.rps:.0%}   (all rounds: floor {[round(r.rps) for r in floors]}, "
        f"sale {[round(r.rps) for r in sales]})"
    )
    print(f"status codes: {best.statuses}; 5xx: {errors}")
    for label, measured in (("floor", floor), ("reservation", best)):
        assert measured.cpu is not None
        print(
            f"CPU per request, {label}: server {measured.cpu.server:.2f} ms, "
            f"PostgreSQL {measured.cpu.postgres:.2f} ms, load generator {measured.cpu.client:.2f} ms"
        )
    print(
        f"sell-out: {sold_out.statuses} -> seats_sold {seats_sold}, ticket rows {ticket_rows}, capacity "
        f"{sellout_seats}, oversold {oversold}"
    )
    return 1 if oversold or errors or seats_sold != ticket_rows else 0


if __name__ == "__main__":
    raise SystemExit(main())
