"""The UDP transports: a shared fixed port dispatching by sender, and socket failures."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import pytest

from custom_components.micboard.plugins.errors import CannotConnect
from custom_components.micboard.plugins.net.udp import (
    DatagramLink,
    SharedUdpPort,
    is_loopback,
    resolve_ipv4,
)
from tests.support.helpers import free_port, wait_for

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def test_shared_port_dispatches_by_sender() -> None:
    shared = await SharedUdpPort.acquire("127.0.0.1", 0)
    again = await SharedUdpPort.acquire("127.0.0.1", 0)
    assert again is shared  # one socket per (loop, address, port)
    port = shared.local_port
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as one,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as two,
    ):
        one.bind(("127.0.0.1", 0))
        two.bind(("127.0.0.1", 0))
        got_one: list[bytes] = []
        got_two: list[bytes] = []
        unregister_one = shared.register(one.getsockname(), got_one.append)
        shared.register(two.getsockname(), got_two.append)
        one.sendto(b"from one", ("127.0.0.1", port))
        two.sendto(b"from two", ("127.0.0.1", port))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
            stranger.sendto(b"stranger", ("127.0.0.1", port))
        await wait_for(lambda: got_one == [b"from one"] and got_two == [b"from two"])
        unregister_one()
        unregister_one()  # idempotent
        one.sendto(b"late", ("127.0.0.1", port))
        shared.sendto(b"reply", two.getsockname())
        two.settimeout(2)
        assert await asyncio.to_thread(two.recv, 100) == b"reply"
    assert got_one == [b"from one"]
    await again.release()
    await shared.release()
    shared.sendto(b"after close", ("127.0.0.1", 9))  # never raises


async def test_handler_errors_do_not_kill_the_socket(caplog: pytest.LogCaptureFixture) -> None:
    shared = await SharedUdpPort.acquire("127.0.0.1", 0)
    seen: list[bytes] = []

    def broken(data: bytes) -> None:
        seen.append(data)
        raise ValueError("parser bug")

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", 0))
        shared.register(peer.getsockname(), broken)
        with caplog.at_level(logging.ERROR):
            peer.sendto(b"one", ("127.0.0.1", shared.local_port))
            peer.sendto(b"two", ("127.0.0.1", shared.local_port))
            await wait_for(lambda: len(seen) == 2)
    assert "Error while handling a datagram" in caplog.text
    await shared.release()


async def test_port_in_use_cannot_connect() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        first, second = await asyncio.gather(
            SharedUdpPort.acquire("127.0.0.1", port),
            SharedUdpPort.acquire("127.0.0.1", port),
            return_exceptions=True,
        )
    assert isinstance(first, CannotConnect)
    assert isinstance(second, CannotConnect)  # the waiter sees the same failure


async def test_datagram_link_open_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()

    async def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(loop, "create_datagram_endpoint", refuse)
    with pytest.raises(CannotConnect, match="unreachable"):
        await DatagramLink.open("192.0.2.1", 45, lambda _data: None)


async def test_datagram_link_reports_socket_errors() -> None:
    errors: list[OSError] = []
    port = free_port("udp")
    link = await DatagramLink.open("127.0.0.1", port, lambda _data: None, errors.append)
    link.send(b"anyone?")
    await wait_for(lambda: bool(errors))  # ICMP port unreachable on a connected socket
    link.close()
    assert link.closed
    link.send(b"ignored after close")


async def test_resolve_ipv4(monkeypatch: pytest.MonkeyPatch) -> None:
    assert await resolve_ipv4("192.0.2.5", 53212) == "192.0.2.5"
    assert await resolve_ipv4("localhost", 53212) == "127.0.0.1"
    loop = asyncio.get_running_loop()

    async def no_answer(*_args: Any, **_kwargs: Any) -> list[Any]:
        return []

    async def failing(*_args: Any, **_kwargs: Any) -> list[Any]:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(loop, "getaddrinfo", no_answer)
    with pytest.raises(CannotConnect):
        await resolve_ipv4("receiver.local", 53212)
    monkeypatch.setattr(loop, "getaddrinfo", failing)
    with pytest.raises(CannotConnect, match="cannot resolve"):
        await resolve_ipv4("receiver.local", 53212)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("192.0.2.1", False),
        ("em.local", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
