"""Confirmation codes: random enough, readable, and forgiving of how people type them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.codes import (
    CODE_ALPHABET,
    CODE_LENGTH,
    ScanKind,
    classify_scan,
    format_for_display,
    new_confirmation_code,
    normalize_confirmation_code,
)


def test_codes_carry_at_least_40_bits_of_randomness() -> None:
    assert CODE_LENGTH * math.log2(len(set(CODE_ALPHABET))) >= 40


def test_the_alphabet_has_no_characters_that_read_like_others() -> None:
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert CODE_ALPHABET.upper() == CODE_ALPHABET


def test_new_codes_are_in_stored_form_and_differ() -> None:
    codes = {new_confirmation_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(normalize_confirmation_code(code) == code for code in codes)


def test_every_alphabet_character_turns_up_in_generated_codes() -> None:
    seen = set("".join(new_confirmation_code() for _ in range(500)))
    assert seen == set(CODE_ALPHABET)


def test_codes_are_shown_in_two_groups_of_five() -> None:
    assert format_for_display("K7MXQ2P9RT") == "K7MXQ-2P9RT"
    with pytest.raises(ValueError, match="not a confirmation code"):
        format_for_display("hello")


def test_typing_in_lower_case_with_spaces_or_dashes_finds_the_same_code() -> None:
    for typed in ("k7mxq-2p9rt", " K7MXQ 2P9RT ", "k7m-xq2-p9r-t", "K7MXQ\t2P9RT"):
        assert normalize_confirmation_code(typed) == "K7MXQ2P9RT"


def test_text_that_cannot_be_a_code_normalizes_to_none() -> None:
    for typed in ("", "K7MXQ2P9R", "K7MXQ2P9RTX", "K7MXQ2P9R0", "OOOOOOOOOO", "K7MXQ_2P9RT", "K7MXQ2P9RÉ"):
        assert normalize_confirmation_code(typed) is None


@given(st.text())
def test_normalizing_is_idempotent_and_never_returns_foreign_characters(text: str) -> None:
    code = normalize_confirmation_code(text)
    if code is not None:
        assert normalize_confirmation_code(code) == code
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)


def test_a_scanned_token_is_told_apart_from_a_confirmation_code() -> None:
    assert classify_scan("U1:AAAA").kind is ScanKind.SIGNED_TOKEN
    assert classify_scan("u1:aaaa").kind is ScanKind.SIGNED_TOKEN
    code = classify_scan("k7mxq-2p9rt")
    assert code.kind is ScanKind.CONFIRMATION_CODE
    assert code.value == "K7MXQ2P9RT"
    unknown = classify_scan("https://example.org/ticket")
    assert unknown.kind is ScanKind.UNRECOGNIZED
    assert unknown.value is None
