"""Actions of the integration, registered once in ``async_setup``."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr, service
import probatio as vol

from .const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID, DOMAIN, SERVICE_REFRESH
from .coordinator import MicboardConfigEntry

REFRESH_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
            vol.Optional(ATTR_DEVICE_ID): cv.string,
        }
    ),
    cv.has_at_least_one_key(ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID),
)


def _entry_for_device(hass: HomeAssistant, device_id: str) -> MicboardConfigEntry:
    device = dr.async_get(hass).async_get(device_id)
    entry = hass.config_entries.async_get_entry(device.config_entry_id) if device else None
    if device is None or entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="device_not_found",
            translation_placeholders={"device_id": device_id},
        )
    return service.async_get_config_entry(hass, DOMAIN, entry.entry_id)


async def _async_refresh(call: ServiceCall) -> None:
    """Force a full resync of an entry (or of the entry a device belongs to)."""
    entries: dict[str, MicboardConfigEntry] = {}
    if (entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID)) is not None:
        entry: MicboardConfigEntry = service.async_get_config_entry(call.hass, DOMAIN, entry_id)
        entries[entry.entry_id] = entry
    if (device_id := call.data.get(ATTR_DEVICE_ID)) is not None:
        entry = _entry_for_device(call.hass, device_id)
        entries[entry.entry_id] = entry
    for entry in entries.values():
        coordinator = entry.runtime_data
        await coordinator.async_refresh()
        if not coordinator.last_update_success:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="refresh_failed",
                translation_placeholders={
                    "title": entry.title,
                    "error": str(coordinator.last_exception),
                },
            )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register ``micboard.refresh``."""
    hass.services.async_register(DOMAIN, SERVICE_REFRESH, _async_refresh, schema=REFRESH_SCHEMA)
