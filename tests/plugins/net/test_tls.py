"""Certificate fingerprints: parsing, display, reading a peer's certificate, pinning."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from custom_components.micboard.plugins.errors import CannotConnect
from custom_components.micboard.plugins.net.tls import (
    fetch_fingerprint,
    format_fingerprint,
    parse_fingerprint,
    pinned,
)
from tests.support.helpers import free_port
from tests.support.ssc2 import running_simulator

DIGEST = bytes(range(32))
TEXT = ":".join(f"{byte:02X}" for byte in DIGEST)


def test_format_and_parse_round_trip() -> None:
    assert format_fingerprint(DIGEST) == TEXT
    assert parse_fingerprint(TEXT) == DIGEST
    assert parse_fingerprint(TEXT.lower().replace(":", " ")) == DIGEST
    assert parse_fingerprint(DIGEST.hex()) == DIGEST


@pytest.mark.parametrize("bad", ["", "AB:CD", "zz" * 32, DIGEST.hex() + "00"])
def test_parse_rejects_what_is_not_sha256(bad: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        parse_fingerprint(bad)


def test_pinned_request_argument() -> None:
    assert pinned(TEXT).fingerprint == DIGEST
    assert pinned(DIGEST).fingerprint == DIGEST


@pytest.mark.usefixtures("socket_enabled")
async def test_fetch_matches_the_certificate_and_pinning_works() -> None:
    async with running_simulator(channels=2) as sim:
        digest = await fetch_fingerprint("127.0.0.1", sim.port)
        assert format_fingerprint(digest) == sim.fingerprint
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{sim.url}/api/ssc/version", ssl=pinned(digest)) as response:
                assert response.status == 200
            with pytest.raises(aiohttp.ServerFingerprintMismatch):
                await session.get(f"{sim.url}/api/ssc/version", ssl=pinned(DIGEST))


@pytest.mark.usefixtures("socket_enabled")
async def test_fetch_from_a_closed_port() -> None:
    with pytest.raises(CannotConnect):
        await fetch_fingerprint("127.0.0.1", free_port(), time_limit=2)


@pytest.mark.usefixtures("socket_enabled")
async def test_fetch_from_a_server_that_is_not_tls() -> None:
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(CannotConnect):
            await fetch_fingerprint("127.0.0.1", port, time_limit=2)
    finally:
        server.close()
        await server.wait_closed()
