"""What the sync engine needs from the network, in the wire contract's own values (``shared.wire``), and the
errors that tell it what to do next.

    TransportError          the network's or the server's fault (timeout, refused, 5xx): retried with backoff
    └── Unauthorized        the device token is unknown to the server (401): pair again
    DeviceRevoked           the server said "wipe" (410 device_revoked): erase the replica and pair again
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared import wire


class TransportError(Exception):
    pass


class Unauthorized(TransportError):
    pass


class DeviceRevoked(Exception):
    pass


class SyncTransport(Protocol):
    def push(self, documents: Sequence[dict[str, object]]) -> wire.PushResponse:
        """Upload queued mutations (each ``wire.encode_mutation``'s document), in sequence order."""
        ...

    def pull(self, cursor: str | None) -> wire.PullPage:
        """The next page of changes after ``cursor`` (``None``: from the beginning)."""
        ...
