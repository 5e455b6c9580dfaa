"""The kiosk's HTTP side of the sync protocol (``docs/sync-protocol.md``), every message through ``shared.wire``.

- ``pair``: exchange a one-time pairing code and this device's public key for its credentials.
- ``DeviceApi``: one authenticated ``httpx.Client`` with the device token and the clock headers on every request;
  ``pull``/``push`` for the sync engine, ``redeem`` for the online check-in (with its own short timeout).
- ``HttpConnection``: what the controller holds: one ``DeviceApi`` for the sync thread, another for the check
  thread and a third for the box office's allotment calls, so that a slow pull never delays a redeem. The sync
  thread's client also serves the thread that fetches the next pull page ahead (``kiosk.sync.pages``); an
  ``httpx.Client`` may be used from several threads.

The base URL and the ``httpx`` transport are injected, so tests talk to a real uvicorn server (or a mock transport).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from kiosk.checkin.service import Unreachable
from kiosk.config import Credentials
from kiosk.sync.runner import ClockOffsetHolder
from kiosk.sync.transport import DeviceRevoked, TransportError, Unauthorized
from shared import wire
from shared.clock import Clock
from shared.qrtoken import SigningKey

logger = logging.getLogger(__name__)

SOFTWARE = "usher-kiosk/0.1"
SYNC_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class PairingError(Exception):
    """Pairing failed; the message is for the person at the kiosk."""


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def pair(
    *,
    server_url: str,
    code: str,
    key: SigningKey,
    transport: httpx.BaseTransport | None = None,
) -> Credentials:
    """Pair this kiosk. ``key`` is the device's freshly generated signing key; its public half goes to the server."""
    request = wire.PairRequest(pairing_code=code.strip(), public_key=key.public_bytes(), software=SOFTWARE)
    base_url = server_url.strip().rstrip("/")
    try:
        with httpx.Client(base_url=base_url, transport=transport, timeout=SYNC_TIMEOUT) as client:
            response = client.post(
                wire.Path.PAIR,
                content=wire.dumps(wire.encode_pair_request(request)),
                headers={"Content-Type": "application/json"},
            )
    except httpx.HTTPError as exc:
        raise PairingError(f"Cannot reach the server at {base_url}: {exc}") from exc
    if response.status_code == 404 and _problem(response).get("code") == wire.Problem.PAIRING_CODE_INVALID:
        raise PairingError(
            "That pairing code is not valid (mistyped, used or expired). Ask an organizer for a new one."
        )
    if not response.is_success:
        detail = _problem(response).get("detail") or response.reason_phrase
        raise PairingError(f"The server refused the pairing ({response.status_code}): {detail}")
    answer = wire.decode_pair_response(response.json())
    signing_key = SigningKey.from_private_bytes(key.private_bytes(), key_id=answer.key_id)
    logger.info("paired as device %s (%s) of org %s", answer.device_id, answer.role.value, answer.org_id)
    return Credentials(
        server_url=base_url,
        device_id=answer.device_id,
        device_token=answer.device_token,
        signing_key=signing_key,
        device_name=answer.name,
        org_id=answer.org_id,
        role=answer.role.value,
    )


class DeviceApi:
    def __init__(
        self,
        credentials: Credentials,
        *,
        clock: Clock,
        offset: ClockOffsetHolder,
        transport: httpx.BaseTransport | None = None,
        pull_limit: int | None = None,
    ) -> None:
        self._clock = clock
        self._offset = offset
        self._pull_limit = pull_limit
        self._client = httpx.Client(
            base_url=credentials.server_url,
            transport=transport,
            timeout=SYNC_TIMEOUT,
            headers={"Authorization": f"Bearer {credentials.device_token}", "User-Agent": SOFTWARE},
        )

    def close(self) -> None:
        self._client.close()

    def _headers(self) -> dict[str, str]:
        return wire.clock_headers(sent_at=self._clock.now(), offset=self._offset.estimate())

    def _send(
        self, method: str, path: str, *, timeout: httpx.Timeout | float | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        try:
            response = self._client.request(
                method, path, headers=headers, timeout=timeout if timeout is not None else SYNC_TIMEOUT, **kwargs
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return response
        problem = _problem(response)
        if wire.is_wipe_instruction(response.status_code, problem):
            raise DeviceRevoked(problem.get("detail") or "this device was revoked")
        if response.status_code == 401:
            raise Unauthorized(problem.get("detail") or "the server does not know this device's token")
        raise TransportError(
            f"{response.status_code} {problem.get('code') or ''} {problem.get('detail') or ''}".strip()
        )

    # --- the sync engine's calls ----------------------------------------------------------------------------------

    def pull(self, cursor: str | None) -> wire.PullPage:
        params: dict[str, str | int] = {} if cursor is None else {"cursor": cursor}
        if self._pull_limit is not None:
            params["limit"] = self._pull_limit
        response = self._send("GET", wire.Path.PULL, params=params)
        try:
            return wire.decode_pull_page(response.content)
        except wire.WireError as exc:
            raise TransportError(f"the server sent a page this kiosk cannot read: {exc}") from exc

    def push(self, documents: Sequence[dict[str, object]]) -> wire.PushResponse:
        body = {"v": wire.WIRE_VERSION, "mutations": list(documents)}
        response = self._send(
            "POST", wire.Path.PUSH, content=wire.dumps(body), headers={"Content-Type": "application/json"}
        )
        try:
            return wire.decode_push_response(response.json())
        except (wire.WireError, ValueError) as exc:
            raise TransportError(f"the server's push answer cannot be read: {exc}") from exc

    # --- the box office's calls ------------------------------------------------------------------------------------

    def request_allotment(self, request: wire.AllotmentRequest) -> wire.Allotment:
        """Seats set aside for this desk to sell offline; ``TransportError`` with the server's code when they do
        not fit (``409 sold_out``)."""
        response = self._send(
            "POST",
            wire.Path.ALLOTMENTS,
            content=wire.dumps(wire.encode_allotment_request(request)),
            headers={"Content-Type": "application/json"},
        )
        return wire.decode_allotment(response.json())

    def release_allotment(self, allotment_id: uuid.UUID) -> wire.Allotment:
        """Give an allotment's unused seats back."""
        return wire.decode_allotment(self._send("POST", wire.Path.release_allotment(allotment_id)).json())

    # --- the check-in path's call -----------------------------------------------------------------------------------

    def redeem(self, request: wire.RedeemRequest, *, timeout: float) -> wire.RedeemResponse:
        try:
            response = self._send(
                "POST",
                wire.Path.REDEEM,
                content=wire.dumps(wire.encode_redeem_request(request)),
                headers={"Content-Type": "application/json"},
                timeout=httpx.Timeout(timeout),
            )
            return wire.decode_redeem_response(response.json())
        except (TransportError, DeviceRevoked, wire.WireError, ValueError) as exc:
            # Whatever went wrong, the door decides offline; the sync engine finds out about a revocation itself.
            raise Unreachable(str(exc) or type(exc).__name__) from exc


class HttpConnection:
    """The controller's handle on the server: a ``DeviceApi`` for the sync thread and one for the check thread."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        clock: Clock,
        offset: ClockOffsetHolder,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.transport = DeviceApi(credentials, clock=clock, offset=offset, transport=transport)
        self.redeemer = DeviceApi(credentials, clock=clock, offset=offset, transport=transport)
        self.desk = DeviceApi(credentials, clock=clock, offset=offset, transport=transport)

    def close(self) -> None:
        self.transport.close()
        self.redeemer.close()
        self.desk.close()


def connector(
    *, clock: Clock, transport: httpx.BaseTransport | None = None
) -> Callable[[Credentials, ClockOffsetHolder], HttpConnection]:
    def connect(credentials: Credentials, offset: ClockOffsetHolder) -> HttpConnection:
        return HttpConnection(credentials, clock=clock, offset=offset, transport=transport)

    return connect
