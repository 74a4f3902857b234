"""Set-up, unload, reload and device housekeeping."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .conftest import demo_entry, setup_entry


async def test_setup_and_unload(hass: HomeAssistant, frozen_demo: None) -> None:
    entry = demo_entry(receivers=2, channels=4)
    coordinator = await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert len(coordinator.data) == 2

    devices = dr.async_get(hass)
    receivers = dr.async_entries_for_config_entry(devices, entry.entry_id)
    channels = dr.async_child_entries_for_config_entry(devices, entry.entry_id)
    assert len(receivers) == 2
    assert len(channels) == 8
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert entities

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
