"""The HTTPS side of the simulated network devices (Sennheiser SSCv2, the Shure System API).

Both serve an aiohttp application over TLS with a self-signed certificate of their own, fresh
per start, and both need the same faults: replace the certificate (a factory reset or a
reinstalled service) and cut every open connection. That lives here once; the simulators keep
only what their device says.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
import contextlib
import ssl
import time
from typing import Any, Final, Self

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from .certs import (
    SelfSignedCertificate,
    generate_certificate,
    load_into,
    server_context,
)

#: A connection handler this young without a transport is still connecting, not closed
#: (parallel clients open several connections at once).
_CONNECTING_SECONDS: Final = 30.0


class HttpsServer:
    """One aiohttp application on ``host``:``port`` (0: any free port) behind TLS."""

    def __init__(self, host: str, port: int, common_name: str) -> None:
        """Nothing listens until :meth:`start`."""
        self.host = host
        self.port = port
        self.common_name = common_name
        self.certificate: SelfSignedCertificate | None = None
        self.connections = 0  # TCP connections accepted
        self._requested_port = port
        self._context: ssl.SSLContext | None = None
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._handlers: dict[RequestHandler, float] = {}  # open (or opening) -> when accepted

    async def start(self, app: web.Application) -> None:
        """Generate a certificate and listen (key generation runs off the loop)."""
        self.certificate = await asyncio.to_thread(
            generate_certificate, self.common_name, self.host
        )
        self._context = await asyncio.to_thread(server_context, self.certificate)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        self._server = await asyncio.get_running_loop().create_server(
            self._accept, self.host, self._requested_port, ssl=self._context
        )
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the current certificate (colon-separated hex)."""
        if self.certificate is None:
            raise RuntimeError("the server has not started")
        return self.certificate.fingerprint

    def _accept(self) -> RequestHandler:
        """Aiohttp's handler for a new connection, remembered so a fault can cut it."""
        assert self._runner is not None  # noqa: S101  start() sets it first
        server = self._runner.server
        assert server is not None  # noqa: S101
        handler = server()
        self.connections += 1
        now = time.monotonic()
        self._handlers = {
            known: accepted
            for known, accepted in self._handlers.items()
            if known.transport is not None or now - accepted < _CONNECTING_SECONDS
        }
        self._handlers[handler] = now
        return handler

    async def replace_certificate(self) -> None:
        """A new key and certificate for new connections; every open one is cut."""
        assert self._context is not None  # noqa: S101  start() sets it first
        self.certificate = await asyncio.to_thread(
            generate_certificate, self.common_name, self.host
        )
        await asyncio.to_thread(load_into, self._context, self.certificate)
        self.cut_connections()

    async def stop_listening(self) -> None:
        """Refuse new connections and cut the open ones (a device switched off)."""
        if self._server is not None:
            self._server.close()
            self.cut_connections()
            await self._server.wait_closed()
            self._server = None

    async def listen_again(self) -> None:
        """Accept connections again on the same port, with the same certificate (rebooted)."""
        if self._server is None:
            self._server = await asyncio.get_running_loop().create_server(
                self._accept, self.host, self.port, ssl=self._context
            )

    def cut_connections(self) -> None:
        """Close every open connection (the clients see a reset)."""
        for handler in list(self._handlers):
            transport = handler.transport
            if transport is not None and not transport.is_closing():
                transport.close()

    async def close(self) -> None:
        """Stop listening, cut what is open, and wait until aiohttp has let go."""
        if self._server is not None:
            self._server.close()
        self.cut_connections()
        if self._server is not None:
            await self._server.wait_closed()
        if self._runner is not None:
            await self._runner.cleanup()


class HttpsDevice(ABC):
    """A simulated device behind :class:`HttpsServer`: the lifecycle both devices share.

    ``_running`` cleared is a stalled device (every request waits); ``_animation`` is the
    optional task that moves values for a development instance.
    """

    def __init__(self, host: str, port: int, common_name: str) -> None:
        """Nothing listens until :meth:`start`."""
        self.host = host
        self._https = HttpsServer(host, port, common_name)
        self._running = asyncio.Event()
        self._running.set()
        self._animation: asyncio.Task[None] | None = None

    async def start(self) -> Self:
        """Generate a certificate and listen."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        await self._https.start(app)
        return self

    async def close(self) -> None:
        """Stop serving; end every stream and connection."""
        self._running.set()
        if self._animation is not None:
            self._animation.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._animation
        self._end_streams()
        await self._https.close()

    @property
    def port(self) -> int:
        """The port it listens on (the requested one until started)."""
        return self._https.port

    @property
    def connections(self) -> int:
        """TCP connections accepted so far."""
        return self._https.connections

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the current certificate (colon-separated hex)."""
        return self._https.fingerprint

    async def kill(self) -> None:
        """Switched off: streams end, connections are cut, nothing answers on the port."""
        self._end_streams()
        await self._https.stop_listening()
        self._forget_state_of_a_reboot()

    async def restart(self) -> None:
        """Switched on again: same port, same certificate, no session of before."""
        await self._https.listen_again()

    @abstractmethod
    def _forget_state_of_a_reboot(self) -> None:
        """What a device loses when it reboots (subscription sessions, transports)."""

    async def change_certificate(self) -> None:
        """A new key and certificate (a reset device); every connection cut."""
        await self._https.replace_certificate()

    @abstractmethod
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Authentication, faults and the request log, around every handler."""

    @abstractmethod
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        """Answer one request."""

    @abstractmethod
    def _end_streams(self) -> None:
        """Tell every open stream (SSE, WebSocket) to finish, before connections are cut."""
