"""HTTPS transport for Sennheiser SSCv2: pinned TLS, Basic auth, status codes -> plugin errors.

Everything that touches the network for SSCv2 goes through :class:`Ssc2Client`, so the rules
that protect the device and the user hold in one place:

- every request is pinned to the certificate fingerprint the user confirmed (no request is
  ever sent unverified, and a changed certificate stops the connection before the password
  leaves the host);
- at most :data:`CONCURRENCY` requests to one device run at once (its REST server is
  small, but a snapshot one request at a time takes a minute on a slow network);
- a 401 is final for this client: it raises :class:`InvalidAuth` and every later
  authenticated call fails at once without touching the network, because an EW-DX locks a
  client out after repeated failed logins;
- 403 means third-party access is off or not allowed, which only the user can fix.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, Final

import aiohttp

from ...errors import (
    AccessDisabled,
    CannotConnect,
    ConnectionClosed,
    ProtocolError,
    UnsupportedDevice,
)
from ...health import excerpt
from ...net.http import (
    ABSENT,
    INVALID,
    PinnedJsonClient,
    is_success,
    parse_json,
)
from ...net.tls import (
    fetch_fingerprint,
    format_fingerprint,
)
from .model import (
    IDENTITY,
    VERSION,
    channel_count,
    model_name,
    normalize_path,
)

USERNAME: Final = "api"
DEFAULT_PORT: Final = 443
SUBSCRIPTIONS: Final = "/api/ssc/state/subscriptions"
REQUEST_TIMEOUT: Final = 10.0
#: A REST answer larger than this is not an EW-DX resource.
MAX_BODY_BYTES: Final = 1024 * 1024
#: Requests in flight at once: a 4-channel snapshot (26 reads, meters left to the push) in 7
#: rounds, so a device answering each request in 2 s has data at 18 s and is subscribed at 26 s.
CONCURRENCY: Final = 4


#: 404 (no such resource) and 422 (e.g. no transmitter linked) both mean "not there now".
_ABSENT_STATUSES: Final = frozenset({HTTPStatus.NOT_FOUND, HTTPStatus.UNPROCESSABLE_ENTITY})
_DONE_STATUSES: Final = frozenset({HTTPStatus.OK, HTTPStatus.NO_CONTENT})


class DeviceBusy(CannotConnect):
    """The device reports ``Busy`` (starting up, restarting or reconfiguring); try later."""


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What a device tells anyone, before authentication, plus its certificate."""

    host: str
    port: int
    fingerprint: bytes
    protocol: str
    product: str
    serial: str
    channels: int
    vendor: str | None

    @property
    def model(self) -> str:
        """Printed model name."""
        return model_name(self.product)

    @property
    def fingerprint_text(self) -> str:
        """Fingerprint as shown to the user."""
        return format_fingerprint(self.fingerprint)

    def as_resource(self) -> dict[str, Any]:
        """The ``/api/device/identity`` body this identity came from."""
        return {"product": self.product, "serial": self.serial, "vendor": self.vendor}


def _basic_auth(user: str, password: str) -> str:
    """``Authorization`` header value (RFC 7617, UTF-8 as the password rules allow)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def session_uuid_from_location(location: str | None) -> str | None:
    """The subscription UUID from ``Content-Location``: bare, or the last path segment."""
    if not location:
        return None
    segment = location.strip().rstrip("/").rsplit("/", 1)[-1]
    return segment or None


class Ssc2Client(PinnedJsonClient):
    """One SSCv2 device, reached through an injected :class:`aiohttp.ClientSession`.

    The request itself (pinning, size cap, timeouts, a password never sent again after a
    401) is :class:`PinnedJsonClient`'s; what is SSCv2's is Basic auth as user ``api``, a
    few requests at a time, and what 401, 403, 404 and 422 mean.
    """

    credential: ClassVar[str] = "password"
    max_body_bytes: ClassVar[int] = MAX_BODY_BYTES
    request_timeout: ClassVar[float] = REQUEST_TIMEOUT
    concurrency: ClassVar[int] = CONCURRENCY

    def auth_headers(self, secret: str | None) -> dict[str, str] | None:
        """HTTP Basic auth as user ``api`` (the only scheme SSCv2 has)."""
        return None if secret is None else {"Authorization": _basic_auth(USERNAME, secret)}

    def decode(self, status: int, raw: bytes, path: str) -> Any:
        """JSON; a success that is not JSON is a protocol error, an error that is not, None.

        Error bodies are mostly empty or text; only the 400 of ``/add`` carries JSON.
        """
        body = parse_json(raw, self.health if is_success(status) else None, f"{self.host} {path}")
        if body is not INVALID:
            return body
        if is_success(status):
            raise ProtocolError(f"{path} answered a body that is not usable JSON: {excerpt(raw)}")
        return None

    def check_status(self, status: int, body: Any, path: str, *, authenticated: bool) -> None:
        """401 and 403 raise, whatever the caller expected."""
        if status == HTTPStatus.UNAUTHORIZED:
            if not authenticated:
                raise ProtocolError(f"{path} asked for credentials; it is public in SSCv2")
            raise self.rejected(f"{self.host} rejected the password")
        if status == HTTPStatus.FORBIDDEN:
            raise AccessDisabled(f"{self.host} refuses third-party access (403)", host=self.host)

    async def get(self, path: str, *, authenticated: bool = True, absent_ok: bool = False) -> Any:
        """Body of a resource; :data:`ABSENT` for 404/422 when ``absent_ok``."""
        status, body = await self.request("GET", path, authenticated=authenticated)
        if status == HTTPStatus.OK:
            return body
        if absent_ok and status in _ABSENT_STATUSES:
            return ABSENT
        raise ProtocolError(f"GET {path} answered {status}")

    async def put(self, path: str, body: Any) -> None:
        """Change a resource (identify); 409 means the device cannot right now."""
        status, _ = await self.request("PUT", path, body=body)
        if status not in _DONE_STATUSES:
            raise ProtocolError(f"PUT {path} answered {status}")

    # -- identity -----------------------------------------------------------------------------

    async def identify(self) -> DeviceIdentity:
        """Unauthenticated probe: protocol version, product, serial, channel count.

        Both public resources are read at once (one round trip on a slow network).
        """
        version, identity = await asyncio.gather(
            self.get(VERSION, authenticated=False, absent_ok=True),
            self.get(IDENTITY, authenticated=False, absent_ok=True),
        )
        protocol = version.get("protocol") if isinstance(version, dict) else None
        if not isinstance(protocol, str) or not protocol.startswith("2"):
            raise UnsupportedDevice(f"{self.host} does not speak SSCv2 ({excerpt(repr(version))})")
        if not isinstance(identity, dict):
            raise UnsupportedDevice(f"{self.host} has no SSCv2 device identity")
        product, serial = identity.get("product"), identity.get("serial")
        channels = channel_count(product) if isinstance(product, str) else None
        if not isinstance(product, str) or channels is None:
            raise UnsupportedDevice(f"{product!r} is not an EW-DX receiver")
        if not isinstance(serial, str) or not serial:
            raise ProtocolError(f"{self.host} reported no serial number")
        vendor = identity.get("vendor")
        return DeviceIdentity(
            host=self.host,
            port=self.port,
            fingerprint=self.fingerprint,
            protocol=protocol,
            product=product,
            serial=serial,
            channels=channels,
            vendor=vendor if isinstance(vendor, str) else None,
        )

    # -- subscriptions ------------------------------------------------------------------------

    async def open_stream(self) -> aiohttp.ClientResponse:
        """Open the SSE stream (a new subscription session); the caller closes the response."""
        headers = self.headers("text/event-stream", authenticated=True)
        with self.failures(f"opening the event stream of {self.host}"):
            response = await self.session.get(
                self.url(SUBSCRIPTIONS),
                ssl=self._pin.ssl,
                headers=headers,
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=self.timeout, sock_connect=self.timeout, sock_read=None
                ),
            )
        if response.status != HTTPStatus.OK:
            response.close()
            self.check_status(response.status, None, SUBSCRIPTIONS, authenticated=True)
            raise ProtocolError(f"opening the event stream answered {response.status}")
        return response

    async def add(self, uuid: str, paths: list[str]) -> str | None:
        """Subscribe ``paths``; return the path the device refused (400), if it refused one.

        A 422 means the device no longer knows the session: the stream is gone too.
        """
        status, body = await self.request("PUT", f"{SUBSCRIPTIONS}/{uuid}/add", body=paths)
        if status == HTTPStatus.OK:
            return None
        if status == HTTPStatus.UNPROCESSABLE_ENTITY:
            raise ConnectionClosed("the device no longer knows the subscription session")
        refused = body.get("path") if isinstance(body, dict) else None
        if status == HTTPStatus.BAD_REQUEST and isinstance(refused, str):
            return normalize_path(refused)
        raise ProtocolError(f"subscribing {paths} answered {status}: {body!r}")

    async def session_alive(self, uuid: str) -> bool:
        """Whether the device still knows the session (a cheap liveness check)."""
        status, _ = await self.request("GET", f"{SUBSCRIPTIONS}/{uuid}")
        if status == HTTPStatus.OK:
            return True
        if status == HTTPStatus.UNPROCESSABLE_ENTITY:
            return False
        raise ProtocolError(f"listing the subscription session answered {status}")

    async def delete_session(self, uuid: str, *, time_limit: float | None = None) -> None:
        """End a subscription session (200), or accept that it is already gone (422)."""
        status, _ = await self.request("DELETE", f"{SUBSCRIPTIONS}/{uuid}", time_limit=time_limit)
        if status not in {*_DONE_STATUSES, HTTPStatus.UNPROCESSABLE_ENTITY}:
            raise ProtocolError(f"deleting the subscription session answered {status}")


async def probe_device(
    session: aiohttp.ClientSession,
    host: str,
    port: int = DEFAULT_PORT,
    *,
    time_limit: float = REQUEST_TIMEOUT,
) -> DeviceIdentity:
    """Read the certificate and the public identity of a device, sending no credentials.

    What the config flow shows before the user trusts the certificate; every request after
    the handshake is already pinned to the certificate just read.
    """
    fingerprint = await fetch_fingerprint(host, port, time_limit)
    return await Ssc2Client(session, host, port, fingerprint, timeout=time_limit).identify()
