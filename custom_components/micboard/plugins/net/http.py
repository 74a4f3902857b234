"""What the plugins that talk HTTPS (Sennheiser SSCv2, the Shure System API) share.

Their session: inside Home Assistant a plugin uses the shared session it is given; used on
its own (tests against the simulators, scripts) it has none, so it opens one, and then it
must close it too (:class:`SessionClient`). Their reading of answers: a body size cap that
no Content-Length can talk round, JSON decoding that never raises on device bytes, and
markers for "the device has no such resource" and "that was not JSON". And their request
itself (:class:`PinnedJsonClient`): pinned to the certificate the user confirmed, bounded in
time and in parallel requests, a credential that is never sent again once the device
rejected it, and transport failures mapped onto the plugin errors, written once so the two
protocols cannot drift apart. What differs stays with each protocol: how the credential is
sent, what a status code means, the API's root path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Callable, Coroutine, Iterator, Mapping
import contextlib
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, Final

import aiohttp
from yarl import URL

from ..errors import CannotConnect, InvalidAuth, ProtocolError
from .jsondata import MalformedJson, decode_json
from .timing import RoundTrip, wait_answer
from .tls import CertificatePin

if TYPE_CHECKING:
    from ..health import ConnectionHealth

#: Bounds of a request's timeout, which otherwise follows the device's round trip: never
#: below this (a busy device is not dead), never above the ceiling (a dead one is noticed).
TIMEOUT_FLOOR: Final = 5.0
TIMEOUT_CEILING: Final = 30.0


class _Marker:
    """A named stand-in for a body: compared by identity, shown by its name."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: A resource the device says it does not have (which status says so is the protocol's).
ABSENT: Final = _Marker("ABSENT")
#: A body that is not JSON (error bodies may be plain text; whether that matters is the
#: protocol's call).
INVALID: Final = _Marker("INVALID")


async def read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes (whatever Content-Length claims)."""
    if response.content_length is not None and response.content_length > limit:
        raise ProtocolError(f"response of {response.content_length} bytes is too large")
    chunks: list[bytes] = []
    size = 0
    while chunk := await response.content.readany():
        size += len(chunk)
        if size > limit:
            raise ProtocolError("response is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes, health: ConnectionHealth | None = None, source: str = "") -> Any:
    """Parsed JSON; ``None`` for an empty body, :data:`INVALID` for one that is not usable.

    Not usable is anything :func:`~.jsondata.decode_json` refuses (invalid, nested too
    deeply, ...); with ``health`` it is counted there as a rejected message (logged once per
    connection, ``source`` naming the peer and resource).
    """
    if not raw.strip():
        return None
    try:
        return decode_json(raw, limit=len(raw))
    except MalformedJson as err:
        if health is not None:
            health.rejected(source, f"a body ({err})", raw)
        return INVALID


def is_success(status: int) -> bool:
    """Whether ``status`` is a 2xx."""
    return HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES


def _round_trip(timeout: float) -> RoundTrip:
    """A device's round trip, starting from ``timeout`` (see :class:`PinnedJsonClient`)."""
    return RoundTrip(
        initial=timeout,
        floor=min(timeout, TIMEOUT_FLOOR),
        ceiling=max(timeout, TIMEOUT_CEILING),
    )


class SessionClient[ClientT]:
    """A plugin's HTTP client, made on first use on the right session.

    Inside Home Assistant the client runs on the shared session the plugin was given; used
    on its own (tests against the simulators, scripts) the plugin has none, so one of our own
    is opened, and :meth:`close` closes it again and forgets the client made on it. Nothing is
    opened in the constructor: a session must be created inside the event loop.
    """

    def __init__(
        self,
        shared: aiohttp.ClientSession | None,
        make: Callable[[aiohttp.ClientSession], ClientT],
    ) -> None:
        """``make`` builds the client on a session (called once per session)."""
        self._shared = shared
        self._make = make
        self._own: aiohttp.ClientSession | None = None
        self.made: ClientT | None = None

    def get(self) -> ClientT:
        """The client, made now if this is the first use."""
        if self.made is None:
            session = self._shared
            if session is None:
                session = self._own = aiohttp.ClientSession()
            self.made = self._make(session)
        return self.made

    async def close(self) -> None:
        """Close our own session, if we opened one, and the client made on it with it."""
        own, self._own = self._own, None
        if own is not None:
            self.made = None
            await own.close()


class PinnedJsonClient(ABC):
    """JSON over HTTPS to one device whose certificate the user confirmed.

    Subclasses say how the credential travels (:meth:`auth_headers`), what a status means
    (:meth:`check_status`) and where the API lives (:attr:`root`, :attr:`encoded_paths`);
    this class sends, pins, bounds and decodes. After a rejected credential
    (:meth:`rejected`) every later authenticated call fails at once, before the network,
    a request waiting for its turn included: devices lock clients out after repeated failed
    logins.
    """

    #: What the credential is called in messages ("password", "API key").
    credential: ClassVar[str]
    #: A REST answer larger than this is not one of the protocol's resources.
    max_body_bytes: ClassVar[int]
    #: Seconds one request may take, unless the caller says otherwise.
    request_timeout: ClassVar[float] = 10.0
    #: Requests in flight at once.
    concurrency: ClassVar[int] = 1
    #: Prefix of every resource path.
    root: ClassVar[str] = ""
    #: Whether paths arrive percent-encoded (segments the caller quoted itself).
    encoded_paths: ClassVar[bool] = False

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        port: int,
        fingerprint: bytes,
        secret: str | None = None,
        *,
        timeout: float | None = None,
        health: ConnectionHealth | None = None,
    ) -> None:
        """Pin to ``fingerprint``; without ``secret`` only unauthenticated requests work.

        ``timeout`` is the first request's; later ones follow the measured round trip
        (:class:`RoundTrip`), between ``min(timeout, TIMEOUT_FLOOR)`` and
        ``max(timeout, TIMEOUT_CEILING)``. ``health`` counts bodies that are not usable.
        """
        self.session = session
        self.host = host
        self.port = port
        self.fingerprint = fingerprint
        self.round_trip = _round_trip(self.request_timeout if timeout is None else timeout)
        self.health = health
        self._secret = secret
        self._pin = CertificatePin(host, port, fingerprint)
        self._slots = asyncio.Semaphore(self.concurrency)
        self.auth_rejected = False

    @property
    def timeout(self) -> float:
        """The first request's timeout, and the floor of later ones when it is lower."""
        return self.round_trip.initial

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self.round_trip = _round_trip(seconds)

    def __repr__(self) -> str:
        """Never shows the credential."""
        return f"{type(self).__name__}({self.host}:{self.port})"

    def url(self, path: str, query: Mapping[str, str] | None = None) -> URL:
        """Absolute URL of a resource (IPv6 hosts are bracketed by yarl)."""
        base = URL.build(scheme="https", host=self.host, port=self.port)
        url = base.with_path(self.root + path, encoded=self.encoded_paths)
        return url.with_query(query) if query else url

    # -- what each protocol says --------------------------------------------------------------

    @abstractmethod
    def auth_headers(self, secret: str | None) -> dict[str, str] | None:
        """The headers that carry ``secret``; ``None`` when it is no usable credential."""

    @abstractmethod
    def check_status(self, status: int, body: Any, path: str, *, authenticated: bool) -> None:
        """Raise what ``status`` means whatever the caller expected (auth, access)."""

    def decode(self, status: int, raw: bytes, path: str) -> Any:
        """The body of an answer: see :func:`parse_json` (an unusable one is counted)."""
        return parse_json(raw, self.health, f"{self.host} ({path})")

    # -- requests -----------------------------------------------------------------------------

    def rejected(self, message: str) -> InvalidAuth:
        """Remember that the device rejected the credential; the error to raise."""
        self.auth_rejected = True
        return InvalidAuth(message)

    def refuse_if_rejected(self) -> None:
        """Raise at once if the credential was rejected: it is not sent again."""
        if self.auth_rejected:
            raise InvalidAuth(f"{self.host} rejected the {self.credential}; waiting for a new one")

    def headers(self, accept: str, *, authenticated: bool) -> dict[str, str]:
        """Headers of one request; raises instead where nothing may be sent."""
        self._pin.check()
        headers = {"Accept": accept}
        if not authenticated:
            return headers
        self.refuse_if_rejected()
        auth = self.auth_headers(self._secret)
        if auth is None:
            raise InvalidAuth(f"no {self.credential} configured")
        headers.update(auth)
        return headers

    @contextlib.contextmanager
    def failures(self, action: str) -> Iterator[None]:
        """Map what can go wrong on the way to the device onto the plugin errors.

        A different certificate is remembered (nothing more is sent until the user confirms
        it); anything else is :class:`CannotConnect`, with ``action`` in the message.
        """
        try:
            yield
        except aiohttp.ServerFingerprintMismatch as err:
            raise self._pin.changed(err) from err
        except (aiohttp.ClientError, OSError, TimeoutError) as err:
            raise CannotConnect(f"{action} failed: {err!r}") from err

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        authenticated: bool = True,
        time_limit: float | None = None,
    ) -> tuple[int, Any]:
        """Send one request; return (status, decoded body).

        ``json=None`` sends no body and no Content-Type: only a request with a body
        declares JSON (the System API refuses the header on a bodyless request).
        """
        headers = self.headers("application/json", authenticated=authenticated)
        async with self._slots:
            if authenticated:
                # A request in flight just learnt the credential is wrong: do not send it again.
                self.refuse_if_rejected()
            with self.failures(f"{method} {path} on {self.host}:{self.port}"):
                status, raw = await self._timed(
                    self._exchange(method, self.url(path, query), body, headers), time_limit
                )
        decoded = self.decode(status, raw, path)
        self.check_status(status, decoded, path, authenticated=authenticated)
        return status, decoded

    async def _exchange(
        self, method: str, url: URL, body: Any, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        # Redirects are not followed: a device has no reason to send one, and following it
        # would carry the credential (an ``x-api-key`` header survives) to another address.
        async with self.session.request(
            method, url, json=body, ssl=self._pin.ssl, headers=headers, allow_redirects=False
        ) as response:
            return response.status, await read_capped(response, self.max_body_bytes)

    async def _timed(
        self, exchange: Coroutine[Any, Any, tuple[int, bytes]], time_limit: float | None
    ) -> tuple[int, bytes]:
        """Run one exchange within its timeout and learn the round trip from it.

        The timeout is ``time_limit`` if given, else the round trip's. An answer that was
        already in the socket when the timer fired (the loop was stalled) still counts
        (:func:`wait_answer`); only then is the exchange given up.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        task = loop.create_task(exchange)
        try:
            result = await wait_answer(task, time_limit or self.round_trip.timeout)
        except BaseException:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise
        self.round_trip.sample(loop.time() - started)
        return result
