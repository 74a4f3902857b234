"""Audio-Technica plugin against the simulator over real loopback TCP and UDP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import contextlib
import logging
import socket

import pytest

from custom_components.micboard.plugins.audio_technica import (
    AudioTechnicaOptions,
    AudioTechnicaPlugin,
    DeviceBusy,
    SessionInUse,
    plugin as at_plugin,
    session as session_module,
)
from custom_components.micboard.plugins.audio_technica.notifications import (
    _SOCKETS,
    _SharedSocket,
    is_multicast,
    subscribe,
)
from custom_components.micboard.plugins.audio_technica.protocol import Answer
from custom_components.micboard.plugins.errors import (
    CannotConnect,
    ConnectionClosed,
    DifferentDevice,
    UnsupportedDevice,
)
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.model import (
    STRUCTURE_FIELD,
    Feature,
    ModelUpdate,
)
from simulators.audio_technica import ESW, SYSTEM20, AudioTechnicaSimulator
from tests.support.audio_technica import options
from tests.support.helpers import free_port, wait_for

pytestmark = pytest.mark.usefixtures("socket_enabled")

RX = "audio_technica_esw_r4180dan_rack_a"


@pytest.fixture(autouse=True)
def fast_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll quickly so tests see polled values within a few tens of milliseconds."""
    monkeypatch.setattr(at_plugin, "MIN_METER_POLL_SECONDS", 0.02)
    monkeypatch.setattr(at_plugin, "STATUS_POLL_SECONDS", 0.05)
    monkeypatch.setattr(at_plugin, "BUSY_RETRY_DELAY", 0.01)
    monkeypatch.setattr(at_plugin, "BUSY_PAUSE_SECONDS", 0.02)


@pytest.fixture
async def simulator() -> AsyncGenerator[AudioTechnicaSimulator]:
    """A 2-channel ESW receiver sending notifications to a loopback port."""
    sim = AudioTechnicaSimulator(channels=2, notify_port=free_port("udp"))
    await sim.start()
    yield sim
    await sim.close()


def make_plugin(
    sim: AudioTechnicaSimulator, *, reply_timeout: float = 3.0, **extra: object
) -> AudioTechnicaPlugin:
    """Fast polling; a reply timeout long enough that a loaded CI machine is not "silence".

    Tests about silence pass a short ``reply_timeout`` so they do not wait long.
    """
    plugin = AudioTechnicaPlugin(options(sim, **extra), meter_interval=0.02)
    plugin.reply_timeout = reply_timeout
    return plugin


@contextlib.asynccontextmanager
async def listening(
    plugin: AudioTechnicaPlugin, sim: AudioTechnicaSimulator
) -> AsyncGenerator[tuple[list[ModelUpdate], asyncio.Task[None]]]:
    """Snapshot, then run ``listen()`` in a task; cancel and close at the end."""
    await plugin.get_devices()
    updates: list[ModelUpdate] = []
    asked = len(sim.received)
    task = asyncio.create_task(plugin.listen(updates.append))
    try:
        # Polling has begun, so the notification socket (set up before) is listening.
        await wait_for(lambda: len(sim.received) > asked)
        yield updates, task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await task
        await plugin.close()


def changed(updates: list[ModelUpdate], channel: int | None, field: str) -> bool:
    return any(u.channel == channel and field in u.fields for u in updates)


# -- snapshot ----------------------------------------------------------------------------------


async def test_esw_snapshot(simulator: AudioTechnicaSimulator) -> None:
    simulator.channel(2).tx_muted = True
    simulator.channel(2).af_step = 7
    plugin = make_plugin(simulator)
    receivers = await plugin.get_devices()
    try:
        receiver = receivers[RX]
        assert (receiver.manufacturer, receiver.model, receiver.name, receiver.firmware) == (
            "Audio-Technica",
            ESW,
            "RACK-A",
            "1.2.0",
        )
        assert receiver.host == "127.0.0.1"
        assert sorted(receiver.channels) == [1, 2]
        one, two = receiver.channels[1], receiver.channels[2]
        assert one.name == "Mic 1"
        assert one.rf_level == -60.0  # step 6
        assert one.audio_level == -30.0  # step 3
        assert one.muted is False
        assert one.transmitter is not None
        assert one.transmitter.battery_percent == 93
        assert one.transmitter.runtime_minutes == 502  # 93 % of 9 h
        assert one.transmitter.power_source == "battery"
        assert one.transmitter.model is None  # ESW does not report it
        assert two.transmitter is not None
        assert two.transmitter.muted is True
        assert two.audio_clipping is True
        assert one.features == {
            Feature.NAME,
            Feature.RF_LEVEL,
            Feature.AUDIO_LEVEL,
            Feature.MUTE,
            Feature.TRANSMITTER,
            Feature.BATTERY_PERCENT,
            Feature.BATTERY_RUNTIME,
            Feature.TX_MUTE,
        }
        assert plugin.stable_id == RX
        assert plugin.display_name == "RACK-A"
        assert plugin.health.state is ConnectionState.CONNECTED
        assert plugin.health.messages_received > 0
        assert simulator.connections == 1
    finally:
        await plugin.close()
    assert plugin.health.state is ConnectionState.STOPPED


async def test_system20_snapshot_reports_only_what_the_model_has() -> None:
    sim = await AudioTechnicaSimulator(model=SYSTEM20).start()
    plugin = make_plugin(sim)
    try:
        receiver = next(iter((await plugin.get_devices()).values()))
        assert receiver.model == SYSTEM20
        assert len(receiver.channels) == 4
        channel = receiver.channels[1]
        assert channel.name is None
        assert channel.transmitter is not None
        assert channel.transmitter.model == "ATW-T1401"
        assert channel.transmitter.battery_type == "Lithium"
        assert channel.transmitter.runtime_minutes is None
        assert channel.features == {
            Feature.RF_LEVEL,
            Feature.AUDIO_LEVEL,
            Feature.MUTE,
            Feature.TRANSMITTER,
            Feature.TX_MODEL,
            Feature.BATTERY_TYPE,
            Feature.BATTERY_PERCENT,
            Feature.TX_MUTE,
        }
        # A command the model refused (NAK 2) is asked once, never again.
        asked = len(sim.received)
        await plugin.get_devices()
        names_asked = [line for line in sim.received[asked:] if line.startswith("gchname")]
        assert names_asked == []
    finally:
        await plugin.close()
        await sim.close()


async def test_channel_count_is_probed() -> None:
    sim = await AudioTechnicaSimulator(channels=3).start()
    plugin = make_plugin(sim)
    try:
        receiver = next(iter((await plugin.get_devices()).values()))
        assert sorted(receiver.channels) == [1, 2, 3]
    finally:
        await plugin.close()
        await sim.close()


async def test_an_esw_has_eight_channels() -> None:
    sim = await AudioTechnicaSimulator().start()
    plugin = make_plugin(sim)
    try:
        receiver = next(iter((await plugin.get_devices()).values()))
        assert sorted(receiver.channels) == list(range(1, 9))
    finally:
        await plugin.close()
        await sim.close()


async def test_a_model_without_battery_telemetry(simulator: AudioTechnicaSimulator) -> None:
    """Probing moves on when a command is unknown, and the feature disappears."""
    simulator.nak_next(2, command="glevelbatttx")
    plugin = make_plugin(simulator)
    try:
        receiver = (await plugin.get_devices())[RX]
        assert sorted(receiver.channels) == [1, 2]
        features = receiver.channels[1].features
        assert Feature.TRANSMITTER not in features
        assert Feature.BATTERY_PERCENT not in features
        assert receiver.channels[1].transmitter is None
    finally:
        await plugin.close()


async def test_busy_while_probing_channels_fails_the_first_snapshot(
    simulator: AudioTechnicaSimulator,
) -> None:
    simulator.nak_next(90, count=10, command="glevelbatttx")
    plugin = make_plugin(simulator)
    with pytest.raises(DeviceBusy):
        await plugin.get_devices()
    await plugin.close()


async def test_pinned_unique_id_survives_a_rename(simulator: AudioTechnicaSimulator) -> None:
    plugin = make_plugin(simulator, device_uid="pinned")
    try:
        await plugin.get_devices()
        simulator.name = "RENAMED"
        receivers = await plugin.get_devices()
        assert list(receivers) == ["pinned"]
        assert receivers["pinned"].name == "RENAMED"
        assert plugin.stable_id == "pinned"
    finally:
        await plugin.close()


def test_unique_id_before_the_first_snapshot() -> None:
    plugin = AudioTechnicaPlugin(AudioTechnicaOptions(host="10.0.0.5"))
    assert plugin.stable_id == "audio_technica_10_0_0_5_17200"
    assert plugin.display_name == "10.0.0.5"


# -- live updates --------------------------------------------------------------------------------


async def test_notifications_push_status_changes(
    simulator: AudioTechnicaSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No status or config polls during the test: every change below arrives by UDP.
    monkeypatch.setattr(at_plugin, "STATUS_POLL_SECONDS", 3600.0)
    monkeypatch.setattr(at_plugin, "CONFIG_AFTER_LINK_SECONDS", 0.01)
    plugin = make_plugin(simulator)
    async with listening(plugin, simulator) as (updates, _task):
        receiver = plugin.receivers[RX]
        simulator.set_transmitter(1, on=False)
        await wait_for(lambda: receiver.channels[1].transmitter is None)
        assert changed(updates, 1, "transmitter")
        simulator.set_mute(2, muted=True)
        await wait_for(lambda: receiver.channels[2].muted)
        simulator.rename("STAGE-L")
        await wait_for(lambda: receiver.name == "STAGE-L")
        assert changed(updates, None, "name")
        simulator.rename_channel(2, "Pastor")
        await wait_for(lambda: receiver.channels[2].name == "Pastor")
        simulator.drain(2, 50)
        await wait_for(
            lambda: (
                (tx := receiver.channels[2].transmitter) is not None and tx.battery_percent == 36
            )
        )
        assert simulator.notifications_sent > 0
        # Back on: the transmitter details are read again soon after it links.
        asked = len(simulator.received)
        simulator.set_transmitter(1, on=True)
        await wait_for(lambda: receiver.channels[1].transmitter is not None)
        await wait_for(lambda: any(c.startswith("gtxname") for c in simulator.received[asked:]))


async def test_meters_are_polled(simulator: AudioTechnicaSimulator) -> None:
    plugin = make_plugin(simulator)
    async with listening(plugin, simulator) as (updates, _task):
        channel = plugin.receivers[RX].channels[1]
        simulator.set_rf(1, 1)
        simulator.set_audio(1, 7)
        await wait_for(lambda: channel.rf_level == -90.0 and channel.audio_clipping)
        assert changed(updates, 1, "rf_level")
        assert changed(updates, 1, "audio_level")


async def test_without_notifications_status_is_polled() -> None:
    sim = await AudioTechnicaSimulator(channels=1).start()  # sends no notifications
    plugin = make_plugin(sim, notify_port=0)
    async with listening(plugin, sim):
        sim.set_charging(1, charging=True)
        await wait_for(lambda: plugin.receivers[RX].channels[1].transmitter is None)
        sim.set_charging(1, charging=False)
        await wait_for(lambda: plugin.receivers[RX].channels[1].transmitter is not None)
    await sim.close()


async def test_config_is_polled_slowly(
    simulator: AudioTechnicaSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(at_plugin, "CONFIG_POLL_SECONDS", 0.05)
    plugin = make_plugin(simulator, notify_port=0)
    async with listening(plugin, simulator):
        simulator.name = "QUIET"
        simulator.channel(1).name = "Renamed silently"
        await wait_for(lambda: plugin.receivers[RX].name == "QUIET")
        await wait_for(lambda: plugin.receivers[RX].channels[1].name == "Renamed silently")


async def test_listen_needs_a_snapshot(simulator: AudioTechnicaSimulator) -> None:
    plugin = make_plugin(simulator)
    with pytest.raises(ConnectionClosed, match="get_devices"):
        await plugin.listen(lambda _: None)
    await plugin.close()


async def test_unsolicited_lines_on_tcp(simulator: AudioTechnicaSimulator) -> None:
    """A notice on the TCP session is applied; a late answer for another channel is not
    taken for the current one."""
    plugin = make_plugin(simulator)
    try:
        await plugin.get_devices()
        simulator.inject_before_reply(b"nstsmute 0000 00 NC 1,1,0\r")
        simulator.inject_before_reply(b"glevelrf 0000 00 NC 2,1\r")
        simulator.inject_before_reply(b"NAK gmyname 0000 00 NC 02\r")
        await plugin._query("glevelrf", 1)
        assert plugin._state[1]["gstsmute"] == ("1", "0")
        assert await plugin._query("glevelrf", 1) == ("6",)
        # A stray ACK is taken for the next command's reply; the real reply that follows
        # is then a late answer and is skipped, so the command after that is right again.
        simulator.inject_before_reply(b"ACK\r")
        assert await plugin._query("gmyname") == ()
        assert await plugin._query("gmyversion") == ("1.2.0",)
    finally:
        await plugin.close()


# -- the single session ----------------------------------------------------------------------


async def test_second_controller_is_refused_with_a_clear_error(
    simulator: AudioTechnicaSimulator,
) -> None:
    first, second = make_plugin(simulator), make_plugin(simulator)
    await first.get_devices()
    with pytest.raises(SessionInUse, match="one controller at a time"):
        await second.get_devices()
    assert simulator.refused == 1
    assert second.health.state is ConnectionState.ERROR
    await first.close()
    await wait_for(lambda: not simulator.connected)
    assert await second.get_devices()
    await second.close()
    await second.close()  # closing twice is harmless


async def test_nothing_listening() -> None:
    port = free_port()
    plugin = AudioTechnicaPlugin(AudioTechnicaOptions(host="127.0.0.1", port=port))
    with pytest.raises(CannotConnect, match="refused"):
        await plugin.get_devices()
    await plugin.close()


async def test_silent_device_at_connect(simulator: AudioTechnicaSimulator) -> None:
    simulator.stall()
    plugin = make_plugin(simulator, reply_timeout=0.5)
    with pytest.raises(CannotConnect, match="did not answer"):
        await plugin.get_devices()
    await plugin.close()


# -- faults ------------------------------------------------------------------------------------


async def test_busy_at_snapshot_is_asked_again(simulator: AudioTechnicaSimulator) -> None:
    simulator.busy(2)
    simulator.busy(1, code=92)
    plugin = make_plugin(simulator)
    try:
        receiver = (await plugin.get_devices())[RX]
        assert receiver.model == ESW
    finally:
        await plugin.close()


async def test_persistently_busy_device_info_fails_the_first_snapshot(
    simulator: AudioTechnicaSimulator,
) -> None:
    simulator.busy(20, code=93)
    plugin = make_plugin(simulator)
    with pytest.raises(DeviceBusy, match="busy"):
        await plugin.get_devices()
    await plugin.close()


async def test_busy_during_a_resync_keeps_what_is_known(
    simulator: AudioTechnicaSimulator,
) -> None:
    plugin = make_plugin(simulator)
    try:
        await plugin.get_devices()
        simulator.busy(4, code=90)  # gmymodel, every retry
        receiver = (await plugin.get_devices())[RX]
        assert receiver.model == ESW
        simulator.nak_next(90, count=4, command="glevelrf")
        receivers = await plugin.get_devices()
        assert receivers[RX].channels[1].rf_level == -60.0
    finally:
        await plugin.close()


async def test_busy_while_listening_pauses_then_continues(
    simulator: AudioTechnicaSimulator,
) -> None:
    plugin = make_plugin(simulator, notify_port=0)
    async with listening(plugin, simulator) as (_updates, task):
        simulator.busy(5)
        await wait_for(lambda: not simulator.faults.naks)
        simulator.set_rf(1, 2)
        await wait_for(lambda: plugin.receivers[RX].channels[1].rf_level == -84.0)
        assert not task.done()


async def test_naks_never_break_the_snapshot(simulator: AudioTechnicaSimulator) -> None:
    plugin = make_plugin(simulator)
    try:
        await plugin.get_devices()
        simulator.set_rf(1, 3)
        for code in (1, 3, 4, 5, 99):
            simulator.nak_next(code, command="glevelrf")
        receivers = await plugin.get_devices()  # the NAKed value keeps its last reading
        assert receivers[RX].channels[1].rf_level == -60.0
    finally:
        await plugin.close()


async def test_device_without_model_is_unsupported(simulator: AudioTechnicaSimulator) -> None:
    simulator.nak_next(2, command="gmymodel")
    plugin = make_plugin(simulator)
    with pytest.raises(UnsupportedDevice, match="model"):
        await plugin.get_devices()
    await plugin.close()


async def test_device_without_channels_is_unsupported(simulator: AudioTechnicaSimulator) -> None:
    simulator.nak_next(4, command="glevelbatttx")
    plugin = make_plugin(simulator)
    with pytest.raises(UnsupportedDevice, match="no wireless channels"):
        await plugin.get_devices()
    await plugin.close()


async def test_probe_skips_commands_that_fail(simulator: AudioTechnicaSimulator) -> None:
    """Channel probing moves on to the next command after an unexpected NAK."""
    simulator.nak_next(99, command="glevelbatttx")
    simulator.nak_next(99, command="gstsmute")
    plugin = make_plugin(simulator)
    try:
        receiver = (await plugin.get_devices())[RX]
        assert sorted(receiver.channels) == [1, 2]
    finally:
        await plugin.close()


async def test_optional_device_info_may_be_refused(simulator: AudioTechnicaSimulator) -> None:
    simulator.nak_next(2, command="gmyversion")
    simulator.drop_replies(0)
    plugin = make_plugin(simulator)
    try:
        receiver = (await plugin.get_devices())[RX]
        assert receiver.firmware is None
        simulator.nak_next(99, command="gmyname")
        await plugin._read_config()
        assert receiver.name == "RACK-A"
    finally:
        await plugin.close()


async def test_dropped_connection_ends_listen_then_reconnects(
    simulator: AudioTechnicaSimulator,
) -> None:
    plugin = make_plugin(simulator)
    await plugin.get_devices()
    task = asyncio.create_task(plugin.listen(lambda _: None))
    await wait_for(lambda: plugin.health.state is ConnectionState.CONNECTED)
    simulator.drop_connection()
    with pytest.raises(ConnectionClosed):
        await task
    assert plugin.health.state is ConnectionState.ERROR
    assert await plugin.get_devices()
    assert simulator.connections == 2
    await plugin.close()


async def test_a_dropped_reply_is_tolerated(simulator: AudioTechnicaSimulator) -> None:
    plugin = make_plugin(simulator, notify_port=0, reply_timeout=0.5)
    async with listening(plugin, simulator) as (_updates, task):
        simulator.drop_replies(1)
        await wait_for(lambda: simulator.faults.drop_replies == 0)
        simulator.set_rf(1, 4)
        await wait_for(lambda: plugin.receivers[RX].channels[1].rf_level == -72.0)
        assert not task.done()
        assert simulator.connections == 1


async def test_a_dropped_reply_in_the_snapshot_is_tolerated(
    simulator: AudioTechnicaSimulator,
) -> None:
    plugin = make_plugin(simulator, reply_timeout=0.5)
    try:
        await plugin.get_devices()
        simulator.drop_replies(1)
        assert await plugin.get_devices()
    finally:
        await plugin.close()


async def test_stall_ends_listen_and_frees_the_session(
    simulator: AudioTechnicaSimulator,
) -> None:
    plugin = make_plugin(simulator, reply_timeout=0.5)
    await plugin.get_devices()
    task = asyncio.create_task(plugin.listen(lambda _: None))
    simulator.stall()
    with pytest.raises(ConnectionClosed, match="stopped answering"):
        await task
    await wait_for(lambda: not simulator.connected)
    simulator.stall(stalled=False)
    assert await plugin.get_devices()
    await plugin.close()


async def test_garbage_is_ignored(
    simulator: AudioTechnicaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard.plugins")
    simulator.inject_garbage(10)
    plugin = make_plugin(simulator)
    async with listening(plugin, simulator) as (_updates, task):
        receiver = plugin.receivers[RX]
        assert receiver.channels[1].rf_level == -60.0
        simulator.send_raw_notification(b"\xff\xfe\x00junk\rglevelrf\r\r")
        simulator.send_raw_notification(b"nlevelrf 0000 00 NC 9,1\r")  # no such channel
        simulator.send_raw_notification(b"nsomething 0000 00 NC 1,1\r")  # not ours
        simulator.send_raw_notification(b"nlevelrf 0000 00 NC x,1\r")
        simulator.set_mute(1, muted=True)
        await wait_for(lambda: receiver.channels[1].muted)
        await wait_for(lambda: plugin.health.messages_rejected >= 5)
        assert not task.done()
    # Garbage on TCP (junk, a truncated answer, an oversized line) and in notifications
    # (junk, a bare command) is counted; only the first is logged, escaped.
    assert caplog.text.count("Dropped ") == 1
    assert "\\ufffd" in caplog.text


# -- notification socket -----------------------------------------------------------------------


async def test_notification_port_in_use_falls_back_to_polling(
    simulator: AudioTechnicaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        blocker.bind(("127.0.0.1", simulator.notify_port))
        plugin = make_plugin(simulator)
        async with listening(plugin, simulator):
            simulator.set_transmitter(2, on=False)
            await wait_for(lambda: plugin.receivers[RX].channels[2].transmitter is None)
    assert "polling only" in caplog.text


async def test_one_socket_serves_every_receiver_by_sender() -> None:
    received: list[str] = []
    port = free_port("udp")
    first = await subscribe(
        "127.0.0.1", lambda _: received.append("a"), port=port, bind="127.0.0.1"
    )
    second = await subscribe(
        "127.0.0.1", lambda _: received.append("b"), port=port, bind="127.0.0.1"
    )
    other = await subscribe("10.9.9.9", lambda _: received.append("c"), port=port, bind="127.0.0.1")
    assert first is not None
    assert second is not None
    assert other is not None
    assert len(_SOCKETS) == 1
    shared: _SharedSocket = next(iter(_SOCKETS.values()))
    shared.dispatch(b"nststx 0000 00 NC 1,1\r", "127.0.0.1")
    shared.dispatch(b"nststx 0000 00 NC 1,1\r", "192.0.2.1")  # nobody's receiver
    assert received == ["a", "b"]
    first.close()
    first.close()
    other.close()
    assert len(_SOCKETS) == 1
    second.close()
    assert _SOCKETS == {}


async def test_multicast_group_on_loopback_is_tried(caplog: pytest.LogCaptureFixture) -> None:
    """Joining a group may fail (loopback has no multicast here); that is not fatal."""
    subscription = await subscribe(
        "127.0.0.1", lambda _: None, port=free_port("udp"), group="239.0.0.100", bind="127.0.0.1"
    )
    if subscription is None:
        assert "polling only" in caplog.text
    else:
        subscription.close()
    assert _SOCKETS == {}


def test_is_multicast() -> None:
    assert is_multicast("239.0.0.100")
    assert not is_multicast("192.168.1.10")
    assert not is_multicast("not an address")


async def test_an_answer_older_than_a_notification_does_not_undo_it(
    simulator: AudioTechnicaSimulator,
) -> None:
    """The receiver answered a poll, then a change was notified before the answer arrived."""
    plugin = make_plugin(simulator)
    await plugin.get_devices()
    channel = plugin.receivers[RX].channels[1]
    assert channel.muted is False
    stale = plugin._state[1]["gstsmute"]
    fresh = ("1", *stale[1:])

    notify = [True]

    async def answer_in_flight(command: str, index: int) -> tuple[str, ...] | None:
        if notify.pop():
            plugin._handle_notification(Answer("nstsmute", ("1", *fresh)))
        return stale  # generated before the change, delivered after the notification

    notify.insert(0, False)  # the second poll has no notification racing it

    plugin._ask = answer_in_flight  # type: ignore[method-assign]
    await plugin._read_channels([1], ["gstsmute"])
    assert channel.muted is True
    await plugin._read_channels([1], ["gstsmute"])  # a later poll answer is applied again
    assert channel.muted is False
    await plugin.close()


# -- hostile streams -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flood",
    [b"\r" * (4 << 20), b"x" * (4 << 20) + b"\r", (b"\x00\xff!! ## " + b"." * 50 + b"\r") * 60_000],
    ids=["bare-CRs", "one-4MB-line", "junk-lines"],
)
async def test_a_4mb_hostile_stream_never_holds_the_loop(
    simulator: AudioTechnicaSimulator, flood: bytes
) -> None:
    """The reader hands the loop back every few lines; the session survives and answers."""
    plugin = make_plugin(simulator)
    await plugin.get_devices()
    session = plugin._session
    assert session is not None
    turns = 0
    running = True

    async def ticker() -> None:
        nonlocal turns
        while running:
            turns += 1
            await asyncio.sleep(0)

    tick = asyncio.create_task(ticker())
    try:
        lines_before = session.lines
        simulator.inject_before_reply(flood)
        await plugin._query("glevelrf", 1)  # the flood comes first, then the answer
        read = session.lines - lines_before
        assert read >= 1  # the answer, at least
        # Other work ran at least once per LINES_PER_TURN lines handled: no long hold.
        assert turns >= read // session_module.LINES_PER_TURN
        # Blank lines are no messages at all; anything else unparseable is counted.
        assert (plugin.health.messages_rejected >= 1) == (flood.strip(b"\r") != b"")
        assert await plugin._query("glevelrf", 2) == ("6",)
    finally:
        running = False
        await tick
        await plugin.close()


async def test_names_are_cleaned_and_capped(simulator: AudioTechnicaSimulator) -> None:
    plugin = make_plugin(simulator)
    async with listening(plugin, simulator):
        receiver = plugin.receivers[RX]
        simulator.rename_channel(1, "Lead\x1b[5m\x07 " + "v" * 300)
        simulator.rename("RACK\x00-B")
        await wait_for(lambda: receiver.channels[1].name not in {None, "Mic 1"})
        await wait_for(lambda: receiver.name == "RACK-B")
        assert receiver.channels[1].name == "Lead[5m " + "v" * 56


# -- identity ------------------------------------------------------------------------------------


async def test_another_model_at_the_address_is_a_different_device(
    simulator: AudioTechnicaSimulator,
) -> None:
    plugin = make_plugin(simulator, expected_id="audio_technica_atw_r1440_stage")
    try:
        with pytest.raises(DifferentDevice) as caught:
            await plugin.get_devices()
        assert caught.value.found == RX
        assert caught.value.expected == "audio_technica_atw_r1440_stage"
        assert plugin.receivers == {}
    finally:
        await plugin.close()


async def test_a_renamed_unit_on_the_same_model_is_accepted_at_first_contact(
    simulator: AudioTechnicaSimulator,
) -> None:
    """Without a serial, a rename while away and a same-model swap look alike: accepted."""
    plugin = make_plugin(simulator, expected_id="audio_technica_esw_r4180dan_old_name")
    try:
        assert RX in await plugin.get_devices()
    finally:
        await plugin.close()


async def test_another_unit_after_a_reconnect_is_a_different_device(
    simulator: AudioTechnicaSimulator,
) -> None:
    plugin = make_plugin(simulator)
    try:
        receiver = (await plugin.get_devices())[RX]
        simulator.drop_connection()
        await wait_for(lambda: not plugin._session or not plugin._session.is_open)
        simulator.name = "RACK-B"  # another unit of the same model answers now
        simulator.channel(1).name = "Other"
        with pytest.raises(DifferentDevice) as caught:
            await plugin.get_devices()
        assert (caught.value.expected, caught.value.found) == (
            RX,
            "audio_technica_esw_r4180dan_rack_b",
        )
        assert receiver.name == "RACK-A"
        assert receiver.channels[1].name == "Mic 1"  # nothing of it was taken
    finally:
        await plugin.close()


# -- slow receivers ------------------------------------------------------------------------------


async def test_a_slow_receiver_sets_up_within_its_budget_and_polling_reads_the_rest(
    simulator: AudioTechnicaSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(at_plugin, "SNAPSHOT_BUDGET_SECONDS", 0.05)
    simulator.reply_delay = 0.05
    plugin = make_plugin(simulator, reply_timeout=1.0)
    try:
        receiver = (await plugin.get_devices())[RX]
        # Device info and channel discovery, then the budget was spent.
        assert len(simulator.received) <= 3 + 3 + 2
        assert receiver.channels[1].transmitter is not None  # from the probe's answer
        assert receiver.channels[1].name is None
        session = plugin._session
        assert session is not None
        assert session.round_trip is not None
        assert session.round_trip.samples >= 5
        updates: list[ModelUpdate] = []
        task = asyncio.create_task(plugin.listen(updates.append))
        await wait_for(lambda: receiver.channels[1].name == "Mic 1", timeout=10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await plugin.close()


async def test_a_command_found_unsupported_while_listening_drops_its_feature_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow System 20 set-up leaves gchname unasked: NAME first counts, then goes."""
    monkeypatch.setattr(at_plugin, "SNAPSHOT_BUDGET_SECONDS", 0.05)
    sim = await AudioTechnicaSimulator(model=SYSTEM20).start()
    sim.reply_delay = 0.05
    plugin = make_plugin(sim, reply_timeout=1.0)
    try:
        receiver = next(iter((await plugin.get_devices()).values()))
        channel = receiver.channels[1]
        assert Feature.NAME in channel.features  # not asked yet, so not known to be missing
        updates: list[ModelUpdate] = []
        task = asyncio.create_task(plugin.listen(updates.append))
        try:
            await wait_for(lambda: Feature.NAME not in channel.features, timeout=10)
            assert any(
                update.channel == 1 and STRUCTURE_FIELD in update.fields for update in updates
            )
            assert Feature.RF_LEVEL in channel.features
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await plugin.close()
        await sim.close()
