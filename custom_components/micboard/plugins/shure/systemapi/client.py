"""HTTPS and WebSocket client of the Shure System API server.

What a client meets (``shared/research/shure.md`` §1.2-1.4), and how this one copes:

- every REST call carries the shared secret in ``x-api-key``; the server rejects a
  ``Content-Type: application/json`` header on a request without a body, so the header is only
  sent with one (subscription POSTs have none);
- the certificate is self-signed: every request, the WebSocket included, is pinned to the
  fingerprint the user confirmed, so a different certificate stops the connection before the
  key is sent;
- a 401 (an RFC 7807 problem body) is final for this client: it raises :class:`InvalidAuth`
  and every later call fails at once without touching the network, so a wrong key is never
  tried in a loop;
- ``/v1/devices`` pages Relay-style (``pageInfo`` + ``edges``); a bare array or ``{items}``
  are accepted too;
- a few requests run in parallel (the server is a Windows service that fronts every device;
  a full read of a big installation is hundreds of small GETs).
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
import logging
from typing import Any, ClassVar, Final
from urllib.parse import quote

import aiohttp

from ...errors import (
    CannotConnect,
    ProtocolError,
    UnsupportedDevice,
)
from ...net.http import (
    ABSENT,
    INVALID,
    PinnedJsonClient,
    is_success,
)
from ...net.tls import (
    fetch_fingerprint,
)
from .model import (
    as_dict,
    device_nodes,
    next_cursor,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT: Final = 10000
API_ROOT: Final = "/api"
DEVICES: Final = "/v1/devices"
WEBSOCKET: Final = "/v1/subscriptions/websocket/create"
REQUEST_TIMEOUT: Final = 10.0
#: Requests in flight at once.
CONCURRENCY: Final = 6
#: A REST answer larger than this is not a System API resource.
MAX_BODY_BYTES: Final = 8 * 1024 * 1024
#: A server that keeps saying "next page" is stopped after this many.
MAX_PAGES: Final = 500

_AUTH_STATUSES: Final = frozenset({HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN})
#: "No such resource here": the device lacks it (404) or refuses the method (405).
_ABSENT_STATUSES: Final = frozenset({HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED})


class ServerError(ProtocolError):
    """The server answered with a 5xx: it is up but failing this request."""


class NotSystemApi(UnsupportedDevice):
    """Something answers HTTPS at the address, but not as a Shure System API server."""


def segment(value: str) -> str:
    """One path segment, percent-encoded (audio channel ids are base64 with ``/`` and ``+``)."""
    return quote(value, safe="")


def problem_title(body: object) -> str | None:
    """``title`` (else ``detail``) of an RFC 7807 problem body."""
    data = as_dict(body)
    for key in ("title", "detail", "message"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return None


class SystemApiClient(PinnedJsonClient):
    """One System API server, reached through an injected :class:`aiohttp.ClientSession`.

    The request itself (pinning, size cap, timeouts, a key never sent again after a 401) is
    :class:`PinnedJsonClient`'s; what is the System API's is the ``x-api-key`` header, the
    ``/api`` root, a few requests in parallel, and RFC 7807 problem bodies.
    """

    credential: ClassVar[str] = "API key"
    max_body_bytes: ClassVar[int] = MAX_BODY_BYTES
    request_timeout: ClassVar[float] = REQUEST_TIMEOUT
    concurrency: ClassVar[int] = CONCURRENCY
    root: ClassVar[str] = API_ROOT
    #: Paths are percent-encoded by the caller (:func:`segment`).
    encoded_paths: ClassVar[bool] = True

    def auth_headers(self, secret: str | None) -> dict[str, str] | None:
        """The shared secret, on every REST call (an empty one is none)."""
        return {"x-api-key": secret} if secret else None

    def check_status(self, status: int, body: Any, path: str, *, authenticated: bool) -> None:
        """401/403 to a keyed request: the key is wrong; the problem body says why."""
        if status in _AUTH_STATUSES and authenticated:
            title = problem_title(body) or "no reason given"
            raise self.rejected(f"{self.host} rejected the API key ({status}: {title})")

    async def get(self, path: str, *, absent_ok: bool = False) -> Any:
        """Body of a resource; :data:`ABSENT` for 404/405 when ``absent_ok``."""
        status, body = await self.request("GET", path)
        if status == HTTPStatus.OK:
            if body is INVALID:
                raise ProtocolError(f"GET {path} answered invalid JSON")
            return body
        if absent_ok and status in _ABSENT_STATUSES:
            return ABSENT
        raise _status_error("GET", path, status, body)

    async def post(self, path: str) -> None:
        """A bodyless action (``identify/start``); any 2xx is success."""
        status, body = await self.request("POST", path)
        if not is_success(status):
            raise _status_error("POST", path, status, body)

    async def list_devices(self) -> list[dict[str, Any]]:
        """Every device node, following the pages (a repeated page cursor ends the walk)."""
        nodes: list[dict[str, Any]] = []
        seen_cursors: set[str] = set()
        query: dict[str, str] | None = None
        for _page in range(MAX_PAGES):
            status, body = await self.request("GET", DEVICES, query=query)
            if status != HTTPStatus.OK or body is INVALID:
                raise _status_error("GET", DEVICES, status, body)
            if not isinstance(body, list | dict):
                raise ProtocolError(f"GET {DEVICES} answered {type(body).__name__}")
            nodes.extend(device_nodes(body))
            cursor = next_cursor(body)
            if cursor is None:
                break
            if cursor in seen_cursors:
                _LOGGER.debug("%s repeats page cursor %.40r; stopping there", self.host, cursor)
                break
            seen_cursors.add(cursor)
            query = {"after": cursor}
        return nodes

    async def subscribe(self, path: str, transport_id: str) -> int:
        """``POST <path>/subscription/<transport>`` (no body); returns the status.

        Any 2xx is success (the server documents 204; one client expects a JSON body).
        """
        status, _body = await self.request("POST", f"{path}/subscription/{segment(transport_id)}")
        return status

    # -- WebSocket ------------------------------------------------------------------------------

    async def open_events(self) -> aiohttp.ClientWebSocketResponse:
        """Open the event WebSocket, pinned like every request.

        The verified client sends no key on the handshake (the transport is bound to the
        key-carrying REST subscriptions instead), and neither does this one. Pings are the
        caller's (``autoping`` off): it answers the server's and sends its own when the
        socket goes quiet, with no timer left behind when the socket closes.
        """
        headers = self.headers("application/json", authenticated=False)
        self.refuse_if_rejected()
        with self.failures(f"opening the event socket of {self.host}"):
            try:
                async with asyncio.timeout(self.timeout):
                    return await self.session.ws_connect(
                        self.url(WEBSOCKET),
                        ssl=self._pin.ssl,
                        headers=headers,
                        autoping=False,
                        max_msg_size=self.max_body_bytes,
                    )
            except aiohttp.WSServerHandshakeError as err:
                if err.status in _AUTH_STATUSES:
                    raise self.rejected(
                        f"{self.host} refused the event socket ({err.status})"
                    ) from err
                raise CannotConnect(f"{self.host} refused the event socket: {err.status}") from err


async def probe_server(
    session: aiohttp.ClientSession,
    host: str,
    port: int = DEFAULT_PORT,
    *,
    time_limit: float = REQUEST_TIMEOUT,
) -> bytes:
    """Certificate fingerprint of a System API server, sending no key.

    A bare TLS handshake reads the certificate; one pinned, keyless ``GET /api/v1/devices``
    then checks that the server asks for a key the way the System API does (401).
    """
    fingerprint = await fetch_fingerprint(host, port, time_limit)
    client = SystemApiClient(session, host, port, fingerprint, None, timeout=time_limit)
    status, body = await client.request("GET", DEVICES, authenticated=False)
    if status not in _AUTH_STATUSES and not (status == HTTPStatus.OK and device_nodes(body)):
        raise NotSystemApi(f"{host}:{port} answered {status} where the System API asks for a key")
    return fingerprint


def _status_error(method: str, path: str, status: int, body: Any) -> ProtocolError:
    title = problem_title(body)
    message = f"{method} {path} answered {status}" + (f": {title}" if title else "")
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ServerError(message)
    return ProtocolError(message)
