"""The fault-matrix harness itself: its checks pass on a recovery and fail on a loss."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from tests.integration.common import setup_entry
from tests.integration.entries import shure_entry
from tests.integration.fault_matrix import (
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
from tests.support.shure import running_simulator


async def test_outage_and_restart_keep_everything(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_simulator("ulxd", 2) as sim:
        entry = shure_entry(sim)
        coordinator = await setup_entry(hass, entry)
        await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
        settings = await UserSettings.apply(hass, entry)
        caplog.clear()

        with recorded_backoff(coordinator) as backoff:
            await sim.set_refusing(refusing=True)
            await sim.drop_connections()
            await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
            await wait_for(lambda: len(backoff.delays) >= 3)
            await sim.set_refusing(refusing=False)
            await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
        assert_retry_schedule(recovery_delays(backoff))
        assert len(loud_lines(caplog)) <= 1
        settings.assert_kept(hass)

        # Restarted while the device is away: the entry waits, nothing is removed.
        await sim.set_refusing(refusing=True)
        await sim.drop_connections()
        assert await restart_home_assistant(hass, entry) is ConfigEntryState.SETUP_RETRY
        assert all_unavailable(hass, entry)
        settings.assert_kept(hass)
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_the_checks_can_fail(hass: HomeAssistant) -> None:
    async with running_simulator("qlxd") as sim:
        entry = shure_entry(sim)
        await setup_entry(hass, entry)
        await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
        assert not all_unavailable(hass, entry)
        settings = await UserSettings.apply(hass, entry)

        # A renamed device, or an entity deleted and re-created, is a loss.
        device = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)[0]
        dr.async_get(hass).async_update_device(device.id, name_by_user="Other")
        with pytest.raises(AssertionError):
            settings.assert_kept(hass)
        dr.async_get(hass).async_update_device(device.id, name_by_user="User device 0")
        settings.assert_kept(hass)
        entity = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)[0]
        er.async_get(hass).async_remove(entity.entity_id)
        with pytest.raises(AssertionError):
            settings.assert_kept(hass)
        assert await hass.config_entries.async_unload(entry.entry_id)

    with pytest.raises(AssertionError):
        assert_retry_schedule([])
    with pytest.raises(AssertionError):
        assert_retry_schedule([1.0, 20.0])
    assert_retry_schedule([2.5, 5.0, 5.0])
