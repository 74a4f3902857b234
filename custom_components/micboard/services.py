"""Actions of the integration, registered once in ``async_setup``."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr, service
import probatio as vol

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DEVICE_ID,
    DOMAIN,
    SERVICE_IDENTIFY,
    SERVICE_REFRESH,
)
from .coordinator import MicboardConfigEntry
from .identifiers import channel_identifier, receiver_identifier
from .placement import micboard_entry
from .plugins.errors import (
    MicboardError,
    NotSupported,
)

REFRESH_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
            vol.Optional(ATTR_DEVICE_ID): cv.string,
        }
    ),
    cv.has_at_least_one_key(ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID),
)
#: identify takes the same targets as refresh: an entry, a receiver or a channel device.
IDENTIFY_SCHEMA = REFRESH_SCHEMA


def _entry_for_device(hass: HomeAssistant, device_id: str) -> MicboardConfigEntry:
    entry = micboard_entry(hass, dr.async_get(hass).async_get(device_id))
    if entry is None:
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


def _receiver_for_device(
    hass: HomeAssistant, entry: MicboardConfigEntry, device_id: str
) -> tuple[str, int | None]:
    """(receiver id, channel or None) of a receiver or channel device of ``entry``."""
    device = dr.async_get(hass).async_get(device_id)
    identifiers = device.identifiers if device else set()
    for receiver_id, receiver in entry.runtime_data.data.items():
        if receiver_identifier(receiver_id) in identifiers:
            return receiver_id, None
        for index in receiver.channels:
            if channel_identifier(receiver_id, index) in identifiers:
                return receiver_id, index
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


async def _async_identify(call: ServiceCall) -> None:
    """Flash a receiver (or one channel) so the crew can find it in the rack."""
    targets: list[tuple[MicboardConfigEntry, str, int | None]] = []
    if (entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID)) is not None:
        entry: MicboardConfigEntry = service.async_get_config_entry(call.hass, DOMAIN, entry_id)
        targets.extend((entry, receiver_id, None) for receiver_id in entry.runtime_data.data)
    if (device_id := call.data.get(ATTR_DEVICE_ID)) is not None:
        entry = _entry_for_device(call.hass, device_id)
        targets.append((entry, *_receiver_for_device(call.hass, entry, device_id)))
    for entry, receiver_id, channel in targets:
        try:
            await entry.runtime_data.plugin.identify(receiver_id, channel)
        except NotSupported as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="identify_not_supported",
                translation_placeholders={"title": entry.title},
            ) from err
        except MicboardError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="identify_failed",
                translation_placeholders={"title": entry.title, "error": str(err)},
            ) from err


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register ``micboard.refresh`` and ``micboard.identify``."""
    hass.services.async_register(DOMAIN, SERVICE_REFRESH, _async_refresh, schema=REFRESH_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_IDENTIFY, _async_identify, schema=IDENTIFY_SCHEMA)
