"""The micboard.refresh action."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.plugins.errors import CannotConnect
from tests.integration.common import setup_entry
from tests.integration.entries import demo_entry

GET_DEVICES = "custom_components.micboard.plugins.demo.plugin.DemoRackPlugin.get_devices"


@pytest.mark.usefixtures("frozen_demo")
async def test_refresh_entry_and_device(hass: HomeAssistant) -> None:
    entry = demo_entry()
    coordinator = await setup_entry(hass, entry)
    plugin = coordinator.plugin
    with patch(GET_DEVICES, wraps=plugin.get_devices) as get_devices:
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
        )
        assert get_devices.call_count == 1
        channel = dr.async_get(hass).async_get_child_device_by_identifier(
            (DOMAIN, "demo_test_rack_rx01-ch1"), entry.entry_id
        )
        assert channel is not None
        await hass.services.async_call(DOMAIN, "refresh", {"device_id": channel.id}, blocking=True)
        assert get_devices.call_count == 2


@pytest.mark.usefixtures("frozen_demo")
async def test_refresh_errors(hass: HomeAssistant) -> None:
    entry = demo_entry()
    await setup_entry(hass, entry)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": "missing"}, blocking=True
        )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "refresh", {"device_id": "missing"}, blocking=True)
    assert err.value.translation_key == "device_not_found"
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    foreign = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(DOMAIN, "refresh", {"device_id": foreign.id}, blocking=True)
    with pytest.raises(Exception, match="at least one"):
        await hass.services.async_call(DOMAIN, "refresh", {}, blocking=True)
    with (
        patch(GET_DEVICES, side_effect=CannotConnect("unplugged")),
        pytest.raises(HomeAssistantError) as failed,
    ):
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
        )
    assert failed.value.translation_key == "refresh_failed"


@pytest.mark.usefixtures("frozen_demo")
async def test_refresh_of_unloaded_entry(hass: HomeAssistant) -> None:
    entry = demo_entry()
    await setup_entry(hass, entry)
    await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
        )
