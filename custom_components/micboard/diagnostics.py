"""Diagnostics for an entry and for a receiver or channel device, with secrets redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .coordinator import MicboardConfigEntry
from .identifiers import channel_identifier, receiver_identifier
from .plugins.model import model_as_dict

TO_REDACT = {CONF_API_KEY, CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MicboardConfigEntry
) -> dict[str, Any]:
    """Entry settings, connection health and the whole normalized model."""
    coordinator = entry.runtime_data
    result: dict[str, Any] = {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "plugin": coordinator.plugin.manufacturer_code,
        "last_update_success": coordinator.last_update_success,
        "health": coordinator.connection_health.as_dict(),
        "receivers": [model_as_dict(receiver) for receiver in coordinator.data.values()],
    }
    if protocol := coordinator.plugin.diagnostics():
        # What only this protocol knows (a server's device list, its referrals).
        result["protocol"] = async_redact_data(protocol, TO_REDACT)
    return result


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: MicboardConfigEntry, device: dr.AnyDeviceEntry
) -> dict[str, Any]:
    """One receiver (with its channels) or one channel."""
    coordinator = entry.runtime_data
    for receiver_id, receiver in coordinator.data.items():
        if receiver_identifier(receiver_id) in device.identifiers:
            return {
                "health": coordinator.health_for(receiver_id).as_dict(),
                "receiver": model_as_dict(receiver),
            }
        for index in receiver.channels:
            if channel_identifier(receiver_id, index) in device.identifiers:
                return {
                    "receiver_id": receiver_id,
                    "channel": model_as_dict(receiver)["channels"][index],
                }
    return {"error": "device not in the current model"}
