"""MCP plugin against the G4 simulator over real loopback UDP, replies on a fixed port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import socket

import pytest

from custom_components.micboard.plugins.errors import (
    CannotConnect,
    ConnectionClosed,
    ProtocolError,
    UnsupportedDevice,
)
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.model import (
    Feature,
    ModelUpdate,
)
from custom_components.micboard.plugins.sennheiser.mcp import McpOptions
from custom_components.micboard.plugins.sennheiser.mcp.codec import McpError
from custom_components.micboard.plugins.sennheiser.mcp.plugin import (
    McpCommandError,
    SennheiserMcpPlugin,
    cycle_ms,
    device_id_for,
)
from simulators.sennheiser.mcp import McpSimulator
from tests.support.helpers import free_port, wait_for
from tests.support.stalled_loop import (
    run_for,
    simulator_in_thread,
    stalling_event_loop,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SennheiserMcpPlugin, "request_timeout", 0.25)
    monkeypatch.setattr(SennheiserMcpPlugin, "request_attempts", 2)


@pytest.fixture
def local_port() -> int:
    return free_port("udp")


@pytest.fixture
async def sim(local_port: int) -> AsyncIterator[McpSimulator]:
    """A receiver that, like the hardware, answers to a fixed port on the client."""
    simulator = await McpSimulator(reply_port=local_port).start()
    yield simulator
    await simulator.close()


def plugin_for(
    simulator: McpSimulator, local_port: int, meter_interval: float = 0.1
) -> SennheiserMcpPlugin:
    host, port = simulator.address
    return SennheiserMcpPlugin(
        McpOptions(host=host, port=port, local_port=local_port), meter_interval=meter_interval
    )


@contextlib.asynccontextmanager
async def listening(plugin: SennheiserMcpPlugin) -> AsyncIterator[list[ModelUpdate]]:
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


async def test_snapshot(sim: McpSimulator, local_port: int) -> None:
    plugin = plugin_for(sim, local_port)
    receivers = await plugin.get_devices()
    await plugin.close()
    host, port = sim.address
    assert plugin.stable_id == device_id_for(host, port)
    assert plugin.display_name == f"ew EM {host}"
    receiver = receivers[plugin.receiver_id]
    assert receiver.firmware == "2.7.1"
    channel = receiver.channels[1]
    assert channel.features >= {Feature.BATTERY_BARS, Feature.RF_LEVEL, Feature.TRANSMITTER}
    assert Feature.RF_QUALITY not in channel.features
    assert (channel.name, channel.frequency_mhz, channel.muted) == ("VOCAL 1", 566.0, False)
    assert channel.rf_level == -75.0  # 80 %
    assert channel.transmitter is not None
    assert channel.transmitter.battery_bars == 5
    # "Push 0 100 0" for the snapshot, "Push 0 0 0" on close: no push left running.
    await wait_for(lambda: sim.requests["Push"] == 2)
    assert not sim.pushes


async def test_push_updates(sim: McpSimulator, local_port: int) -> None:
    plugin = plugin_for(sim, local_port)
    channel = (await plugin.get_devices())[plugin.receiver_id].channels[1]
    async with listening(plugin) as updates:
        await wait_for(lambda: bool(sim.pushes))
        push = next(iter(sim.pushes.values()))
        assert (push.cycle, push.mode) == (0.1, 7)
        sim.set_battery(30)
        await wait_for(
            lambda: channel.transmitter is not None and channel.transmitter.battery_bars == 3
        )
        sim.tx_off()
        await wait_for(lambda: channel.transmitter is None)
        sim.tx_on_again()
        await wait_for(lambda: channel.transmitter is not None)
        sim.rf_fade(15)
        await wait_for(lambda: channel.rf_warning is True and channel.rf_level == -101.0)
        sim.audio_peak()
        await wait_for(lambda: channel.audio_clipping is True)
        names_asked = sim.requests.get("Name", 0)
        sim.rename("BASS")
        await wait_for(lambda: channel.name == "BASS")
        # Config changed, so Name and Frequency are read again.
        await wait_for(lambda: sim.requests.get("Name", 0) > names_asked)
        await wait_for(lambda: sim.requests.get("Frequency", 0) >= 2)
        assert all(update.channel == 1 for update in updates)


async def test_push_is_renewed_before_it_lapses(
    sim: McpSimulator, local_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SennheiserMcpPlugin, "push_timeout", 1.5)
    plugin = plugin_for(sim, local_port)
    await plugin.get_devices()
    async with listening(plugin):
        # The simulator counts a renewal when it arrives, the plugin when the answer is back:
        # wait for both (the first push is not a renewal at the simulator).
        await wait_for(lambda: sim.renewals >= 3 and plugin.renewals >= 4)
        assert sim.expirations == 0


async def test_push_mode_falls_back(sim: McpSimulator, local_port: int) -> None:
    sim.max_push_mode = 3
    plugin = plugin_for(sim, local_port)
    await plugin.get_devices()
    async with listening(plugin):
        await wait_for(lambda: plugin.push_mode == 3)
        assert next(iter(sim.pushes.values())).mode == 3


async def test_every_push_mode_refused(sim: McpSimulator, local_port: int) -> None:
    sim.max_push_mode = 0
    plugin = plugin_for(sim, local_port)
    await plugin.get_devices()
    with pytest.raises(ProtocolError):
        await plugin.listen(lambda _update: None)
    await plugin.close()


@pytest.mark.parametrize(
    ("interval", "expected"), [(0.01, 100), (0.25, 200), (1.0, 1000), (120.0, 60000)]
)
def test_cycle_follows_meter_interval(interval: float, expected: int) -> None:
    assert cycle_ms(interval) == expected
    plugin = SennheiserMcpPlugin(McpOptions(host="192.0.2.7"), meter_interval=interval)
    assert plugin.cycle_ms == expected
    assert plugin.port == plugin.local_port == 53212


async def test_silent_receiver_ends_listen(sim: McpSimulator, local_port: int) -> None:
    plugin = plugin_for(sim, local_port)
    await plugin.get_devices()
    task = asyncio.create_task(plugin.listen(lambda _update: None))
    await wait_for(lambda: bool(sim.pushes))
    sim.stop_answering()
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(5):
            await task
    sim.resume()
    await plugin.get_devices()
    assert plugin.health.state is ConnectionState.CONNECTED
    await plugin.close()


async def test_a_stalled_event_loop_is_not_a_silent_receiver(
    local_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop stops for longer than the silence limit, again and again, while the receiver
    keeps pushing from its own thread: its datagrams wait in the socket, the link stays up.
    """
    monkeypatch.setattr(SennheiserMcpPlugin, "quiet_floor", 0.5)
    monkeypatch.setattr(SennheiserMcpPlugin, "request_timeout", 3.0)  # outlasts a stall
    with simulator_in_thread(McpSimulator(reply_port=local_port).start) as (sim, call):
        plugin = plugin_for(sim, local_port)
        await plugin.get_devices()
        task = asyncio.create_task(plugin.listen(lambda _update: None))
        await wait_for(lambda: bool(sim.pushes))
        async with stalling_event_loop(0.8):
            await run_for(3.0)
        await run_for(0.5)
        assert not task.done(), task
        # Silence that is real still ends the link.
        call(sim.stop_answering)
        with pytest.raises(ConnectionClosed, match="no data"):
            async with asyncio.timeout(5):
                await task
        await plugin.close()


async def test_malformed_datagrams_never_raise(sim: McpSimulator, local_port: int) -> None:
    plugin = plugin_for(sim, local_port)
    channel = (await plugin.get_devices())[plugin.receiver_id].channels[1]
    async with listening(plugin):
        await wait_for(lambda: bool(sim.pushes))
        sim.send_garbage()
        await wait_for(lambda: plugin.bad_datagrams >= 9)
        assert channel.transmitter is not None
        assert channel.transmitter.battery_percent == 100  # "Bat 55" was dropped
        sim.rename("STILL")
        await wait_for(lambda: channel.name == "STILL")


async def test_huge_numbers_are_dropped_and_never_stay_stored(
    sim: McpSimulator, local_port: int
) -> None:
    """``Frequency 9…9`` (1400 digits) overflowed every later float conversion of the state."""
    plugin = plugin_for(sim, local_port)
    channel = (await plugin.get_devices())[plugin.receiver_id].channels[1]
    async with listening(plugin):
        await wait_for(lambda: bool(sim.pushes))
        sim.send_garbage_payloads(
            [b"Frequency " + b"9" * 1400 + b"\r", b"RF " + b"9" * 1400 + b" 1 1\r"]
        )
        await wait_for(lambda: plugin.health.messages_rejected >= 2)
        assert plugin.state.frequency_khz == 566_000
        sim.rename("STILL")
        await wait_for(lambda: channel.name == "STILL")
        assert channel.frequency_mhz == 566.0


async def test_values_the_family_cannot_report_become_unknown(
    sim: McpSimulator, local_port: int
) -> None:
    """``Frequency 56`` (kHz) once showed as 0.056 MHz; names lose control characters."""
    plugin = plugin_for(sim, local_port)
    channel = (await plugin.get_devices())[plugin.receiver_id].channels[1]
    assert channel.frequency_mhz == 566.0
    async with listening(plugin):
        await wait_for(lambda: bool(sim.pushes))
        before = plugin.health.values_rejected
        sim.send_garbage_payloads([b"Frequency 56 1 5\r"])
        await wait_for(lambda: channel.frequency_mhz is None)
        assert plugin.health.values_rejected > before
        rejected = plugin.health.messages_rejected
        sim.rename("A\x1b[31m")  # a line with control characters is no MCP line
        await wait_for(lambda: plugin.health.messages_rejected > rejected)
        assert channel.name == "VOCAL 1"
        sim.rename("  LONG " + "x" * 300)
        await wait_for(lambda: channel.name is not None and channel.name.startswith("LONG x"))
        assert len(channel.name or "") == 64
        # Every message re-applies the channel's whole state, the bad frequency with it:
        # it was still counted once.
        assert plugin.health.values_rejected == before + 1


async def test_command_errors(sim: McpSimulator, local_port: int) -> None:
    plugin = plugin_for(sim, local_port)
    await plugin.get_devices()
    with pytest.raises(McpCommandError) as caught:
        await plugin._request("Squelch")
    assert caught.value.code == 1000
    with pytest.raises(McpCommandError) as caught:
        await plugin._request("Push 5 450 1")
    assert caught.value.code == 1020
    with pytest.raises(McpCommandError) as caught:
        await plugin._request("Push 5")
    assert caught.value.code == 1040
    # An error for another command is logged, not taken as an answer.
    plugin._on_error(McpError(1010, "Squelch", "Invalid parameter"))
    await plugin.close()
    with pytest.raises(CannotConnect):
        await plugin._request("Name")


async def test_in_ear_transmitter_is_unsupported(local_port: int) -> None:
    simulator = await McpSimulator(in_ear=True, reply_port=local_port).start()
    plugin = plugin_for(simulator, local_port)
    try:
        with pytest.raises(UnsupportedDevice):
            await plugin.get_devices()
    finally:
        await plugin.close()
        await simulator.close()


async def test_no_status_means_network_control_is_off(sim: McpSimulator, local_port: int) -> None:
    sim.sends_status = False
    plugin = plugin_for(sim, local_port)
    with pytest.raises(CannotConnect, match="Network control"):
        await plugin.get_devices()
    await plugin.close()


async def test_nothing_answers(local_port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        plugin = SennheiserMcpPlugin(
            McpOptions(host="127.0.0.1", port=silent.getsockname()[1], local_port=local_port)
        )
        with pytest.raises(CannotConnect, match="after 2 attempts"):
            await plugin.get_devices()
        assert plugin.health.state is ConnectionState.ERROR
        await plugin.close()
    with pytest.raises(ConnectionClosed):
        await plugin.listen(lambda _update: None)


async def test_two_receivers_share_the_reply_port(local_port: int) -> None:
    first = await McpSimulator(name="ONE", reply_port=local_port).start()
    second = await McpSimulator(name="TWO", reply_port=local_port).start()
    plugins = [plugin_for(first, local_port), plugin_for(second, local_port)]
    try:
        names = [
            (await plugin.get_devices())[plugin.receiver_id].channels[1].name for plugin in plugins
        ]
        assert names == ["ONE", "TWO"]
    finally:
        for plugin in plugins:
            await plugin.close()
        await first.close()
        await second.close()


def test_transform_device_data_is_pure() -> None:
    plugin = SennheiserMcpPlugin(McpOptions(host="192.0.2.7", device_id="192.0.2.7:53212"))
    assert plugin.receiver_id == "mcp_192_0_2_7_53212"
    receiver = plugin.transform_device_data(
        {"id": "x", "host": "192.0.2.7", "lines": ["Bat ?", "Name LEAD", "junk !!", "Bat 55"]}
    )
    channel = receiver.channels[1]
    assert (channel.name, channel.transmitter) == ("LEAD", None)


async def test_resync_while_pushing(sim: McpSimulator, local_port: int) -> None:
    plugin = plugin_for(sim, local_port)
    receiver = (await plugin.get_devices())[plugin.receiver_id]
    async with listening(plugin) as updates:
        await wait_for(lambda: bool(sim.pushes))
        pushes = sim.requests["Push"]
        sim.firmware = "2.8.0"
        assert (await plugin.get_devices())[plugin.receiver_id] is receiver
        assert receiver.firmware == "2.8.0"
        assert ModelUpdate(plugin.receiver_id, None, frozenset({"firmware"})) in updates
        assert sim.requests["Push"] == pushes  # no one-shot push that would end the running one


async def test_unknown_configuration_commands_are_tolerated(
    sim: McpSimulator, local_port: int
) -> None:
    sim.unknown_commands = {"Mute"}
    sim.mute = True
    plugin = plugin_for(sim, local_port)
    channel = (await plugin.get_devices())[plugin.receiver_id].channels[1]
    await plugin.close()
    assert channel.muted is True  # from the RX-mute bit of the AF line


async def test_push_unknown_to_the_firmware(sim: McpSimulator, local_port: int) -> None:
    plugin = plugin_for(sim, local_port)
    await plugin.get_devices()
    sim.unknown_commands = {"Push"}
    with pytest.raises(McpCommandError):
        await plugin.listen(lambda _update: None)
    await plugin.close()


async def test_close_fails_a_pending_request(sim: McpSimulator, local_port: int) -> None:
    plugin = plugin_for(sim, local_port)
    await plugin.get_devices()
    sim.stop_answering()
    pending = asyncio.create_task(plugin._request("Name"))
    await wait_for(lambda: plugin._pending is not None)
    await plugin.close()
    with pytest.raises(CannotConnect, match="closed"):
        await pending
    await plugin._reread_configuration()  # fails quietly once closed


async def test_unusable_answer_does_not_block_setup(sim: McpSimulator, local_port: int) -> None:
    sim.frequency_khz = -5  # a reply with a parameter the plugin cannot use
    plugin = plugin_for(sim, local_port)
    channel = (await plugin.get_devices())[plugin.receiver_id].channels[1]
    await plugin.close()
    assert channel.frequency_mhz is None
    assert plugin.bad_datagrams == 1


async def test_a_slow_receiver_sets_up_and_timeouts_follow_it(
    sim: McpSimulator, local_port: int
) -> None:
    sim.reply_delay = 0.6  # 2.4 x the fixture's first wait
    plugin = plugin_for(sim, local_port)
    try:
        channel = (await plugin.get_devices())[plugin.receiver_id].channels[1]
        assert channel.name == "VOCAL 1"
        assert plugin.round_trip.samples == 4  # firmware, name, frequency, mute
        assert plugin.round_trip.timeout > 0.6
        before = sum(sim.requests.values())
        await plugin._request("Name")
        assert sum(sim.requests.values()) == before + 1  # no resend any more
    finally:
        await plugin.close()


async def test_push_echoes_without_status_are_silence(
    sim: McpSimulator, local_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A receiver that acknowledges every renewal but sends no status is not alive."""
    monkeypatch.setattr(SennheiserMcpPlugin, "push_timeout", 0.9)  # echoes every 0.3 s
    monkeypatch.setattr(SennheiserMcpPlugin, "quiet_floor", 0.5)
    plugin = plugin_for(sim, local_port, meter_interval=0.1)
    await plugin.get_devices()
    task = asyncio.create_task(plugin.listen(lambda _update: None))
    try:
        await wait_for(lambda: sim.renewals >= 1 or sim.push_commands >= 1)
        sim.sends_status = False
        with pytest.raises(ConnectionClosed, match="no data"):
            async with asyncio.timeout(10):
                await task
        assert sim.push_commands >= 2  # it kept acknowledging meanwhile
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await task
        await plugin.close()
