"""The System API simulator answers the way the public facts say the real server does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
import signal
import sys
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from simulators.registry import build_parser, kinds
from simulators.shure.systemapi import (
    EMPTY_BODY_ERROR,
    SystemApiSimulator,
)
from simulators.shure.systemapi_state import SimDevice
from tests.support.helpers import wait_for
from tests.support.systemapi import running_simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")


class Client:
    """A deliberately plain client: pinned TLS, the key or not, raw answers."""

    def __init__(self, sim: SystemApiSimulator, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session
        self.ssl = aiohttp.Fingerprint(bytes.fromhex(sim.fingerprint.replace(":", "")))

    async def call(
        self,
        method: str,
        path: str,
        *,
        key: str | bool | None = True,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, str]:
        sent = dict(headers or {})
        if key is True:
            sent["x-api-key"] = self.sim.api_key
        elif isinstance(key, str):
            sent["x-api-key"] = key
        async with self.session.request(
            method,
            f"{self.sim.url}{path}",
            headers=sent,
            json=body,
            ssl=self.ssl,
        ) as response:
            text = await response.text()
            data = json.loads(text) if text else None
            return response.status, data, response.content_type

    async def socket(self) -> aiohttp.ClientWebSocketResponse:
        return await self.session.ws_connect(
            f"{self.sim.url}/subscriptions/websocket/create", ssl=self.ssl
        )


@pytest.fixture
async def sim() -> AsyncGenerator[SystemApiSimulator]:
    async with running_simulator(devices=8, page_size=3) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: SystemApiSimulator) -> AsyncGenerator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(sim, session)


def by_model(sim: SystemApiSimulator, model: str) -> SimDevice:
    return next(device for device in sim.devices.values() if device.model == model)


async def test_key_check_answers_problem_json(client: Client, sim: SystemApiSimulator) -> None:
    status, body, content_type = await client.call("GET", "/devices", key=None)
    assert (status, content_type) == (401, "application/problem+json")
    assert body["title"] == "Request Unauthorized."
    assert body["status"] == 401
    status, _body, _type = await client.call("GET", "/devices", key="wrong")
    assert status == 401
    assert (sim.missing_key_requests, sim.bad_key_requests) == (1, 1)


async def test_json_content_type_needs_a_body(client: Client, sim: SystemApiSimulator) -> None:
    anx4 = by_model(sim, "ANX4")
    status, body, _type = await client.call(
        "POST",
        f"/devices/{anx4.device_id}/identify/start",
        headers={"Content-Type": "application/json"},
    )
    assert status == 400
    assert body["title"] == EMPTY_BODY_ERROR
    assert sim.content_type_violations == 1
    status, _body, _type = await client.call("POST", f"/devices/{anx4.device_id}/identify/start")
    assert status == 204


async def test_pages(client: Client, sim: SystemApiSimulator) -> None:
    seen: list[str] = []
    path = "/devices"
    for _page in range(5):
        status, body, _type = await client.call("GET", path)
        assert status == 200
        seen.extend(edge["node"]["hardwareIdentity"]["deviceId"] for edge in body["edges"])
        if not body["pageInfo"]["hasNextPage"]:
            break
        path = f"/devices?after={quote(body['pageInfo']['endCursor'])}"
    assert seen == list(sim.devices)
    _status, body, _type = await client.call("GET", "/devices?first=100")
    assert len(body["edges"]) == 8
    _status, body, _type = await client.call("GET", "/devices?first=x&after=unknown")
    assert body["edges"] == []
    assert body["pageInfo"]["startCursor"] == ""


async def test_device_resources(client: Client, sim: SystemApiSimulator) -> None:
    anx4, pack, mxa = by_model(sim, "ANX4"), by_model(sim, "ULXD6"), by_model(sim, "MXA910")
    base = f"/devices/{anx4.device_id}"
    assert (await client.call("GET", base))[1]["softwareIdentity"]["model"] == "ANX4"
    assert (await client.call("GET", f"{base}/capabilities"))[1] == list(anx4.capabilities)
    assert (await client.call("GET", f"{base}/name"))[1] == {"name": anx4.name}
    assert (await client.call("GET", f"{base}/identify"))[1] == {"identifying": False}
    assert (await client.call("PATCH", f"{base}/name", body={"name": "Box"}))[0] == 204
    assert anx4.name == "Box"
    assert (await client.call("PATCH", f"{base}/name", body={"name": 5}))[0] == 400
    assert (await client.call("DELETE", f"{base}/name"))[0] == 405
    assert (await client.call("GET", f"{base}/name/extra"))[0] == 404
    assert (await client.call("POST", f"{base}/identify/flash"))[0] == 405
    assert (await client.call("GET", f"{base}/audio-mute"))[0] == 405
    assert (await client.call("GET", f"{base}/battery-level"))[0] == 405
    assert (await client.call("POST", base))[0] == 405
    muted = f"/devices/{mxa.device_id}/audio-mute"
    assert (await client.call("PATCH", muted, body={"muted": True}))[0] == 204
    assert (await client.call("GET", muted))[1] == {"muted": True}
    level = (await client.call("GET", f"/devices/{pack.device_id}/battery-level"))[1]
    assert level == {
        "percentage": 87,
        "status": {
            "currentState": "DISCHARGING",
            "targetState": "EMPTY",
            "timeToTargetState": "PT385M",
        },
    }
    health = (await client.call("GET", f"/devices/{pack.device_id}/battery-health"))[1]
    assert health == {"percentage": 96, "cycleCount": 42}
    assert (await client.call("GET", "/devices/unknown"))[0] == 404
    assert (await client.call("GET", "/config/discovery/ips"))[0] == 404
    assert (await client.call("PUT", "/devices"))[0] == 405


async def test_audio_channel_resources(client: Client, sim: SystemApiSimulator) -> None:
    anx4, charger = by_model(sim, "ANX4"), by_model(sim, "SBC220")
    base = f"/devices/{anx4.device_id}/audio-channels"
    status, listing, _type = await client.call("GET", base)
    assert status == 200
    assert [item["id"] for item in listing] == [channel.id for channel in anx4.channels]
    channel = quote(anx4.channels[1].id, safe="")
    assert (await client.call("GET", f"{base}/{channel}/name"))[1] == {"name": "Ch 2"}
    assert (await client.call("GET", f"{base}/{channel}/activity"))[1] == {"audioLevel": "LOW"}
    gain = (await client.call("GET", f"{base}/{channel}/gain/description"))[1]
    assert gain["constraints"]["gain"]["range"] == {"min": -20, "max": 16, "step": 1}
    for prop, body in (
        ("name", {"name": "Kick"}),
        ("mute", {"muted": True}),
        ("gain", {"gain": 3}),
    ):
        assert (await client.call("PATCH", f"{base}/{channel}/{prop}", body=body))[0] == 204
    assert (anx4.channels[1].name, anx4.channels[1].muted, anx4.channels[1].gain) == (
        "Kick",
        True,
        3,
    )
    assert (await client.call("PATCH", f"{base}/{channel}/gain", body={"gain": True}))[0] == 400
    assert (await client.call("PATCH", f"{base}/{channel}/activity", body={}))[0] == 400
    assert (await client.call("DELETE", f"{base}/{channel}/name"))[0] == 405
    assert (await client.call("GET", f"{base}/{channel}/name/extra"))[0] == 404
    assert (await client.call("GET", f"{base}/{channel}/presets"))[0] == 404
    assert (await client.call("GET", f"{base}/unknown/name"))[0] == 404
    assert (await client.call("POST", base))[0] == 405
    other = f"/devices/{charger.device_id}/audio-channels"
    assert (await client.call("GET", other))[0] == 405


async def test_subscriptions_and_events(client: Client, sim: SystemApiSimulator) -> None:
    anx4 = by_model(sim, "ANX4")
    socket = await client.socket()
    first = json.loads((await socket.receive(timeout=10)).data)
    transport = first["transportId"]
    channel = anx4.channels[0]
    base = f"/devices/{anx4.device_id}"
    for path in (
        f"/devices/subscription/{transport}",
        f"{base}/name/subscription/{transport}",
        f"{base}/audio-channels/{quote(channel.id, safe='')}/mute/subscription/{transport}",
    ):
        assert (await client.call("POST", path))[0] == 204
    assert (await client.call("POST", f"{base}/reboot/subscription/{transport}"))[0] == 404
    assert (await client.call("POST", "/devices/subscription/unknown"))[0] == 404
    assert (await client.call("PUT", f"/devices/subscription/{transport}"))[0] == 405
    assert sim.subscriptions_of(transport) == {
        "DEVICE_STATE_CHANGE",
        f"{anx4.device_id}:DEVICE_NAME",
        f"{anx4.device_id}:{channel.id}:AUDIO_CHANNEL_MUTE",
    }

    sim.rename(anx4.device_id, "Renamed")
    sim.set_channel(anx4.device_id, 0, muted=True, gain=1)  # gain is not subscribed
    sim.set_state(anx4.device_id, "OFFLINE")
    events = [json.loads((await socket.receive(timeout=10)).data) for _ in range(3)]
    assert events[0] == {
        "envelope": {"eventName": "DEVICE_NAME", "deviceId": anx4.device_id},
        "body": {"name": "Renamed"},
    }
    assert events[1]["envelope"] == {
        "eventName": "AUDIO_CHANNEL_MUTE",
        "deviceId": anx4.device_id,
        "audioChannelId": channel.id,
    }
    assert events[1]["body"] == {"muted": True}
    assert events[2]["envelope"]["eventName"] == "DEVICE_STATE_CHANGE"
    assert events[2]["body"]["deviceState"] == "OFFLINE"

    assert (await client.call("DELETE", f"{base}/name/subscription/{transport}"))[0] == 204
    sim.set_state(anx4.device_id, "DISCOVERED")
    event = json.loads((await socket.receive(timeout=10)).data)
    assert "serialNumber" not in event["body"]["hardwareIdentity"]
    assert "capabilities" not in event["body"]
    sim.send_raw(b"\x00garbage")
    assert (await socket.receive(timeout=10)).data == b"\x00garbage"
    await socket.close()
    await wait_for(lambda: transport not in sim.transports)


async def test_pings_are_answered_until_a_stall(client: Client, sim: SystemApiSimulator) -> None:
    socket = await client.session.ws_connect(
        f"{sim.url}/subscriptions/websocket/create", ssl=client.ssl, autoping=False
    )
    await socket.receive(timeout=10)
    await socket.ping(b"1")
    assert (await socket.receive(timeout=10)).type is aiohttp.WSMsgType.PONG
    sim.stall()
    await socket.ping(b"2")
    with pytest.raises(TimeoutError):
        await socket.receive(timeout=0.3)
    sim.resume()
    sim.drop_sockets()
    message = await socket.receive(timeout=10)
    assert message.type in {
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
        aiohttp.WSMsgType.CLOSE,
    }


async def test_batteries_and_errors(sim: SystemApiSimulator) -> None:
    pack, anx4 = by_model(sim, "ULXD6"), by_model(sim, "ANX4")
    sim.set_battery(pack.device_id, state="CHARGING", percentage=95, minutes=8)
    assert pack.battery is not None
    assert pack.battery.level_body()["status"] == {
        "currentState": "CHARGING",
        "targetState": "FULL",
        "timeToTargetState": "PT8M",
    }
    sim.charge(pack.device_id, 10)
    assert pack.battery.level_body() == {
        "percentage": 100,
        "status": {"currentState": "FULL", "targetState": None, "timeToTargetState": None},
    }
    with pytest.raises(ValueError, match="BOILING"):
        sim.set_battery(pack.device_id, state="BOILING")
    with pytest.raises(ValueError, match="no battery"):
        sim.charge(anx4.device_id)
    with pytest.raises(ValueError, match="LOUD"):
        sim.set_channel(anx4.device_id, 0, activity="LOUD")
    sim.remove_device(anx4.device_id)
    assert anx4.device_id not in sim.devices


async def test_animation_charges_and_moves_activity() -> None:
    async with running_simulator(devices=3) as sim:
        pack = by_model(sim, "ULXD6")
        assert pack.battery is not None
        pack.battery.state, pack.battery.percentage = "CHARGING", 40
        drain = sim.add_device("ULXD8")
        sim.set_state(by_model(sim, "ULXD4D").device_id, "OFFLINE")
        sim.animate(period=0.01, seed=1)
        await wait_for(lambda: pack.battery is not None and pack.battery.percentage > 41)
        assert drain.battery is not None
        await wait_for(lambda: drain.battery is not None and drain.battery.percentage < 87)


async def test_command_line_start() -> None:
    args = build_parser().parse_args(
        ["systemapi", "--host", "127.0.0.1", "--port", "0", "--api-key", "k", "--devices", "3"]
    )
    simulator = await kinds()["systemapi"].start(args)
    try:
        lines = simulator.describe()
        assert "listening on https://127.0.0.1:" in lines[0]
        assert "3 devices" in lines[1]
        assert "fingerprint" in lines[2]
        assert lines[3] == "API key (x-api-key) k"
    finally:
        await simulator.close()
        await simulator.close()


async def test_standalone_process_prints_its_address() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators",
        "systemapi",
        "--port",
        "0",
        "--api-key",
        "secret",
        "--devices",
        "2",
        "--still",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(30):
            line = await process.stdout.readline()
        assert b"listening on https://127.0.0.1:" in line
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            await process.wait()
