"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server.api import api_router
from server.config import Settings, get_settings
from server.db.engine import create_db_engine, create_session_factory
from server.db.migrate import upgrade
from server.db.types import utcnow
from server.deps import Clock
from server.errors import install_error_handlers
from server.jobs.runner import JobRunner

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = create_db_engine(settings.database_url, pool_size=settings.database_pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.is_sqlite:
            # The embedded default must just work: bring the file's schema up to date on start.
            upgrade(settings.database_url)
        runner = None
        if settings.run_jobs:
            runner = JobRunner(session_factory=app.state.session_factory, settings=settings, clock=app.state.clock)
            runner.start()
        yield
        if runner is not None:
            runner.stop()
        engine.dispose()

    app = FastAPI(
        title="Usher",
        version="0.1.0",
        summary="Event check-in, box office and offline kiosk sync.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = create_session_factory(engine)
    app.state.clock = clock or utcnow
    install_error_handlers(app)
    app.include_router(api_router)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
