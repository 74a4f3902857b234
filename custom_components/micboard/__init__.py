"""Micboard for Home Assistant: wireless microphone monitoring across manufacturers."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .const import CONF_MANUFACTURER, CONF_METER_INTERVAL, DEFAULT_METER_INTERVAL, DOMAIN
from .coordinator import MicboardConfigEntry, MicboardCoordinator
from .dashboard import async_register_card
from .demo_actions import async_setup_demo_actions
from .discovery_slp import async_setup_slp_discovery
from .entry_data import create_plugin
from .identifiers import model_identifiers
from .live import async_setup_live
from .plugins import UnknownPluginError
from .services import async_setup_services
from .show_report import async_setup_show_report
from .websocket_api import async_setup_websocket

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register actions, the dashboard websocket and the card; start SLP discovery (once)."""
    async_setup_services(hass)
    async_setup_show_report(hass)
    async_setup_demo_actions(hass)
    async_setup_live(hass)
    async_setup_websocket(hass)
    await async_register_card(hass)
    await async_setup_slp_discovery(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: MicboardConfigEntry) -> bool:
    """Connect to the device through its plugin, then create devices and entities."""
    try:
        plugin = create_plugin(
            entry.data,
            expected_id=entry.unique_id,
            meter_interval=float(entry.options.get(CONF_METER_INTERVAL, DEFAULT_METER_INTERVAL)),
            session=async_get_clientsession(hass),
        )
    except UnknownPluginError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unknown_manufacturer",
            translation_placeholders={"manufacturer": str(entry.data[CONF_MANUFACTURER])},
        ) from err
    coordinator = MicboardCoordinator(hass, entry, plugin)
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException:
        await coordinator.async_close()
        raise
    entry.runtime_data = coordinator
    coordinator.register_devices()
    coordinator.remove_stale_devices()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: MicboardConfigEntry) -> bool:
    """Unload platforms, then release the device (metering off, sockets closed)."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_close()
    return unloaded


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: MicboardConfigEntry, device: dr.AnyDeviceEntry
) -> bool:
    """Let the user delete a device only once the model no longer has it."""
    return device.identifiers.isdisjoint(model_identifiers(entry.runtime_data.data))
