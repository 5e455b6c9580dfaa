"""The domain's enumerations, as the spec names them; stored by value in both databases."""

from __future__ import annotations

from enum import StrEnum


class EventCategory(StrEnum):
    TOUR = "tour"
    ACTIVITY = "activity"
    CLASS = "class"
    WORKSHOP = "workshop"
    DINING = "dining"
    WELLNESS = "wellness"
    CULTURAL = "cultural"
    ADVENTURE = "adventure"
    ENTERTAINMENT = "entertainment"
    OTHER = "other"


class EventType(StrEnum):
    ONE_TIME = "one_time"
    RECURRING = "recurring"
    MULTI_DAY = "multi_day"


class VenueType(StrEnum):
    ON_PROPERTY = "on_property"
    OFF_PROPERTY = "off_property"
    VIRTUAL = "virtual"
    MOBILE = "mobile"


class DefinitionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class OccurrenceStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELED = "canceled"


class TicketTier(StrEnum):
    GENERAL = "general"
    VIP = "vip"
    EARLY_BIRD = "early_bird"
    GROUP = "group"
    CHILD = "child"
    SENIOR = "senior"
    STUDENT = "student"
    MEMBER = "member"


class TicketTypeStatus(StrEnum):
    ACTIVE = "active"
    SOLD_OUT = "sold_out"
    EXPIRED = "expired"
    DISABLED = "disabled"


class TicketStatus(StrEnum):
    RESERVED = "reserved"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    CANCELED = "canceled"
    REFUNDED = "refunded"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    NOTIFIED = "notified"
    CONVERTED = "converted"
    EXPIRED = "expired"
    CANCELED = "canceled"


class PackageType(StrEnum):
    VILLA_EVENT = "villa_event"
    MULTI_EVENT = "multi_event"
    EXPERIENCE_BUNDLE = "experience_bundle"


class PackageStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class PackageItemType(StrEnum):
    EVENT = "event"
    VILLA = "villa"


class SpaceKind(StrEnum):
    VILLA = "villa"
    VENUE = "venue"


class SalesChannel(StrEnum):
    ONLINE = "online"
    BOX_OFFICE = "box_office"


class Permission(StrEnum):
    """The spec's permissions (Authorization & Access domain), carried by API tokens."""

    EVENT_CREATE = "event.create"
    EVENT_MANAGE = "event.manage"
    TICKET_SELL = "ticket.sell"
    ATTENDEE_VIEW = "attendee.view"
