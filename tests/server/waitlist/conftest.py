"""The ticket-sales fixtures."""

from tests.support.sales import db, event, org_slug

__all__ = ["db", "event", "org_slug"]
