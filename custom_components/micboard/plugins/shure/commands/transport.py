"""One connection to a Shure device: a TCP stream (port 2202) or UHF-R's UDP datagrams.

Both look the same to the plugin: ``send`` bytes, ``receive`` the next chunk (a TCP read or one
datagram), ``close``. While monitoring, :meth:`Link.pump` hands every chunk straight from the
event loop's read callback to the parser instead: at metering speed a task wake-up and a
timeout per read cost more than parsing the message. Every socket error becomes a
:class:`CannotConnect` (while opening) or a :class:`ConnectionClosed` (after), so the plugin
never sees an ``OSError``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections import deque
from collections.abc import Callable
import contextlib
import logging

from ...errors import (
    CannotConnect,
    ConnectionClosed,
)

_LOGGER = logging.getLogger(__name__)

#: Datagrams kept while nobody reads; then new ones are dropped, so a stalled reader cannot
#: grow memory.
MAX_QUEUED_DATAGRAMS = 2048
#: Largest TCP read handed over at once: parsing it in the read callback must stay far under
#: a 50 ms loop stall whatever the bytes (a command-string device sends well under 1 KiB/s).
READ_SIZE = 16 * 1024
#: TCP reads kept while nobody reads before reading pauses (a stream must not lose bytes).
MAX_QUEUED_CHUNKS = 64
#: Bytes a peer may leave unread in our send buffer before it counts as gone.
MAX_UNSENT_BYTES = 256 * 1024
#: How long a close may wait for the peer to acknowledge.
CLOSE_TIMEOUT = 1.0

type DataCallback = Callable[[bytes], None]


class _Receiver:
    """Where a protocol's incoming chunks go: a queue to ``receive()`` from, or a callback.

    The end of the link is kept as an exception, delivered after the queued chunks.
    """

    def __init__(self, on_drained: Callable[[], None] | None = None) -> None:
        self.queue: deque[bytes] = deque()
        self.ended: BaseException | None = None
        self.push: DataCallback | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._on_drained = on_drained

    def deliver(self, data: bytes) -> None:
        if self.push is not None:
            try:
                self.push(data)
            except Exception:  # a parser bug must not kill the connection
                _LOGGER.exception("Error handling data from the device")
            return
        if len(self.queue) < MAX_QUEUED_DATAGRAMS:
            self.queue.append(data)
        self._wake()

    def end(self, error: BaseException) -> None:
        if self.ended is None:
            self.ended = error
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def next_chunk(self) -> bytes:
        while not self.queue:
            if self.ended is not None:
                raise _as_closed(self.ended)
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        chunk = self.queue.popleft()
        if not self.queue and self._on_drained is not None:
            self._on_drained()
        return chunk

    async def pump(self, on_data: DataCallback) -> None:
        """Queued chunks first, then every new one as it arrives, until the link ends."""
        while self.queue:
            on_data(self.queue.popleft())
        if self._on_drained is not None:
            self._on_drained()
        self.push = on_data
        try:
            while self.ended is None:
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
            raise _as_closed(self.ended)
        finally:
            self.push = None


def _as_closed(error: BaseException) -> ConnectionClosed:
    if isinstance(error, ConnectionClosed):
        return error
    closed = ConnectionClosed(f"connection error: {getattr(error, 'strerror', None) or error}")
    closed.__cause__ = error
    return closed


class _StreamProtocol(asyncio.BufferedProtocol):
    """TCP: chunks of at most :data:`READ_SIZE` bytes, however fast the peer sends.

    The chunk is parsed inside the read callback (see :meth:`Link.pump`), so its size bounds
    how long one callback can hold the event loop: asyncio's own reads are up to 256 KiB,
    which a hostile stream of tiny fragments turns into a stall of a tenth of a second or
    more. A read buffer of our own keeps each callback short; the loop runs other work
    between reads. While nobody consumes the chunks (set-up reads them one by one), reading
    pauses once :data:`MAX_QUEUED_CHUNKS` wait, instead of dropping bytes from a stream.
    """

    def __init__(self) -> None:
        self.receiver = _Receiver(on_drained=self._resume)
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray(READ_SIZE)
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101  a stream connection
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return memoryview(self._buffer)

    def buffer_updated(self, nbytes: int) -> None:
        self.receiver.deliver(bytes(memoryview(self._buffer)[:nbytes]))
        if len(self.receiver.queue) >= MAX_QUEUED_CHUNKS and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self._paused and self.transport is not None and not self.transport.is_closing():
            self._paused = False
            self.transport.resume_reading()

    def eof_received(self) -> bool:
        self.receiver.end(ConnectionClosed("the device closed the connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.receiver.end(exc or ConnectionClosed("the device closed the connection"))


class _DatagramProtocol(asyncio.DatagramProtocol):
    """UDP: one chunk per datagram from the connected peer; the first socket error ends it."""

    def __init__(self) -> None:
        self.receiver = _Receiver()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.receiver.deliver(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable arrives here as ConnectionRefusedError: nobody listens.
        self.receiver.end(ConnectionClosed(f"UDP error: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.receiver.end(exc or ConnectionClosed("socket closed"))


class Link(ABC):
    """A byte pipe to one device."""

    transport: str  # "tcp" or "udp"
    _receiver: _Receiver

    @abstractmethod
    async def send(self, data: bytes) -> None:
        """Write ``data``; :class:`ConnectionClosed` if the link is gone."""

    async def receive(self) -> bytes:
        """Next chunk from the device; :class:`ConnectionClosed` when the link ends."""
        return await self._receiver.next_chunk()

    def pending(self) -> bool:
        """Whether a chunk waits to be received (or the end of the link does)."""
        return bool(self._receiver.queue) or self._receiver.ended is not None

    async def pump(self, on_data: DataCallback) -> None:
        """Call ``on_data`` with every chunk from now on; raises when the link ends.

        ``on_data`` runs inside the event loop's read callback, so it must not raise or block.
        """
        await self._receiver.pump(on_data)

    @abstractmethod
    async def close(self) -> None:
        """Release the socket; safe to call twice."""


class TcpLink(Link):
    """Command strings over TCP."""

    transport = "tcp"

    def __init__(self, transport: asyncio.Transport, protocol: _StreamProtocol) -> None:
        """Wrap an open connection (use :meth:`open`)."""
        self._transport = transport
        self._receiver = protocol.receiver

    @classmethod
    async def open(cls, host: str, port: int) -> TcpLink:
        """Connect (the caller bounds the time it may take)."""
        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await loop.create_connection(_StreamProtocol, host, port)
        except OSError as err:
            raise CannotConnect(f"cannot connect to {host}:{port}: {err.strerror or err}") from err
        return cls(transport, protocol)

    async def send(self, data: bytes) -> None:
        """Queue ``data`` for the kernel; a peer that stopped reading counts as gone."""
        if self._transport.is_closing() or self._receiver.ended is not None:
            raise ConnectionClosed("connection already closed")
        self._transport.write(data)
        if self._transport.get_write_buffer_size() > MAX_UNSENT_BYTES:
            self._transport.abort()
            raise ConnectionClosed("sending failed: the device stopped reading")

    async def close(self) -> None:
        """Close the connection; errors while closing do not matter any more."""
        if not self._transport.is_closing():
            self._transport.close()
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                while self._receiver.ended is None:
                    await self._receiver.next_chunk()


class UdpLink(Link):
    """UHF-R command strings over UDP: one message per datagram, no connection."""

    transport = "udp"

    def __init__(self, transport: asyncio.DatagramTransport, protocol: _DatagramProtocol) -> None:
        """Wrap an open endpoint (use :meth:`open`)."""
        self._transport = transport
        self._receiver = protocol.receiver

    @classmethod
    async def open(cls, host: str, port: int) -> UdpLink:
        """Create a socket connected to the device (nothing is sent yet)."""
        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await loop.create_datagram_endpoint(
                _DatagramProtocol, remote_addr=(host, port)
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

    async def close(self) -> None:
        """Close the socket."""
        self._transport.close()
