"""The ``usher`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from server.config import get_settings
from server.db.engine import create_db_engine, create_session_factory
from server.db.migrate import upgrade
from server.db.types import utcnow


def _database_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}: {_database_label(settings.database_url)}")
    return 0


def bootstrap_if_empty(*, org_name: str, account_name: str) -> str | None:
    """Creates the first org, account and admin token on an empty database; returns the token secret once."""
    from server.tenancy import service as tenancy_service

    settings = get_settings()
    engine = create_db_engine(settings.database_url, pool_size=1)
    try:
        with create_session_factory(engine)() as session:
            if tenancy_service.has_any_organization(session=session):
                return None
            created = tenancy_service.bootstrap_organization(
                session=session, org_name=org_name, account_name=account_name, now=utcnow()
            )
            session.commit()
            return created.token_secret
    finally:
        engine.dispose()


def print_token_once(secret: str) -> None:
    print("\n  Admin API token (shown only once, store it now):\n")
    print(f"    {secret}\n")


def cmd_bootstrap(args: argparse.Namespace) -> int:
    settings = get_settings()
    upgrade(settings.database_url)
    secret = bootstrap_if_empty(org_name=args.org, account_name=args.account)
    if secret is None:
        print("an organization exists already; nothing bootstrapped", file=sys.stderr)
        return 1
    print_token_once(secret)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if settings.is_sqlite:
        # The embedded default needs no setup: schema and first org appear on first start.
        upgrade(settings.database_url)
        secret = bootstrap_if_empty(org_name="My Organization", account_name="Organizer")
        if secret:
            print_token_once(secret)
    database = _database_label(settings.database_url)
    print(f"Usher on http://{args.host}:{args.port} (API docs at /docs), database {database}")
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )
    return 0


def cmd_generate_occurrences(args: argparse.Namespace) -> int:
    from server.events.scheduling import generate_all_recurring

    settings = get_settings()
    engine = create_db_engine(settings.database_url, pool_size=1)
    failures = 0
    try:
        with create_session_factory(engine)() as session:
            results = generate_all_recurring(
                session=session, now=utcnow(), horizon_days=args.days or settings.occurrence_horizon_days
            )
    finally:
        engine.dispose()
    for definition_id, result in results.items():
        if isinstance(result, Exception):
            failures += 1
            print(f"{definition_id}: FAILED {result}", file=sys.stderr)
            continue
        print(
            f"{definition_id}: {len(result.created)} created, {result.skipped_existing} existing, "
            f"{len(result.skipped_venue_conflicts)} skipped for venue conflicts"
        )
    print(f"{len(results)} recurring events processed")
    return 1 if failures else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from server.demo import run_demo

    return run_demo(host=args.host, port=args.port, fresh=args.fresh, output=args.output)


def _run_jobs(*, deliver_mail: bool) -> int:
    from server.jobs.runner import run_once

    settings = get_settings()
    engine = create_db_engine(settings.database_url, pool_size=2)
    try:
        report = run_once(
            session_factory=create_session_factory(engine), settings=settings, now=utcnow(), deliver_mail=deliver_mail
        )
    finally:
        engine.dispose()
    print(
        f"holds released: {report.holds_released} tickets, occurrences moved: {report.occurrences_changed}, "
        f"mails sent: {report.mails_sent}, occurrences generated: {report.occurrences_generated}"
    )
    if report.failed:
        print(f"failed (see the log): {', '.join(report.failed)}", file=sys.stderr)
        return 1
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    return _run_jobs(deliver_mail=True)


def cmd_sweep(args: argparse.Namespace) -> int:
    from server.jobs.tasks import sweep_expired_holds

    settings = get_settings()
    engine = create_db_engine(settings.database_url, pool_size=2)
    try:
        freed = sweep_expired_holds(session_factory=create_session_factory(engine), now=utcnow())
    finally:
        engine.dispose()
    print(f"released {freed} tickets from expired holds")
    return 0


def cmd_kiosk(args: argparse.Namespace) -> int:
    from kiosk.app import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="usher", description="Usher: event check-in, box office and kiosk sync.")
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    serve = add("serve", cmd_serve, "Run the API server.")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")

    migrate = add("migrate", cmd_migrate, "Bring the database schema to a revision (default: the newest).")
    migrate.add_argument("revision", nargs="?", default="head")

    bootstrap = add("bootstrap", cmd_bootstrap, "Create the first organization, account and admin token.")
    bootstrap.add_argument("--org", default="My Organization")
    bootstrap.add_argument("--account", default="Organizer")

    generate = add(
        "generate-occurrences", cmd_generate_occurrences, "Create the coming occurrences of every recurring event."
    )
    generate.add_argument("--days", type=int, default=None, help="horizon (default: USHER_OCCURRENCE_HORIZON_DAYS)")

    jobs = add("jobs", cmd_jobs, "Run the periodic jobs (holds, occurrence status, mail) once and exit.")
    jobs.add_argument("action", choices=["run-once"])

    add("sweep", cmd_sweep, "Release the tickets of every expired hold and exit.")

    demo = add(
        "demo",
        cmd_demo,
        "Run the server on the embedded SQLite default with demo data, and a kiosk paired with it (with a display).",
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--fresh", action="store_true", help="start from an empty demo database")
    demo.add_argument(
        "--output", type=Path, default=None, help="where the demo tickets and the kiosk's data go (./demo-output)"
    )

    kiosk = add("kiosk", cmd_kiosk, "Open the door kiosk (PySide6): pairing, then check-in by camera, scanner or code.")
    from kiosk.app import add_arguments  # light: argparse and paths only; Qt loads when the kiosk runs

    add_arguments(kiosk)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
