"""TCP and UDP links: every socket failure becomes CannotConnect or ConnectionClosed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import socket
import struct
from unittest.mock import patch

import pytest

from custom_components.micboard.plugins.errors import (
    CannotConnect,
    ConnectionClosed,
)
from custom_components.micboard.plugins.shure.commands import transport as shure_transport
from custom_components.micboard.plugins.shure.commands.transport import (
    TcpLink,
    UdpLink,
)
from tests.support.helpers import free_port

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def resetting_server() -> AsyncIterator[int]:
    """Accepts, then resets the connection (RST, as a rebooting receiver does)."""

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_tcp_reset_by_peer(resetting_server: int) -> None:
    link = await TcpLink.open("127.0.0.1", resetting_server)
    with pytest.raises(ConnectionClosed, match="connection"):
        await link.receive()
    with pytest.raises(ConnectionClosed):
        await link.send(b"< GET 0 ALL >")
    await link.close()
    await link.close()


async def test_tcp_refused() -> None:
    port = free_port()  # nothing listens there now
    with pytest.raises(CannotConnect, match="cannot connect"):
        await TcpLink.open("127.0.0.1", port)


async def test_tcp_peer_that_stops_reading() -> None:
    """A peer that never reads fills the buffers; the write gives up instead of hanging."""
    readers: list[asyncio.StreamWriter] = []

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        readers.append(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    # Small buffers on both ends, so they fill after a few writes.
    server.sockets[0].setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        link = await TcpLink.open("127.0.0.1", server.sockets[0].getsockname()[1])
        link._transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
        )

        async def flood() -> None:
            for _ in range(256):
                await link.send(b"x" * 65536)

        with pytest.raises(ConnectionClosed, match="sending failed"):
            await flood()
        with pytest.raises(ConnectionClosed, match="already closed"):
            await link.send(b"x")
        await link.close()
    finally:
        for writer in readers:
            writer.transport.abort()
        server.close()
        await server.wait_closed()


async def test_udp_link_lifecycle() -> None:
    loop = asyncio.get_running_loop()
    peer, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        port = peer.get_extra_info("sockname")[1]
        link = await UdpLink.open("127.0.0.1", port)
        await link.send(b"* GET MODEL_NAME *")
        address = link._transport.get_extra_info("sockname")
        with patch.object(shure_transport, "MAX_QUEUED_DATAGRAMS", 2):
            for number in range(5):
                peer.sendto(f"* REPORT {number} *".encode(), address)
            await asyncio.sleep(0.05)
            assert len(link._receiver.queue) == 2  # the rest was dropped, memory bounded
        assert await link.receive() == b"* REPORT 0 *"
        await link.close()
        with pytest.raises(ConnectionClosed):
            await link.send(b"x")
        await link.receive()  # the second queued datagram
        with pytest.raises(ConnectionClosed, match="socket closed"):
            await link.receive()
    finally:
        peer.close()


async def test_udp_port_unreachable() -> None:
    port = free_port("udp")
    link = await UdpLink.open("127.0.0.1", port)
    await link.send(b"* GET MODEL_NAME *")
    with pytest.raises(ConnectionClosed, match="UDP error"):
        async with asyncio.timeout(2):
            await link.receive()
    with contextlib.suppress(ConnectionClosed):
        await link.close()


async def test_pump_hands_over_queued_then_live_chunks() -> None:
    """Monitoring reads in the event loop's callback; chunks that came before are not lost."""
    sent: asyncio.Queue[asyncio.StreamWriter] = asyncio.Queue()

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await sent.put(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        link = await TcpLink.open("127.0.0.1", server.sockets[0].getsockname()[1])
        peer = await sent.get()
        peer.write(b"< REP 1 CHAN_NAME {A} >")
        await peer.drain()
        await asyncio.sleep(0.05)  # queued: nobody pumps yet
        chunks: list[bytes] = []

        def on_data(data: bytes) -> None:
            chunks.append(data)
            if data == b"boom":
                raise RuntimeError("a parser bug")

        pump = asyncio.ensure_future(link.pump(on_data))
        await asyncio.sleep(0.05)
        assert chunks == [b"< REP 1 CHAN_NAME {A} >"]
        for data in (b"boom", b"< SAMPLE 1 ALL AX 090 040 >"):
            peer.write(data)
            await peer.drain()
            await asyncio.sleep(0.05)
        assert chunks[-1] == b"< SAMPLE 1 ALL AX 090 040 >"  # a callback error did not end it
        peer.close()
        with pytest.raises(ConnectionClosed, match="closed the connection"):
            await pump
        with pytest.raises(ConnectionClosed):
            await link.receive()
        await link.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_a_flood_arrives_in_bounded_reads_and_pauses_instead_of_dropping() -> None:
    """4 MB at once: every chunk is at most READ_SIZE (a short read callback), reading pauses
    while chunks wait unread, and not a byte is lost."""
    flood = bytes(range(256)) * (4 * 1024 * 1024 // 256)

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(flood)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        link = await TcpLink.open("127.0.0.1", server.sockets[0].getsockname()[1])
        receiver = link._receiver
        await asyncio.sleep(0.2)  # nobody reads: the queue fills up to its bound, then pauses
        assert len(receiver.queue) <= shure_transport.MAX_QUEUED_CHUNKS
        received = bytearray()
        with contextlib.suppress(ConnectionClosed):
            while True:
                chunk = await link.receive()
                assert len(chunk) <= shure_transport.READ_SIZE
                assert len(receiver.queue) <= shure_transport.MAX_QUEUED_CHUNKS
                received += chunk
        assert bytes(received) == flood
        await link.close()
