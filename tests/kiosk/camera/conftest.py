"""Frames for the camera tests: rendered once per session, deterministic by seed."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.camera.synthetic import (
    NO_CODE_CATEGORIES,
    Image,
    blank_frame,
    random_confirmation_code,
    random_token,
    render_frame,
    ticket_frame,
)

TOKEN_A = random_token(np.random.default_rng(1))
TOKEN_B = random_token(np.random.default_rng(2))
CONFIRMATION = random_confirmation_code(np.random.default_rng(3))


@pytest.fixture(scope="session")
def paper_frames() -> list[tuple[Image, str]]:
    """Easy printed tickets: two tokens and a confirmation code."""
    return [(ticket_frame(payload, seed), payload) for seed, payload in enumerate((TOKEN_A, TOKEN_B, CONFIRMATION))]


@pytest.fixture(scope="session")
def dark_mode_frames() -> list[tuple[Image, str]]:
    """Phones in dark mode: light modules on a dark screen."""
    return [
        (ticket_frame(payload, seed + 10, "phone_dark"), payload) for seed, payload in enumerate((TOKEN_A, TOKEN_B))
    ]


@pytest.fixture(scope="session")
def no_code_frames() -> list[Image]:
    """Clutter only, QR-like decoys and other symbologies, two of each."""
    return [render_frame(category, seed).image for category in NO_CODE_CATEGORIES for seed in (0, 1)] + [blank_frame()]
