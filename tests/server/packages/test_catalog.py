"""Organizers build packages: typed items (an event or a villa, never both), discounts or a fixed price, validity,
a lifecycle; a package that guests have bookings of cannot be changed."""

from __future__ import annotations

from shared.enums import Permission
from tests.support.factories import make_sellable_event
from tests.support.orgs import make_token
from tests.support.packages import (
    book,
    create_package,
    make_villa,
    villa_event_package,
)


def test_an_organizer_builds_a_villa_and_event_package_and_puts_it_on_sale(client, db, org, clock) -> None:
    world = villa_event_package(client, db, org)

    listed = client.get("/api/v1/packages", headers=org.headers).json()

    assert [(p["slug"], p["status"]) for p in listed] == [("ubud-wellness-retreat", "active")]
    assert [(i["item_type"], i["quantity"], i["position"]) for i in listed[0]["items"]] == [
        ("villa", 3, 0),
        ("event", 2, 1),
        ("event", 2, 2),
    ]
    assert world.package["discount_percent"] == "15.00"


def test_a_second_package_of_the_same_name_gets_its_own_slug(client, org) -> None:
    first = create_package(client, org, name="Sunset Bundle", package_type="experience_bundle")
    second = create_package(client, org, name="Sunset Bundle", package_type="experience_bundle")
    taken = client.post(
        "/api/v1/packages",
        json={"name": "X", "slug": "sunset-bundle", "package_type": "multi_event"},
        headers=org.headers,
    )

    assert (first["slug"], second["slug"]) == ("sunset-bundle", "sunset-bundle-2")
    assert taken.json()["code"] == "slug_taken"


def test_an_item_names_an_event_or_a_villa_and_never_both(client, db, org, clock) -> None:
    villa_id = make_villa(db, org)
    event = make_sellable_event(db, org, start_at=clock())
    both = {"item_type": "event", "event_definition_id": str(event.definition_id), "space_id": str(villa_id)}

    response = client.post(
        "/api/v1/packages", json={"name": "Both", "package_type": "villa_event", "items": [both]}, headers=org.headers
    )

    assert response.status_code == 422


def test_only_a_villa_event_package_can_include_a_villa(client, db, org) -> None:
    villa = {"item_type": "villa", "space_id": str(make_villa(db, org)), "quantity": 2}

    response = client.post(
        "/api/v1/packages", json={"name": "Two", "package_type": "multi_event", "items": [villa]}, headers=org.headers
    )

    assert response.status_code == 409
    assert response.json()["code"] == "villa_not_allowed"


def test_activation_needs_an_item_and_what_the_package_type_is_made_of(client, db, org, clock) -> None:
    empty = create_package(client, org, name="Empty", package_type="multi_event")
    event = make_sellable_event(db, org, start_at=clock())
    one = create_package(
        client,
        org,
        name="Just one",
        package_type="multi_event",
        items=[{"item_type": "event", "event_definition_id": str(event.definition_id)}],
    )

    nothing = client.post(f"/api/v1/packages/{empty['id']}/status", json={"status": "active"}, headers=org.headers)
    too_few = client.post(f"/api/v1/packages/{one['id']}/status", json={"status": "active"}, headers=org.headers)

    assert nothing.json()["code"] == "no_items"
    assert too_few.json()["code"] == "too_few_events"


def test_a_fixed_price_package_cannot_offer_choices(client, db, org, clock) -> None:
    event = make_sellable_event(db, org, start_at=clock())
    item = {"item_type": "event", "event_definition_id": str(event.definition_id), "is_customizable": True}

    response = client.post(
        "/api/v1/packages",
        json={"name": "Fixed", "package_type": "experience_bundle", "base_price_cents": 9900, "items": [item]},
        headers=org.headers,
    )

    assert response.json()["code"] == "fixed_price_with_choices"


def test_a_package_with_active_bookings_cannot_be_modified(client, db, org, org_slug, clock) -> None:
    world = villa_event_package(client, db, org)
    assert book(client, org_slug, world).status_code == 201

    changed = client.patch(f"/api/v1/packages/{world.id}", json={"discount_percent": "50"}, headers=org.headers)
    item = client.patch(
        f"/api/v1/packages/{world.id}/items/{world.item('wine')}", json={"quantity": 4}, headers=org.headers
    )
    paused = client.post(f"/api/v1/packages/{world.id}/status", json={"status": "paused"}, headers=org.headers)

    assert changed.status_code == 409
    assert changed.json()["code"] == "package_has_active_bookings"
    assert "1 active booking" in changed.json()["detail"]
    assert item.json()["code"] == "package_has_active_bookings"
    assert paused.status_code == 200  # stopping sales changes nothing sold


def test_a_package_whose_only_booking_lapsed_unpaid_can_be_changed_again(client, db, org, org_slug, clock) -> None:
    world = villa_event_package(client, db, org)
    book(client, org_slug, world)
    clock.advance(minutes=15)

    changed = client.patch(f"/api/v1/packages/{world.id}", json={"discount_percent": "20"}, headers=org.headers)

    assert changed.status_code == 200, changed.text
    assert changed.json()["discount_percent"] == "20.00"


def test_creating_a_package_needs_the_event_create_permission(client, org, db, clock) -> None:
    token = make_token(db, clock, org, [Permission.ATTENDEE_VIEW])

    response = client.post(
        "/api/v1/packages",
        json={"name": "Nope", "package_type": "multi_event"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 403


def test_guests_see_only_packages_on_sale(client, db, org, org_slug) -> None:
    world = villa_event_package(client, db, org)
    create_package(client, org, name="Draft Only", package_type="multi_event")

    listed = client.get(f"/api/v1/public/{org_slug}/packages").json()
    by_slug = client.get(f"/api/v1/public/{org_slug}/packages/ubud-wellness-retreat")

    assert [p["id"] for p in listed] == [world.id]
    assert by_slug.json()["id"] == world.id
    assert client.get(f"/api/v1/public/{org_slug}/packages/draft-only").status_code == 404
