"""Fixtures for the check-in and sync tests."""

from tests.support.doors import doors
from tests.support.sales import db, event, org_slug

__all__ = ["db", "doors", "event", "org_slug"]
