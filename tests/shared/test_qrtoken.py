"""Signed ticket tokens: what verifies, what does not, and why."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.qrtoken import (
    KEY_ID_LENGTH,
    TOKEN_LENGTH,
    TOKEN_PREFIX,
    KeyOwner,
    KeyOwnerKind,
    Keyring,
    SigningKey,
    TicketClaims,
    TokenStatus,
    TrustedKey,
    key_id_for,
    looks_like_token,
    sign_ticket,
    verify_ticket,
)

NOW = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)
ORG = KeyOwner(KeyOwnerKind.ORGANIZATION, uuid.UUID("00000000-0000-4000-8000-000000000001"))
DEVICE = KeyOwner(KeyOwnerKind.DEVICE, uuid.UUID("00000000-0000-4000-8000-000000000002"))
ORG_KEY = SigningKey.generate()
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def claims(*, issued_at: datetime = NOW - timedelta(days=3), ticket_id: uuid.UUID | None = None) -> TicketClaims:
    return TicketClaims(
        ticket_id=ticket_id or uuid.uuid4(),
        occurrence_id=uuid.uuid4(),
        ticket_type_id=uuid.uuid4(),
        valid_from=NOW - timedelta(hours=6),
        valid_until=NOW + timedelta(hours=6),
        issued_at=issued_at,
    )


def org_keyring(*keys: SigningKey) -> Keyring:
    return Keyring(key.trusted(owner=ORG) for key in (keys or (ORG_KEY,)))


def raw_bytes(token: str) -> bytes:
    encoded = token[len(TOKEN_PREFIX) :]
    return base64.b32decode(encoded + "=" * (-len(encoded) % 8))


def encode(raw: bytes) -> str:
    return TOKEN_PREFIX + base64.b32encode(raw).decode().rstrip("=")


def test_a_signed_token_verifies_and_gives_back_its_claims() -> None:
    original = claims()
    result = verify_ticket(sign_ticket(original, key=ORG_KEY), org_keyring(), now=NOW)
    assert result.status is TokenStatus.VALID
    assert result.claims == original
    assert result.signer == ORG
    assert result.key_id == ORG_KEY.key_id


def test_token_is_210_characters_of_the_qr_alphanumeric_set() -> None:
    token = sign_ticket(claims(), key=ORG_KEY)
    assert len(token) == TOKEN_LENGTH == 210
    assert set(token) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_token_fits_a_version_8_qr_code_at_medium_error_correction() -> None:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(sign_ticket(claims(), key=ORG_KEY))
    code.make(fit=True)
    assert code.version <= 8


def test_two_tickets_never_share_a_token() -> None:
    shared_window = claims()
    other = TicketClaims(
        ticket_id=uuid.uuid4(),
        occurrence_id=shared_window.occurrence_id,
        ticket_type_id=shared_window.ticket_type_id,
        valid_from=shared_window.valid_from,
        valid_until=shared_window.valid_until,
        issued_at=shared_window.issued_at,
    )
    assert sign_ticket(shared_window, key=ORG_KEY) != sign_ticket(other, key=ORG_KEY)


def test_claims_keep_whole_seconds_only() -> None:
    with_micros = TicketClaims(
        ticket_id=uuid.uuid4(),
        occurrence_id=uuid.uuid4(),
        ticket_type_id=uuid.uuid4(),
        valid_from=NOW - timedelta(hours=1, microseconds=5),
        valid_until=NOW + timedelta(hours=1, microseconds=5),
        issued_at=NOW - timedelta(days=1, microseconds=999),
    )
    result = verify_ticket(sign_ticket(with_micros, key=ORG_KEY), org_keyring(), now=NOW)
    assert result.claims == with_micros
    assert with_micros.valid_until.microsecond == 0


def test_claims_refuse_naive_datetimes_and_empty_windows() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TicketClaims(
            ticket_id=uuid.uuid4(),
            occurrence_id=uuid.uuid4(),
            ticket_type_id=uuid.uuid4(),
            valid_from=datetime(2026, 1, 1),
            valid_until=NOW,
            issued_at=NOW,
        )
    with pytest.raises(ValueError, match="before valid_until"):
        TicketClaims(
            ticket_id=uuid.uuid4(),
            occurrence_id=uuid.uuid4(),
            ticket_type_id=uuid.uuid4(),
            valid_from=NOW,
            valid_until=NOW,
            issued_at=NOW,
        )


def test_lower_case_and_surrounding_whitespace_are_accepted_because_scanners_produce_them() -> None:
    token = sign_ticket(claims(), key=ORG_KEY)
    assert verify_ticket(token.lower(), org_keyring(), now=NOW).status is TokenStatus.VALID
    assert verify_ticket(f"  {token}\r\n", org_keyring(), now=NOW).status is TokenStatus.VALID


def test_every_altered_character_is_rejected() -> None:
    token = sign_ticket(claims(), key=ORG_KEY)
    keyring = org_keyring()
    for position, original in enumerate(token):
        for replacement in B32 + ":":
            if replacement == original.upper():
                continue
            altered = token[:position] + replacement + token[position + 1 :]
            status = verify_ticket(altered, keyring, now=NOW).status
            assert status is not TokenStatus.VALID, f"{original}->{replacement} at {position} still verified"


def test_every_flipped_bit_of_the_decoded_bytes_is_rejected() -> None:
    token = sign_ticket(claims(), key=ORG_KEY)
    raw = raw_bytes(token)
    keyring = org_keyring()
    for index in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[index] ^= 1 << bit
            assert verify_ticket(encode(bytes(flipped)), keyring, now=NOW).status is not TokenStatus.VALID


def test_a_flipped_key_id_reads_as_an_unknown_key_and_a_flipped_claim_as_a_bad_signature() -> None:
    raw = bytearray(raw_bytes(sign_ticket(claims(), key=ORG_KEY)))
    key_id_altered = bytearray(raw)
    key_id_altered[1] ^= 0xFF
    ticket_altered = bytearray(raw)
    ticket_altered[1 + KEY_ID_LENGTH] ^= 0x01
    assert verify_ticket(encode(bytes(key_id_altered)), org_keyring(), now=NOW).status is TokenStatus.UNKNOWN_KEY
    assert verify_ticket(encode(bytes(ticket_altered)), org_keyring(), now=NOW).status is TokenStatus.BAD_SIGNATURE


def test_unused_trailing_bits_must_be_zero_so_each_token_has_one_spelling() -> None:
    token = sign_ticket(claims(), key=ORG_KEY)
    last = B32.index(token[-1])
    for low_bits in range(1, 8):
        variant = token[:-1] + B32[last ^ low_bits]
        assert raw_bytes(variant) == raw_bytes(token)  # base32 alone cannot tell them apart
        assert verify_ticket(variant, org_keyring(), now=NOW).status is TokenStatus.MALFORMED


def test_truncated_and_extended_tokens_are_malformed() -> None:
    token = sign_ticket(claims(), key=ORG_KEY)
    for cut in (1, 2, 8, 100, len(token) - len(TOKEN_PREFIX)):
        assert verify_ticket(token[:-cut], org_keyring(), now=NOW).status is TokenStatus.MALFORMED
    assert verify_ticket(token + "A", org_keyring(), now=NOW).status is TokenStatus.MALFORMED


def test_a_token_with_an_unknown_version_byte_is_malformed() -> None:
    raw = bytearray(raw_bytes(sign_ticket(claims(), key=ORG_KEY)))
    raw[0] = 2
    assert verify_ticket(encode(bytes(raw)), org_keyring(), now=NOW).status is TokenStatus.MALFORMED


def test_a_token_signed_by_a_key_outside_the_keyring_is_from_an_unknown_key() -> None:
    stranger = SigningKey.generate()
    result = verify_ticket(sign_ticket(claims(), key=stranger), org_keyring(), now=NOW)
    assert result.status is TokenStatus.UNKNOWN_KEY
    assert result.claims is None
    assert result.key_id == stranger.key_id


def test_a_token_signed_by_another_key_under_a_trusted_key_id_has_a_bad_signature() -> None:
    impostor = SigningKey(key_id=ORG_KEY.key_id, private_key=SigningKey.generate().private_key)
    result = verify_ticket(sign_ticket(claims(), key=impostor), org_keyring(), now=NOW)
    assert result.status is TokenStatus.BAD_SIGNATURE
    assert result.claims is None


@settings(max_examples=500)
@given(st.text())
def test_arbitrary_text_never_verifies(text: str) -> None:
    assert verify_ticket(text, org_keyring(), now=NOW).status is TokenStatus.MALFORMED


@settings(max_examples=300)
@given(st.text(alphabet=B32, min_size=TOKEN_LENGTH - 3, max_size=TOKEN_LENGTH - 3))
def test_random_well_formed_base32_never_verifies(encoded: str) -> None:
    status = verify_ticket(TOKEN_PREFIX + encoded, org_keyring(), now=NOW).status
    assert status in {TokenStatus.MALFORMED, TokenStatus.UNKNOWN_KEY, TokenStatus.BAD_SIGNATURE}


def test_after_key_rotation_tokens_from_the_old_and_the_new_key_both_verify() -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    keyring = Keyring([old.trusted(owner=ORG), new.trusted(owner=ORG)])
    assert verify_ticket(sign_ticket(claims(), key=old), keyring, now=NOW).status is TokenStatus.VALID
    assert verify_ticket(sign_ticket(claims(), key=new), keyring, now=NOW).status is TokenStatus.VALID


def test_a_retired_key_vouches_only_for_what_it_signed_before_retirement() -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    retired_at = NOW - timedelta(days=1)
    keyring = Keyring([old.trusted(owner=ORG, revoked_at=retired_at), new.trusted(owner=ORG)])
    before = sign_ticket(claims(issued_at=retired_at - timedelta(seconds=1)), key=old)
    after = sign_ticket(claims(issued_at=retired_at + timedelta(seconds=1)), key=old)
    assert verify_ticket(before, keyring, now=NOW).status is TokenStatus.VALID
    assert verify_ticket(after, keyring, now=NOW).status is TokenStatus.KEY_REVOKED


def test_a_revoked_device_key_keeps_tickets_sold_before_revocation_and_loses_later_ones() -> None:
    device = SigningKey.generate()
    revoked_at = NOW - timedelta(hours=2, microseconds=300)
    keyring = Keyring([ORG_KEY.trusted(owner=ORG), device.trusted(owner=DEVICE, revoked_at=revoked_at)])
    sold_before = verify_ticket(sign_ticket(claims(issued_at=NOW - timedelta(hours=3)), key=device), keyring, now=NOW)
    sold_after = verify_ticket(sign_ticket(claims(issued_at=NOW - timedelta(hours=1)), key=device), keyring, now=NOW)
    same_second = verify_ticket(sign_ticket(claims(issued_at=revoked_at), key=device), keyring, now=NOW)
    assert sold_before.status is TokenStatus.VALID
    assert sold_before.signer == DEVICE
    assert sold_after.status is TokenStatus.KEY_REVOKED
    assert sold_after.claims is not None  # authentic, so the kiosk can say which ticket it was
    assert same_second.status is TokenStatus.KEY_REVOKED


def test_a_token_outside_its_validity_window_says_which_side_it_fell_on() -> None:
    token_claims = claims()
    token = sign_ticket(token_claims, key=ORG_KEY)
    early = verify_ticket(token, org_keyring(), now=token_claims.valid_from - timedelta(seconds=1))
    at_start = verify_ticket(token, org_keyring(), now=token_claims.valid_from)
    at_end = verify_ticket(token, org_keyring(), now=token_claims.valid_until)
    assert early.status is TokenStatus.NOT_YET_VALID
    assert early.claims == token_claims
    assert at_start.status is TokenStatus.VALID
    assert at_end.status is TokenStatus.EXPIRED


def test_verification_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_ticket(sign_ticket(claims(), key=ORG_KEY), org_keyring(), now=datetime(2026, 6, 1))


def test_private_key_bytes_round_trip_to_the_same_signer() -> None:
    restored = SigningKey.from_private_bytes(ORG_KEY.private_bytes())
    assert restored.key_id == ORG_KEY.key_id == key_id_for(ORG_KEY.public_bytes())
    assert verify_ticket(sign_ticket(claims(), key=restored), org_keyring(), now=NOW).status is TokenStatus.VALID
    assert ORG_KEY.private_bytes().hex() not in repr(ORG_KEY)


def test_a_caller_chosen_key_id_is_carried_and_looked_up() -> None:
    chosen = SigningKey.from_private_bytes(SigningKey.generate().private_bytes(), key_id=b"dev1")
    keyring = Keyring([chosen.trusted(owner=DEVICE)])
    assert verify_ticket(sign_ticket(claims(), key=chosen), keyring, now=NOW).key_id == b"dev1"


def test_a_keyring_refuses_two_keys_with_one_id() -> None:
    twin = TrustedKey(key_id=ORG_KEY.key_id, public_key=SigningKey.generate().public_bytes(), owner=DEVICE)
    with pytest.raises(ValueError, match="share the key id"):
        Keyring([ORG_KEY.trusted(owner=ORG), twin])


def test_scanned_text_is_recognised_as_a_token_by_its_prefix_in_any_case() -> None:
    assert looks_like_token(" u1:abc")
    assert not looks_like_token("ABCDE-FGHJK")


def test_every_issuer_signs_the_same_window_around_the_occurrence() -> None:
    import uuid
    from datetime import UTC, datetime, timedelta

    from shared.qrtoken import claims_for_ticket

    start = datetime(2026, 7, 1, 20, 0, 30, 999, tzinfo=UTC)
    claims = claims_for_ticket(
        ticket_id=uuid.uuid4(),
        occurrence_id=uuid.uuid4(),
        ticket_type_id=uuid.uuid4(),
        start_at=start,
        end_at=start + timedelta(hours=3),
        issued_at=start - timedelta(days=3),
    )
    assert claims.valid_from == datetime(2026, 6, 30, 20, 0, 30, tzinfo=UTC)
    assert claims.valid_until == datetime(2026, 7, 2, 5, 0, 30, tzinfo=UTC)
