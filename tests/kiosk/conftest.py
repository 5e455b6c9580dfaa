"""Fixtures for the kiosk tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kiosk.door import Door, open_door


@pytest.fixture
def door(tmp_path: Path) -> Iterator[Door]:
    door = open_door(tmp_path)
    yield door
    door.replica.close()
