"""The EW-DX SSCv2 simulator answers with the status codes the spec documents."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator
import os
import re
import signal
import sys
from typing import Any

import aiohttp
import pytest

from simulators import registry
from simulators.net.certs import generate_certificate
from simulators.sennheiser import cli as sennheiser
from simulators.sennheiser.ssc2 import (
    DEFAULT_PASSWORD,
    Ssc2Simulator,
)
from simulators.sennheiser.ssc2_state import DeviceState
from tests.support import REPO_ROOT
from tests.support.helpers import wait_for
from tests.support.ssc2 import running_simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

ROOT = REPO_ROOT


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"api:{password}".encode()).decode()


class Client:
    """A deliberately plain client: pinned TLS, optional Basic auth, raw answers."""

    def __init__(self, sim: Ssc2Simulator, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session
        self.ssl = aiohttp.Fingerprint(bytes.fromhex(sim.fingerprint.replace(":", "")))

    async def call(
        self,
        method: str,
        path: str,
        *,
        auth: bool | str = True,
        body: Any = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        headers: dict[str, str] = {}
        if auth:
            password = auth if isinstance(auth, str) else self.sim.password
            headers["Authorization"] = basic(password)
        async with self.session.request(
            method,
            f"{self.sim.url}{path}",
            headers=headers,
            json=body,
            data=raw,
            ssl=self.ssl,
        ) as response:
            text = await response.text()
            try:
                return response.status, await response.json(content_type=None)
            except ValueError:
                return response.status, text


@pytest.fixture
async def sim() -> AsyncGenerator[Ssc2Simulator]:
    async with running_simulator(channels=2, lockout_after=3) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Ssc2Simulator) -> AsyncGenerator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(sim, session)


async def test_public_and_protected_resources(sim: Ssc2Simulator, client: Client) -> None:
    assert await client.call("GET", "/api/ssc/version", auth=False) == (
        200,
        {"protocol": "2.3", "schema": "1.0"},
    )
    status, identity = await client.call("GET", "/api/device/identity", auth=False)
    assert (status, identity["product"], identity["serial"]) == (200, "EWDX2CHS", "1234567890")
    assert (await client.call("GET", "/api/device/state", auth=False))[0] == 401
    assert await client.call("GET", "/api/device/state") == (
        200,
        {"state": "Normal", "warnings": []},
    )
    assert (await client.call("GET", "/api/channel/2"))[0] == 404
    assert (await client.call("GET", "/api/nothing"))[0] == 404
    assert (await client.call("DELETE", "/api/channel/0"))[0] == 405
    assert (await client.call("POST", "/api/ssc/state/subscriptions"))[0] == 405
    assert (await client.call("GET", "/api/channel/0/gainReduction"))[0] == 404
    assert (await client.call("GET", "/api/ssc/legacyMode")) == (200, {"enabled": False})
    status, rf = await client.call("GET", "/api/rf")
    assert (status, rf["ranges"][0]["stepSize"]) == (200, 25)
    assert await client.call("GET", "/api/channel/1/identify") == (200, {"enabled": False})
    assert (await client.call("GET", "/api/device/licenseAgreements/hash", auth=False))[0] == 404


async def test_missing_transmitter_is_422(sim: Ssc2Simulator, client: Client) -> None:
    sim.unlink(1)
    for path in (
        "/api/transmitters/1",
        "/api/transmitters/1/battery",
        "/api/transmitters/1/warnings",
    ):
        assert (await client.call("GET", path))[0] == 422
    assert await client.call("GET", "/api/transmitters") == (
        200,
        [{"id": 0, "transmitter": sim.state.channels[0].tx.body()}],  # type: ignore[union-attr]
    )
    assert (await client.call("GET", "/api/channel/1/warnings")) == (200, ["NoLink"])
    sim.unlink(1)  # already unlinked: nothing happens
    with pytest.raises(ValueError, match="no transmitter"):
        sim.set_battery(1, gauge=5)


async def test_bad_password_lockout_and_access_off(sim: Ssc2Simulator, client: Client) -> None:
    for _ in range(3):
        assert (await client.call("GET", "/api/device/state", auth="nope"))[0] == 401
    assert sim.locked_out
    assert (await client.call("GET", "/api/device/state"))[0] == 401  # even the right one
    assert (sim.auth_attempts, sim.failed_logins) == (4, 4)
    sim.unlock()
    assert (await client.call("GET", "/api/device/state"))[0] == 200
    sim.set_third_party_access(False)
    assert (await client.call("GET", "/api/device/state"))[0] == 403
    headers = {"Authorization": "Bearer x"}
    async with client.session.get(
        f"{sim.url}/api/device/state", headers=headers, ssl=client.ssl
    ) as response:
        assert response.status == 403
    sim.set_third_party_access(True)
    for header in ("Bearer abc", "Basic !!!notbase64", "Basic " + "w4g=" * 1):
        async with client.session.get(
            f"{sim.url}/api/device/state", headers={"Authorization": header}, ssl=client.ssl
        ) as response:
            assert response.status == 401


async def test_identification_and_channel_writes(sim: Ssc2Simulator, client: Client) -> None:
    assert await client.call(
        "PUT", "/api/device/identification", auth=False, body={"visual": True}
    ) == (
        200,
        {"visual": True},
    )
    assert (await client.call("PUT", "/api/device/identification", body={"visual": 1}))[0] == 400
    assert (await client.call("PUT", "/api/channel/0/identify", body={"enabled": True}))[0] == 200
    assert (await client.call("PUT", "/api/channel/0/identify", body={}))[0] == 400
    assert (await client.call("PUT", "/api/channel/0", body={"name": "VOX 2", "mute": True}))[
        0
    ] == 200
    assert sim.state.channels[0].name == "VOX 2"
    assert (await client.call("PUT", "/api/channel/0", body={"name": "lower"}))[0] == 422
    assert (await client.call("PUT", "/api/channel/0", body={"mates": []}))[0] == 400
    assert (await client.call("PUT", "/api/channel/5", body={"mute": True}))[0] == 404
    assert (await client.call("PUT", "/api/channel/0/level", body={}))[0] == 405
    assert (await client.call("PUT", "/api/rf", body={}))[0] == 405
    assert (await client.call("PUT", "/api/bogus", body={}))[0] == 404


async def read_event(stream: aiohttp.StreamReader) -> str:
    lines: list[str] = []
    while True:
        line = (await asyncio.wait_for(stream.readline(), 5)).decode()
        if line in {"\n", "\r\n"} and lines:
            return "".join(lines)
        lines.append(line)


async def test_subscription_session_lifecycle(sim: Ssc2Simulator, client: Client) -> None:
    headers = {"Authorization": basic(sim.password)}
    async with client.session.get(
        f"{sim.url}/api/ssc/state/subscriptions", headers=headers, ssl=client.ssl
    ) as stream:
        assert stream.status == 200
        uuid = stream.headers["Content-Location"]
        opened = await read_event(stream.content)
        assert opened.startswith("event:open\ndata:{")
        assert f'"sessionUUID":"{uuid}"' in opened
        base = f"/api/ssc/state/subscriptions/{uuid}"

        assert await client.call("PUT", f"{base}/add", body=["/api/nope"]) == (
            400,
            {"path": "/api/nope", "error": 404},
        )
        assert (await client.call("PUT", f"{base}/add", raw=b"{bad"))[0] == 400
        assert await client.call("PUT", f"{base}/add", body=[7]) == (400, {"path": 7, "error": 404})
        sim.unlink(1)
        assert (await client.call("PUT", f"{base}/add", body=["/api/transmitters/1/battery"]))[
            0
        ] == 200  # a resource that exists, with nothing to push right now
        sim.link(1)
        assert '"/api/transmitters/1/battery":{' in await read_event(stream.content)
        assert (await client.call("PUT", f"{base}/add", body=["/channel/0", "/api/transmitters"]))[
            0
        ] == 200
        initial = await read_event(stream.content)
        assert '"/api/channel/0":{' in initial
        assert '"/api/transmitters/1/battery":{' in initial  # pushed on /add
        assert await client.call("GET", base) == (
            200,
            ["/api/channel/0", "/api/transmitters", "/api/transmitters/1/battery"],
        )

        sim.unlink(1)
        assert '"/api/transmitters/1":null' in await read_event(stream.content)
        sim.rename(0, "LEAD")
        assert '"name":"LEAD"' in await read_event(stream.content)
        sim.rename(1, "NOTSUB")  # not subscribed: nothing is sent for it
        sim.set_battery(0, gauge=12)
        assert '"gauge":12' in await read_event(stream.content)

        assert (await client.call("PUT", f"{base}/remove", body=["/api/channel/0"]))[0] == 200
        assert (await client.call("PUT", base, body=["/api/device/site"]))[0] == 200
        assert '"/api/device/site":{' in await read_event(stream.content)
        assert (await client.call("PATCH", base))[0] == 405
        assert (await client.call("PUT", f"{base}/nope", body=[]))[0] == 405

        assert (await client.call("DELETE", base))[0] == 200
        assert (await read_event(stream.content)).startswith("event:close")
        assert await stream.content.read() == b""
    assert sim.deleted_sessions == [uuid]
    for method in ("GET", "DELETE"):
        assert (await client.call(method, base))[0] == 422
    assert (await client.call("PUT", f"{base}/add", body=[]))[0] == 422


async def test_full_path_content_location_and_spaced_framing(client: Client) -> None:
    async with running_simulator(
        channels=2, content_location_path=True, space_after_colon=True
    ) as sim:
        pinned = aiohttp.Fingerprint(bytes.fromhex(sim.fingerprint.replace(":", "")))
        headers = {"Authorization": basic(sim.password)}
        async with client.session.get(
            f"{sim.url}/api/ssc/state/subscriptions", headers=headers, ssl=pinned
        ) as stream:
            assert stream.headers["Content-Location"].startswith("/api/ssc/state/subscriptions/")
            assert (await read_event(stream.content)).startswith("event: open\ndata: {")
            sim.end_sessions()
            assert (await read_event(stream.content)).startswith("event: close")


async def test_stall_and_resume(sim: Ssc2Simulator, client: Client) -> None:
    sim.stall()
    pending = asyncio.ensure_future(client.call("GET", "/api/ssc/version", auth=False))
    await asyncio.sleep(0.1)
    assert not pending.done()
    sim.resume()
    assert (await pending)[0] == 200


async def test_animation_moves_meters_and_drains(sim: Ssc2Simulator) -> None:
    before = [channel.level for channel in sim.state.channels]
    sim.state.channels[1].tx = None
    sim.animate(period=0.001, seed=3)
    await wait_for(lambda: sim.state.channels[0].tx.gauge < 90)  # type: ignore[union-attr]
    assert sim.state.channels[0].level != before[0]
    assert sim.state.channels[1].level == before[1]  # no transmitter: no audio


async def test_overrides_and_warnings(sim: Ssc2Simulator, client: Client) -> None:
    sim.override("GET", "/api/ssc/version", 503, "{}", times=1)
    assert (await client.call("GET", "/api/ssc/version", auth=False))[0] == 503
    assert (await client.call("GET", "/api/ssc/version", auth=False))[0] == 200
    sim.override("GET", "/api/device/site", 500)
    assert (await client.call("GET", "/api/device/site"))[0] == 500
    sim.clear_overrides()
    assert (await client.call("GET", "/api/device/site"))[0] == 200
    sim.set_warning(0, "RfPeak")
    assert (await client.call("GET", "/api/channel/0/warnings")) == (200, ["RfPeak"])
    sim.set_warning(0, "RfPeak", on=False)
    assert (await client.call("GET", "/api/channel/0/warnings")) == (200, [])


def test_certificate_for_a_host_name() -> None:
    certificate = generate_certificate("EWDX", "ewdx.local")
    assert b"BEGIN CERTIFICATE" in certificate.cert_pem
    assert len(certificate.fingerprint.split(":")) == 32


def test_state_rules() -> None:
    with pytest.raises(ValueError, match="2 or 4"):
        DeviceState.create(3, "1")
    state = DeviceState.create(4, "1")
    assert state.product == "EWDX4CHDS"
    assert not state.is_resource("/api/channel/4")
    assert state.is_resource("/api/transmitters/3/battery")
    state.channels[0].rssi = -99.0
    assert "LowSignal" in state.channels[0].warnings()


async def test_command_line_dispatcher() -> None:
    parser = registry.build_parser()
    args = parser.parse_args(
        [
            "sennheiser",
            "--protocol",
            "ssc2",
            "--channels",
            "2",
            "--still",
            "--password",
            "Abc-1234567!",
        ]
    )
    assert args.protocol in sennheiser.PROTOCOLS
    simulator = await registry.kinds()["sennheiser"].start(args)
    try:
        lines = simulator.describe()
        assert any("EWDX2CHS" in line and "https://127.0.0.1:" in line for line in lines)
        assert any(re.search(r"fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}", line) for line in lines)
        assert any("Abc-1234567!" in line for line in lines)
    finally:
        await simulator.close()
    defaults = parser.parse_args(["sennheiser"])
    assert (defaults.protocol, defaults.channels, defaults.password) == ("ssc2", None, None)


async def test_standalone_process_prints_address_and_fingerprint() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators",
        "sennheiser",
        "--protocol",
        "ssc2",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--channels",
        "2",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    try:
        lines = [(await asyncio.wait_for(process.stdout.readline(), 30)).decode() for _ in range(4)]
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)
    assert "listening on https://127.0.0.1:" in lines[0]
    assert "certificate SHA-256 fingerprint" in lines[2]
    assert DEFAULT_PASSWORD in lines[3]
