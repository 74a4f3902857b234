"""SSC v1 plugin against the simulator over real loopback UDP (no mocks of the transport)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import logging
import socket
import time

import pytest

from custom_components.micboard.plugins.errors import (
    CannotConnect,
    ConnectionClosed,
    DifferentDevice,
    ProtocolError,
    UnsupportedDevice,
)
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.model import (
    Feature,
    ModelUpdate,
)
from custom_components.micboard.plugins.sennheiser.ssc1 import Ssc1Options, plugin as ssc1_plugin
from custom_components.micboard.plugins.sennheiser.ssc1.codec import SscError
from custom_components.micboard.plugins.sennheiser.ssc1.plugin import SennheiserSsc1Plugin
from simulators.sennheiser.ssc1 import Ssc1Simulator
from tests.support.helpers import free_port, wait_for
from tests.support.stalled_loop import simulator_in_thread

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short timeouts: the simulator answers within milliseconds on loopback."""
    monkeypatch.setattr(SennheiserSsc1Plugin, "request_timeout", 0.25)
    monkeypatch.setattr(SennheiserSsc1Plugin, "request_attempts", 2)


@pytest.fixture
async def sim() -> AsyncIterator[Ssc1Simulator]:
    simulator = await Ssc1Simulator(channels=2).start()
    yield simulator
    await simulator.close()


def plugin_for(simulator: Ssc1Simulator, meter_interval: float = 0.1) -> SennheiserSsc1Plugin:
    host, port = simulator.address
    return SennheiserSsc1Plugin(Ssc1Options(host=host, port=port), meter_interval=meter_interval)


@contextlib.asynccontextmanager
async def listening(plugin: SennheiserSsc1Plugin) -> AsyncIterator[list[ModelUpdate]]:
    """Run ``listen`` in the background; fail the test if it ended with an error."""
    updates: list[ModelUpdate] = []
    task = asyncio.create_task(plugin.listen(updates.append))
    try:
        yield updates
        assert not task.done() or task.cancelled(), task.exception()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await plugin.close()


async def test_snapshot_identifies_and_maps_ewdx() -> None:
    simulator = await Ssc1Simulator(channels=4, name="STAGE").start()
    simulator.tx_off(2)
    plugin = plugin_for(simulator)
    try:
        receivers = await plugin.get_devices()
    finally:
        await plugin.close()
        await simulator.close()
    assert plugin.stable_id == "1234567890"
    assert plugin.display_name == "STAGE (1234567890)"
    assert plugin.dialect is not None
    assert plugin.dialect.key == "ewdx"
    receiver = receivers["1234567890"]
    assert (receiver.model, receiver.name, receiver.firmware, receiver.serial) == (
        "EWDX4CH",
        "STAGE",
        "3.4.2",
        "1234567890",
    )
    assert sorted(receiver.channels) == [1, 2, 3, 4]
    one = receiver.channels[1]
    assert Feature.RF_QUALITY in one.features
    assert (one.name, one.frequency_mhz, one.rf_level, one.rf_quality, one.antenna) == (
        "CH 1",
        520.4,
        -55.0,
        95,
        "A",
    )
    assert one.transmitter is not None
    assert one.transmitter.battery_percent == 90
    assert one.transmitter.runtime_minutes == 420
    assert receiver.channels[2].transmitter is None  # 424 from the simulator
    assert plugin.health.state is ConnectionState.STOPPED  # closed above
    assert plugin.health.messages_received > 0


@pytest.mark.parametrize(("channels", "product"), [(1, "SLDW"), (4, "SLDW4CH")])
async def test_speechline_dialect(channels: int, product: str) -> None:
    simulator = await Ssc1Simulator(channels=channels, variant="sldw").start()
    simulator.tx_off(channels)
    plugin = plugin_for(simulator)
    try:
        receiver = (await plugin.get_devices())[plugin.stable_id]
    finally:
        await plugin.close()
        await simulator.close()
    assert plugin.dialect is not None
    assert plugin.dialect.key == "sldw"
    assert receiver.model == product
    assert len(receiver.channels) == channels
    first = receiver.channels[1]
    assert Feature.RF_LEVEL not in first.features
    if channels > 1:
        assert first.transmitter is not None
        assert first.transmitter.runtime_minutes == 420
        assert first.transmitter.model == "Handheld"
    assert receiver.channels[channels].transmitter is None


async def test_push_updates_reach_the_model(sim: Ssc1Simulator) -> None:
    plugin = plugin_for(sim)
    receiver = (await plugin.get_devices())[plugin.stable_id]
    one, two = receiver.channels[1], receiver.channels[2]
    async with listening(plugin) as updates:
        await wait_for(lambda: sim.subscribes >= 1)
        sim.drain(1, 70)
        await wait_for(
            lambda: one.transmitter is not None and one.transmitter.battery_percent == 20
        )
        sim.tx_off(2)
        await wait_for(lambda: two.transmitter is None)
        sim.tx_on(2)
        await wait_for(lambda: two.transmitter is not None)
        await wait_for(
            lambda: two.transmitter is not None and two.transmitter.battery_percent == 90
        )
        sim.rf_fade(1)
        await wait_for(lambda: one.rf_warning is True and one.rf_quality == 12)
        sim.audio_peak(2)
        await wait_for(lambda: two.audio_clipping is True)
        sim.rename(1, "Pastor")
        await wait_for(lambda: one.name == "PASTOR")
        sim.device_name = "FOH RACK"
        await wait_for(lambda: receiver.name == "FOH RACK")
        assert ModelUpdate(plugin.stable_id, None, frozenset({"name"})) in updates
        assert any(u.channel == 2 and "transmitter" in u.fields for u in updates)


async def test_departed_transmitter_never_shows_its_old_battery(sim: Ssc1Simulator) -> None:
    """Firmware that does not notify the 424 -> value change: the plugin reads the new TX."""
    sim.quiet_prefixes = {("mates",)}
    plugin = plugin_for(sim)
    channel = (await plugin.get_devices())[plugin.stable_id].channels[1]
    async with listening(plugin):
        await wait_for(lambda: sim.subscribes >= 1)
        sim.tx_off(1)
        await wait_for(lambda: channel.transmitter is None)
        sim.set_battery(1, 40, 200)
        sim.tx_on(1)
        await wait_for(lambda: channel.transmitter is not None)
        assert channel.transmitter is not None
        assert channel.transmitter.battery_percent in {None, 40}
        await wait_for(
            lambda: channel.transmitter is not None and channel.transmitter.battery_percent == 40
        )


async def test_speechline_active_mates_drive_the_link() -> None:
    simulator = await Ssc1Simulator(channels=1, variant="sldw").start()
    simulator.quiet_prefixes = {("mates", "tx1")}
    plugin = plugin_for(simulator)
    channel = (await plugin.get_devices())[plugin.stable_id].channels[1]
    try:
        async with listening(plugin):
            simulator.tx_off(1)
            await wait_for(lambda: channel.transmitter is None)
            simulator.tx_on(1)
            await wait_for(
                lambda: (
                    channel.transmitter is not None and channel.transmitter.battery_percent == 90
                )
            )
    finally:
        await simulator.close()


async def test_subscriptions_are_renewed_before_they_expire(
    sim: Ssc1Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SennheiserSsc1Plugin, "subscription_lifetime", 1.0)
    plugin = plugin_for(sim)
    await plugin.get_devices()
    async with listening(plugin):
        await wait_for(lambda: plugin.renewals >= 4)
        assert sim.expirations == 0
        # 5 subscription trees (2 per channel, 1 device); the first round creates them.
        assert sim.renewals >= 5 * (plugin.renewals - 2)
        lifetimes = {s.params.get("lifetime") for s in sim.subscriptions}
        assert lifetimes == {1}
        meters = [s for s in sim.subscriptions if s.paths[0][0] == "m"]
        assert meters
        assert {s.params.get("max") for s in meters} == {100}


async def test_ended_subscription_is_renewed_at_once(
    sim: Ssc1Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long lifetime: the renewal (at half of it) cannot be what resubscribes in time.
    monkeypatch.setattr(SennheiserSsc1Plugin, "subscription_lifetime", 60.0)
    plugin = plugin_for(sim)
    await plugin.get_devices()
    async with listening(plugin):
        await wait_for(lambda: len(sim.subscriptions) == 5)  # 2 per channel + device
        first = sim.subscribes
        sim.end_subscriptions()
        # Renewal is 30 s away: only the 310 errors can make the plugin subscribe again now.
        await wait_for(lambda: sim.subscribes >= first + 5, timeout=15.0)


async def test_silent_device_ends_listen(
    sim: Ssc1Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SennheiserSsc1Plugin, "subscription_lifetime", 1.0)
    plugin = plugin_for(sim)
    await plugin.get_devices()
    updates: list[ModelUpdate] = []
    task = asyncio.create_task(plugin.listen(updates.append))
    await wait_for(lambda: sim.subscribes >= 1)
    sim.stop_answering()
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(5):
            await task
    sim.resume()
    await plugin.get_devices()  # the coordinator's resync after backoff
    assert plugin.health.state is ConnectionState.CONNECTED
    await plugin.close()


async def test_listen_without_connection_raises(sim: Ssc1Simulator) -> None:
    with pytest.raises(ConnectionClosed):
        await plugin_for(sim).listen(lambda _update: None)


async def test_resync_while_listening(sim: Ssc1Simulator) -> None:
    plugin = plugin_for(sim)
    first = await plugin.get_devices()
    channel = first[plugin.stable_id].channels[1]
    async with listening(plugin):
        await wait_for(lambda: sim.subscribes >= 1)
        sim.rename(1, "again")
        again = await plugin.get_devices()
        assert again is first
        assert again[plugin.stable_id].channels[1] is channel
        assert channel.name == "AGAIN"


async def test_malformed_datagrams_never_raise(sim: Ssc1Simulator) -> None:
    plugin = plugin_for(sim)
    channel = (await plugin.get_devices())[plugin.stable_id].channels[1]
    async with listening(plugin):
        await wait_for(lambda: sim.subscribes >= 1)
        sim.send_garbage()
        # Well-formed but out-of-range values and non-SSC error entries are handled too.
        sim.send_garbage(
            [b'{"m":{"rx1":{"rssi":"loud","rsqi":500}}}', b'{"osc":{"error":[{"x":[999]}]}}']
        )
        await wait_for(lambda: plugin.client.bad_datagrams >= 5)
        assert channel.rf_level is None  # "loud" is not a level
        sim.rename(1, "still")
        await wait_for(lambda: channel.name == "STILL")


async def test_a_huge_integer_is_dropped_and_never_stays_stored(
    sim: Ssc1Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A 400-digit integer once raised OverflowError, stayed stored and failed every datagram."""
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard.plugins")
    plugin = plugin_for(sim)
    channel = (await plugin.get_devices())[plugin.stable_id].channels[1]
    async with listening(plugin):
        await wait_for(lambda: sim.subscribes >= 1)
        huge = b"9" * 400
        sim.send_garbage(
            [
                b'{"m":{"rx1":{"rssi":' + huge + b"}}}",
                b'{"rx1":{"frequency":-' + huge + b',"name":' + huge + b"}}",
                b'{"mates":{"tx1":{"battery":{"gauge":' + huge + b"}}}}",
                b'{"m":{"rx1":{"af":1e999}}}',
                b'{"m":{"rx1":{"af":NaN}}}',
                b"[" * 60_000,
                b'{"rx1":' * 3000 + b"1" + b"}" * 3000,
            ]
        )
        await wait_for(lambda: plugin.health.messages_rejected >= 7)
        assert channel.name == "CH 1"  # the integer never became a name
        sim.rf_fade(1, rssi=-80.0, rsqi=50)
        sim.rename(1, "after")  # later datagrams for the channel still work
        await wait_for(lambda: channel.name == "AFTER" and channel.rf_level == -80.0)
        assert all(not isinstance(v, int) or v < 10**20 for v in plugin._leaves[1].values())
    assert caplog.text.count("Dropped a datagram that is not SSC") == 1


async def test_a_number_never_becomes_a_name_and_names_are_cleaned(sim: Ssc1Simulator) -> None:
    sim.device_name = "RACK\x07\x00 " + "N" * 300
    plugin = plugin_for(sim)
    receiver = (await plugin.get_devices())[plugin.stable_id]
    assert receiver.name == "RACK " + "N" * 59
    async with listening(plugin):
        await wait_for(lambda: sim.subscribes >= 1)
        sim.send_garbage([b'{"device":{"name":12345},"rx1":{"name":67890}}'])
        sim.rf_fade(1, rssi=-120.0)  # below what an EW-DX reports (-107 dBm)
        await wait_for(lambda: plugin.health.values_rejected >= 1)
        assert receiver.name == "RACK " + "N" * 59
        assert receiver.channels[1].name is None  # 67890 is no name: unknown
        assert receiver.channels[1].rf_level is None


async def test_unknown_addresses_are_dropped_for_good(sim: Ssc1Simulator) -> None:
    sim.remove_addresses(("rx1", "mute"), ("rx2", "mute"))
    plugin = plugin_for(sim)
    receiver = (await plugin.get_devices())[plugin.stable_id]
    assert "rx_mute" not in plugin.supported
    assert Feature.MUTE not in receiver.channels[1].features
    assert receiver.channels[1].name == "CH 1"  # the rest of the group was read one by one
    rejected = sim.bad_requests
    async with listening(plugin):
        await wait_for(lambda: len(sim.subscriptions) == 5)
        assert sim.bad_requests == rejected  # no subscription names the missing address


async def test_answer_too_long_is_split(sim: Ssc1Simulator) -> None:
    sim.max_answer_leaves = 1
    plugin = plugin_for(sim)
    receiver = (await plugin.get_devices())[plugin.stable_id]
    await plugin.close()
    transmitter = receiver.channels[2].transmitter
    assert transmitter is not None
    assert transmitter.battery_percent == 90
    assert receiver.firmware == "3.4.2"


async def test_busy_device_is_a_connection_problem(sim: Ssc1Simulator) -> None:
    sim.busy = True
    plugin = plugin_for(sim)
    with pytest.raises(CannotConnect):
        await plugin.get_devices()
    assert plugin.health.state is ConnectionState.ERROR
    await plugin.close()


@pytest.mark.parametrize(
    "missing",
    [
        [("mates", f"tx{n}", "battery", "gauge") for n in (1, 2)],  # a tree we do not map
        [("rx1", "name")],  # no channel
        [("device", "identity", "serial")],
    ],
)
async def test_unsupported_devices(sim: Ssc1Simulator, missing: list[tuple[str, ...]]) -> None:
    sim.remove_addresses(*missing)
    plugin = plugin_for(sim)
    with pytest.raises(UnsupportedDevice):
        await plugin.get_devices()
    await plugin.close()


async def test_other_device_at_the_address(sim: Ssc1Simulator) -> None:
    plugin = plugin_for(sim)
    receiver = (await plugin.get_devices())[plugin.stable_id]
    sim.serial = "5555"
    sim.rename(1, "other")
    with pytest.raises(DifferentDevice) as caught:
        await plugin.get_devices()
    assert (caught.value.expected, caught.value.found) == ("1234567890", "5555")
    assert receiver.channels[1].name == "CH 1"  # nothing of the other receiver was taken
    assert plugin.stable_id == "1234567890"
    await plugin.close()


async def test_the_entry_expects_another_serial(sim: Ssc1Simulator) -> None:
    host, port = sim.address
    plugin = SennheiserSsc1Plugin(Ssc1Options(host=host, port=port, expected_id="777"))
    with pytest.raises(DifferentDevice) as caught:
        await plugin.get_devices()
    assert (caught.value.host, caught.value.expected, caught.value.found) == (
        host,
        "777",
        "1234567890",
    )
    assert caught.value.found_name == "EWDXRACK"
    assert plugin.receivers == {}
    sim.rename(1, "x")
    sim.send_garbage([b'{"rx1":{"name":"TAKEN"}}'])
    await asyncio.sleep(0.05)
    assert plugin.receivers == {}
    await plugin.close()


async def test_unidentified_plugin_has_no_unique_id(sim: Ssc1Simulator) -> None:
    with pytest.raises(ProtocolError):
        _ = plugin_for(sim).stable_id


async def test_nothing_listening_fails_fast() -> None:
    plugin = SennheiserSsc1Plugin(Ssc1Options(host="127.0.0.1", port=free_port("udp")))
    with pytest.raises(CannotConnect):
        await plugin.get_devices()
    await plugin.close()


async def test_peer_that_never_answers() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        plugin = SennheiserSsc1Plugin(Ssc1Options(host="127.0.0.1", port=port))
        with pytest.raises(CannotConnect, match="after 2 attempts"):
            await plugin.get_devices()
        await plugin.close()
        with pytest.raises(CannotConnect):
            await plugin.client.get([("device", "name")])


async def test_identify(sim: Ssc1Simulator) -> None:
    plugin = plugin_for(sim)
    await plugin.get_devices()
    await plugin.identify(plugin.stable_id, None)
    await plugin.identify(plugin.stable_id, 2)
    sim.remove_addresses(("device", "identification", "visual"))
    with pytest.raises(ProtocolError):
        await plugin.identify(plugin.stable_id, None)
    await plugin.close()
    await plugin.close()  # twice is fine


def test_transform_device_data_is_pure() -> None:
    plugin = SennheiserSsc1Plugin(Ssc1Options(host="192.0.2.1"))
    assert plugin.port == 45
    receiver = plugin.transform_device_data(
        {
            "serial": 42,
            "product": "SLDW",
            "version": "2.1.0",
            "name": None,
            "host": "192.0.2.1",
            "dialect": "sldw",
            "supported": ["name", "bat_gauge"],
            "active": [],
            "channels": {1: {"name": "CHAIR", "bat_gauge": SscError(424)}},
        }
    )
    assert receiver.id == "42"
    assert receiver.name == "SLDW"
    channel = receiver.channels[1]
    assert channel.features == {Feature.TRANSMITTER, Feature.NAME, Feature.BATTERY_PERCENT}
    assert (channel.name, channel.transmitter) == ("CHAIR", None)


async def test_numeric_serial_and_eight_channels() -> None:
    simulator = await Ssc1Simulator(channels=8).start()
    simulator.serial = 4711  # type: ignore[assignment]  some firmware sends a number
    plugin = plugin_for(simulator)
    try:
        receivers = await plugin.get_devices()
    finally:
        await plugin.close()
        await simulator.close()
    assert plugin.stable_id == "4711"
    assert len(receivers["4711"].channels) == 8


async def test_acknowledged_but_silent_subscriptions_are_read_instead(
    sim: Ssc1Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It answers every GET, so it is read; before, its entities flapped every lifetime."""
    monkeypatch.setattr(SennheiserSsc1Plugin, "subscription_lifetime", 1.0)
    monkeypatch.setattr(ssc1_plugin, "MIN_POLL_SECONDS", 0.1)
    plugin = plugin_for(sim)
    receiver = (await plugin.get_devices())[plugin.receiver_id]
    sim.mute_notifications = True
    updates: list[ModelUpdate] = []
    task = asyncio.create_task(plugin.listen(updates.append))
    try:
        await wait_for(lambda: plugin.polling, timeout=5.0)
        sim.set_battery(1, 42)
        await wait_for(
            lambda: (
                receiver.channels[1].transmitter is not None
                and receiver.channels[1].transmitter.battery_percent == 42
            )
        )
        assert any(update.channel == 1 for update in updates)
        renewals = sim.renewals
        await wait_for(lambda: sim.renewals > renewals)  # still subscribed, in case
        assert not task.done()
        sim.stop_answering()
        with pytest.raises(ConnectionClosed, match="stopped answering"):
            async with asyncio.timeout(10):
                await task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await task
        await plugin.close()


async def test_a_silent_subscription_with_no_answers_ends_listen(
    sim: Ssc1Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SennheiserSsc1Plugin, "subscription_lifetime", 1.0)
    plugin = plugin_for(sim)
    await plugin.get_devices()
    sim.mute_notifications = True
    task = asyncio.create_task(plugin.listen(lambda _update: None))
    await wait_for(lambda: sim.renewals >= 1)
    sim.stop_answering()
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(10):
            await task
    await plugin.close()


async def test_address_vanishing_after_setup_leaves_the_subscriptions(
    sim: Ssc1Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SennheiserSsc1Plugin, "subscription_lifetime", 60.0)
    plugin = plugin_for(sim)
    await plugin.get_devices()
    sim.remove_addresses(("rx1", "mute"), ("rx2", "mute"))  # e.g. after a firmware update
    async with listening(plugin):
        await wait_for(lambda: "rx_mute" not in plugin.supported)
        # Sent again at once without the address, not at the next renewal (30 s away).
        await wait_for(lambda: len(sim.subscriptions) == 5, timeout=15.0)


async def test_device_refusing_every_size_of_answer(sim: Ssc1Simulator) -> None:
    sim.max_answer_leaves = 0
    plugin = plugin_for(sim)
    with pytest.raises(UnsupportedDevice):
        await plugin.get_devices()
    await plugin.close()


async def test_bad_active_mates_lists_are_ignored() -> None:
    simulator = await Ssc1Simulator(channels=1, variant="sldw").start()
    plugin = plugin_for(simulator)
    channel = (await plugin.get_devices())[plugin.stable_id].channels[1]
    try:
        async with listening(plugin):
            await wait_for(lambda: simulator.subscribes >= 1)
            simulator.send_garbage([b'{"mates":{"active":"tx1"}}', b'{"mates":{"active":["tx1"]}}'])
            await wait_for(lambda: plugin.health.messages_received > 0)
            assert channel.transmitter is not None
    finally:
        await simulator.close()


async def test_handlers_tolerate_odd_timing(sim: Ssc1Simulator) -> None:
    plugin = plugin_for(sim)
    await plugin.get_devices()
    plugin.receivers.clear()  # a name arriving before the snapshot is stored
    plugin.client._datagram_received(b'{"device":{"name":"EARLY"}}')
    assert plugin.identity is not None
    assert plugin.identity["name"] == "EARLY"
    await plugin.close()
    await plugin._fetch_transmitter(1)  # fails quietly: the socket is closed


async def test_close_fails_a_pending_request() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        plugin = SennheiserSsc1Plugin(Ssc1Options(host="127.0.0.1", port=silent.getsockname()[1]))
        await plugin.client.open()
        pending = asyncio.create_task(plugin.client.get([("device", "name")]))
        await wait_for(lambda: plugin.client._pending is not None)
        await plugin.close()
        with pytest.raises(CannotConnect, match="closed"):
            await pending


# -- slow devices ------------------------------------------------------------------------------


async def test_a_slow_device_sets_up_in_few_requests_and_timeouts_follow_it() -> None:
    """A 4-channel EW-DX in 5 requests; answers 2.4 x the first wait late still count."""
    simulator = await Ssc1Simulator(channels=4).start()
    simulator.reply_delay = 0.6  # the fixture's first wait is 0.25 s
    plugin = plugin_for(simulator)
    try:
        receiver = (await plugin.get_devices())[plugin.stable_id]
        assert len(receiver.channels) == 4
        assert receiver.channels[4].name == "CH 4"
        # identity, dialect probe, channel count (2), everything at once
        assert simulator.requests <= 2 * 5  # each at most resent once while waiting
        assert plugin.client.round_trip.samples == 5
        assert plugin.client.round_trip.timeout > 0.6  # learnt: no resends from now on
        before = simulator.requests
        await plugin.client.get([("device", "name")])
        assert simulator.requests == before + 1
    finally:
        await plugin.close()
        await simulator.close()


async def test_subscriptions_of_a_slow_device_live_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SennheiserSsc1Plugin, "subscription_lifetime", 1.0)
    simulator = await Ssc1Simulator(channels=2).start()
    simulator.reply_delay = 0.3  # three subscribe requests in a round
    plugin = plugin_for(simulator)
    await plugin.get_devices()  # learns the round trip
    try:
        async with listening(plugin):
            await wait_for(lambda: plugin.renewals >= 2)
            # Four rounds long, so no subscription lapses before its renewal.
            assert plugin.lifetime >= 4 * 0.3 * 2
            assert all(s.params["lifetime"] >= 2 for s in simulator.subscriptions)
            assert simulator.expirations == 0
    finally:
        await simulator.close()


async def test_an_answer_that_came_during_a_loop_stall_is_no_timeout() -> None:
    with simulator_in_thread(Ssc1Simulator(channels=2).start) as (sim, _call):
        plugin = plugin_for(sim)
        await plugin.get_devices()
        before = sim.requests
        loop = asyncio.get_running_loop()
        loop.call_soon(time.sleep, 0.8)  # the answer arrives while the loop is blocked
        result = await plugin.client.get([("device", "name")])
        assert result.values == {("device", "name"): "EWDXRACK"}
        assert sim.requests == before + 1  # not resent: the stall was no timeout
        await plugin.close()
