"""Every router of the API, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from server.tenancy.router import router as tenancy_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(tenancy_router)
