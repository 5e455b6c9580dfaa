"""Every router of the API, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from server.bookings.router import public_router as storefront_router
from server.bookings.router import router as bookings_router
from server.checkin.router import device_router as checkin_device_router
from server.checkin.router import router as checkin_router
from server.devices.router import device_router as device_self_router
from server.devices.router import router as devices_router
from server.events.public_router import router as events_public_router
from server.events.router import router as events_router
from server.packages.router import public_router as packages_public_router
from server.packages.router import router as packages_router
from server.payments.router import router as payments_router
from server.signing.router import router as signing_router
from server.sync.router import device_router as sync_device_router
from server.sync.router import router as sync_router
from server.tenancy.router import router as tenancy_router
from server.villas.router import router as spaces_router
from server.waitlist.router import public_router as waitlist_public_router
from server.waitlist.router import router as waitlist_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(tenancy_router)
api_router.include_router(spaces_router)
api_router.include_router(events_router)
api_router.include_router(events_public_router)
api_router.include_router(bookings_router)
api_router.include_router(storefront_router)
api_router.include_router(payments_router)
api_router.include_router(signing_router)
api_router.include_router(devices_router)
api_router.include_router(device_self_router)
api_router.include_router(checkin_router)
api_router.include_router(checkin_device_router)
api_router.include_router(sync_router)
api_router.include_router(sync_device_router)
api_router.include_router(waitlist_router)
api_router.include_router(waitlist_public_router)
api_router.include_router(packages_router)
api_router.include_router(packages_public_router)
