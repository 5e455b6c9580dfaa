"""API tokens: hashed at rest, scoped to their org, carrying the spec's permissions."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from server.tenancy.models import ApiToken
from shared.enums import Permission
from tests.support.orgs import SeededOrg, make_token


def test_request_without_token_is_refused_with_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/organization")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "missing_token"
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_token_is_refused(client: TestClient, org: SeededOrg) -> None:
    response = client.get("/api/v1/organization", headers={"Authorization": "Bearer usher_not-a-real-token"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_token_reads_its_own_organization(client: TestClient, org: SeededOrg) -> None:
    response = client.get("/api/v1/organization", headers=org.headers)
    assert response.status_code == 200
    assert response.json()["id"] == str(org.org_id)


def test_token_secret_is_stored_only_as_a_hash(client: TestClient, app, org: SeededOrg) -> None:
    with app.state.session_factory() as session:
        stored = session.scalars(sa.select(ApiToken.token_hash)).all()
    assert stored, "the bootstrap token must exist"
    assert org.token not in stored
    assert all(len(value) == 64 and org.token not in value for value in stored)


def test_new_token_is_shown_once_and_works(client: TestClient, org: SeededOrg) -> None:
    created = client.post(
        "/api/v1/tokens", json={"name": "door staff", "permissions": ["attendee.view"]}, headers=org.headers
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = client.get("/api/v1/tokens", headers=org.headers).json()
    assert all("token" not in item for item in listed)
    assert client.get("/api/v1/organization", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_revoked_token_is_refused(client: TestClient, org: SeededOrg) -> None:
    created = client.post(
        "/api/v1/tokens", json={"name": "temp", "permissions": ["event.manage"]}, headers=org.headers
    ).json()
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=org.headers).status_code == 200
    response = client.get("/api/v1/organization", headers={"Authorization": f"Bearer {created['token']}"})
    assert response.status_code == 401


def test_token_without_permission_gets_403_naming_it(client: TestClient, app, clock, org: SeededOrg) -> None:
    viewer = make_token(app.state.session_factory, clock, org, [Permission.ATTENDEE_VIEW])
    response = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {viewer}"})
    assert response.status_code == 403
    assert response.json()["code"] == "missing_permission"
    assert response.json()["permission"] == "event.manage"


def test_token_cannot_grant_permissions_its_creator_lacks(client: TestClient, app, clock, org: SeededOrg) -> None:
    manager = make_token(app.state.session_factory, clock, org, [Permission.EVENT_MANAGE])
    response = client.post(
        "/api/v1/tokens",
        json={"name": "sneaky", "permissions": ["ticket.sell"]},
        headers={"Authorization": f"Bearer {manager}"},
    )
    assert response.status_code == 403
    assert response.json()["field"] == "permissions"


def test_other_orgs_token_is_not_found_not_forbidden(client: TestClient, org: SeededOrg, other_org: SeededOrg) -> None:
    theirs = client.get("/api/v1/tokens", headers=other_org.headers).json()[0]
    response = client.delete(f"/api/v1/tokens/{theirs['id']}", headers=org.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "token_not_found"
    assert client.get("/api/v1/organization", headers=other_org.headers).status_code == 200


def test_unknown_permission_is_a_validation_error_naming_the_field(client: TestClient, org: SeededOrg) -> None:
    response = client.post("/api/v1/tokens", json={"name": "x", "permissions": ["everything"]}, headers=org.headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["field"] == "permissions.0"
