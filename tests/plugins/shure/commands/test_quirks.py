"""Firmware quirks and slow devices: what real units do that our first simulator did not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import time
from typing import Any
from unittest.mock import patch

import pytest

from custom_components.micboard.plugins.errors import MicboardError
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.model import ChannelStatus
from custom_components.micboard.plugins.shure.commands import ShureCommandsOptions
from custom_components.micboard.plugins.shure.commands.dialects import DIALECTS
from custom_components.micboard.plugins.shure.commands.framing import tokenize
from custom_components.micboard.plugins.shure.commands.plugin import (
    ShureCommandsPlugin,
    Timing,
    fallback_commands,
)
from custom_components.micboard.plugins.shure.commands.transport import Link, TcpLink
from custom_components.micboard.plugins.status import StatusTracker
from simulators.shure.commands import ShureSimulator
from tests.plugins.shure.commands.primed import primed_plugin
from tests.support.helpers import wait_for
from tests.support.shure import FAST, receiver_id, running_simulator
from tests.support.stalled_loop import simulator_in_thread

pytestmark = pytest.mark.usefixtures("socket_enabled")

type PluginFactory = Callable[..., ShureCommandsPlugin]


@pytest.fixture
async def make_plugin() -> AsyncIterator[PluginFactory]:
    plugins: list[ShureCommandsPlugin] = []

    def factory(
        sim: ShureSimulator, *, timing: Timing = FAST, **config: Any
    ) -> ShureCommandsPlugin:
        options = ShureCommandsOptions(host=sim.host, port=sim.port, **config)
        plugin = ShureCommandsPlugin(options, meter_interval=0.1, timing=timing)
        plugins.append(plugin)
        return plugin

    yield factory
    for plugin in plugins:
        await plugin.close()


async def test_a_line_reading_unit_gets_every_command_with_crlf(make_plugin: PluginFactory) -> None:
    """It answers the probe (CRLF) and, since runtime commands end the same way, all else."""
    async with running_simulator("ulxd", 2, line_reading=True) as sim:
        plugin = make_plugin(sim)
        receiver = (await plugin.get_devices())[receiver_id(sim)]
        assert receiver.channels[1].name == "Mic 1"
        await sim.wait_for(lambda: sim.meter_rates() == {1: 100, 2: 100})
        assert sim.ignored == []


async def test_unanswered_get_all_falls_back_to_gets_per_value(make_plugin: PluginFactory) -> None:
    async with running_simulator("ad", 2) as sim:
        sim.ignore_get_all = True
        plugin = make_plugin(sim)
        receiver = (await plugin.get_devices())[receiver_id(sim)]
        channel = receiver.channels[2]
        assert channel.name == "Mic 2"
        assert channel.frequency_mhz is not None
        assert channel.transmitter is not None
        assert channel.transmitter.battery_bars is not None
        assert channel.transmitter_known
        assert "GET 2 TX_BATT_BARS" in sim.commands()
        # What the probe already read is not asked again... but reused.
        assert "GET 0 ALL" in sim.commands()


def test_fallback_asks_every_field_of_the_family() -> None:
    commands = fallback_commands(DIALECTS["ulxd"], (1, 2))
    for param in ("CHAN_NAME", "FREQUENCY", "TX_TYPE", "BATT_BARS", "BATT_RUN_TIME", "AUDIO_MUTE"):
        assert f"GET 2 {param}" in commands
    assert "GET DEVICE_ID" in commands


async def test_a_device_that_answers_get_all_gets_no_fallback(make_plugin: PluginFactory) -> None:
    async with running_simulator("ulxd", 1) as sim:
        await make_plugin(sim).get_devices()
        assert "GET 1 BATT_BARS" not in sim.commands()


def test_a_transmitter_nobody_reported_is_unknown_not_off() -> None:
    plugin = primed_plugin("ulxd")  # set-up read nothing about the transmitters
    channel = next(iter(plugin.receivers.values())).channels[1]
    assert channel.transmitter is None
    assert not channel.transmitter_known
    tracker = StatusTracker()
    tracker.evaluate(("rx", 1), channel, 0.0, receiver_online=True)
    assert channel.status is ChannelStatus.UNKNOWN
    plugin._apply_message(tokenize("REP 1 TX_TYPE UNKN"))  # now the device says: none on
    assert channel.transmitter_known
    tracker.evaluate(("rx", 1), channel, 1.0, receiver_online=True)
    assert channel.status is ChannelStatus.TX_OFF


@pytest.mark.parametrize(
    ("family", "sample", "field", "value"),
    [
        ("slxd", "SAMPLE 1 ALL 102 092 086 000 XX", "rf_level", -34.0),
        ("ulxd", "SAMPLE 1 ALL AX 090 040 000", "rf_level", -38.0),
        ("uhfr", "SAMPLE 1 ALL AX 040 050 4 001 EXTRA", "antenna", "A"),
        ("ad", "SAMPLE 1 ALL 005 031 102 092 BB 31 086 31 065 X", "audio_level", -28.0),
    ],
)
def test_samples_with_extra_trailing_fields_are_read(
    family: str, sample: str, field: str, value: object
) -> None:
    plugin = primed_plugin(family)
    plugin._apply_message(tokenize(sample))
    assert getattr(next(iter(plugin.receivers.values())).channels[1], field) == value
    assert plugin.health.messages_rejected == 0


def test_a_sample_missing_fields_is_still_dropped() -> None:
    plugin = primed_plugin("slxd")
    plugin._apply_message(tokenize("SAMPLE 1 ALL 102 092"))
    assert plugin.health.messages_rejected == 1


async def test_extra_sample_fields_from_the_simulator(make_plugin: PluginFactory) -> None:
    async with running_simulator("slxd", 1) as sim:
        sim.sample_extra_fields = ["000", "XX"]
        plugin = make_plugin(sim)
        channel = (await plugin.get_devices())[receiver_id(sim)].channels[1]
        task = asyncio.create_task(plugin.listen(lambda _update: None))
        try:
            await wait_for(lambda: channel.rf_level is not None)
            await wait_for(lambda: plugin.health.messages_received > 20)
            assert plugin.health.messages_rejected == 0
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_a_device_that_accepts_and_never_speaks_is_not_connected(
    make_plugin: PluginFactory,
) -> None:
    async with running_simulator("ulxd", 1) as sim:
        sim.stalled = True
        plugin = make_plugin(sim, timing=Timing(first_reply=0.3, reply_floor=0.3), transport="tcp")
        with pytest.raises(MicboardError, match="answered nothing"):
            await plugin.get_devices()
        assert plugin.health.state is ConnectionState.ERROR
        assert plugin.health.messages_received == 0
        sim.stalled = False
        await plugin.get_devices()
        assert plugin.health.state is ConnectionState.CONNECTED


async def test_two_seconds_per_request_sets_up_and_the_waits_follow(
    make_plugin: PluginFactory,
) -> None:
    """Every answer 2 s late: the first guess covers it, then waits follow the measured time."""
    async with running_simulator("ulxd", 2, reply_delay=2.0) as sim:
        plugin = make_plugin(sim, timing=Timing(), transport="tcp")
        receiver = (await plugin.get_devices())[receiver_id(sim)]
        assert receiver.channels[2].name == "Mic 2"
        round_trip = plugin.round_trip
        assert round_trip.samples == 2
        assert round_trip.smoothed is not None
        assert round_trip.smoothed >= 2.0
        assert round_trip.timeout > round_trip.smoothed  # the next wait allows for it


async def test_an_answer_that_came_during_a_loop_stall_is_not_a_timeout(
    make_plugin: PluginFactory,
) -> None:
    """The loop blocks past the first-answer wait while the device answers: the answer waits
    in the socket when the timer fires, and the probe must take it rather than give up."""
    with simulator_in_thread(ShureSimulator("ulxd", 1).start) as (sim, _call):
        plugin = make_plugin(sim, timing=Timing(first_reply=0.5, reply_floor=0.5), transport="tcp")
        loop = asyncio.get_running_loop()
        send = TcpLink.send

        async def send_then_stall(link: TcpLink, data: bytes) -> None:
            await send(link, data)
            loop.call_soon(time.sleep, 1.0)  # a blocking call elsewhere in Home Assistant

        with patch.object(TcpLink, "send", send_then_stall):
            receivers = await plugin.get_devices()
        assert receivers
        assert plugin.round_trip.samples == 2


class _LateLink(Link):
    """A link whose answer lands in the socket while the timer fires (a loop stall)."""

    transport = "tcp"

    def __init__(self, answer: bytes) -> None:
        self._answer = answer
        self._waiting: list[bytes] = []

    async def send(self, data: bytes) -> None:
        """Commands vanish; the answer comes late."""

    async def receive(self) -> bytes:
        if self._waiting:
            return self._waiting.pop()
        if self._answer:
            self._waiting.append(self._answer)  # read callbacks queued behind the timer
            self._answer = b""
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    def pending(self) -> bool:
        return bool(self._waiting)

    async def close(self) -> None:
        """Nothing to release."""


async def test_collect_takes_an_answer_that_waits_when_the_timer_fires() -> None:
    plugin = ShureCommandsPlugin(
        ShureCommandsOptions(host="127.0.0.1"), timing=Timing(first_reply=0.05, reply_floor=0.05)
    )
    link = _LateLink(b"< REP DEVICE_ID {RX-9} >< REP 1 TX_TYPE ULXD2 >< REP 1 CHAN_NAME {x} >")
    identity = await plugin._probe_link(link)
    assert identity.device_id == "RX-9"
    assert plugin.round_trip.samples == 1


def test_the_silence_limit_leaves_a_slow_device_time_to_answer_the_keepalive() -> None:
    plugin = primed_plugin("psm1000")  # no metering: only the keepalive proves it is alive
    fast = plugin.silence_timeout()
    for _ in range(3):
        plugin.round_trip.sample(4.0)  # a device answering in 4 s
    slow = plugin.silence_timeout()
    assert slow > fast
    # The keepalive goes out at 40 % of the limit; its answer is due within the round trip.
    round_trip = plugin.round_trip
    assert round_trip.smoothed is not None
    assert slow - 0.4 * slow >= round_trip.smoothed + 4 * round_trip.variation
