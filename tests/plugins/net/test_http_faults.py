"""Response-level faults of both HTTPS clients (SSCv2, System API), with ``aioresponses``.

The simulators answer like the devices; these answers are the ones no simulator gives on
its own: every status code a client can meet, bodies truncated, empty, nested, huge or of
the wrong type, answers that come too late and connections reset mid-answer. Whatever the
answer, a client raises one of the plugin's errors (or returns), never anything else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import re
from typing import Any

import aiohttp
import pytest

from custom_components.micboard.plugins.errors import (
    AccessDisabled,
    CannotConnect,
    InvalidAuth,
    MicboardError,
    ProtocolError,
    UnsupportedDevice,
)
from custom_components.micboard.plugins.health import ConnectionHealth
from custom_components.micboard.plugins.net.http import ABSENT
from custom_components.micboard.plugins.sennheiser.ssc2.client import MAX_BODY_BYTES, Ssc2Client
from custom_components.micboard.plugins.shure.systemapi.client import (
    MAX_BODY_BYTES as SAPI_MAX_BODY_BYTES,
    ServerError,
    SystemApiClient,
)
from tests.support.mocked_http import MockedHttp

HOST = "192.0.2.10"
ANY = re.compile(r"^https://192\.0\.2\.10.*$")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def mocked() -> Any:
    with MockedHttp() as mock:
        yield mock


def ssc2(session: aiohttp.ClientSession, health: ConnectionHealth | None = None) -> Ssc2Client:
    return Ssc2Client(session, HOST, 443, bytes(32), "pw", timeout=0.2, health=health)


def sapi(session: aiohttp.ClientSession, health: ConnectionHealth | None = None) -> SystemApiClient:
    return SystemApiClient(session, HOST, 10000, bytes(32), "key", timeout=0.2, health=health)


# -- status codes -------------------------------------------------------------------------------

SSC2_STATUSES: list[tuple[int, type[MicboardError] | object]] = [
    (200, {"ok": 1}),
    (204, ProtocolError),
    (301, ProtocolError),
    (400, ProtocolError),
    (401, InvalidAuth),
    (403, AccessDisabled),
    (404, ABSENT),
    (405, ProtocolError),
    (409, ProtocolError),
    (422, ABSENT),
    (429, ProtocolError),
    (500, ProtocolError),
    (503, ProtocolError),
]


@pytest.mark.parametrize(("status", "expected"), SSC2_STATUSES)
async def test_ssc2_status_codes(
    session: aiohttp.ClientSession, mocked: Any, status: int, expected: Any
) -> None:
    mocked.get(ANY, status=status, payload={"ok": 1}, headers={"Location": "/elsewhere"})
    client = ssc2(session)
    if isinstance(expected, type):
        with pytest.raises(expected):
            await client.get("/api/device/site", absent_ok=True)
    else:
        assert await client.get("/api/device/site", absent_ok=True) == expected


SAPI_STATUSES: list[tuple[int, type[MicboardError] | object]] = [
    (200, {"ok": 1}),
    (204, ProtocolError),
    (301, ProtocolError),
    (400, ProtocolError),
    (401, InvalidAuth),
    (403, InvalidAuth),
    (404, ABSENT),
    (405, ABSENT),
    (409, ProtocolError),
    (429, ProtocolError),
    (500, ServerError),
    (503, ServerError),
]


@pytest.mark.parametrize(("status", "expected"), SAPI_STATUSES)
async def test_system_api_status_codes(
    session: aiohttp.ClientSession, mocked: Any, status: int, expected: Any
) -> None:
    body = {"ok": 1} if status == 200 else {"title": "Problem"}
    mocked.get(ANY, status=status, payload=body)
    client = sapi(session)
    if isinstance(expected, type):
        with pytest.raises(expected):
            await client.get("/v1/devices/x/name", absent_ok=True)
    else:
        assert await client.get("/v1/devices/x/name", absent_ok=True) == expected


async def test_ssc2_401_is_sent_once_then_never_again(
    session: aiohttp.ClientSession, mocked: Any
) -> None:
    mocked.get(ANY, status=401, repeat=True)
    client = ssc2(session)
    for _ in range(3):
        with pytest.raises(InvalidAuth):
            await client.get("/api/device/state")
    assert sum(len(calls) for calls in mocked.requests.values()) == 1


async def test_system_api_401_is_sent_once_then_never_again(
    session: aiohttp.ClientSession, mocked: Any
) -> None:
    mocked.get(ANY, status=401, repeat=True, payload={"title": "Request Unauthorized."})
    client = sapi(session)
    for _ in range(3):
        with pytest.raises(InvalidAuth):
            await client.list_devices()
    assert sum(len(calls) for calls in mocked.requests.values()) == 1


# -- bodies -------------------------------------------------------------------------------------

BAD_BODIES = [
    pytest.param(b'{"deviceName": "RA', id="truncated"),
    pytest.param(b"[" * 200_000, id="nested-200000"),
    pytest.param(b'{"a":' * 100 + b"1" + b"}" * 100, id="nested-100"),
    pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
    pytest.param(b"<html>Login</html>", id="html"),
    pytest.param(b"9" * 5000, id="huge-integer"),
]


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_ssc2_unusable_bodies_are_a_protocol_error_and_counted(
    session: aiohttp.ClientSession, mocked: Any, body: bytes
) -> None:
    mocked.get(ANY, status=200, body=body)
    health = ConnectionHealth()
    with pytest.raises(ProtocolError, match="not usable JSON"):
        await ssc2(session, health).get("/api/device/site")
    assert health.messages_rejected == 1


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_system_api_unusable_bodies_are_a_protocol_error_and_counted(
    session: aiohttp.ClientSession, mocked: Any, body: bytes
) -> None:
    mocked.get(ANY, status=200, body=body)
    health = ConnectionHealth()
    with pytest.raises(ProtocolError, match="invalid JSON"):
        await sapi(session, health).get("/v1/devices/x/name")
    assert health.messages_rejected == 1


async def test_error_bodies_that_are_not_json_are_no_error(
    session: aiohttp.ClientSession, mocked: Any
) -> None:
    mocked.get(ANY, status=404, body=b"[" * 200_000)
    mocked.get(ANY, status=404, body=b"not found")
    assert await ssc2(session).get("/api/x", absent_ok=True) is ABSENT
    assert await sapi(session).get("/v1/x", absent_ok=True) is ABSENT


async def test_empty_bodies(session: aiohttp.ClientSession, mocked: Any) -> None:
    mocked.get(ANY, status=200, body=b"")
    mocked.get(ANY, status=200, body=b"")
    mocked.get(ANY, status=200, body=b"  ")
    assert await ssc2(session).get("/api/device/site") is None
    assert await sapi(session).get("/v1/devices/x/name") is None
    with pytest.raises(ProtocolError):
        await sapi(session).list_devices()


@pytest.mark.parametrize(("client", "limit"), [(ssc2, MAX_BODY_BYTES), (sapi, SAPI_MAX_BODY_BYTES)])
async def test_huge_bodies_are_refused(
    session: aiohttp.ClientSession, mocked: Any, client: Any, limit: int
) -> None:
    mocked.get(ANY, status=200, body=b" " * (limit + 1))
    with pytest.raises(ProtocolError, match="too large"):
        await client(session).get("/x")


WRONG_TYPES = [[], "text", 5, None, True, {"protocol": 2}, {"protocol": ["2.3"]}]


@pytest.mark.parametrize("version", WRONG_TYPES)
async def test_ssc2_identity_of_the_wrong_type(
    session: aiohttp.ClientSession, mocked: Any, version: Any
) -> None:
    mocked.get(f"https://{HOST}/api/ssc/version", status=200, payload=version)
    mocked.get(f"https://{HOST}/api/device/identity", status=200, payload={"product": 5})
    with pytest.raises(UnsupportedDevice):
        await ssc2(session).identify()


@pytest.mark.parametrize("identity", [[], "x", {"product": "EWDX2CHS", "serial": 5}, {}])
async def test_ssc2_identity_body_of_the_wrong_type(
    session: aiohttp.ClientSession, mocked: Any, identity: Any
) -> None:
    mocked.get(f"https://{HOST}/api/ssc/version", status=200, payload={"protocol": "2.3"})
    mocked.get(f"https://{HOST}/api/device/identity", status=200, payload=identity)
    with pytest.raises((UnsupportedDevice, ProtocolError)):
        await ssc2(session).identify()


@pytest.mark.parametrize("body", ["text", 5, True, {"edges": "x"}, {"items": {}}])
async def test_system_api_device_list_of_the_wrong_type(
    session: aiohttp.ClientSession, mocked: Any, body: Any
) -> None:
    mocked.get(ANY, status=200, payload=body)
    try:
        nodes = await sapi(session).list_devices()
    except ProtocolError:
        return
    assert nodes == []


# -- slow and reset -------------------------------------------------------------------------------


async def _late(url: Any, **kwargs: Any) -> None:
    await asyncio.sleep(1.0)  # longer than the clients' 0.2 s


@pytest.mark.parametrize("client", [ssc2, sapi])
async def test_an_answer_too_late_is_cannot_connect(
    session: aiohttp.ClientSession, mocked: Any, client: Any
) -> None:
    mocked.get(ANY, status=200, payload={}, callback=_late)
    with pytest.raises(CannotConnect, match="failed"):
        await client(session).get("/x")


@pytest.mark.parametrize("client", [ssc2, sapi])
@pytest.mark.parametrize(
    "error",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("Response payload is not completed"),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        ConnectionResetError(104, "reset"),
        TimeoutError(),
    ],
)
async def test_a_reset_is_cannot_connect(
    session: aiohttp.ClientSession, mocked: Any, client: Any, error: Exception
) -> None:
    mocked.get(ANY, exception=error)
    with pytest.raises(CannotConnect):
        await client(session).get("/x")


@pytest.mark.parametrize("client", [ssc2, sapi])
async def test_the_round_trip_is_learnt_from_answers(
    session: aiohttp.ClientSession, mocked: Any, client: Any
) -> None:
    mocked.get(ANY, status=200, payload={}, repeat=True)
    made = client(session)
    for _ in range(5):
        await made.get("/x")
    assert made.round_trip.samples == 5


@pytest.mark.parametrize("client", [ssc2, sapi])
async def test_redirects_are_not_followed(
    session: aiohttp.ClientSession, mocked: Any, client: Any
) -> None:
    mocked.get(ANY, status=302, headers={"Location": "https://198.51.100.1/steal"})
    mocked.get("https://198.51.100.1/steal", status=200, payload={"stolen": True})
    with pytest.raises(ProtocolError):
        await client(session).get("/x")
    assert [url.host for _method, url in mocked.requests] == [HOST]
