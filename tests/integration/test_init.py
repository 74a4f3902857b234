"""Set-up, unload, reload and device housekeeping."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.micboard.const import CONF_MANUFACTURER, DOMAIN
from tests.integration.common import setup_entry
from tests.integration.entries import demo_entry


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


async def test_unknown_manufacturer_is_a_setup_error(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_MANUFACTURER: "acme"}, title="Acme")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None


async def test_reload(hass: HomeAssistant, frozen_demo: None) -> None:
    entry = demo_entry()
    await setup_entry(hass, entry)
    first = entry.runtime_data
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not first
    assert first.connection.closed


async def test_stale_devices_removed_at_setup(hass: HomeAssistant, frozen_demo: None) -> None:
    entry = demo_entry(receivers=2, channels=1)
    entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    stale = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "gone_receiver")}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get(stale.id) is None


async def test_remove_device_only_when_gone(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, frozen_demo: None
) -> None:
    assert await async_setup_component(hass, "config", {})
    entry = demo_entry(receivers=2, channels=1)
    coordinator = await setup_entry(hass, entry)
    registry = dr.async_get(hass)
    present = registry.async_get_device_by_identifier(
        (DOMAIN, "demo_test_rack_rx01"), entry.entry_id
    )
    channel = registry.async_get_child_device_by_identifier(
        (DOMAIN, "demo_test_rack_rx01-ch1"), entry.entry_id
    )
    assert present is not None
    assert channel is not None
    client = await hass_ws_client(hass)
    for device in (present, channel):
        response = await client.remove_device(device.id)
        assert not response["success"]
    # Once the model no longer has a receiver, the user may delete it.
    del coordinator.data["demo_test_rack_rx02"]
    gone = registry.async_get_device_by_identifier((DOMAIN, "demo_test_rack_rx02"), entry.entry_id)
    assert gone is not None
    response = await client.remove_device(gone.id)
    assert response["success"]
