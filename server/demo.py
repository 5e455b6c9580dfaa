"""``usher demo``: the server on the embedded SQLite default, seeded with a demo organization, and with a display a
kiosk paired with it, scanning a video of demo tickets (``server.demo_door``); without one, the server alone.

The seed goes through the same services as the API, so the demo data obeys every rule real data does.
Running the demo again reuses the seeded organization and prints a fresh admin token (tokens are stored hashed,
so an old one cannot be shown again).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from platformdirs import user_data_dir
from sqlalchemy.orm import Session

from server.config import Environment, Settings
from server.db.engine import create_db_engine, create_session_factory
from server.db.migrate import upgrade
from server.db.types import utcnow
from server.demo_door import (
    TONIGHT,
    DemoTicket,
    Tonight,
    ensure_tonight,
    issue_demo_tickets,
    pair_demo_kiosk,
    write_camera_video,
)
from server.events import scheduling
from server.events import service as events_service
from server.events.schemas import DefinitionCreate, OccurrenceCreate, TicketTypeCreate
from server.tenancy import service as tenancy_service
from server.tenancy.models import Organization
from server.villas import service as villas_service
from server.villas.schemas import SpaceCreate
from shared.enums import DefinitionStatus, EventCategory, EventType, Permission, SpaceKind, TicketTier, VenueType

DEMO_ORG_SLUG = "casa-serena"
DEMO_TIMEZONE = "Europe/Lisbon"


@dataclass(frozen=True)
class DemoSeed:
    org_id: uuid.UUID
    org_slug: str
    admin_token: str
    created: bool


def demo_database_url() -> str:
    explicit = os.environ.get("USHER_DATABASE_URL")
    if explicit:
        return explicit
    return f"sqlite:///{Path(user_data_dir('usher', appauthor=False)) / 'usher-demo.sqlite3'}"


def _local(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=ZoneInfo(DEMO_TIMEZONE))


def _event(
    session: Session,
    org_id: uuid.UUID,
    account_id: uuid.UUID,
    now: datetime,
    definition: DefinitionCreate,
    ticket_types: list[TicketTypeCreate],
) -> uuid.UUID:
    created = events_service.create_definition(
        session=session, org_id=org_id, account_id=account_id, data=definition, now=now
    )
    for ticket_type in ticket_types:
        events_service.create_ticket_type(
            session=session, org_id=org_id, definition_id=created.id, data=ticket_type, now=now
        )
    events_service.change_definition_status(
        session=session, org_id=org_id, definition_id=created.id, status=DefinitionStatus.ACTIVE, now=now
    )
    return created.id


def _schedule(
    session: Session, org_id: uuid.UUID, definition_id: uuid.UUID, start_at: datetime, now: datetime, days: int = 1
) -> None:
    scheduling.schedule_occurrence(
        session=session,
        org_id=org_id,
        definition_id=definition_id,
        data=OccurrenceCreate(start_at=start_at, timezone=DEMO_TIMEZONE, days=days),
        now=now,
    )


def _seed_catalog(session: Session, org_id: uuid.UUID, account_id: uuid.UUID, now: datetime) -> None:
    def space(name: str, kind: SpaceKind, **extra: object) -> uuid.UUID:
        data = SpaceCreate(
            name=name, kind=kind, currency="EUR", address={"region": "Algarve", "country": "PT"}, **extra
        )
        return villas_service.create_space(session=session, org_id=org_id, account_id=account_id, data=data, now=now).id

    space("Villa Azul", SpaceKind.VILLA, capacity=8, nightly_price_cents=42000)
    space("Villa Limão", SpaceKind.VILLA, capacity=6, nightly_price_cents=31000)
    space("Villa Oliveira", SpaceKind.VILLA, capacity=10, nightly_price_cents=55000)
    pavilion = space("Garden Pavilion", SpaceKind.VENUE, capacity=40)
    space("Beach Deck", SpaceKind.VENUE, capacity=20)

    general = TicketTypeCreate(name="General Admission", price_cents=2500, currency="EUR")
    yoga = _event(
        session,
        org_id,
        account_id,
        now,
        DefinitionCreate(
            name="Sunrise Beach Yoga",
            category=EventCategory.WELLNESS,
            event_type=EventType.RECURRING,
            duration_minutes=60,
            venue_type=VenueType.OFF_PROPERTY,
            venue_name="Praia da Marinha",
            organizer_name="Inês Duarte",
            max_capacity=20,
            settings={
                "recurrence": {
                    "rrule": "FREQ=WEEKLY;BYDAY=TU,TH,SA",
                    "start_time": "07:00",
                    "timezone": DEMO_TIMEZONE,
                    "starts_on": now.date().isoformat(),
                },
                "refund_policy": [{"min_hours_before": 24, "percent": 100}],
                "check_in": {"doors_open_minutes": 20},
            },
        ),
        [general, TicketTypeCreate(name="Member", tier=TicketTier.MEMBER, price_cents=1800, currency="EUR")],
    )
    scheduling.generate_recurring(session=session, org_id=org_id, definition_id=yoga, now=now, horizon_days=90)

    tour = _event(
        session,
        org_id,
        account_id,
        now,
        DefinitionCreate(
            name="Vineyard Sunset Tour",
            category=EventCategory.TOUR,
            duration_minutes=180,
            venue_type=VenueType.OFF_PROPERTY,
            venue_name="Quinta do Vale",
            venue_address={"city": "Lagoa", "country": "PT"},
            max_capacity=16,
            min_capacity=4,
            settings={
                "refund_policy": [{"min_hours_before": 48, "percent": 100}, {"min_hours_before": 24, "percent": 50}],
                "check_in": {"doors_open_minutes": 30},
            },
        ),
        [
            TicketTypeCreate(name="General Admission", price_cents=6500, currency="EUR"),
            TicketTypeCreate(
                name="Early Bird",
                tier=TicketTier.EARLY_BIRD,
                price_cents=5500,
                currency="EUR",
                quantity_available=6,
                valid_until=now + timedelta(days=7),
            ),
        ],
    )
    for days_ahead in (3, 10, 17):
        _schedule(session, org_id, tour, _local(now + timedelta(days=days_ahead), 17, 30), now)

    cooking = _event(
        session,
        org_id,
        account_id,
        now,
        DefinitionCreate(
            name="Cataplana Cooking Class",
            category=EventCategory.WORKSHOP,
            duration_minutes=150,
            venue_type=VenueType.ON_PROPERTY,
            venue_space_id=pavilion,
            max_capacity=12,
            settings={"check_in": {"doors_open_minutes": 15}},
        ),
        [
            TicketTypeCreate(name="Cook", price_cents=8900, currency="EUR", max_quantity=4),
            TicketTypeCreate(
                name="Chef's Table", tier=TicketTier.VIP, price_cents=12900, currency="EUR", quantity_available=4
            ),
        ],
    )
    for days_ahead in (2, 9):
        _schedule(session, org_id, cooking, _local(now + timedelta(days=days_ahead), 11), now)

    retreat = _event(
        session,
        org_id,
        account_id,
        now,
        DefinitionCreate(
            name="Three-Day Wellness Retreat",
            category=EventCategory.WELLNESS,
            event_type=EventType.MULTI_DAY,
            duration_minutes=240,
            venue_type=VenueType.ON_PROPERTY,
            venue_space_id=pavilion,
            max_capacity=10,
            min_capacity=3,
        ),
        [TicketTypeCreate(name="Full Retreat", price_cents=45000, currency="EUR", max_quantity=2)],
    )
    _schedule(session, org_id, retreat, _local(now + timedelta(days=21), 9), now, days=3)

    jazz = _event(
        session,
        org_id,
        account_id,
        now,
        DefinitionCreate(
            name="Jazz Night under the Stars",
            category=EventCategory.ENTERTAINMENT,
            duration_minutes=120,
            venue_type=VenueType.ON_PROPERTY,
            venue_space_id=pavilion,
            max_capacity=40,
            settings={"check_in": {"doors_open_minutes": 45, "allow_reentry": True}},
        ),
        [
            TicketTypeCreate(name="Adult", price_cents=3500, currency="EUR"),
            TicketTypeCreate(name="Child", tier=TicketTier.CHILD, price_cents=1500, currency="EUR"),
            TicketTypeCreate(name="Senior", tier=TicketTier.SENIOR, price_cents=2500, currency="EUR"),
        ],
    )
    _schedule(session, org_id, jazz, _local(now + timedelta(days=1), 21), now)
    _schedule(session, org_id, jazz, _local(now + timedelta(days=8), 21), now)


def seed_demo(*, session: Session, now: datetime) -> DemoSeed:
    existing = session.scalar(sa.select(Organization).where(Organization.slug == DEMO_ORG_SLUG))
    if existing is not None:
        _, secret = tenancy_service.create_token(
            session=session,
            org_id=existing.id,
            account_id=tenancy_service.default_account_id(session=session, org_id=existing.id),
            name=f"demo admin {now:%Y-%m-%d %H:%M}",
            permissions=list(Permission),
            now=now,
        )
        session.commit()
        return DemoSeed(existing.id, existing.slug, secret, created=False)
    bootstrapped = tenancy_service.bootstrap_organization(
        session=session, org_name="Casa Serena", account_name="Casa Serena Experiences", now=now
    )
    session.commit()
    _seed_catalog(session, bootstrapped.organization.id, bootstrapped.account.id, now)
    return DemoSeed(bootstrapped.organization.id, bootstrapped.organization.slug, bootstrapped.token_secret, True)


def prepare_demo(*, database_url: str, fresh: bool) -> DemoSeed:
    if fresh and database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    upgrade(database_url)
    engine = create_db_engine(database_url, pool_size=1)
    try:
        with create_session_factory(engine)() as session:
            return seed_demo(session=session, now=utcnow())
    finally:
        engine.dispose()


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare_door(
    *, database_url: str, seed: DemoSeed, settings: Settings, out: Path
) -> tuple[Tonight, list[DemoTicket]]:
    """Tonight's occurrence and the demo tickets (PNG and PDF files in ``out``)."""
    engine = create_db_engine(database_url, pool_size=1)
    try:
        with create_session_factory(engine)() as session:
            now = utcnow()
            tonight = ensure_tonight(session=session, org_id=seed.org_id, timezone=DEMO_TIMEZONE, now=now)
            tickets = issue_demo_tickets(
                session=session,
                org_id=seed.org_id,
                tonight=tonight,
                out=out,
                secret_key=settings.secret_key.get_secret_value(),
                now=now,
            )
            return tonight, tickets
    finally:
        engine.dispose()


def run_demo(*, host: str, port: int, fresh: bool, output: Path | None = None) -> int:
    """Seed, serve, and (with a display) open a kiosk paired with this server, scanning a video of the demo tickets.
    Ctrl-C stops both."""
    import uvicorn

    from server.app import create_app

    database_url = demo_database_url()
    seed = prepare_demo(database_url=database_url, fresh=fresh)
    settings = Settings(database_url=database_url, environment=Environment.DEVELOPMENT)
    out = (output or Path("demo-output")).resolve()
    tonight, tickets = prepare_door(database_url=database_url, seed=seed, settings=settings, out=out / "tickets")
    base_url = f"http://{host}:{port}"
    local = tonight.start_at.astimezone(ZoneInfo(tonight.timezone))
    print("\nUsher demo", flush=True)
    print(f"  database      {database_url}{' (new)' if seed.created else ' (reused; --fresh starts over)'}")
    print(f"  API docs      {base_url}/docs")
    print(f"  guest search  {base_url}/api/v1/public/{seed.org_slug}/occurrences")
    print(f"  admin token   {seed.admin_token}")
    print("                (shown once; send it as 'Authorization: Bearer <token>')")
    print(f"  tonight       {TONIGHT}, {local:%H:%M} {tonight.timezone}, doors open")
    print(f"                occurrence {tonight.occurrence_id}")
    print(f"  demo tickets  {out / 'tickets'}")
    print(f"                {', '.join(t.name for t in tickets)}: a PNG and a PDF each, to hold up to a camera")
    print("                or open on a phone; all-demo-tickets.pdf has them all", flush=True)
    app = create_app(settings)
    if not has_display():
        print(
            "\n  No display (neither DISPLAY nor WAYLAND_DISPLAY is set): running the server alone, without the kiosk."
            f"\n  On a machine with a screen: usher kiosk --server {base_url}\n",
            flush=True,
        )
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return 0
    return _serve_with_kiosk(
        app, host=host, port=port, base_url=base_url, seed=seed, tonight=tonight, out=out, tickets=tickets
    )


def _serve_with_kiosk(
    app: object,
    *,
    host: str,
    port: int,
    base_url: str,
    seed: DemoSeed,
    tonight: Tonight,
    out: Path,
    tickets: list[DemoTicket],
) -> int:
    """The server on a thread of this process (so the kiosk can pair through its real endpoint first), the kiosk in
    a process of its own. Ctrl-C, or closing the kiosk window, stops both."""
    import shutil
    import signal
    import subprocess
    import sys
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, name="usher-demo-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            print(f"  the server did not start on {base_url} (is the port taken?)", file=sys.stderr)
            return 1
        time.sleep(0.05)
    video = write_camera_video(tickets, out / "tickets" / "demo-camera.mp4")
    kiosk_dir = out / "kiosk"
    shutil.rmtree(kiosk_dir, ignore_errors=True)
    camera = f"file:{video}?loop&fps=10"
    device = pair_demo_kiosk(
        base_url=base_url, admin_token=seed.admin_token, tonight=tonight, data_dir=kiosk_dir, camera=camera
    )
    print(f"  kiosk         paired as {device!r} (box office) through {base_url}, serving tonight at the Terrace gate")
    print(f"                its camera plays {video.name} (the demo tickets, one after another)")
    print(f"                its data: {kiosk_dir}")
    print("\n  Ctrl-C stops the server and the kiosk.\n", flush=True)
    kiosk = subprocess.Popen(  # noqa: S603 (this Python, our own command)
        [sys.executable, "-m", "server.cli", "kiosk", "--data-dir", str(kiosk_dir)]
    )
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and kiosk.poll() is None and thread.is_alive():
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if kiosk.poll() is None:
            kiosk.terminate()
            try:
                kiosk.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kiosk.kill()
                kiosk.wait()
        server.should_exit = True
        thread.join(timeout=15)
    print("  demo stopped: the server and the kiosk are down", flush=True)
    return 0
