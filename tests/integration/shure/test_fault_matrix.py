"""Fault matrix, Shure command strings: ULX-D over TCP and UHF-R over UDP.

Each row drives the simulator into one fault and checks what the shared harness checks for
every protocol: data entities unavailable while the device is away, data back after it
returns, devices, entities and the user's settings kept, at most one WARNING+ line per
outage, and the reconnect schedule within one attempt per 5 s. Command strings have no
credentials and no TLS, so those rows do not exist here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import replace
import logging
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.plugins.shure.commands.plugin import (
    ShureCommandsPlugin,
    Timing,
)
from simulators.shure.commands import ShureSimulator
from tests.integration.common import advance_time, setup_entry
from tests.integration.entries import shure_entry
from tests.integration.fault_matrix import (
    INTEGRATION_LOGGER,
    UserSettings,
    all_unavailable,
    assert_retry_schedule,
    loud_lines,
    none_unavailable,
    recorded_backoff,
    recovery_delays,
    restart_home_assistant,
)
from tests.support.helpers import wait_for
from tests.support.shure import FAST, receiver_id, running_simulator

#: A TCP family and UHF-R (UDP), each with two channels.
TRANSPORTS = pytest.mark.parametrize("family", ["ulxd", "uhfr"])
TIMING_PATH = "custom_components.micboard.plugins.shure.commands.plugin.DEFAULT_TIMING"


@pytest.fixture(autouse=True)
async def unload_entries(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Unload every entry a row left running, before Home Assistant's own teardown.

    A row that ends while Home Assistant retries a set-up (or a reconnect is due) would
    otherwise leave that timer or task for the harness's clean-up check to find.
    """
    yield
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state in (ConfigEntryState.LOADED, ConfigEntryState.SETUP_RETRY):
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _monitored(
    hass: HomeAssistant, sim: ShureSimulator, caplog: pytest.LogCaptureFixture
) -> tuple[MockConfigEntry, UserSettings]:
    caplog.set_level(logging.DEBUG, logger=INTEGRATION_LOGGER)
    entry = shure_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    settings = await UserSettings.apply(hass, entry)
    caplog.clear()
    return entry, settings


def _coordinator(hass: HomeAssistant, entry: MockConfigEntry) -> MicboardCoordinator:
    del hass
    coordinator: MicboardCoordinator = entry.runtime_data
    return coordinator


@TRANSPORTS
async def test_killed_and_restarted(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, family: str
) -> None:
    async with running_simulator(family, 2) as sim:
        entry, settings = await _monitored(hass, sim, caplog)
        with recorded_backoff(_coordinator(hass, entry)) as backoff:
            await sim.set_refusing(refusing=True)
            await sim.drop_connections()
            await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
            await wait_for(lambda: len(backoff.delays) >= 3)
            await sim.set_refusing(refusing=False)
            await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
        assert_retry_schedule(recovery_delays(backoff))
        assert len(loud_lines(caplog)) <= 1
        settings.assert_kept(hass)


@TRANSPORTS
async def test_stalled_with_the_socket_open(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, family: str
) -> None:
    """Silent but connected, and every reconnect meets a device that accepts and never
    speaks: unavailable once, available once when it talks again."""
    async with running_simulator(family, 2) as sim:
        entry, settings = await _monitored(hass, sim, caplog)
        with recorded_backoff(_coordinator(hass, entry)) as backoff:
            sim.stalled = True
            await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
            await wait_for(lambda: len(backoff.delays) >= 2)
            assert all_unavailable(hass, entry)  # never "connected" meanwhile
            sim.stalled = False
            await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
        assert_retry_schedule(recovery_delays(backoff))
        loud = loud_lines(caplog)
        assert len(loud) <= 1, loud
        back = [line for line in caplog.records if line.getMessage().endswith("recovered")]
        assert len(back) <= 1
        settings.assert_kept(hass)


@TRANSPORTS
async def test_garbage(hass: HomeAssistant, caplog: pytest.LogCaptureFixture, family: str) -> None:
    """Noise between the messages is dropped and counted; the data keeps flowing."""
    async with running_simulator(family, 2) as sim:
        entry, settings = await _monitored(hass, sim, caplog)
        plugin = _coordinator(hass, entry).plugin
        assert isinstance(plugin, ShureCommandsPlugin)
        before = plugin.health.messages_rejected
        received = plugin.health.messages_received
        sim.send_garbage_every(0.02)
        await wait_for(lambda: plugin.health.messages_rejected >= before + 20)
        await wait_for(lambda: plugin.health.messages_received >= received + 20)
        sim.send_garbage_every(None)
        assert none_unavailable(hass, entry)
        assert loud_lines(caplog) == []
        settings.assert_kept(hass)


@TRANSPORTS
async def test_two_seconds_per_request(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, family: str
) -> None:
    """Every answer 2 s late: set-up completes (the coordinator allows 30 s) and the plugin's
    waits follow the measured round trip; then the device runs normally."""
    slow = replace(FAST, first_reply=Timing().first_reply)  # production's first guess
    with patch(TIMING_PATH, slow):
        async with running_simulator(family, 2, reply_delay=2.0) as sim:
            entry = shure_entry(sim)
            coordinator = await setup_entry(hass, entry)
            assert entry.state is ConfigEntryState.LOADED
            await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
            plugin = coordinator.plugin
            assert isinstance(plugin, ShureCommandsPlugin)
            round_trip = plugin.round_trip
            assert round_trip.smoothed is not None
            assert round_trip.smoothed >= 2.0
            assert round_trip.timeout >= round_trip.smoothed
            # The slowest set-up this device can cause stays inside the coordinator's 30 s:
            # probe, dump and the per-value fallback each wait for a first answer, then at
            # most the settle limit or two round trips.
            settle = max(slow.settle_limit, 2 * round_trip.smoothed)
            worst = (slow.first_reply + settle) + 2 * (round_trip.timeout + settle)
            assert worst < 30, worst
            received = plugin.health.messages_received
            await wait_for(lambda: plugin.health.messages_received > received + 10)
            assert loud_lines(caplog) == []
            assert await hass.config_entries.async_unload(entry.entry_id)


async def test_another_device_id_at_the_address(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """TCP only: UHF-R reports no device id, so its identity is its model and address."""
    async with running_simulator("ulxd", 2) as sim:
        entry, settings = await _monitored(hass, sim, caplog)
        coordinator = _coordinator(hass, entry)
        devices = dr.async_get(hass)
        sim.set_device_id("SIM-RX9")
        await sim.drop_connections()
        issue_id = f"different_device_{entry.entry_id}"
        await wait_for(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
        await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
        assert list(coordinator.data) == [receiver_id_of(sim, "SIM-RX1")]
        receiver = coordinator.data[receiver_id_of(sim, "SIM-RX1")]
        assert receiver.name != "SIM-RX9"  # nothing of the other unit was taken
        assert dr.async_entries_for_config_entry(devices, entry.entry_id)
        settings.assert_kept(hass)
        assert len(loud_lines(caplog)) <= 1


def receiver_id_of(sim: ShureSimulator, device_id: str) -> str:
    del sim
    return f"shure-{device_id}"


@TRANSPORTS
async def test_home_assistant_restarted_while_the_device_is_away(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, family: str
) -> None:
    async with running_simulator(family, 2) as sim:
        entry, settings = await _monitored(hass, sim, caplog)
        await sim.set_refusing(refusing=True)
        await sim.drop_connections()
        state = await restart_home_assistant(hass, entry)
        assert state is ConfigEntryState.SETUP_RETRY
        assert all_unavailable(hass, entry)
        settings.assert_kept(hass)
        await sim.set_refusing(refusing=False)
        await advance_time(hass, 120)  # Home Assistant's own retry of the set-up comes due
        await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
        settings.assert_kept(hass)
        assert receiver_id(sim) in _coordinator(hass, entry).data
        assert len(loud_lines(caplog)) <= 1
