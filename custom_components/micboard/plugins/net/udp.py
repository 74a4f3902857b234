"""Small asyncio UDP transports shared by the datagram protocols (SSC v1, MCP).

Two shapes exist in the field:

- :class:`DatagramLink` is a *connected* socket to one device. SSC v1 devices answer to the
  sender's address and port, so an ephemeral local port works, and connecting makes the
  kernel drop datagrams from anyone but the device.
- :class:`SharedUdpPort` is one socket bound to a fixed local port and shared by every client
  of that port. ew G3/G4 receivers send their MCP replies to port 53212 on the client's
  address whatever port the request came from, so all MCP entries of one Home Assistant
  must listen on that one port; datagrams are dispatched by the sender's address.

Neither raises anything but :class:`~.base.CannotConnect` when opening; sending never raises
(UDP is fire and forget; a dead peer shows up as silence, which the protocols handle).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import ipaddress
import logging
import socket
from typing import ClassVar

from ..errors import CannotConnect

_LOGGER = logging.getLogger(__name__)

type DatagramHandler = Callable[[bytes], None]
type ErrorHandler = Callable[[OSError], None]
type Address = tuple[str, int]


class _Protocol(asyncio.DatagramProtocol):
    """Forwards datagrams and socket errors to callbacks; never raises into the loop."""

    def __init__(
        self,
        on_datagram: Callable[[bytes, Address], None],
        on_error: ErrorHandler | None,
    ) -> None:
        self._on_datagram = on_datagram
        self._on_error = on_error
        self.closed = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            self._on_datagram(data, (str(addr[0]), int(addr[1])))
        except Exception:  # a parser bug must not kill the socket
            _LOGGER.exception("Error while handling a datagram from %s", addr[0])

    def error_received(self, exc: Exception) -> None:
        # On a connected socket, an ICMP "port unreachable" for an earlier send lands here.
        if self._on_error is not None and isinstance(exc, OSError):
            self._on_error(exc)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (tests and simulators run there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DatagramLink:
    """A UDP socket connected to one device."""

    def __init__(self, transport: asyncio.DatagramTransport) -> None:
        """Wrap an open transport; use :meth:`open`."""
        self._transport = transport

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        on_datagram: DatagramHandler,
        on_error: ErrorHandler | None = None,
    ) -> DatagramLink:
        """Connect to ``host:port`` (no packet is sent; UDP has no handshake)."""
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Protocol(lambda data, _addr: on_datagram(data), on_error),
                remote_addr=(host, port),
            )
        except OSError as err:
            raise CannotConnect(f"cannot open UDP socket to {host}:{port}: {err}") from err
        return cls(transport)

    @property
    def closed(self) -> bool:
        """Whether the socket was closed."""
        return self._transport.is_closing()

    def send(self, data: bytes) -> None:
        """Send one datagram; errors are reported through ``on_error``, never raised."""
        if not self._transport.is_closing():
            self._transport.sendto(data)

    def close(self) -> None:
        """Close the socket; safe to call twice."""
        self._transport.close()


class SharedUdpPort:
    """One socket on a fixed local port, shared by all clients on this event loop.

    Clients register the device address they talk to; datagrams from any other address are
    dropped. The socket closes when the last client releases it.
    """

    _open: ClassVar[dict[tuple[int, str, int], SharedUdpPort]] = {}

    def __init__(self, key: tuple[int, str, int]) -> None:
        """Start unbound; use :meth:`acquire`."""
        self._key = key
        self._transport: asyncio.DatagramTransport | None = None
        self._handlers: dict[Address, list[DatagramHandler]] = {}
        self._users = 0
        self._ready = asyncio.Event()
        self._error: CannotConnect | None = None
        self._closed: asyncio.Future[None] | None = None

    @classmethod
    async def acquire(cls, bind_host: str, port: int) -> SharedUdpPort:
        """The shared socket for ``bind_host:port``, opened on first use."""
        loop = asyncio.get_running_loop()
        key = (id(loop), bind_host, port)
        shared = cls._open.get(key)
        if shared is None:
            shared = cls(key)
            cls._open[key] = shared
            try:
                transport, protocol = await loop.create_datagram_endpoint(
                    lambda: _Protocol(shared.dispatch, None),
                    local_addr=(bind_host, port),
                    family=socket.AF_INET,
                )
            except OSError as err:
                del cls._open[key]
                shared._error = CannotConnect(f"cannot bind UDP port {bind_host}:{port}: {err}")
                shared._ready.set()
                raise shared._error from err
            shared._transport = transport
            shared._closed = protocol.closed
            shared._ready.set()
        else:
            await shared._ready.wait()
            if shared._error is not None:
                raise shared._error
        shared._users += 1
        return shared

    @property
    def local_port(self) -> int:
        """The bound port (useful when 0 asked for any free port)."""
        assert self._transport is not None  # noqa: S101  acquire() returns bound ports only
        sockname = self._transport.get_extra_info("sockname")
        return int(sockname[1])

    def register(self, remote: Address, handler: DatagramHandler) -> Callable[[], None]:
        """Deliver datagrams from ``remote`` to ``handler``; returns the unregister function."""
        self._handlers.setdefault(remote, []).append(handler)

        def unregister() -> None:
            handlers = self._handlers.get(remote)
            if handlers is not None and handler in handlers:
                handlers.remove(handler)
                if not handlers:
                    del self._handlers[remote]

        return unregister

    def dispatch(self, data: bytes, addr: Address) -> None:
        """Hand a datagram to the clients of its sender (others are dropped)."""
        for handler in list(self._handlers.get(addr, ())):
            handler(data)

    def sendto(self, data: bytes, remote: Address) -> None:
        """Send one datagram to ``remote``; never raises."""
        if self._transport is None or self._transport.is_closing():
            return
        with contextlib.suppress(OSError):
            self._transport.sendto(data, remote)

    async def release(self) -> None:
        """Drop one user; the last one closes the socket and waits until the port is free."""
        self._users -= 1
        if self._users > 0:
            return
        if self._open.get(self._key) is self:
            del self._open[self._key]
        if self._transport is not None:
            self._transport.close()
        if self._closed is not None:
            # The socket is closed on the next loop turn; rebinding before that would fail.
            await asyncio.shield(self._closed)


async def resolve_ipv4(host: str, port: int) -> str:
    """IPv4 address of ``host`` (shared sockets dispatch by address, so names must resolve)."""
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        pass
    else:
        return host
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, family=socket.AF_INET, type=socket.SOCK_DGRAM)
    except OSError as err:
        raise CannotConnect(f"cannot resolve {host}: {err}") from err
    if not infos:
        raise CannotConnect(f"cannot resolve {host}")
    return str(infos[0][4][0])
