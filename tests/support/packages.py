"""A villa + event package to book: a priced villa, two events with an occurrence each during the stay, the package
made and activated through the API as an organizer would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from server.bookings.models import Attendee, Order, Ticket
from server.villas.models import BookedNight, Booking
from shared.enums import SpaceKind
from tests.support.factories import SellableEvent, make_sellable_event, make_space
from tests.support.orgs import SeededOrg

CHECK_IN = date(2026, 6, 10)
CHECK_OUT = date(2026, 6, 13)


@dataclass(frozen=True)
class PackageWorld:
    package: dict[str, Any]
    villa_id: uuid.UUID
    cooking: SellableEvent
    wine: SellableEvent

    @property
    def id(self) -> str:
        return str(self.package["id"])

    def item(self, kind: str) -> str:
        """The item id of the villa, the cooking class or the wine tour."""
        wanted = {
            "villa": str(self.villa_id),
            "cooking": str(self.cooking.definition_id),
            "wine": str(self.wine.definition_id),
        }
        for item in self.package["items"]:
            if wanted[kind] in (item["space_id"], item["event_definition_id"]):
                return str(item["id"])
        raise KeyError(kind)


def make_villa(db: sessionmaker[Session], org: SeededOrg, *, nightly_price_cents: int = 30000) -> uuid.UUID:
    with db() as session:
        villa = make_space(
            session, org, kind=SpaceKind.VILLA, name="Villa Kembang", nightly_price_cents=nightly_price_cents
        )
        session.commit()
        return villa.id


def create_package(client: TestClient, org: SeededOrg, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/packages", json=fields, headers=org.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def activate(client: TestClient, org: SeededOrg, package_id: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/packages/{package_id}/status", json={"status": "active"}, headers=org.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def villa_event_package(
    client: TestClient,
    db: sessionmaker[Session],
    org: SeededOrg,
    *,
    nightly_price_cents: int = 30000,
    cooking_price_cents: int = 4500,
    wine_price_cents: int = 6000,
    capacity: int = 10,
    discount_percent: str = "15",
    base_price_cents: int | None = None,
    wine_item: dict[str, Any] | None = None,
    nights: int = 3,
) -> PackageWorld:
    """Villa (``nights`` nights) + cooking class (2 tickets) + wine tour (2 tickets), 15 % off, active."""
    villa_id = make_villa(db, org, nightly_price_cents=nightly_price_cents)
    cooking = make_sellable_event(
        db, org, start_at=datetime(2026, 6, 10, 17, tzinfo=UTC), capacity=capacity, price_cents=cooking_price_cents
    )
    wine = make_sellable_event(
        db, org, start_at=datetime(2026, 6, 12, 9, tzinfo=UTC), capacity=capacity, price_cents=wine_price_cents
    )
    fields: dict[str, Any] = {
        "name": "Ubud Wellness Retreat",
        "package_type": "villa_event",
        "discount_percent": discount_percent,
        "valid_from": "2026-06-01",
        "valid_until": "2026-09-30",
        "items": [
            {"item_type": "villa", "space_id": str(villa_id), "quantity": nights},
            {"item_type": "event", "event_definition_id": str(cooking.definition_id), "quantity": 2},
            {"item_type": "event", "event_definition_id": str(wine.definition_id), "quantity": 2, **(wine_item or {})},
        ],
    }
    if base_price_cents is not None:
        fields["base_price_cents"] = base_price_cents
    package = create_package(client, org, **fields)
    activate(client, org, package["id"])
    return PackageWorld(package, villa_id, cooking, wine)


def booking_body(
    world: PackageWorld, *, check_in: date = CHECK_IN, check_out: date = CHECK_OUT, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "check_in": check_in.isoformat(),
        "check_out": check_out.isoformat(),
        "email": f"lead-{uuid.uuid4().hex[:6]}@example.com",
        "attendees": [
            {"given_name": "Made", "family_name": "Wirawan"},
            {"given_name": "Komang", "family_name": "Sari"},
        ],
        "items": [
            {"item_id": world.item("cooking"), "occurrence_id": str(world.cooking.occurrence_id)},
            {"item_id": world.item("wine"), "occurrence_id": str(world.wine.occurrence_id)},
        ],
    }
    body.update(extra)
    return body


def book(client: TestClient, slug: str, world: PackageWorld, **kw: Any) -> Any:
    return client.post(f"/api/v1/public/{slug}/packages/{world.id}/bookings", json=booking_body(world, **kw))


def pay_booking(client: TestClient, slug: str, booking: dict[str, Any], mode: str = "pay") -> Any:
    return client.post(
        f"/api/v1/public/{slug}/package-bookings/{booking['id']}/pay",
        json={"mode": mode},
        headers={"X-Booking-Secret": booking["access_secret"]},
    )


def leftovers(db: sessionmaker[Session]) -> dict[str, int]:
    """How many rows a package booking could have left behind."""
    with db() as session:

        def count(model: Any) -> int:
            return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)

        return {
            "bookings": count(Booking),
            "nights": count(BookedNight),
            "orders": count(Order),
            "tickets": count(Ticket),
            "attendees": count(Attendee),
        }
