"""The kiosk against the real server: a uvicorn on loopback, an occurrence whose doors are open, tickets sold at the
box office, and a kiosk paired through the pairing API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kiosk.config import DataDir, KioskSettings
from kiosk.sync.client import pair
from shared.qrtoken import SigningKey
from tests.support.doors import doors, sell
from tests.support.factories import SellableEvent
from tests.support.kiosk import create_device
from tests.support.live_server import running_server
from tests.support.orgs import SeededOrg

__all__ = ["doors"]


class NetworkSwitch(httpx.BaseTransport):
    """The kiosk's network: on, or gone (every request fails to connect, as with the cable pulled)."""

    def __init__(self) -> None:
        self.up = True
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("network is unreachable", request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@dataclass
class Venue:
    base_url: str
    http: httpx.Client
    org: SeededOrg
    event: SellableEvent

    def sell(self, quantity: int = 1, **attendee: Any) -> list[dict[str, Any]]:
        return sell(self.http, self.org, self.event, quantity, **attendee)

    def pair_kiosk(self, root: Path, *, name: str = "Door 1", network: httpx.BaseTransport | None = None) -> DataDir:
        code = create_device(
            self.http, self.org.headers, name=name, role="door_scanner", occurrence_ids=[self.event.occurrence_id]
        )
        credentials = pair(server_url=self.base_url, code=code, key=SigningKey.generate(), transport=network)
        data_dir = DataDir(root)
        data_dir.save_credentials(credentials)
        data_dir.save_settings(KioskSettings(occurrence_ids=[str(self.event.occurrence_id)], gate=name))
        return data_dir

    def get(self, path: str) -> Any:
        response = self.http.get(path, headers=self.org.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def counters(self) -> dict[str, int]:
        return dict(self.get(f"/api/v1/occurrences/{self.event.occurrence_id}/check-in/counters"))

    def log(self) -> list[dict[str, Any]]:
        return list(self.get(f"/api/v1/occurrences/{self.event.occurrence_id}/check-in/log?limit=10000"))


@pytest.fixture
def venue(app: FastAPI, org: SeededOrg, doors: SellableEvent) -> Iterator[Venue]:
    with running_server(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        yield Venue(base_url, http, org, doors)
