"""Faults seen from Home Assistant: drop, silence, refusal, unload hygiene."""

from __future__ import annotations

from dataclasses import replace
import logging
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest

from tests.integration.common import setup_entry, state
from tests.integration.entries import setup_shure, shure_entry
from tests.support.helpers import wait_for
from tests.support.shure import FAST, receiver_id, running_simulator

INTEGRATION_LOGGER = "custom_components.micboard"


def _loud_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log lines at INFO or above from the integration (what a user sees by default)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(INTEGRATION_LOGGER) and record.levelno >= logging.INFO
    ]


@pytest.mark.parametrize("fault", ["drop", "stall"])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_loss_and_recovery_log_once_each_way(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    caplog.set_level(logging.DEBUG, logger=INTEGRATION_LOGGER)
    # A silent receiver is given up on sooner here, so the reconnect attempts are quick.
    quicker = replace(FAST, first_reply=0.5, watchdog_min=1.0)
    with patch("custom_components.micboard.plugins.shure.commands.plugin.DEFAULT_TIMING", quicker):
        await _loss_and_recovery(hass, caplog, fault)


async def _loss_and_recovery(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    async with running_simulator("ulxd", 2) as sim:
        entry, coordinator = await setup_shure(hass, sim)
        rid = receiver_id(sim)
        status = f"{rid}-1-status"
        await wait_for(lambda: state(hass, "sensor", status) == "good")
        caplog.clear()

        if fault == "drop":
            await sim.set_refusing(refusing=True)
            await sim.drop_connections()
        else:  # connected but silent: only the watchdog can tell
            sim.stalled = True
        await wait_for(lambda: state(hass, "sensor", status) == STATE_UNAVAILABLE)
        assert state(hass, "binary_sensor", f"{rid}-connectivity") == STATE_OFF
        assert state(hass, "sensor", f"{rid}-connection_state") == "error"
        # Several reconnect attempts fail while the receiver is away...
        await wait_for(lambda: coordinator.plugin.health.reconnect_attempts >= 2)

        if fault == "drop":
            await sim.set_refusing(refusing=False)
        else:
            sim.stalled = False
        await wait_for(lambda: state(hass, "sensor", status) == "good")
        assert state(hass, "binary_sensor", f"{rid}-connectivity") == STATE_ON
        assert state(hass, "sensor", f"{rid}-connection_state") == "connected"

        lines = _loud_lines(caplog)
        assert len(lines) == 2, lines
        assert "Error requesting" in lines[0]
        assert "recovered" in lines[1]
        # ...and every connection was asked to stop metering before it was closed.
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_metering_off_on_unload(hass: HomeAssistant) -> None:
    async with running_simulator("ad") as sim:
        entry, _ = await setup_shure(hass, sim)
        await sim.wait_for(lambda: all(rate == 100 for rate in sim.meter_rates().values()))
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        await sim.wait_for(lambda: all(rate == 0 for rate in sim.meter_rates().values()))
        for channel in range(1, 5):
            assert f"SET {channel} METER_RATE 00000" in sim.commands()
        assert sim.commands()[-1].endswith("METER_RATE 00000")  # the last words


async def test_metering_off_on_home_assistant_stop(hass: HomeAssistant) -> None:
    async with running_simulator("uhfr") as sim:
        await setup_shure(hass, sim)
        await sim.wait_for(lambda: all(rate for rate in sim.meter_rates().values()))
        await hass.async_stop()
        await sim.wait_for(lambda: not any(sim.meter_rates().values()))
        assert "METER 1 ALL STOP" in sim.commands()
        assert "METER 2 ALL STOP" in sim.commands()


async def test_unreachable_at_start_retries(hass: HomeAssistant) -> None:
    async with running_simulator("qlxd") as sim:
        entry = shure_entry(sim)
        await sim.set_refusing(refusing=True)
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_unsupported_model_at_start_stops(hass: HomeAssistant) -> None:
    async with running_simulator("ad") as sim:
        sim.device.model = "ANX4"
        entry = shure_entry(sim)
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_garbage_from_the_device_does_not_disturb_entities(hass: HomeAssistant) -> None:
    async with running_simulator("slxd") as sim:
        entry = shure_entry(sim)
        await setup_entry(hass, entry)
        rid = receiver_id(sim)
        sim.inject_garbage(b"\xff\xfe<<< REP 1 >>> " + b"x" * 700)
        sim.output_mode = "split"
        sim.set_name(2, "Spare")
        await wait_for(lambda: state(hass, "sensor", f"{rid}-2-channel_name") == "Spare")
        assert state(hass, "sensor", f"{rid}-1-status") != STATE_UNAVAILABLE
        assert await hass.config_entries.async_unload(entry.entry_id)
