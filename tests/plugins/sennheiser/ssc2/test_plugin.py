"""SSCv2 plugin against the EW-DX simulator over real loopback HTTPS (its own certificate)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import contextlib
import logging

import aiohttp
import pytest

from custom_components.micboard.plugins.errors import (
    AccessDisabled,
    CannotConnect,
    CertificateChanged,
    ConnectionClosed,
    DifferentDevice,
    InvalidAuth,
    NeedsUserAction,
    ProtocolError,
    UnsupportedDevice,
)
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.model import ModelUpdate
from custom_components.micboard.plugins.net.http import ABSENT
from custom_components.micboard.plugins.net.sse import ServerSentEvent
from custom_components.micboard.plugins.sennheiser.ssc2.client import (
    DeviceBusy,
    Ssc2Client,
    probe_device,
    session_uuid_from_location,
)
from custom_components.micboard.plugins.sennheiser.ssc2.model import ReceiverMapper
from custom_components.micboard.plugins.sennheiser.ssc2.plugin import (
    SennheiserSsc2Plugin,
    _open_event_uuid,
)
from simulators.sennheiser.ssc2 import Ssc2Simulator
from simulators.sennheiser.ssc2_state import SimTransmitter
from tests.support.helpers import wait_for
from tests.support.ssc2 import options, running_simulator

SERIAL = "1234567890"
WRONG_PASSWORD = "Wrong-Pass-1!"  # noqa: S105

#: Real loopback sockets (the test harness blocks socket creation unless asked).
pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def sim() -> AsyncGenerator[Ssc2Simulator]:
    async with running_simulator(channels=2) as simulator:
        yield simulator


def make_plugin(
    sim: Ssc2Simulator, session: aiohttp.ClientSession | None, **overrides: object
) -> SennheiserSsc2Plugin:
    plugin = SennheiserSsc2Plugin(options(sim, **overrides), session=session)
    plugin.liveness_after = 0.2
    plugin.request_timeout = 1.0
    plugin.open_timeout = 1.0
    return plugin


class Listener:
    """Runs ``plugin.listen`` in a task and records its updates."""

    def __init__(self, plugin: SennheiserSsc2Plugin) -> None:
        self.plugin = plugin
        self.updates: list[ModelUpdate] = []
        self.task: asyncio.Task[None] | None = None

    async def start(self, sim: Ssc2Simulator) -> None:
        self.task = asyncio.create_task(self.plugin.listen(self.updates.append))
        # A session exists (listen() went through "connecting"), is fully subscribed, and
        # the meters' first values (pushed on subscription) have arrived.
        await wait_for(
            lambda: (
                self.plugin._session_uuid in sim.sessions
                and self.plugin.health.state is ConnectionState.CONNECTED
                and not self.plugin._awaiting_push
            )
        )
        # Only changes from here on count.
        self.updates.clear()

    def fields(self, channel: int | None) -> set[str]:
        found: set[str] = set()
        for update in self.updates:
            if update.channel == channel:
                found |= update.fields
        return found

    async def ended(self) -> BaseException | None:
        assert self.task is not None
        try:
            async with asyncio.timeout(5):
                await self.task
        except Exception as err:  # noqa: BLE001
            return err
        return None

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@pytest.fixture
async def plugin(
    sim: Ssc2Simulator, session: aiohttp.ClientSession
) -> AsyncGenerator[SennheiserSsc2Plugin]:
    plugin = make_plugin(sim, session)
    yield plugin
    await plugin.close()


@pytest.fixture
async def listener(sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin) -> AsyncGenerator[Listener]:
    await plugin.get_devices()
    running = Listener(plugin)
    await running.start(sim)
    yield running
    await running.stop()


# -- snapshot -----------------------------------------------------------------------------------


async def test_snapshot_maps_the_receiver(session: aiohttp.ClientSession) -> None:
    async with running_simulator(channels=4) as sim:
        plugin = make_plugin(sim, session)
        sim.set_site_name("STAGELEFT")
        receivers = await plugin.get_devices()
        await plugin.close()

    assert list(receivers) == [SERIAL]
    assert plugin.stable_id == SERIAL
    assert plugin.display_name == "STAGELEFT"
    receiver = receivers[SERIAL]
    assert (receiver.model, receiver.firmware, receiver.serial) == (
        "EW-DX EM 4 Dante",
        "4.1.0",
        SERIAL,
    )
    assert receiver.manufacturer == "Sennheiser"
    assert sorted(receiver.channels) == [1, 2, 3, 4]  # 0-based ids on the device
    first = receiver.channels[1]
    assert first.name == "MIC 1"
    assert first.frequency_mhz == 470.2
    # The meters are not read: the subscription pushes them (see the tests below).
    assert (first.rf_level, first.rf_quality, first.antenna, first.audio_level) == (
        None,
        None,
        None,
        None,
    )
    assert (first.rf_warning, first.audio_clipping, first.encryption_warning) == (
        False,
        False,
        False,
    )
    assert first.transmitter is not None
    assert first.transmitter.model == "EW-DX SKM"
    assert (first.transmitter.battery_percent, first.transmitter.runtime_minutes) == (90, 420)
    assert first.transmitter.battery_type == "Battery"
    assert first.transmitter.battery_bars is None  # EW-DX reports percent, not bars
    assert receiver.channels[4].frequency_mhz == 473.875
    assert receiver.channels[2].transmitter is not None
    assert receiver.channels[2].transmitter.battery_percent == 80


async def test_meters_come_with_the_subscriptions_first_push(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    channel = (await plugin.get_devices())[SERIAL].channels[1]
    assert channel.rf_level is None
    listener = Listener(plugin)
    await listener.start(sim)
    try:
        assert (channel.rf_level, channel.rf_quality, channel.antenna) == (-55.0, 96, "A")
        assert channel.audio_level == -42.0
        await asyncio.sleep(plugin.initial_push_grace + 0.2)
        meter_reads = [r for r in sim.requests if r[0] == "GET" and r[1].endswith("/level")]
        assert meter_reads == []  # pushed, so never read
    finally:
        await listener.stop()


async def test_meters_are_read_when_a_firmware_does_not_push_them(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    """The research's fallback: one GET per meter whose first push did not come."""
    sim.push_initial_values = False
    plugin.initial_push_grace = 0.05
    channel = (await plugin.get_devices())[SERIAL].channels[1]
    updates: list[ModelUpdate] = []
    task = asyncio.create_task(plugin.listen(updates.append))
    try:
        await wait_for(lambda: channel.rf_level is not None and channel.audio_level is not None)
        assert (channel.rf_level, channel.rf_quality, channel.antenna) == (-55.0, 96, "A")
        assert any(update.channel == 1 and "rf_level" in update.fields for update in updates)
        reads = {r[1] for r in sim.requests if r[0] == "GET"}
        assert "/api/channel/0/signalStrengthIndicator" in reads
        assert not plugin._awaiting_push
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_resync_keeps_the_live_meters(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin, listener: Listener
) -> None:
    """Snapshots do not read the meters; they must not blank what the stream keeps current."""
    channel = plugin.receivers[SERIAL].channels[1]
    assert channel.rf_level == -55.0
    await plugin.get_devices()
    assert plugin.receivers[SERIAL].channels[1] is channel
    assert (channel.rf_level, channel.rf_quality, channel.audio_level) == (-55.0, 96, -42.0)


async def test_snapshot_of_a_channel_without_transmitter(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    sim.unlink(1)
    receivers = await plugin.get_devices()
    channel = receivers[SERIAL].channels[2]
    assert channel.transmitter is None  # 422 on /api/transmitters/1 is "no transmitter"
    # The snapshot reads every resource at once (a few round trips on a slow network), so
    # the battery of the absent transmitter is asked too: its 422 makes no transmitter.
    battery_requests = [r for r in sim.requests if r[1] == "/api/transmitters/1/battery"]
    assert battery_requests == [("GET", "/api/transmitters/1/battery", 422)]
    assert ("GET", "/api/transmitters/1", 422) in sim.requests


async def test_battery_422_also_means_no_transmitter(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    sim.override("GET", "/api/transmitters/0/battery", 422)  # unlinked between two GETs
    receivers = await plugin.get_devices()
    assert receivers[SERIAL].channels[1].transmitter is None
    assert receivers[SERIAL].channels[2].transmitter is not None


async def test_two_channel_receiver(sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin) -> None:
    receivers = await plugin.get_devices()
    assert receivers[SERIAL].model == "EW-DX EM 2"
    assert sorted(receivers[SERIAL].channels) == [1, 2]
    assert plugin.display_name == "EWDXEM"
    assert plugin.health.state is ConnectionState.CONNECTED


async def test_title_without_site_name(sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin) -> None:
    assert plugin.display_name == "Sennheiser 127.0.0.1"
    with pytest.raises(ProtocolError):
        _ = plugin.stable_id
    sim.set_site_name("")
    await plugin.get_devices()
    assert plugin.display_name == "EW-DX EM 2 1234567890"


async def test_transform_device_data_is_pure(plugin: SennheiserSsc2Plugin) -> None:
    raw = {
        "host": "10.0.0.5",
        "resources": {
            "/api/device/identity": {"product": "EWDX2CHDS", "serial": "42"},
            "/api/channel/1": {"name": "VOX", "mute": True},
            "/api/transmitters/1": None,
        },
    }
    receiver = plugin.transform_device_data(raw)
    assert receiver.id == "42"
    assert receiver.model == "EW-DX EM 2 Dante"
    assert receiver.host == "10.0.0.5"
    assert receiver.channels[2].name == "VOX"
    assert receiver.channels[2].muted is True
    assert plugin.receivers == {}


async def test_busy_device_is_not_ready(sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin) -> None:
    sim.set_busy(True)
    with pytest.raises(DeviceBusy):
        await plugin.get_devices()
    assert plugin.busy
    assert plugin.health.state is ConnectionState.ERROR
    sim.set_busy(False)
    await plugin.get_devices()
    assert not plugin.busy


async def test_unsupported_product(sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin) -> None:
    sim.state.product_code = "TCCM"  # an SSCv2 ceiling microphone, not a receiver
    with pytest.raises(UnsupportedDevice):
        await plugin.get_devices()
    assert sim.auth_attempts == 0


async def test_plugin_without_injected_session_uses_its_own(sim: Ssc2Simulator) -> None:
    plugin = make_plugin(sim, None)
    await plugin.get_devices()
    own = plugin.client().session
    assert own is not None
    await plugin.close()
    assert own.closed
    assert plugin.health.state is ConnectionState.STOPPED


# -- authentication and access ------------------------------------------------------------------


async def test_wrong_password_is_tried_exactly_once(
    sim: Ssc2Simulator, session: aiohttp.ClientSession
) -> None:
    plugin = make_plugin(sim, session, password=WRONG_PASSWORD)
    with pytest.raises(InvalidAuth):
        await plugin.get_devices()
    with pytest.raises(InvalidAuth):
        await plugin.get_devices()  # refused locally: the password is not sent again
    with pytest.raises(InvalidAuth):
        await plugin.listen(lambda _update: None)
    assert (sim.auth_attempts, sim.failed_logins) == (1, 1)
    assert not sim.locked_out
    assert WRONG_PASSWORD not in repr(plugin)
    assert WRONG_PASSWORD not in repr(plugin.client())
    await plugin.close()


async def test_password_rejected_while_streaming(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin, listener: Listener
) -> None:
    sim.password = WRONG_PASSWORD
    sim.forget_sessions()  # the liveness check now has to authenticate
    err = await listener.ended()
    assert isinstance(err, InvalidAuth)
    assert sim.failed_logins == 1


async def test_third_party_access_disabled(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    sim.set_third_party_access(False)
    with pytest.raises(NeedsUserAction) as caught:
        await plugin.get_devices()
    assert isinstance(caught.value, AccessDisabled)
    assert caught.value.retry
    assert caught.value.host == "127.0.0.1"
    sim.set_third_party_access(True)
    await plugin.get_devices()


async def test_locked_out_device_rejects_the_right_password(
    sim: Ssc2Simulator, session: aiohttp.ClientSession
) -> None:
    for _ in range(sim.lockout_after):
        bad = make_plugin(sim, session, password=WRONG_PASSWORD)
        with pytest.raises(InvalidAuth):
            await bad.get_devices()
    assert sim.locked_out
    good = make_plugin(sim, session)
    with pytest.raises(InvalidAuth):
        await good.get_devices()
    sim.unlock()
    await make_plugin(sim, session).get_devices()


# -- certificate pinning ------------------------------------------------------------------------


async def test_probe_reads_the_certificate_without_credentials(
    sim: Ssc2Simulator, session: aiohttp.ClientSession
) -> None:
    identity = await probe_device(session, "127.0.0.1", sim.port)
    assert identity.fingerprint_text == sim.fingerprint
    assert (identity.serial, identity.channels, identity.model) == (SERIAL, 2, "EW-DX EM 2")
    assert identity.protocol == "2.3"
    assert sim.auth_attempts == 0


async def test_changed_certificate_stops_before_the_password_is_sent(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    await plugin.get_devices()
    attempts = sim.auth_attempts
    pinned = sim.fingerprint
    await sim.change_certificate()
    with pytest.raises(NeedsUserAction) as caught:
        await plugin.get_devices()
    assert isinstance(caught.value, CertificateChanged)
    assert not caught.value.retry
    assert caught.value.expected == pinned
    assert caught.value.received == sim.fingerprint
    connections = sim.connections
    with pytest.raises(CertificateChanged) as again:
        await plugin.listen(lambda _update: None)
    assert (again.value.expected, again.value.received) == (
        caught.value.expected,
        caught.value.received,
    )
    assert sim.connections == connections  # stopped: the device is not contacted again
    assert sim.auth_attempts == attempts


async def test_certificate_change_during_streaming(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin, listener: Listener
) -> None:
    await sim.change_certificate()
    err = await listener.ended()
    assert isinstance(err, (ConnectionClosed, CertificateChanged))
    with pytest.raises(CertificateChanged):
        await plugin.listen(lambda _update: None)


async def test_nothing_listening(session: aiohttp.ClientSession) -> None:
    async with running_simulator() as sim:
        port = sim.port
    with pytest.raises(CannotConnect):
        await probe_device(session, "127.0.0.1", port)


# -- subscriptions ------------------------------------------------------------------------------


async def test_subscriptions_are_small_groups_with_the_dynamic_transmitter_resource(
    sim: Ssc2Simulator, listener: Listener
) -> None:
    (session,) = sim.sessions.values()
    assert "/api/transmitters" in session.paths
    assert "/api/channel/1/signalQualityIndicator" in session.paths
    adds = [r for r in sim.requests if r[1].endswith("/add")]
    assert len(adds) == 6  # 2 groups per channel, transmitters, site
    assert all(status == 200 for _, _, status in adds)


async def test_battery_drain_is_pushed(sim: Ssc2Simulator, listener: Listener) -> None:
    sim.set_battery(0, gauge=35, lifetime=150)
    await wait_for(lambda: "transmitter" in listener.fields(1))
    tx = listener.plugin.receivers[SERIAL].channels[1].transmitter
    assert tx is not None
    assert (tx.battery_percent, tx.runtime_minutes) == (35, 150)
    assert listener.fields(2) == set()


async def test_transmitter_unlinked_then_linked_later(
    sim: Ssc2Simulator, listener: Listener
) -> None:
    channels = listener.plugin.receivers[SERIAL].channels
    sim.unlink(1)
    await wait_for(lambda: channels[2].transmitter is None)
    listener.updates.clear()
    sim.link(1, SimTransmitter(type="EW_DX_SK", gauge=100, lifetime=600))
    await wait_for(
        lambda: channels[2].transmitter is not None and channels[2].transmitter.model is not None
    )
    tx = channels[2].transmitter
    assert tx is not None
    assert (tx.model, tx.battery_percent, tx.runtime_minutes) == ("EW-DX SK", 100, 600)


async def test_rf_fade_audio_peak_name_and_mute(sim: Ssc2Simulator, listener: Listener) -> None:
    channel = listener.plugin.receivers[SERIAL].channels[1]
    sim.fade_rf(0, rssi=-97.0, quality=12)
    await wait_for(lambda: channel.rf_warning is True)
    assert (channel.rf_level, channel.rf_quality) == (-97.0, 12)
    sim.peak(0)
    await wait_for(lambda: channel.audio_clipping is True)
    assert channel.audio_level == -0.5
    sim.rename(0, "LEAD")
    sim.set_mute(0, mute=True)
    sim.set_frequency(0, 520_125)
    sim.set_diversity(0, 2)
    sim.set_transmitter_mute(0, mute=True)
    sim.set_warning(0, "Aes256Error")
    await wait_for(lambda: channel.encryption_warning is True)
    assert (channel.name, channel.muted, channel.frequency_mhz) == ("LEAD", True, 520.125)
    assert channel.antenna == "B"
    assert channel.transmitter is not None
    assert channel.transmitter.muted is True
    assert {"name", "muted", "frequency_mhz", "antenna", "rf_level", "audio_clipping"} <= (
        listener.fields(1)
    )


async def test_site_name_change_is_a_receiver_update(
    sim: Ssc2Simulator, listener: Listener
) -> None:
    sim.set_site_name("FOH")
    await wait_for(lambda: "name" in listener.fields(None))
    assert listener.plugin.receivers[SERIAL].name == "FOH"


async def test_variant_framing_and_full_path_content_location(
    session: aiohttp.ClientSession,
) -> None:
    async with running_simulator(
        channels=2, space_after_colon=True, content_location_path=True
    ) as sim:
        plugin = make_plugin(sim, session)
        await plugin.get_devices()
        running = Listener(plugin)
        await running.start(sim)
        sim.set_battery(1, gauge=11)
        channel = plugin.receivers[SERIAL].channels[2]
        await wait_for(
            lambda: channel.transmitter is not None and channel.transmitter.battery_percent == 11
        )
        await running.stop()
        await plugin.close()


async def test_firmware_without_dynamic_transmitters(
    session: aiohttp.ClientSession,
) -> None:
    async with running_simulator(channels=2) as sim:
        sim.state.hidden_paths.add("/api/transmitters")
        plugin = make_plugin(sim, session)
        await plugin.get_devices()
        running = Listener(plugin)
        await running.start(sim)
        (session_state,) = sim.sessions.values()
        assert "/api/transmitters" not in session_state.paths
        assert "/api/transmitters/1/battery" in session_state.paths
        assert any(status == 400 for _, path, status in sim.requests if path.endswith("/add"))
        sim.unlink(1)
        channel = plugin.receivers[SERIAL].channels[2]
        await wait_for(lambda: channel.transmitter is None)
        await running.stop()
        await plugin.close()


async def test_refused_meter_path_costs_only_itself(session: aiohttp.ClientSession) -> None:
    async with running_simulator(channels=2) as sim:
        sim.state.hidden_paths.add("/api/channel/0/diversityIndicator")
        plugin = make_plugin(sim, session)
        await plugin.get_devices()
        assert plugin.receivers[SERIAL].channels[1].antenna is None  # 404 in the snapshot
        running = Listener(plugin)
        await running.start(sim)
        (session_state,) = sim.sessions.values()
        assert "/api/channel/0/level" in session_state.paths
        assert "/api/channel/0/diversityIndicator" not in session_state.paths
        await running.stop()
        await plugin.close()


# -- faults -------------------------------------------------------------------------------------


async def test_dropped_stream_then_stale_session_is_deleted(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin, listener: Listener
) -> None:
    (stale,) = sim.sessions
    sim.drop_streams()
    err = await listener.ended()
    assert isinstance(err, ConnectionClosed)
    assert plugin.health.state is ConnectionState.ERROR

    again = Listener(plugin)
    await again.start(sim)
    assert sim.deleted_sessions == [stale]
    assert len(sim.sessions) == 1
    assert sim.active_streams == 1
    sim.set_battery(0, gauge=5)
    await wait_for(lambda: "transmitter" in again.fields(1))
    await again.stop()


async def test_stalled_device_is_detected_by_the_liveness_check(
    sim: Ssc2Simulator, listener: Listener
) -> None:
    listener.plugin.client().timeout = 0.3
    sim.stall()
    err = await listener.ended()
    assert isinstance(err, ConnectionClosed)
    assert "stopped answering" in str(err)
    sim.resume()


async def test_forgotten_session_is_detected_and_not_deleted(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin, listener: Listener
) -> None:
    sim.forget_sessions()
    err = await listener.ended()
    assert isinstance(err, ConnectionClosed)
    assert "dropped the subscription session" in str(err)
    again = Listener(plugin)
    await again.start(sim)
    assert sim.deleted_sessions == []  # it was already gone: nothing to delete
    await again.stop()


async def test_close_event_from_the_device(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin, listener: Listener
) -> None:
    sim.end_sessions()
    err = await listener.ended()
    assert isinstance(err, ConnectionClosed)
    assert "closed the subscription session" in str(err)


GARBAGE = [
    b"data:{not json\n\n",
    b"data:[1,2,3]\n\n",
    b'data:{"/api/channel/0/level":{"value":"loud"}}\n\n',
    b'data:{"/api/channel/9/level":{"value":-3}}\n\n',
    b'data:{"/api/nope":1,"/api/transmitters/0":[1]}\n\n',
    b'data:{"/api/transmitters/0/battery":{"gauge":{"x":1}}}\n\n',
    b": keep-alive comment\n\n",
    b"event:message\n\n",
    b"\xff\xfe\xfd\n\n",
    b"data:" + b"x" * 300_000 + b"\n\n",
    b"retry: 1000\nid: 7\n\n",
]


async def test_malformed_events_never_raise(sim: Ssc2Simulator, listener: Listener) -> None:
    channel = listener.plugin.receivers[SERIAL].channels[1]
    for number, garbage in enumerate(GARBAGE):
        sim.send_raw(garbage)
        sim.set_battery(0, gauge=number)
        await wait_for(
            lambda n=number: (
                channel.transmitter is not None and channel.transmitter.battery_percent == n
            )
        )
    assert channel.audio_level == -42.0  # "loud" was not taken for a level
    assert listener.task is not None
    assert not listener.task.done()


async def test_single_resource_event_shape(sim: Ssc2Simulator, listener: Listener) -> None:
    sim.send_raw(b'data:{"path":"/api/channel/1","value":{"name":"ALT","mute":false}}\n\n')
    channel = listener.plugin.receivers[SERIAL].channels[2]
    await wait_for(lambda: channel.name == "ALT")


async def test_close_deletes_the_session(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin, listener: Listener
) -> None:
    (current,) = sim.sessions
    await listener.stop()
    await plugin.close()
    assert sim.deleted_sessions == [current]
    assert plugin.health.state is ConnectionState.STOPPED


async def test_listen_without_snapshot_takes_one(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    running = Listener(plugin)
    await running.start(sim)
    assert SERIAL in plugin.receivers
    await running.stop()


async def test_identify(sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin) -> None:
    await plugin.get_devices()
    await plugin.identify(SERIAL, None)
    assert sim.state.identifying
    await plugin.identify(SERIAL, 2)
    assert sim.state.channels[1].identifying
    with pytest.raises(ProtocolError):
        await plugin.identify(SERIAL, 9)


# -- protocol edges (odd but possible answers, injected into the simulator) ---------------------


async def test_quiet_stream_passes_the_liveness_check(
    sim: Ssc2Simulator, listener: Listener
) -> None:
    uuid = listener.plugin._session_uuid
    check = ("GET", f"/api/ssc/state/subscriptions/{uuid}", 200)
    await wait_for(lambda: sim.requests.count(check) >= 2)
    assert listener.task is not None
    assert not listener.task.done()


async def test_stream_ended_cleanly_by_the_device(sim: Ssc2Simulator, listener: Listener) -> None:
    sim.finish_streams()
    err = await listener.ended()
    assert isinstance(err, ConnectionClosed)
    assert "ended the event stream" in str(err)


async def test_events_before_open_are_kept(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    await plugin.get_devices()
    sim.stream_preamble = b'data:{"/api/firmware/update/state":{"deviceVersion":"9.9"}}\n\n'
    running = Listener(plugin)
    await running.start(sim)
    assert plugin.receivers[SERIAL].firmware == "9.9"
    await running.stop()


async def test_missing_open_event_falls_back_to_content_location(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    await plugin.get_devices()
    plugin.open_timeout = 0.2
    sim.send_open_event = False
    running = Listener(plugin)
    await running.start(sim)
    (uuid,) = sim.sessions
    assert plugin._session_uuid == uuid
    await running.stop()


async def test_stream_without_any_session_id(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    await plugin.get_devices()
    plugin.open_timeout = 0.2
    sim.send_open_event = False
    sim.send_content_location = False
    with pytest.raises(ProtocolError, match="named no session"):
        await plugin.listen(lambda _update: None)


async def test_stream_ends_before_it_opened(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    await plugin.get_devices()
    sim.send_open_event = False
    task = asyncio.create_task(plugin.listen(lambda _update: None))
    await wait_for(lambda: sim.active_streams == 1)
    sim.finish_streams()
    with pytest.raises(ConnectionClosed, match="before it opened"):
        await task


async def test_stream_broken_before_it_opened(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    await plugin.get_devices()
    sim.send_open_event = False
    task = asyncio.create_task(plugin.listen(lambda _update: None))
    await wait_for(lambda: sim.active_streams == 1)
    sim.drop_streams()
    with pytest.raises(ConnectionClosed, match="broke"):
        await task


async def test_open_stream_refused(sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin) -> None:
    await plugin.get_devices()
    sim.set_third_party_access(False)
    with pytest.raises(AccessDisabled):
        await plugin.listen(lambda _update: None)
    sim.set_third_party_access(True)
    sim.override("GET", "/api/ssc/state/subscriptions", 503)
    with pytest.raises(ProtocolError, match="503"):
        await plugin.listen(lambda _update: None)


async def test_open_stream_after_certificate_change(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    await plugin.get_devices()
    await sim.change_certificate()
    with pytest.raises(CertificateChanged):
        await plugin.listen(lambda _update: None)


async def test_open_stream_on_a_dead_device(session: aiohttp.ClientSession) -> None:
    async with running_simulator(channels=2) as sim:
        plugin = make_plugin(sim, session)
        await plugin.get_devices()
    with pytest.raises(CannotConnect):
        await plugin.listen(lambda _update: None)
    await plugin.close()


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (422, b"", ConnectionClosed),
        (500, b"", ProtocolError),
        (400, b'{"path":"/api/other","error":404}', ProtocolError),
        (400, b"not json", ProtocolError),
    ],
)
async def test_subscription_refused(
    sim: Ssc2Simulator,
    plugin: SennheiserSsc2Plugin,
    status: int,
    body: bytes,
    error: type[Exception],
) -> None:
    await plugin.get_devices()
    sim.override("PUT", "/api/ssc/state/subscriptions/", status, body)
    with pytest.raises(error):
        await plugin.listen(lambda _update: None)


async def test_liveness_check_with_an_odd_answer(sim: Ssc2Simulator, listener: Listener) -> None:
    sim.override("GET", "/api/ssc/state/subscriptions/", 500)
    err = await listener.ended()
    assert isinstance(err, ConnectionClosed)


async def test_stale_session_delete_with_an_odd_answer(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin, listener: Listener
) -> None:
    sim.drop_streams()
    await listener.ended()
    sim.override("DELETE", "/api/ssc/state/subscriptions/", 500, times=1)
    again = Listener(plugin)
    await again.start(sim)  # the odd answer did not keep a new session from opening
    assert sim.deleted_sessions == []
    await again.stop()


@pytest.mark.parametrize(
    "case",
    [
        ("GET", "/api/ssc/version", 404, b"", UnsupportedDevice),
        ("GET", "/api/ssc/version", 200, b'{"protocol":"1.0"}', UnsupportedDevice),
        ("GET", "/api/ssc/version", 401, b"", ProtocolError),
        ("GET", "/api/ssc/version", 200, b"{broken", ProtocolError),
        ("GET", "/api/ssc/version", 200, b"[" + b"0," * 600_000 + b"0]", ProtocolError),
        ("GET", "/api/device/identity", 200, b"[]", UnsupportedDevice),
        ("GET", "/api/device/identity", 200, b'{"product":"EWDX4CHDS"}', ProtocolError),
        ("GET", "/api/device/state", 500, b"", ProtocolError),
        ("GET", "/api/channel/1/warnings", 500, b"oops", ProtocolError),
    ],
)
async def test_odd_answers_during_the_snapshot(
    sim: Ssc2Simulator,
    plugin: SennheiserSsc2Plugin,
    case: tuple[str, str, int, bytes, type[Exception]],
) -> None:
    method, prefix, status, body, error = case
    sim.override(method, prefix, status, body)
    with pytest.raises(error):
        await plugin.get_devices()
    assert plugin.health.state is ConnectionState.ERROR


async def test_oversized_response_with_length(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    sim.override("GET", "/api/ssc/version", 200, b" " * (2 * 1024 * 1024))
    with pytest.raises(ProtocolError, match="too large"):
        await plugin.get_devices()


async def test_open_and_session_events_inside_the_stream(
    sim: Ssc2Simulator, listener: Listener
) -> None:
    sim.send_raw(b'event:open\ndata:{"sessionUUID":"other"}\n\n')
    sim.send_raw(b'data:{"sessionUUID":"other","path":"/x"}\n\n')
    sim.rename(0, "AFTER")
    channel = listener.plugin.receivers[SERIAL].channels[1]
    await wait_for(lambda: channel.name == "AFTER")
    assert listener.plugin._session_uuid in sim.sessions


async def test_a_mapping_bug_never_ends_monitoring(
    sim: Ssc2Simulator, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ReceiverMapper.apply

    def apply(self: ReceiverMapper, path: str, body: object) -> dict[int | None, set[str]]:
        if path.endswith("/level"):
            raise RuntimeError("bug")
        return original(self, path, body)

    monkeypatch.setattr(ReceiverMapper, "apply", apply)
    sim.set_level(0, -10.0)
    sim.rename(0, "STILL")
    channel = listener.plugin.receivers[SERIAL].channels[1]
    await wait_for(lambda: channel.name == "STILL")


def test_open_event_parsing() -> None:
    assert _open_event_uuid(ServerSentEvent("open", '{"sessionUUID":"a"}')) == "a"
    assert _open_event_uuid(ServerSentEvent("", '{"sessionUUID":"b"}')) == "b"
    assert (
        _open_event_uuid(ServerSentEvent("open", '{"path":"/api/ssc/state/subscriptions/c"}'))
        == "c"
    )
    assert (
        _open_event_uuid(ServerSentEvent("", '{"path":"/api/ssc/state/subscriptions/c"}')) is None
    )
    assert _open_event_uuid(ServerSentEvent("message", '{"sessionUUID":"d"}')) is None
    assert _open_event_uuid(ServerSentEvent("open", "{broken")) is None
    assert _open_event_uuid(ServerSentEvent("open", "[]")) is None


async def test_client_details(session: aiohttp.ClientSession) -> None:
    assert repr(ABSENT) == "ABSENT"
    assert session_uuid_from_location(None) is None
    assert session_uuid_from_location("/api/ssc/state/subscriptions/u1/") == "u1"
    assert session_uuid_from_location("u2") == "u2"
    client = Ssc2Client(session, "::1", 443, bytes(32))
    assert str(client.url("/api/ssc/version")) == "https://[::1]/api/ssc/version"
    with pytest.raises(InvalidAuth, match="no password"):
        await client.get("/api/device/state")


HOSTILE = [
    b"data:" + b"[" * 200_000 + b"\n\n",
    b'data:{"/api/channel/0":' + b"{" * 500 + b"\n\n",
    b'data:{"/api/channel/0":' + b'{"a":' * 40 + b"1" + b"}" * 41 + b"\n\n",
    b"data:" + b"9" * 5000 + b"\n\n",
    b'data:"just a string"\n\n',
    b"\n" * (1024 * 1024),
    b"\r" * (1024 * 1024),
]


async def test_hostile_events_are_dropped_counted_and_logged_once(
    sim: Ssc2Simulator, listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    plugin = listener.plugin
    before = plugin.health.messages_rejected
    for raw in HOSTILE:
        sim.send_raw(raw)
    sim.rename(0, "AFTER")
    channel = plugin.receivers[SERIAL].channels[1]
    await wait_for(lambda: channel.name == "AFTER")
    assert plugin.health.messages_rejected - before == 5  # the blank runs are no messages
    dropped = [record for record in caplog.records if "Dropped" in record.getMessage()]
    assert len(dropped) == 1
    assert "[[[[" in dropped[0].getMessage()
    assert len(dropped[0].getMessage()) < 400  # an excerpt, not the event
    assert listener.task is not None
    assert not listener.task.done()
    assert "RecursionError" not in caplog.text


async def test_an_oversized_event_counts_as_rejected(
    sim: Ssc2Simulator, listener: Listener
) -> None:
    plugin = listener.plugin
    before = plugin.health.messages_rejected
    sim.send_raw(b"data:" + b"x" * 300_000 + b"\n\n")
    sim.rename(0, "NEXT")
    channel = plugin.receivers[SERIAL].channels[1]
    await wait_for(lambda: channel.name == "NEXT")
    assert plugin.health.messages_rejected == before + 1


async def test_another_serial_is_refused_before_the_password_is_sent(
    sim: Ssc2Simulator, session: aiohttp.ClientSession
) -> None:
    plugin = make_plugin(sim, session, expected_id=SERIAL)
    try:
        await plugin.get_devices()
        model = plugin.receivers[SERIAL]
        sim.state.serial = "9999999999"  # a replacement unit at the same address
        attempts = sim.auth_attempts
        with pytest.raises(DifferentDevice) as caught:
            await plugin.get_devices()
        assert (caught.value.expected, caught.value.found) == (SERIAL, "9999999999")
        assert sim.auth_attempts == attempts  # no credentials went to the other unit
        assert plugin.receivers == {SERIAL: model}  # nothing taken, nothing deleted
        with pytest.raises(DifferentDevice):
            await plugin.listen(lambda _update: None)
        assert sim.auth_attempts == attempts
        assert sim.active_streams == 0
        sim.state.serial = SERIAL
        await plugin.get_devices()
    finally:
        await plugin.close()


async def test_every_listen_confirms_the_identity_first(
    sim: Ssc2Simulator, session: aiohttp.ClientSession
) -> None:
    plugin = make_plugin(sim, session, expected_id=SERIAL)
    try:
        await plugin.get_devices()
        listener = Listener(plugin)
        await listener.start(sim)  # the snapshot's identification is used once
        sim.state.serial = "1111111111"
        sim.drop_streams()
        assert listener.task is not None
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(listener.task, 10)
        attempts = sim.auth_attempts
        with pytest.raises(DifferentDevice):
            await plugin.listen(lambda _update: None)
        assert sim.auth_attempts == attempts
    finally:
        await plugin.close()


async def test_a_slow_device_is_read_in_a_few_rounds_with_timeouts_from_its_round_trip(
    session: aiohttp.ClientSession,
) -> None:
    async with running_simulator(channels=4) as sim:
        sim.delay = 0.2  # the 2 s device of the fault matrix, scaled down
        plugin = SennheiserSsc2Plugin(options(sim), session=session)
        try:
            await plugin.get_devices()
            reads = [r for r in sim.requests if r[0] == "GET"]
            # Identity (2 at once), the password check (alone), then 26 reads 4 at a time
            # (no meters: they are pushed): 9 rounds of 2 s, data at 18 s.
            assert len(reads) == 2 + 1 + 2 + 4 * 6
            assert sim.max_in_flight == 4
            round_trip = plugin.client().round_trip
            assert round_trip.samples == len(reads)
            assert round_trip.smoothed is not None
            assert round_trip.smoothed >= 0.2
            # The next request waits what the device needs, not the fixed first guess.
            assert round_trip.timeout < plugin.request_timeout
        finally:
            await plugin.close()


async def test_subscribing_runs_the_groups_at_once(
    sim: Ssc2Simulator, plugin: SennheiserSsc2Plugin
) -> None:
    await plugin.get_devices()
    sim.delay = 0.05  # long enough for requests to overlap
    sim.max_in_flight = 0
    listener = Listener(plugin)
    await listener.start(sim)
    try:
        assert sim.max_in_flight == 4  # 6 groups for 2 channels, 4 at a time
    finally:
        await listener.stop()
