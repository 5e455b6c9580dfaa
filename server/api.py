"""Every router of the API, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from server.events.public_router import router as events_public_router
from server.events.router import router as events_router
from server.tenancy.router import router as tenancy_router
from server.villas.router import router as spaces_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(tenancy_router)
api_router.include_router(spaces_router)
api_router.include_router(events_router)
api_router.include_router(events_public_router)
