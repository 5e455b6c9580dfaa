"""Imports every model module so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from server.bookings import models as bookings_models
from server.db.core import Base
from server.events import models as events_models
from server.packages import models as packages_models
from server.tenancy import models as tenancy_models
from server.villas import models as villas_models
from server.waitlist import models as waitlist_models

metadata = Base.metadata

__all__ = [
    "bookings_models",
    "events_models",
    "metadata",
    "packages_models",
    "tenancy_models",
    "villas_models",
    "waitlist_models",
]
