"""A replacement unit takes over the devices and entities of the one it replaces.

When a broken receiver is swapped for a like-for-like unit during a show, the user accepts the
new one in the "different receiver" repair. Its ids differ, so every registry device and
entity of the entry is re-keyed from the old receiver id to the new one: entity ids, names,
areas, labels and automations stay as the user made them.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .const import DOMAIN


def _renamed(value: str, old: str, new: str) -> str | None:
    """``value`` with the receiver id ``old`` swapped for ``new``; None if it is not keyed so."""
    if value == old or value.startswith(old + "-"):  # "<id>", "<id>-ch1", "<id>-1-battery"
        return new + value[len(old) :]
    return None


def adopt_replacement(hass: HomeAssistant, entry: ConfigEntry, old: str, new: str) -> int:
    """Re-key the entry's devices and entities from receiver ``old`` to ``new``.

    Returns how many registry entries were changed.
    """
    devices = dr.async_get(hass)
    changed = 0
    for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
        identifiers = {
            (domain, _renamed(value, old, new) or value) if domain == DOMAIN else (domain, value)
            for domain, value in device.identifiers
        }
        if identifiers != device.identifiers:
            devices.async_update_device(device.id, new_identifiers=identifiers)
            changed += 1
    for child in dr.async_child_entries_for_config_entry(devices, entry.entry_id):
        identifiers = {
            (domain, _renamed(value, old, new) or value) if domain == DOMAIN else (domain, value)
            for domain, value in child.identifiers
        }
        if identifiers != child.identifiers:
            devices.async_update_child_device(child.id, new_identifiers=identifiers)
            changed += 1
    entities = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(entities, entry.entry_id):
        unique_id = _renamed(entity.unique_id, old, new)
        if unique_id is not None and unique_id != entity.unique_id:
            entities.async_update_entity(entity.entity_id, new_unique_id=unique_id)
            changed += 1
    return changed
