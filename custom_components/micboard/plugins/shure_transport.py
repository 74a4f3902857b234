"""One connection to a Shure device: a TCP stream (port 2202) or UHF-R's UDP datagrams.

Both look the same to the plugin: ``send`` bytes, ``receive`` the next chunk (a TCP read or one
datagram), ``close``. Every socket error becomes a :class:`CannotConnect` (while opening) or a
:class:`ConnectionClosed` (after), so the plugin never sees an ``OSError``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
import contextlib

from .base import CannotConnect, ConnectionClosed

#: Bytes asked for per TCP read; Shure messages are tiny, a burst of GET ALL replies is not.
READ_SIZE = 65536
#: Datagrams queued before new ones are dropped (a stalled reader must not grow memory).
MAX_QUEUED_DATAGRAMS = 2048
#: How long a close may wait for the peer to acknowledge.
CLOSE_TIMEOUT = 1.0


class Link(ABC):
    """A byte pipe to one device."""

    transport: str  # "tcp" or "udp"

    @abstractmethod
    async def send(self, data: bytes) -> None:
        """Write ``data``; :class:`ConnectionClosed` if the link is gone."""

    @abstractmethod
    async def receive(self) -> bytes:
        """Next chunk from the device; :class:`ConnectionClosed` when the link ends."""

    @abstractmethod
    async def close(self) -> None:
        """Release the socket; safe to call twice."""


class TcpLink(Link):
    """Command strings over TCP."""

    transport = "tcp"

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap an open stream (use :meth:`open`)."""
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> TcpLink:
        """Connect (the caller bounds the time it may take)."""
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as err:
            raise CannotConnect(f"cannot connect to {host}:{port}: {err.strerror or err}") from err
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        """Write and wait until the kernel took it (bounded: a stuck peer is a dead peer)."""
        if self._writer.is_closing():
            raise ConnectionClosed("connection already closed")
        try:
            self._writer.write(data)
            async with asyncio.timeout(CLOSE_TIMEOUT * 5):
                await self._writer.drain()
        except (OSError, TimeoutError) as err:
            raise ConnectionClosed(f"sending failed: {err}") from err

    async def receive(self) -> bytes:
        """One read; an empty read means the device closed the connection."""
        try:
            data = await self._reader.read(READ_SIZE)
        except OSError as err:
            raise ConnectionClosed(f"connection error: {err.strerror or err}") from err
        if not data:
            raise ConnectionClosed("the device closed the connection")
        return data

    async def close(self) -> None:
        """Close the stream; errors while closing do not matter any more."""
        if not self._writer.is_closing():
            self._writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self._writer.wait_closed()


class _DatagramQueue(asyncio.DatagramProtocol):
    """Collects datagrams from the connected peer; remembers the first socket error."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | BaseException] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if self.queue.qsize() < MAX_QUEUED_DATAGRAMS:
            self.queue.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable arrives here as ConnectionRefusedError: nobody listens.
        self.queue.put_nowait(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.queue.put_nowait(exc or ConnectionClosed("socket closed"))


class UdpLink(Link):
    """UHF-R command strings over UDP: one message per datagram, no connection."""

    transport = "udp"

    def __init__(self, transport: asyncio.DatagramTransport, protocol: _DatagramQueue) -> None:
        """Wrap an open endpoint (use :meth:`open`)."""
        self._transport = transport
        self._protocol = protocol

    @classmethod
    async def open(cls, host: str, port: int) -> UdpLink:
        """Create a socket connected to the device (nothing is sent yet)."""
        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await loop.create_datagram_endpoint(
                _DatagramQueue, remote_addr=(host, port)
            )
        except OSError as err:
            raise CannotConnect(f"cannot open UDP to {host}:{port}: {err}") from err
        return cls(transport, protocol)

    async def send(self, data: bytes) -> None:
        """Send one datagram."""
        if self._transport.is_closing():
            raise ConnectionClosed("socket already closed")
        # asyncio reports send errors to error_received (and so to receive), never here.
        self._transport.sendto(data)

    async def receive(self) -> bytes:
        """Next datagram; a queued socket error ends the link."""
        item = await self._protocol.queue.get()
        if isinstance(item, ConnectionClosed):
            raise item
        if isinstance(item, BaseException):
            raise ConnectionClosed(f"UDP error: {item}") from item
        return item

    async def close(self) -> None:
        """Close the socket."""
        self._transport.close()
