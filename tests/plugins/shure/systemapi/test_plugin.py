"""System API plugin against the simulator over real loopback HTTPS and WSS (own certificate)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
import logging

import aiohttp
import pytest

from custom_components.micboard.plugins.errors import (
    CannotConnect,
    CertificateChanged,
    ConnectionClosed,
    DifferentDevice,
    InvalidAuth,
    NotSupported,
    ProtocolError,
)
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.model import (
    STRUCTURE_FIELD,
    AudioActivity,
    BatteryState,
    Compatibility,
    Feature,
    Referral,
)
from custom_components.micboard.plugins.net.tls import (
    parse_fingerprint,
)
from custom_components.micboard.plugins.shure.systemapi.client import (
    NotSystemApi,
    ServerError,
    SystemApiClient,
    probe_server,
)
from custom_components.micboard.plugins.shure.systemapi.plugin import ShureSystemApiPlugin
from simulators.shure.systemapi import SystemApiSimulator
from tests.support.helpers import wait_for
from tests.support.systemapi import Listener, options, running_simulator, stage

KEY = "micboard-sim-shared-secret"

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def sim() -> AsyncGenerator[SystemApiSimulator]:
    async with running_simulator(page_size=2) as simulator:
        yield simulator


@pytest.fixture
async def ids(sim: SystemApiSimulator) -> dict[str, str]:
    return stage(sim)


@pytest.fixture
async def plugin(
    sim: SystemApiSimulator, session: aiohttp.ClientSession
) -> AsyncGenerator[ShureSystemApiPlugin]:
    instance = make_plugin(sim, session)
    yield instance
    await instance.close()


@pytest.fixture
async def listener(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> AsyncGenerator[Listener]:
    await plugin.get_devices()
    running = Listener(plugin)
    await running.start(sim)
    yield running
    await running.stop()


def make_plugin(
    sim: SystemApiSimulator, session: aiohttp.ClientSession | None, **overrides: object
) -> ShureSystemApiPlugin:
    instance = ShureSystemApiPlugin(options(sim, **overrides), session=session)
    instance.request_timeout = 2.0
    instance.open_timeout = 2.0
    instance.heartbeat = 1.0
    return instance


# -- snapshot -------------------------------------------------------------------------------------


async def test_snapshot_maps_every_kind_of_device(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    receivers = await plugin.get_devices()
    # The ULX-D receiver is not modelled: its own protocol monitors it.
    assert set(receivers) == set(ids.values()) - {ids["ulxd"]}

    anx4 = receivers[ids["anx4"]]
    assert (anx4.manufacturer, anx4.model, anx4.name) == ("Shure", "ANX4", "Stage box")
    assert anx4.online is True
    assert anx4.host == "192.0.2.11"
    assert anx4.firmware == "1.2.1.1"
    assert anx4.serial is not None
    assert anx4.compatibility is Compatibility.CURRENT
    assert anx4.features == {Feature.IDENTIFY, Feature.COMPATIBILITY}
    assert sorted(anx4.channels) == [1, 2, 3, 4]
    channel = anx4.channels[1]
    assert channel.name == "Ch 1"
    assert channel.muted is False
    assert channel.gain == 6.0
    assert channel.audio_activity is AudioActivity.LOW
    assert channel.audio_clipping is False
    assert channel.features == {
        Feature.NAME,
        Feature.MUTE,
        Feature.GAIN,
        Feature.AUDIO_ACTIVITY,
    }

    pack = receivers[ids["pack"]]
    assert list(pack.channels) == [1]
    transmitter = pack.channels[1].transmitter
    assert transmitter is not None
    assert transmitter.model == "ULXD6"
    assert transmitter.battery_percent == 20
    assert transmitter.battery_state is BatteryState.CHARGING
    assert transmitter.charge_minutes == 120
    assert transmitter.runtime_minutes is None  # heading for FULL: not a runtime
    assert (transmitter.battery_health, transmitter.battery_cycles) == (96, 42)

    mxa = receivers[ids["mxa"]]
    assert Feature.MUTE in mxa.features
    assert mxa.muted is False

    assert receivers[ids["charger"]].channels == {}
    found = receivers[ids["found"]]
    assert found.online is False
    assert found.serial is None
    assert found.firmware is None
    assert found.channels == {}
    assert receivers[ids["off"]].online is False

    assert plugin.referrals == {ids["ulxd"]: Referral("shure_tcp", "198.51.100.21", 2202, "ULXD4D")}
    assert plugin.health.state is ConnectionState.CONNECTED
    # Every page was followed (2 devices a page), no bodyless request declared JSON and no
    # request went out without the key.
    assert sum(1 for request in sim.requests if request[1] == "/api/v1/devices") == 4
    assert sim.content_type_violations == 0
    assert sim.missing_key_requests == 0
    # Nothing was read from the handed-over receiver or the devices the server cannot reach.
    for name in ("ulxd", "found", "off"):
        assert not any(ids[name] in path for _method, path, _status in sim.requests)


@pytest.mark.parametrize("shape", ["array", "items"])
async def test_other_list_shapes(session: aiohttp.ClientSession, shape: str) -> None:
    async with running_simulator(list_shape=shape, devices=3) as sim:
        plugin = make_plugin(sim, session)
        receivers = await plugin.get_devices()
    # ULXD4D is handed over; ANX4 and ULXD6 are modelled.
    assert sorted(receiver.model or "" for receiver in receivers.values()) == ["ANX4", "ULXD6"]


async def test_repeated_cursor_stops_paging(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    page = {
        "pageInfo": {"hasNextPage": True, "endCursor": "same"},
        "edges": [{"cursor": "same", "node": sim.devices[ids["anx4"]].node()}],
    }
    sim.override("GET", "/api/v1/devices", 200, page)
    receivers = await plugin.get_devices()
    assert list(receivers) == [ids["anx4"]]
    assert sum(1 for request in sim.requests if request[1] == "/api/v1/devices") == 2


async def test_a_failing_resource_keeps_its_value(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    plugin.full_read_seconds = 0  # every snapshot reads every resource
    sim.devices[ids["anx4"]].name = "Renamed quietly"
    sim.override("GET", f"/api/v1/devices/{ids['anx4']}/name", 500)
    receivers = await plugin.get_devices()
    assert receivers[ids["anx4"]].name == "Stage box"
    sim.clear_overrides()
    receivers = await plugin.get_devices()
    assert receivers[ids["anx4"]].name == "Renamed quietly"


async def test_a_failing_device_list_fails_the_snapshot(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    sim.override("GET", "/api/v1/devices", 500, times=1)
    with pytest.raises(ServerError):
        await plugin.get_devices()
    assert plugin.health.state is ConnectionState.ERROR
    assert await plugin.get_devices()


async def test_garbage_device_list(plugin: ShureSystemApiPlugin, sim: SystemApiSimulator) -> None:
    sim.override("GET", "/api/v1/devices", 200, b"<html>not json</html>", times=1)
    with pytest.raises(ProtocolError):
        await plugin.get_devices()
    sim.override("GET", "/api/v1/devices", 200, "a string", times=1)
    with pytest.raises(ProtocolError):
        await plugin.get_devices()


async def test_slow_server_times_out(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin.request_timeout = 0.2
    sim.delay = 1.0
    with pytest.raises(CannotConnect):
        await plugin.get_devices()


async def test_unreachable_server(session: aiohttp.ClientSession, sim: SystemApiSimulator) -> None:
    async with running_simulator() as gone:
        data = options(gone)
    plugin = ShureSystemApiPlugin(data, session=session)
    with pytest.raises(CannotConnect):
        await plugin.get_devices()


# -- authentication and certificate ---------------------------------------------------------------


async def test_wrong_key_is_sent_once(
    session: aiohttp.ClientSession, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin = make_plugin(sim, session, api_key="wrong")
    with pytest.raises(InvalidAuth) as caught:
        await plugin.get_devices()
    assert "Request Unauthorized." in str(caught.value)
    assert "wrong" not in str(caught.value)
    for _attempt in range(3):
        with pytest.raises(InvalidAuth):
            await plugin.get_devices()
    with pytest.raises(InvalidAuth):
        await plugin.listen(lambda _update: None)
    assert sim.bad_key_requests == 1


async def test_changed_certificate_needs_a_repair(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    await sim.change_certificate()
    with pytest.raises(CertificateChanged) as caught:
        await plugin.get_devices()
    assert caught.value.host == sim.host
    assert caught.value.retry is False
    assert caught.value.received == sim.fingerprint
    requests = len(sim.requests)
    with pytest.raises(CertificateChanged):
        await plugin.listen(lambda _update: None)
    assert len(sim.requests) == requests  # nothing is sent to the other certificate


async def test_certificate_change_on_the_socket(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    await sim.change_certificate()
    with pytest.raises(CertificateChanged):
        await plugin.client().open_events()


async def test_probe_reads_the_certificate_without_the_key(
    session: aiohttp.ClientSession, sim: SystemApiSimulator
) -> None:
    fingerprint = await probe_server(session, sim.host, sim.port)
    assert fingerprint == parse_fingerprint(sim.fingerprint)
    assert sim.missing_key_requests == 1
    assert sim.bad_key_requests == 0


async def test_probe_refuses_what_is_not_a_system_api(
    session: aiohttp.ClientSession, sim: SystemApiSimulator
) -> None:
    # An HTTPS server that asks for no key and has no device list.
    sim.require_key = False
    sim.override("GET", "/api/v1/devices", 404, {"title": "Not found"})
    with pytest.raises(NotSystemApi):
        await probe_server(session, sim.host, sim.port)


async def test_probe_accepts_an_open_device_list(
    session: aiohttp.ClientSession, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    sim.require_key = False
    assert await probe_server(session, sim.host, sim.port) == parse_fingerprint(sim.fingerprint)


# -- events ---------------------------------------------------------------------------------------


async def test_subscribes_every_resource_on_a_new_transport(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    transport = listener.plugin.transport_id
    assert transport is not None
    subscribed = sim.subscriptions_of(transport)
    assert "DEVICE_STATE_CHANGE" in subscribed
    anx4, pack, mxa = ids["anx4"], ids["pack"], ids["mxa"]
    assert {f"{anx4}:DEVICE_NAME", f"{anx4}:DEVICE_IDENTIFY"} <= subscribed
    assert {f"{pack}:DEVICE_BATTERY_LEVEL", f"{pack}:DEVICE_BATTERY_HEALTH"} <= subscribed
    assert f"{mxa}:DEVICE_AUDIO_MUTE" in subscribed
    channel_id = sim.devices[anx4].channels[2].id
    for event in ("NAME", "MUTE", "GAIN", "ACTIVITY"):
        assert f"{anx4}:{channel_id}:AUDIO_CHANNEL_{event}" in subscribed
    # Nothing of the handed-over receiver beyond the global state changes.
    assert not any(ids["ulxd"] in key for key in subscribed)
    assert sim.content_type_violations == 0


async def test_events_update_the_model(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin = listener.plugin
    anx4, pack, mxa = ids["anx4"], ids["pack"], ids["mxa"]

    sim.rename(anx4, "Drum box")
    await wait_for(lambda: plugin.receivers[anx4].name == "Drum box")
    assert "name" in listener.fields_of(anx4)

    sim.set_mute(mxa, muted=True)
    await wait_for(lambda: plugin.receivers[mxa].muted is True)

    sim.set_channel(anx4, 1, name="Kick", muted=True, gain=-3.5, activity="CLIPPING")
    await wait_for(
        lambda: (
            plugin.receivers[anx4].channels[2].audio_activity is not None
            and plugin.receivers[anx4].channels[2].audio_clipping is True
        )
    )
    channel = plugin.receivers[anx4].channels[2]
    assert (channel.name, channel.muted, channel.gain) == ("Kick", True, -3.5)
    assert channel.audio_activity is AudioActivity.CLIPPING
    assert {"name", "muted", "gain", "audio_activity", "audio_clipping"} <= listener.fields_of(
        anx4, 2
    )

    sim.charge(pack, 30)
    await wait_for(
        lambda: (
            plugin.receivers[pack].channels[1].transmitter is not None
            and plugin.receivers[pack].channels[1].transmitter.battery_percent == 50
        )  # type: ignore[union-attr]
    )
    sim.set_battery_health(pack, health=90, cycles=43)
    await wait_for(
        lambda: plugin.receivers[pack].channels[1].transmitter.battery_cycles == 43  # type: ignore[union-attr]
    )
    assert "transmitter" in listener.fields_of(pack, 1)


async def test_devices_going_offline_and_online(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin = listener.plugin
    anx4, off = ids["anx4"], ids["off"]
    sim.set_state(anx4, "OFFLINE")
    await wait_for(lambda: plugin.receivers[anx4].online is False)
    assert "online" in listener.fields_of(anx4)
    sim.set_state(anx4, "ONLINE")
    await wait_for(lambda: plugin.receivers[anx4].online is True)

    # A device that was off comes online: its resources are read and subscribed.
    sim.devices[off].name = "PSM rack"
    sim.set_state(off, "ONLINE")
    await wait_for(lambda: plugin.receivers[off].name == "PSM rack")
    assert len(plugin.receivers[off].channels) == 4
    assert STRUCTURE_FIELD in listener.fields_of(off)
    transport = plugin.transport_id
    assert transport is not None
    assert f"{off}:DEVICE_NAME" in sim.subscriptions_of(transport)
    sim.rename(off, "PSM left")
    await wait_for(lambda: plugin.receivers[off].name == "PSM left")


async def test_new_devices_and_handover(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin = listener.plugin
    added = sim.add_device("ULXD8", name="Handheld 2")
    await wait_for(lambda: added.device_id in plugin.receivers)
    await wait_for(
        lambda: (
            plugin.receivers[added.device_id].channels.get(1) is not None
            and plugin.receivers[added.device_id].channels[1].transmitter is not None
        )
    )
    assert plugin.receivers[added.device_id].name == "Handheld 2"

    receiver = sim.add_device("AD4Q", address="198.51.100.40")
    await wait_for(lambda: receiver.device_id in plugin.referrals)
    assert receiver.device_id not in plugin.receivers
    assert STRUCTURE_FIELD in listener.fields_of(receiver.device_id)

    sim.set_state(ids["ulxd"], "OFFLINE")
    await wait_for(lambda: ids["ulxd"] not in plugin.referrals)

    # A discovered device turns out to be a receiver once online: it leaves the model.
    found = ids["found"]
    sim.devices[found].model = "ULXD4Q"
    sim.set_state(found, "ONLINE")
    await wait_for(lambda: found not in plugin.receivers)
    assert found in plugin.referrals


async def test_socket_drop_then_new_transport_and_full_resubscribe(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin = listener.plugin
    first = plugin.transport_id
    assert first is not None
    sim.drop_sockets()
    assert listener.task is not None
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(listener.task, 10)
    assert plugin.transport_id is None
    assert plugin.health.state is ConnectionState.ERROR

    await plugin.get_devices()  # what the coordinator does before listening again
    again = Listener(plugin)
    await again.start(sim)
    second = plugin.transport_id
    assert second is not None
    assert second != first
    assert sim.subscriptions_of(second) == sim.subscriptions_of(first)
    sim.rename(ids["anx4"], "After the drop")
    await wait_for(lambda: plugin.receivers[ids["anx4"]].name == "After the drop")
    await again.stop()


async def test_a_dead_socket_ends_listen(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    sim.stall()
    assert listener.task is not None
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(listener.task, 10)
    sim.resume()


async def test_server_closing_the_socket_ends_listen(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    for transport in sim.transports.values():
        transport.queue.put_nowait(None)
    assert listener.task is not None
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(listener.task, 10)


async def test_malformed_frames_never_raise(
    listener: Listener,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    anx4 = ids["anx4"]
    channel_id = sim.devices[anx4].channels[0].id
    frames: list[str | bytes] = [
        "not json",
        "[1, 2]",
        "{}",
        json.dumps({"envelope": "x", "body": {}}),
        json.dumps({"envelope": {"eventName": "DEVICE_NAME"}, "body": "x"}),
        json.dumps({"envelope": {"eventName": "NEW_EVENT", "deviceId": anx4}, "body": {}}),
        json.dumps({"envelope": {"eventName": "DEVICE_NAME", "deviceId": "nobody"}, "body": {}}),
        json.dumps(
            {
                "envelope": {
                    "eventName": "AUDIO_CHANNEL_MUTE",
                    "deviceId": anx4,
                    "audioChannelId": "unknown",
                },
                "body": {"muted": True},
            }
        ),
        json.dumps({"envelope": {"eventName": "DEVICE_STATE_CHANGE"}, "body": {}}),
        json.dumps(
            {
                "envelope": {
                    "eventName": "AUDIO_CHANNEL_GAIN",
                    "deviceId": anx4,
                    "audioChannelId": channel_id,
                },
                "body": {"gain": "loud"},
            }
        ),
        json.dumps(
            {"envelope": {"eventName": "DEVICE_NAME", "deviceId": anx4}, "body": {"name": 7}}
        ),
        json.dumps({"transportId": "another"}),
        b"\xff\xfe binary garbage",
        b'{"envelope": {"eventName": "DEVICE_NAME", "deviceId": "'
        + anx4.encode()
        + b'"}, "body": {"name": "Bytes"}}',
    ]
    caplog.set_level(logging.DEBUG)
    for frame in frames:
        sim.send_raw(frame)
    plugin = listener.plugin
    await wait_for(lambda: plugin.receivers[anx4].name == "Bytes")
    assert plugin.receivers[anx4].channels[1].gain is None  # "loud" is not a gain
    sim.rename(anx4, "Still listening")
    await wait_for(lambda: plugin.receivers[anx4].name == "Still listening")
    assert listener.task is not None
    assert not listener.task.done()
    assert KEY not in caplog.text


async def test_transport_must_come_first(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    plugin.open_timeout = 0.3
    sim.socket_preamble = ["hello", b"\xff", json.dumps({"envelope": {}})]
    sim.announce_transport = False
    with pytest.raises(ProtocolError):
        await plugin.listen(lambda _update: None)
    # Frames before the transport id are skipped, not fatal.
    sim.announce_transport = True
    running = Listener(plugin)
    await running.start(sim)
    await running.stop()


async def test_refused_device_subscription_ends_listen(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    sim.override("POST", "/api/v1/devices/subscription/", 404, {"title": "Unknown transportId"})
    with pytest.raises(ConnectionClosed):
        await plugin.listen(lambda _update: None)


async def test_refused_resource_subscriptions_are_skipped(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    sim.override("POST", f"/api/v1/devices/{ids['anx4']}/name/subscription/", 500)
    sim.override("POST", f"/api/v1/devices/{ids['pack']}/", 409, {"title": "conflict"})
    running = Listener(plugin)
    await running.start(sim)
    sim.set_mute(ids["mxa"], muted=True)
    await wait_for(lambda: plugin.receivers[ids["mxa"]].muted is True)
    await running.stop()


async def test_resync_while_listening_subscribes_new_devices(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin = listener.plugin
    # A device the server learnt of without an event (it happens after a server restart).
    device = sim.factory.create("ANX4", name="Quiet arrival")
    sim.devices[device.device_id] = device
    await plugin.get_devices()
    assert device.device_id in plugin.receivers
    transport = plugin.transport_id
    assert transport is not None
    assert f"{device.device_id}:DEVICE_NAME" in sim.subscriptions_of(transport)
    # Capabilities changed without an event: the next resync reads the device again.
    sim.set_capabilities(ids["charger"], (*sim.devices[ids["charger"]].capabilities, "audio-mute"))
    await plugin.get_devices()
    assert Feature.MUTE in plugin.receivers[ids["charger"]].features
    # A device the server forgot is dropped.
    sim.remove_device(ids["mxa"])
    await plugin.get_devices()
    assert ids["mxa"] not in plugin.receivers


# -- identify and the rest ------------------------------------------------------------------------


async def test_identify_starts_and_stops(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    plugin.identify_seconds = 0.1
    assert plugin.can_identify(ids["anx4"])
    assert not plugin.can_identify(ids["found"])
    await plugin.identify(ids["anx4"], None)
    assert sim.devices[ids["anx4"]].identifying is True
    await plugin.identify(ids["anx4"], 2)  # again: the timer starts over
    await wait_for(lambda: sim.devices[ids["anx4"]].identifying is False)
    with pytest.raises(NotSupported):
        await plugin.identify(ids["found"], None)
    with pytest.raises(NotSupported):
        await plugin.identify("nobody", None)
    assert sim.content_type_violations == 0


async def test_identify_failures(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    sim.override("POST", f"/api/v1/devices/{ids['anx4']}/identify/start", 500, times=1)
    with pytest.raises(ServerError):
        await plugin.identify(ids["anx4"], None)
    plugin.identify_seconds = 0.05
    sim.override("POST", f"/api/v1/devices/{ids['anx4']}/identify/stop", 503)
    await plugin.identify(ids["anx4"], None)
    await wait_for(lambda: not plugin._identify_stops)
    await plugin.identify(ids["anx4"], None)
    await plugin.close()  # a pending stop is cancelled
    assert not plugin._identify_stops


async def test_diagnostics_hold_no_key(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin = listener.plugin
    data = plugin.diagnostics()
    assert data["server"]["fingerprint"] == sim.fingerprint
    assert data["transport_id"] == plugin.transport_id
    assert data["subscriptions"] > 10
    assert data["referrals"] == {
        ids["ulxd"]: {"host": "198.51.100.21", "port": 2202, "model": "ULXD4D"}
    }
    by_id = {device["device_id"]: device for device in data["devices"]}
    assert by_id[ids["ulxd"]]["handed_over"] is True
    assert by_id[ids["found"]]["state"] == "DISCOVERED"
    assert KEY not in json.dumps(data)
    assert KEY not in repr(plugin)
    assert KEY not in repr(plugin.client())


async def test_own_session_when_none_is_injected(
    sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin = make_plugin(sim, None)
    assert await plugin.get_devices()
    assert plugin.display_name == f"Shure System API {sim.host}"
    assert plugin.stable_id == "systemapi-" + parse_fingerprint(sim.fingerprint).hex()
    own = plugin.client().session
    await plugin.close()
    assert own.closed
    await plugin.close()
    # Usable again after close: a new session, not the closed one.
    assert await plugin.get_devices()
    assert plugin.client().session is not own
    await plugin.close()


async def test_client_without_key(session: aiohttp.ClientSession, sim: SystemApiSimulator) -> None:
    client = SystemApiClient(session, sim.host, sim.port, parse_fingerprint(sim.fingerprint), None)
    with pytest.raises(InvalidAuth):
        await client.list_devices()
    assert sim.requests == []


# -- odd answers ----------------------------------------------------------------------------------


async def test_odd_detail_answers(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    plugin.full_read_seconds = 0
    anx4 = ids["anx4"]
    base = f"/api/v1/devices/{anx4}"
    # Not JSON, and a failing channel list: the last values stay.
    sim.override("GET", f"{base}/name", 200, b"<html>")
    sim.override("GET", f"{base}/audio-channels", 500)
    receivers = await plugin.get_devices()
    assert receivers[anx4].name == "Stage box"
    assert len(receivers[anx4].channels) == 4
    # A resource the device no longer has is unknown.
    sim.clear_overrides()
    sim.override("GET", f"{base}/name", 404, {"title": "Not found"})
    receivers = await plugin.get_devices()
    assert receivers[anx4].name == f"ANX4 {sim.devices[anx4].serial}"


async def test_node_without_an_id_is_skipped(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    good = sim.devices[ids["charger"]].node()
    sim.override("GET", "/api/v1/devices", 200, [{"deviceState": "ONLINE"}, good])
    assert list(await plugin.get_devices()) == [ids["charger"]]


async def test_401_during_the_detail_read_stops_every_request(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    for number in range(10):
        sim.add_device("ANX4", name=f"Box {number}")
    sim.override("GET", "/api/v1/devices/", 401, {"title": "Request Unauthorized."})
    with pytest.raises(InvalidAuth):
        await plugin.get_devices()
    refused = sum(1 for _method, _path, status in sim.requests if status == 401)
    # Only requests already on the wire when the first 401 came back were answered.
    assert 1 <= refused <= 6
    with pytest.raises(InvalidAuth):
        await plugin.client().open_events()


async def test_a_subscription_that_timed_out_is_made_by_the_next_resync(
    listener: Listener, sim: SystemApiSimulator
) -> None:
    plugin = listener.plugin
    plugin.client().timeout = 0.3
    device = sim.factory.create("ANX4", name="Slow to subscribe")
    sim.devices[device.device_id] = device
    sim.override("POST", f"/api/v1/devices/{device.device_id}/", 204, b"", delay=1.0)
    with pytest.raises(CannotConnect):
        await plugin.get_devices()
    sim.clear_overrides()
    await plugin.get_devices()
    transport = plugin.transport_id
    assert transport is not None
    assert f"{device.device_id}:DEVICE_NAME" in sim.subscriptions_of(transport)


async def test_refused_subscription_with_401_asks_for_a_key(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    sim.override("POST", f"/api/v1/devices/{ids['pack']}/", 401, {"title": "Request Unauthorized."})
    with pytest.raises(InvalidAuth):
        await plugin.listen(lambda _update: None)


async def test_paging_has_a_limit(
    plugin: ShureSystemApiPlugin,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("custom_components.micboard.plugins.shure.systemapi.client.MAX_PAGES", 2)
    # Two pages of two; the receiver on the third page is never seen.
    assert set(await plugin.get_devices()) == {
        ids[name] for name in ("anx4", "pack", "mxa", "charger")
    }
    assert plugin.referrals == {}


async def test_oversized_answers_are_refused(
    plugin: ShureSystemApiPlugin,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SystemApiClient, "max_body_bytes", 100)
    with pytest.raises(ProtocolError, match="too large"):
        await plugin.get_devices()


@pytest.mark.parametrize(("status", "error"), [(401, InvalidAuth), (503, CannotConnect)])
async def test_refused_socket(
    plugin: ShureSystemApiPlugin,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    status: int,
    error: type[Exception],
) -> None:
    await plugin.get_devices()
    sim.socket_refusal = status
    with pytest.raises(error):
        await plugin.listen(lambda _update: None)


async def test_socket_to_nowhere(session: aiohttp.ClientSession, sim: SystemApiSimulator) -> None:
    async with running_simulator() as gone:
        data = options(gone)
    plugin = ShureSystemApiPlugin(data, session=session)
    with pytest.raises(CannotConnect):
        await plugin.client().open_events()


async def test_control_frames(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    from simulators.shure.systemapi import Frame  # noqa: PLC0415

    plugin = listener.plugin
    sim.ping_clients()
    await wait_for(lambda: sim.pongs_received == 1)
    sim.keepalive()
    sim.rename(ids["anx4"], "After the pong")
    await wait_for(lambda: plugin.receivers[ids["anx4"]].name == "After the pong")
    # A text frame that is not UTF-8 is a protocol error: the socket is done.
    sim.send_raw(Frame(aiohttp.WSMsgType.TEXT, b"\xff\xfe"))
    assert listener.task is not None
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(listener.task, 10)


async def test_state_changes_of_handed_over_receivers(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    ulxd = ids["ulxd"]
    sim.set_state(ulxd, "OFFLINE")
    await wait_for(lambda: ulxd not in listener.plugin.referrals)
    count = len(listener.updates)
    sim.set_state(ulxd, "OFFLINE")  # nothing changes: nothing is reported
    sim.rename(ids["anx4"], "Marker")
    await wait_for(lambda: listener.plugin.receivers[ids["anx4"]].name == "Marker")
    assert [update.receiver_id for update in listener.updates[count:]] == [ids["anx4"]]


async def test_hostile_frames_are_dropped_counted_and_logged_once(
    listener: Listener,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    anx4 = ids["anx4"]
    caplog.set_level(logging.DEBUG)
    plugin = listener.plugin
    before = plugin.health.messages_rejected
    frames = [
        "[" * 200_000,
        '{"envelope": ' + "{" * 800,
        '{"envelope": {"eventName": "DEVICE_NAME", "deviceId": "'
        + anx4
        + '"}, "body": '
        + '{"a":' * 40
        + "1"
        + "}" * 41,
        "9" * 5000,
        "x" * 300_000,
        '"a string"',
    ]
    for frame in frames:
        sim.send_raw(frame)
    sim.rename(anx4, "After the storm")
    await wait_for(lambda: plugin.receivers[anx4].name == "After the storm")
    assert plugin.health.messages_rejected - before == len(frames)
    dropped = [record for record in caplog.records if "Dropped" in record.getMessage()]
    assert len(dropped) == 1
    assert len(dropped[0].getMessage()) < 400
    assert listener.task is not None
    assert not listener.task.done()


async def test_pushed_names_pass_the_value_gate(
    listener: Listener, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    anx4 = ids["anx4"]
    plugin = listener.plugin
    before = plugin.health.values_rejected
    sim.rename(anx4, "\x1b[2J\x00Stage\x07 box " + "x" * 300)
    await wait_for(lambda: (plugin.receivers[anx4].name or "").startswith("[2JStage box"))
    name = plugin.receivers[anx4].name
    assert name is not None
    assert len(name) == 64
    sim.rename(anx4, "\x00\x1b\x07")
    # Nothing printable is no name: the fallback (model and serial) shows instead.
    await wait_for(lambda: plugin.receivers[anx4].name != name)
    assert plugin.receivers[anx4].name is not None
    assert "\x00" not in (plugin.receivers[anx4].name or "")
    assert plugin.health.values_rejected == before


async def test_a_server_listing_none_of_the_known_devices_deletes_nothing(
    plugin: ShureSystemApiPlugin, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    await plugin.get_devices()
    known = set(plugin.receivers)
    for device_id in list(sim.devices):
        sim.remove_device(device_id)
    with pytest.raises(CannotConnect, match="lists no devices"):
        await plugin.get_devices()  # a restarted server, still discovering
    assert set(plugin.receivers) == known
    sim.add_device("ANX4", name="Someone else's")
    with pytest.raises(DifferentDevice) as caught:
        await plugin.get_devices()
    assert caught.value.expected == plugin.stable_id
    assert set(plugin.receivers) == known


async def test_known_devices_from_the_options_guard_the_first_snapshot(
    session: aiohttp.ClientSession, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    """After a restart the plugin has seen nothing; the entry's remembered ids stand in."""
    remembered = frozenset({"an-id-from-before"})
    plugin = ShureSystemApiPlugin(options(sim, known_devices=remembered), session=session)
    try:
        with pytest.raises(DifferentDevice):
            await plugin.get_devices()
        assert plugin.receivers == {}
        assert plugin.inventory == frozenset()
        await plugin.close()
        # One device in common is the same installation (devices come and go).
        plugin = ShureSystemApiPlugin(
            options(sim, known_devices=remembered | {next(iter(sim.devices))}), session=session
        )
        await plugin.get_devices()
        assert plugin.inventory == frozenset(sim.devices)
    finally:
        await plugin.close()


async def test_a_first_contact_takes_whatever_the_server_lists(
    session: aiohttp.ClientSession, sim: SystemApiSimulator, ids: dict[str, str]
) -> None:
    plugin = ShureSystemApiPlugin(options(sim), session=session)
    try:
        await plugin.get_devices()
        assert plugin.inventory == frozenset(sim.devices)
    finally:
        await plugin.close()
