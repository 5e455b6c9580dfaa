"""Imports every model module so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from server.bookings import models as bookings_models
from server.checkin import models as checkin_models
from server.db.core import Base
from server.devices import models as devices_models
from server.events import models as events_models
from server.notifications import models as notifications_models
from server.packages import models as packages_models
from server.payments import models as payments_models
from server.signing import models as signing_models
from server.sync import models as sync_models
from server.tenancy import models as tenancy_models
from server.villas import models as villas_models
from server.waitlist import models as waitlist_models

metadata = Base.metadata

__all__ = [
    "bookings_models",
    "checkin_models",
    "devices_models",
    "events_models",
    "metadata",
    "notifications_models",
    "packages_models",
    "payments_models",
    "signing_models",
    "sync_models",
    "tenancy_models",
    "villas_models",
    "waitlist_models",
]
