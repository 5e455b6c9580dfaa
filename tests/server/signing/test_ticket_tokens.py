"""Ticket tokens through the server: signed by the org's key, kept encrypted at rest, rotated without breaking
issued tickets, and every forgery refused by the server's own check."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.signing import service
from server.signing.models import SigningKey as SigningKeyRow
from shared.qrtoken import SigningKey, TicketClaims, sign_ticket
from tests.support.sales import pay, reserve


@pytest.fixture
def issued(client, org_slug, event):
    order = reserve(client, org_slug, event).json()
    return pay(client, org_slug, order).json()["tickets"][0]


def check(client, org, token: str) -> dict:
    return client.post("/api/v1/tickets/verify-token", json={"token": token}, headers=org.headers).json()


def test_issued_token_verifies_and_names_its_ticket(client, org, issued, event, clock) -> None:
    clock.set(event.start_at - timedelta(hours=1))

    verdict = check(client, org, issued["qr_code_data"])

    assert verdict["status"] == "valid"
    assert verdict["ticket_id"] == issued["id"]
    assert verdict["occurrence_id"] == str(event.occurrence_id)
    assert verdict["ticket_status"] == "confirmed"


def test_tampered_token_is_refused(client, org, issued) -> None:
    token = issued["qr_code_data"]
    position = 40
    flipped = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]

    assert check(client, org, flipped)["status"] in {"bad_signature", "malformed"}


def test_truncated_token_is_refused(client, org, issued) -> None:
    assert check(client, org, issued["qr_code_data"][:-5])["status"] == "malformed"


def test_random_text_is_refused(client, org) -> None:
    assert check(client, org, "U1:" + "Q" * 207)["status"] in {"unknown_key", "malformed"}
    assert check(client, org, "hello")["status"] == "malformed"


def test_token_signed_with_a_key_outside_the_keyring_is_refused(client, org, issued, event) -> None:
    stranger = SigningKey.generate()
    claims = TicketClaims(
        ticket_id=uuid.UUID(issued["id"]),
        occurrence_id=event.occurrence_id,
        ticket_type_id=event.ticket_type_id,
        valid_from=event.start_at - timedelta(days=1),
        valid_until=event.start_at + timedelta(days=1),
        issued_at=event.start_at - timedelta(days=2),
    )

    assert check(client, org, sign_ticket(claims, key=stranger))["status"] == "unknown_key"


def test_another_orgs_token_is_unknown_to_this_org(client, other_org, issued) -> None:
    assert check(client, other_org, issued["qr_code_data"])["status"] == "unknown_key"


def test_token_is_not_yet_valid_long_before_the_start(client, org, issued) -> None:
    assert check(client, org, issued["qr_code_data"])["status"] == "not_yet_valid"


def test_token_is_expired_after_its_window(client, org, issued, clock, event) -> None:
    clock.set(event.start_at + timedelta(days=2))

    assert check(client, org, issued["qr_code_data"])["status"] == "expired"


def test_rotation_keeps_issued_tickets_valid_and_signs_new_ones_with_the_new_key(
    client, org, org_slug, event, issued, clock
) -> None:
    clock.advance(hours=1)
    rotated = client.post("/api/v1/signing-keys/rotate", headers=org.headers).json()
    order = reserve(client, org_slug, event).json()
    fresh = pay(client, org_slug, order).json()["tickets"][0]

    keys = client.get("/api/v1/signing-keys", headers=org.headers).json()
    assert len(keys) == 2
    clock.set(event.start_at)
    assert check(client, org, issued["qr_code_data"])["status"] == "valid"
    assert check(client, org, fresh["qr_code_data"])["status"] == "valid"
    assert base64.b32decode(fresh["qr_code_data"][3:] + "=")[1:5].hex() == rotated["key_id"]


def test_private_keys_are_stored_encrypted(issued, db, org) -> None:
    with db() as session:
        row = session.scalars(sa.select(SigningKeyRow)).one()
        secret = "usher-development-secret-key-change-me"
        raw = service.decrypt_private_key(
            row.private_key_encrypted, secret_key=secret, org_id=row.org_id, key_id=row.key_id
        )
        assert raw not in row.private_key_encrypted
        assert SigningKey.from_private_bytes(raw).public_bytes() == row.public_key
        with pytest.raises(Exception):  # noqa: B017, PT011 - any AES-GCM failure will do
            service.decrypt_private_key(
                row.private_key_encrypted, secret_key="another-secret", org_id=row.org_id, key_id=row.key_id
            )
