"""The Shure plugin against the simulator of every family, over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import replace
import logging
import socket
from typing import Any

import pytest

from custom_components.micboard.plugins.errors import (
    CannotConnect,
    ConnectionClosed,
    NotSupported,
    ProtocolError,
    UnsupportedDevice,
)
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.model import ModelUpdate, RuntimeStatus
from custom_components.micboard.plugins.shure.commands import ShureCommandsOptions
from custom_components.micboard.plugins.shure.commands.identify import NotShureReceiver
from custom_components.micboard.plugins.shure.commands.plugin import (
    ShureCommandsPlugin,
    Timing,
)
from custom_components.micboard.plugins.shure.commands.transport import TcpLink
from simulators.shure.commands import ShureSimulator
from tests.support.helpers import wait_for
from tests.support.shure import (
    FAMILIES,
    FAMILY_CHANNELS,
    FAST,
    QUICK_SILENCE,
    receiver_id,
    running_simulator,
)
from tests.support.stalled_loop import (
    run_for,
    simulator_in_thread,
    stalling_event_loop,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

type PluginFactory = Callable[..., ShureCommandsPlugin]


@pytest.fixture
async def make_plugin() -> AsyncIterator[PluginFactory]:
    """Plugins for a host/port, closed after the test."""
    plugins: list[ShureCommandsPlugin] = []

    def factory(
        sim: ShureSimulator | None = None,
        *,
        timing: Timing = FAST,
        meter_interval: float = 0.1,
        **config: Any,
    ) -> ShureCommandsPlugin:
        if sim is not None:
            config = {"host": sim.host, "port": sim.port} | config
        plugin = ShureCommandsPlugin(
            ShureCommandsOptions(**config), meter_interval=meter_interval, timing=timing
        )
        plugins.append(plugin)
        return plugin

    yield factory
    for plugin in plugins:
        await plugin.close()


class Listener:
    """Runs ``plugin.listen`` in a task and keeps the updates."""

    def __init__(self, plugin: ShureCommandsPlugin) -> None:
        self.updates: list[ModelUpdate] = []
        self.task = asyncio.create_task(plugin.listen(self.updates.append))

    def fields(self, channel: int | None) -> set[str]:
        return {f for u in self.updates if u.channel == channel for f in u.fields}

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await self.task


@pytest.mark.parametrize("family", FAMILIES)
async def test_family_snapshot_push_and_goodbye(family: str, make_plugin: PluginFactory) -> None:
    async with running_simulator(family) as sim:
        plugin = make_plugin(sim)
        receivers = await plugin.get_devices()
        rid = receiver_id(sim)
        assert list(receivers) == [rid]
        assert plugin.stable_id == rid
        assert plugin.transport == sim.transport
        receiver = receivers[rid]
        assert receiver.model == sim.device.model
        assert len(receiver.channels) == FAMILY_CHANNELS[family]
        assert receiver.manufacturer == "Shure"
        assert receiver.host == sim.host
        channel = receiver.channels[1]
        assert channel.name == "Mic 1"
        assert channel.frequency_mhz == 519.375
        assert plugin.health.state is ConnectionState.CONNECTED
        if family == "psm1000":
            assert channel.transmitter is None
        else:
            assert channel.transmitter is not None
            assert channel.transmitter.battery_bars == 5

        listener = Listener(plugin)
        if family == "uhfr":  # UHF-R's RF is a quality percentage (no dBm documented)
            await wait_for(lambda: channel.rf_quality is not None)
        elif family != "psm1000":  # metered families: samples arrive
            await wait_for(lambda: channel.rf_level is not None)
        sim.set_name(1, "Pastor")
        await wait_for(lambda: channel.name == "Pastor")
        assert "name" in listener.fields(1)
        if family != "psm1000":
            sim.set_transmitter(1, on=False)
            await wait_for(lambda: channel.transmitter is None)
            sim.set_transmitter(1, on=True)
            await wait_for(lambda: channel.transmitter is not None)
        await listener.stop()
        await plugin.close()
        if family != "psm1000":
            count = FAMILY_CHANNELS[family]
            await sim.wait_for(lambda: all(rate == 0 for rate in sim.meter_rates().values()))
            off = "METER {} ALL STOP" if family == "uhfr" else "SET {} METER_RATE 00000"
            assert all(off.format(n) in sim.commands() for n in range(1, count + 1))
        else:
            assert not sim.ignored  # every command had its CRLF
        assert plugin.health.state is ConnectionState.STOPPED


async def test_metering_follows_the_meter_interval(make_plugin: PluginFactory) -> None:
    async with running_simulator("ulxd", 1) as sim:
        await make_plugin(sim, meter_interval=2.0).get_devices()
        await sim.wait_for(lambda: sim.meter_rates() == {1: 2000})
        assert "SET 1 METER_RATE 02000" in sim.commands()
        await make_plugin(sim, meter_interval=1.0).get_devices()
        await sim.wait_for(lambda: "SET 1 METER_RATE 01000" in sim.commands())


async def test_resync_while_connected_asks_again(make_plugin: PluginFactory) -> None:
    async with running_simulator("ad") as sim:
        plugin = make_plugin(sim)
        await plugin.get_devices()
        listener = Listener(plugin)
        before = sim.commands().count("GET 0 ALL")
        await plugin.get_devices()
        await sim.wait_for(lambda: sim.commands().count("GET 0 ALL") == before + 1)
        await listener.stop()


async def test_device_rename_is_pushed(make_plugin: PluginFactory) -> None:
    async with running_simulator("ulxd", 2) as sim:
        plugin = make_plugin(sim)
        receiver = (await plugin.get_devices())[receiver_id(sim)]
        listener = Listener(plugin)
        sim.set_device_id("RACK-9")
        await wait_for(lambda: receiver.name == "RACK-9")
        assert "name" in listener.fields(None)
        assert receiver.id == "shure-SIM-RX1"  # the id does not follow a rename
        await listener.stop()


async def test_pinned_receiver_id_survives_a_rename(make_plugin: PluginFactory) -> None:
    async with running_simulator("slxd", 1, device_id="NEW-NAME") as sim:
        plugin = make_plugin(sim, receiver_id="shure-OLD-NAME")
        receivers = await plugin.get_devices()
        assert list(receivers) == ["shure-OLD-NAME"]
        assert receivers["shure-OLD-NAME"].name == "NEW-NAME"
        assert plugin.stable_id == "shure-OLD-NAME"


async def test_axient_quadversity_fd_c_layout(make_plugin: PluginFactory) -> None:
    async with running_simulator("ad", 2, quadversity=True) as sim:
        sim.set_fd_combined(enabled=True)
        plugin = make_plugin(sim)
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[1]
        listener = Listener(plugin)
        await wait_for(lambda: len(channel.rf_levels) == 8)
        assert channel.antenna == "ABCD"
        assert channel.rf_quality == 100
        await listener.stop()


async def test_scenario_values_per_channel(make_plugin: PluginFactory) -> None:
    async with running_simulator("ulxd", 2) as sim:
        plugin = make_plugin(sim)
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[2]
        listener = Listener(plugin)
        sim.set_battery(2, 50)
        await wait_for(
            lambda: channel.transmitter is not None and channel.transmitter.battery_bars == 3
        )
        assert channel.transmitter is not None
        assert channel.transmitter.battery_percent == 50
        assert channel.transmitter.runtime_minutes == 300
        sim.set_rf(2, -100)
        await wait_for(lambda: channel.rf_level == -100)
        assert channel.antenna == "A"
        sim.set_audio(2, peak=0, clip=True)
        await wait_for(lambda: channel.audio_clipping is True)
        assert channel.audio_level == 0.0
        sim.set_transmitter(2, on=False)
        await wait_for(lambda: channel.transmitter is None and channel.antenna is None)
        assert channel.rf_level == -118.0
        await listener.stop()


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["split", "coalesce"])
async def test_split_and_coalesced_output(mode: str, make_plugin: PluginFactory) -> None:
    async with running_simulator("ad", 2) as sim:
        plugin = make_plugin(sim)
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[2]
        sim.output_mode = mode  # type: ignore[assignment]
        listener = Listener(plugin)
        sim.set_name(2, "Choir L")
        sim.set_battery(2, 10)
        await wait_for(lambda: channel.name == "Choir L")
        await wait_for(
            lambda: channel.transmitter is not None and channel.transmitter.battery_bars == 1
        )
        assert not listener.task.done()
        await listener.stop()


async def test_garbage_and_oversized_input_never_raise(
    make_plugin: PluginFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard")
    async with running_simulator("ulxd", 1) as sim:
        plugin = make_plugin(sim)
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[1]
        listener = Listener(plugin)
        sim.inject_garbage(b"\x00\xff\xfegarbage>>><<")
        sim.inject_garbage(b"< " + b"A" * 5000 + b" >")
        sim.inject_garbage(b"< REP 1 >< REP >< SAMPLE 9 ALL AX 1 2 >< SAMPLE 1 ALL XX >")
        sim.inject_garbage(b"< REP 7 BATT_BARS 001 >< HELLO >< SAMPLE x >< REP 1 TX_TYPE >")
        sim.inject_garbage(b"< REP 1 CHAN_NAME {unterminated")
        sim.inject_garbage(b" >")
        sim.set_name(1, "After")
        await wait_for(lambda: channel.name == "After")
        assert not listener.task.done()
        assert "Dropped" in caplog.text
        assert all(r.levelno <= logging.DEBUG for r in caplog.records if "Dropped" in r.message)
        await listener.stop()


async def test_rep_err_is_tolerated(
    make_plugin: PluginFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard")
    async with running_simulator("psm1000") as sim:  # no metering: the keepalive GET does it
        plugin = make_plugin(sim, timing=replace(FAST, watchdog_min=1.0))
        await plugin.get_devices()
        sim.error_params = {"CHAN_NAME"}
        listener = Listener(plugin)
        silence = plugin.silence_timeout()
        # Probe and dump asked once each; then keepalives, each answered ERR.
        await sim.wait_for(lambda: sim.commands().count("GET 1 CHAN_NAME") >= 4)
        await wait_for(lambda: "rejected a command" in caplog.text)
        assert not listener.task.done()  # REPORT ERR is an answer: the link is alive
        assert caplog.text.count("rejected a command") == 1
        assert silence == 1.0
        await listener.stop()


async def test_silent_unknown_parameters_do_not_stop_identification(
    make_plugin: PluginFactory,
) -> None:
    async with running_simulator("ulxd", 2, unknown_reply="silent") as sim:
        plugin = make_plugin(sim)
        receiver = (await plugin.get_devices())[receiver_id(sim)]
        assert receiver.model == "ULXD4D"
        assert "GET MODEL" in sim.commands()  # asked, and nobody answered


async def test_drop_mid_stream_then_reconnect(make_plugin: PluginFactory) -> None:
    async with running_simulator("qlxd") as sim:
        plugin = make_plugin(sim)
        receivers = await plugin.get_devices()
        listener = Listener(plugin)
        await sim.drop_connections()
        with pytest.raises(ConnectionClosed):
            await listener.task
        assert plugin.health.state is ConnectionState.ERROR
        again = await plugin.get_devices()
        assert again is receivers
        assert plugin.health.state is ConnectionState.CONNECTED
        assert sim.connections == 2


async def test_watchdog_ends_a_silent_link(make_plugin: PluginFactory) -> None:
    async with running_simulator("slxd", 1) as sim:
        plugin = make_plugin(sim, timing=QUICK_SILENCE)
        await plugin.get_devices()
        listener = Listener(plugin)
        await sim.wait_for(lambda: sim.connections == 1)
        sim.stalled = True
        with pytest.raises(ConnectionClosed, match="no data"):
            await listener.task
        # The watchdog nudged the quiet link once, and said goodbye properly.
        assert "GET 1 CHAN_NAME" in sim.commands()
        await sim.wait_for(lambda: "SET 1 METER_RATE 00000" in sim.commands())


async def test_a_stalled_event_loop_is_not_a_silent_receiver(make_plugin: PluginFactory) -> None:
    """Home Assistant's loop stops for longer than the silence limit, again and again, while
    the receiver keeps metering: its data waits in the socket, so the link must stay up.
    """
    with simulator_in_thread(ShureSimulator("ulxd", 1).start) as (sim, call):
        plugin = make_plugin(sim, timing=QUICK_SILENCE)  # silent after 0.5 s
        await plugin.get_devices()
        listener = Listener(plugin)
        await wait_for(lambda: "rf_level" in listener.fields(1))
        async with stalling_event_loop(0.8):
            await run_for(4.0)
        await run_for(1.0)  # a link dropped during the stalls has finished closing by now
        assert not listener.task.done(), listener.task
        assert plugin.health.state is ConnectionState.CONNECTED
        # Silence that is real still ends the link.
        call(lambda: setattr(sim, "stalled", True))
        with pytest.raises(ConnectionClosed, match="no data"):
            async with asyncio.timeout(5):
                await listener.task


async def test_refused_connection(make_plugin: PluginFactory) -> None:
    async with running_simulator("ulxd", 1) as sim:
        await sim.set_refusing(refusing=True)
        plugin = make_plugin(sim, transport="tcp")
        with pytest.raises(CannotConnect):
            await plugin.get_devices()
        assert plugin.health.state is ConnectionState.ERROR
        await sim.set_refusing(refusing=False)
        assert await plugin.get_devices()


async def test_nothing_at_the_address(make_plugin: PluginFactory) -> None:
    async with running_simulator("ulxd", 1) as sim:
        port = sim.port
    plugin = make_plugin(host="127.0.0.1", port=port)
    with pytest.raises(CannotConnect, match="no UDP answer"):
        await plugin.get_devices()


async def test_uhfr_is_found_over_udp(make_plugin: PluginFactory) -> None:
    async with running_simulator("uhfr") as sim:
        plugin = make_plugin(sim)  # no transport stored: TCP is tried first
        identity = await plugin.probe()
        assert identity.dialect.code == "uhfr"
        assert plugin.transport == "udp"
        assert not any("METER" in command for command in sim.commands())  # probe: no metering


async def test_uhfr_refused_udp(make_plugin: PluginFactory) -> None:
    async with running_simulator("uhfr") as sim:
        plugin = make_plugin(sim, transport="udp")
        await plugin.get_devices()
        listener = Listener(plugin)
        await sim.set_refusing(refusing=True)  # ICMP port unreachable from now on
        with pytest.raises(ConnectionClosed):
            await listener.task


@pytest.fixture
async def silent_server() -> AsyncIterator[tuple[str, int, list[bytes]]]:
    """A TCP server that accepts and never answers (an SLX-D with network control off)."""
    received: list[bytes] = []
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(1024):
                received.append(data)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield "127.0.0.1", server.sockets[0].getsockname()[1], received
    for writer in writers:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_silent_tcp_is_not_a_shure_receiver(
    make_plugin: PluginFactory, silent_server: tuple[str, int, list[bytes]]
) -> None:
    host, port, received = silent_server
    with pytest.raises(NotShureReceiver, match="answered nothing"):
        await make_plugin(host=host, port=port, timing=QUICK_SILENCE).get_devices()
    assert b"< GET DEVICE_ID >\r\n" in b"".join(received)
    with pytest.raises(NotShureReceiver):
        await make_plugin(host=host, port=port, transport="tcp", timing=QUICK_SILENCE).get_devices()


async def test_other_protocols_are_not_shure(make_plugin: PluginFactory) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n<html>nope</html>")
        await writer.drain()
        await reader.read(100)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(NotShureReceiver):
            await make_plugin(host="127.0.0.1", port=port, transport="tcp").get_devices()
    finally:
        server.close()
        await server.wait_closed()


async def test_unsupported_model(make_plugin: PluginFactory) -> None:
    async with running_simulator("ad") as sim:
        sim.device.model = "MXA910-A"
        plugin = make_plugin(sim)
        with pytest.raises(UnsupportedDevice, match="MXA910"):
            await plugin.get_devices()
        assert plugin.health.state is ConnectionState.ERROR


# -- identify ---------------------------------------------------------------------------------


async def test_identify(make_plugin: PluginFactory) -> None:
    async with running_simulator("ad") as sim:
        plugin = make_plugin(sim)
        rid = next(iter(await plugin.get_devices()))
        await plugin.identify(rid, None)
        await plugin.identify(rid, 3)
        await sim.wait_for(lambda: "SET 3 FLASH ON" in sim.commands())
        assert "SET FLASH ON" in sim.commands()
        assert sim.device.flashing
        with pytest.raises(ProtocolError):
            await plugin.identify("shure-elsewhere", None)
        await plugin.close()
        with pytest.raises(CannotConnect):
            await plugin.identify(rid, None)


async def test_identify_not_supported(make_plugin: PluginFactory) -> None:
    plugin = make_plugin(host="127.0.0.1", port=1)
    with pytest.raises(CannotConnect):
        await plugin.identify("x", None)  # never reached: nothing known yet
    async with running_simulator("qlxd") as sim:
        plugin = make_plugin(sim)
        rid = next(iter(await plugin.get_devices()))
        with pytest.raises(NotSupported):
            await plugin.identify(rid, 1)


async def test_identity_before_connecting(make_plugin: PluginFactory) -> None:
    plugin = make_plugin(host=" 10.0.0.1 ")
    assert plugin.host == "10.0.0.1"
    assert plugin.port == 2202
    assert plugin.display_name == "10.0.0.1"
    assert plugin.dialect is None
    assert plugin.transport is None
    with pytest.raises(ProtocolError):
        _ = plugin.stable_id
    with pytest.raises(ConnectionClosed):
        await plugin.listen(lambda _update: None)
    await plugin.close()
    await plugin.close()


# -- edges ---------------------------------------------------------------------------------------


async def test_connection_lost_during_the_dump(make_plugin: PluginFactory) -> None:
    async with running_simulator("ulxd", 1) as sim:
        sim.drop_on = "GET 0 ALL"
        plugin = make_plugin(sim)
        with pytest.raises(ConnectionClosed):
            await plugin.get_devices()
        assert plugin.health.state is ConnectionState.ERROR
        assert await plugin.get_devices()  # the next attempt starts over


async def test_udp_hint_and_no_udp_listener(make_plugin: PluginFactory) -> None:
    async with running_simulator("uhfr") as sim:
        await sim.set_refusing(refusing=True)  # ICMP port unreachable
        with pytest.raises(CannotConnect):
            await make_plugin(sim, transport="udp").get_devices()


async def test_udp_peer_that_never_answers(make_plugin: PluginFactory) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        port = transport.get_extra_info("sockname")[1]
        with pytest.raises(CannotConnect, match="over UDP"):
            await make_plugin(
                host="127.0.0.1", port=port, transport="udp", timing=QUICK_SILENCE
            ).get_devices()
    finally:
        transport.close()


async def test_connect_timeout(make_plugin: PluginFactory) -> None:
    """A listener whose accept queue is full never completes a handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers: list[socket.socket] = []
    port = listener.getsockname()[1]
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)  # noqa: FBT003
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        plugin = ShureCommandsPlugin(
            ShureCommandsOptions(host="127.0.0.1", port=port, transport="tcp"),
            timing=Timing(connect=0.2, first_reply=0.2, quiet=0.05),
        )
        with pytest.raises(CannotConnect, match="timed out"):
            await plugin.get_devices()
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_a_chatty_device_does_not_hold_up_connecting(make_plugin: PluginFactory) -> None:
    async with running_simulator("ulxd", 4) as sim:
        sim.output_mode = "split"  # the whole dump trickles in over more than a second
        plugin = ShureCommandsPlugin(
            ShureCommandsOptions(host=sim.host, port=sim.port),
            timing=Timing(first_reply=0.4, quiet=0.2, settle_limit=0.5),
        )
        try:
            receivers = await plugin.get_devices()  # ends at the settle limit
            assert receivers
        finally:
            await plugin.close()


async def test_settle_limit_bounds_every_wait_after_the_first_answer(
    make_plugin: PluginFactory,
) -> None:
    """The settle limit (or two round trips) ends a step once the device answered, however
    long ``quiet`` is. It no longer cuts the wait for the first answer: that is the round
    trip's (a settle limit of 0 used to make every device look silent, and slow ones never
    set up)."""
    async with running_simulator("ulxd", 1) as sim:
        plugin = ShureCommandsPlugin(
            ShureCommandsOptions(host=sim.host, port=sim.port, transport="tcp"),
            timing=Timing(first_reply=2.0, settle_limit=0.0, quiet=3600.0),
        )
        try:
            receivers = await plugin.get_devices()
            assert receivers
            assert plugin.round_trip.samples == 2  # the probe and the dump each measured one
        finally:
            await plugin.close()


async def test_odd_messages(make_plugin: PluginFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard")
    async with running_simulator("qlxd") as sim:
        plugin = make_plugin(sim)
        receiver = (await plugin.get_devices())[receiver_id(sim)]
        listener = Listener(plugin)
        sim.inject_garbage(b"<><  ><REP \xb2 CHAN_NAME {x}><REP 0 METER_RATE 00000><REP>")
        sim.set_device_id("")  # a device id cleared on the receiver: keep a usable name
        await wait_for(lambda: "empty message" in caplog.text)
        await sim.wait_for(lambda: sim.device.device_id == "")
        await asyncio.sleep(0.05)
        assert receiver.name == "SIM-RX1"
        assert not listener.task.done()
        await listener.stop()


async def test_psm1000_samples_are_not_expected(
    make_plugin: PluginFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard")
    async with running_simulator("psm1000") as sim:
        plugin = make_plugin(sim)
        await plugin.get_devices()
        listener = Listener(plugin)
        sim.inject_garbage(b"< SAMPLE 1 ALL 000 >\r\n")
        await wait_for(lambda: "has none" in caplog.text)
        await listener.stop()


async def test_a_failing_field_never_ends_the_listener(
    make_plugin: PluginFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard")

    def broken(_raw: object) -> object:
        raise ValueError("bug in a converter")

    async with running_simulator("ulxd", 1) as sim:
        plugin = make_plugin(sim)
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[1]
        dialect = plugin.dialect
        assert dialect is not None
        plugin._dialect = replace(
            dialect, channel_fields={**dialect.channel_fields, "frequency_mhz": broken}
        )
        plugin._handle(["REP", "1", "FREQUENCY", "600000"])
        plugin._handle(["HELLO"])
        assert "could not be applied" in caplog.text
        plugin._handle(["REP", "1", "CHAN_NAME", "Still fine"])
        assert channel.name == "Still fine"


async def test_messages_before_a_session_are_ignored(make_plugin: PluginFactory) -> None:
    plugin = make_plugin(host="127.0.0.1", port=1)
    plugin._handle(["REP", "1", "CHAN_NAME", "x"])
    assert plugin.health.messages_received == 1
    assert not plugin.receivers


async def test_goodbye_on_a_dead_link_is_best_effort(
    make_plugin: PluginFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard")
    async with running_simulator("ulxd", 1) as sim:
        plugin = make_plugin(sim)
        await plugin.get_devices()
        link = plugin._link
        assert isinstance(link, TcpLink)
        link._transport.abort()  # the socket died under us
        await plugin.close()
        assert "Could not switch metering off" in caplog.text
        assert plugin.health.state is ConnectionState.STOPPED


async def test_uhfr_rf_off_the_scale_is_unknown_and_counted(make_plugin: PluginFactory) -> None:
    """UHF-R RF raw outside 020-100 never reaches the model as a reading; the gate counts it."""
    async with running_simulator("uhfr", 1) as sim:
        # Metering as slow as UHF-R goes: only the lines injected here carry meters.
        plugin = make_plugin(sim, transport="udp", meter_interval=60)
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[1]
        listener = Listener(plugin)
        sim.inject_garbage(b"* SAMPLE 1 ALL AX 045 060 3 000 *")
        await wait_for(lambda: channel.rf_quality == 69)
        assert channel.rf_level is None
        assert plugin.health.values_rejected == 0
        sim.inject_garbage(b"* SAMPLE 1 ALL AX 000 060 3 000 *")
        await wait_for(lambda: plugin.health.values_rejected == 1)
        assert channel.rf_quality is None
        assert channel.transmitter is not None
        assert channel.transmitter.battery_bars == 3
        await listener.stop()


async def test_slxd_rf_is_the_same_from_rep_and_sample(make_plugin: PluginFactory) -> None:
    """Both antennas' REPs and the SAMPLE's combined RSSI give one RF level."""
    async with running_simulator("slxd", 1) as sim:
        plugin = make_plugin(sim, meter_interval=60)  # only the injected lines carry meters
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[1]
        listener = Listener(plugin)
        sim.inject_garbage(b"< REP 1 RSSI 1 070 >< REP 1 RSSI 2 086 >")
        await wait_for(lambda: channel.rf_level == -34.0)
        sim.inject_garbage(b"< SAMPLE 1 ALL 102 102 080 >")
        await wait_for(lambda: channel.rf_level == -40.0)
        sim.inject_garbage(b"< REP 1 RSSI 2 075 >< REP 1 RSSI 1 081 >")
        await wait_for(lambda: channel.rf_level == -39.0)
        await listener.stop()


async def test_slxd_tx_type_names_the_transmitter(make_plugin: PluginFactory) -> None:
    """``TX_TYPE`` is understood like ``TX_MODEL``; losing the model word keeps the transmitter."""
    async with running_simulator("slxd", 1) as sim:
        plugin = make_plugin(sim, meter_interval=60)
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[1]
        listener = Listener(plugin)
        sim.inject_garbage(b"< REP 1 TX_MODEL UNKNOWN >< REP 1 TX_TYPE SLXD1 >")
        await wait_for(
            lambda: channel.transmitter is not None and channel.transmitter.model == "SLXD1"
        )
        sim.inject_garbage(b"< REP 1 TX_TYPE UNKN >")
        await wait_for(
            lambda: channel.transmitter is not None and channel.transmitter.model is None
        )
        assert channel.transmitter.battery_bars == 5  # still on: its battery says so
        await listener.stop()


async def test_runtime_calculating_is_said(make_plugin: PluginFactory) -> None:
    """65534 minutes is "calculating": no runtime, but the status says why."""
    async with running_simulator("ulxd", 1) as sim:
        plugin = make_plugin(sim, meter_interval=60)
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[1]
        listener = Listener(plugin)
        sim.inject_garbage(b"< REP 1 BATT_RUN_TIME 65534 >")
        await wait_for(
            lambda: (
                channel.transmitter is not None
                and channel.transmitter.runtime_status is RuntimeStatus.CALCULATING
            )
        )
        assert channel.transmitter.runtime_minutes is None
        sim.inject_garbage(b"< REP 1 BATT_RUN_TIME 00300 >")
        await wait_for(
            lambda: channel.transmitter is not None and channel.transmitter.runtime_minutes == 300
        )
        assert channel.transmitter.runtime_status is None
        assert plugin.health.values_rejected == 0
        await listener.stop()
