"""Names of channel devices: the receiver's name and the channel number ("RX-A Channel 1").

A channel is a child device of its receiver. Home Assistant shows a child device with its
parent as context only while the child has no area of its own; once a channel is put in the
area of the person who wears it, "Channel 1" alone no longer says which receiver it is. So the
channel device's name carries the receiver's name, translated (``device.channel.name``).

Home Assistant composes a new entity id from the parent's name, the child's name and the entity
name; with the receiver already in the child's name that would read
``sensor.rx_a_rx_a_channel_1_status``. Channel entities therefore suggest their entity id
themselves, from the child's name and the entity name only: the ids stay what they always were
(``sensor.rx_a_channel_1_status``), and ids already in the entity registry never change.

Only the integration's name of a device is ever changed here; a name the user gave a device
(``name_by_user``) is never touched.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, translation
from homeassistant.util import slugify

from .const import DOMAIN, LOGGER
from .identifiers import parse_channel_identifier

CHANNEL_TRANSLATION_KEY = "channel"
#: Used when the translations are not loaded (they always are once an entry is set up).
FALLBACK_CHANNEL_NAME = "{receiver} Channel {channel}"


def channel_name_placeholders(receiver_name: str, index: int) -> dict[str, str]:
    """Placeholders of the ``device.channel.name`` translation."""
    return {"receiver": receiver_name, "channel": str(index)}


def channel_device_name(hass: HomeAssistant, receiver_name: str, index: int) -> str:
    """The channel device's name in Home Assistant's language, as the registry resolves it."""
    strings = translation.async_get_cached_translations(
        hass, hass.config.language, "device", DOMAIN
    )
    template = strings.get(
        f"component.{DOMAIN}.device.{CHANNEL_TRANSLATION_KEY}.name", FALLBACK_CHANNEL_NAME
    )
    placeholders = channel_name_placeholders(receiver_name, index)
    try:
        return template.format(**placeholders)
    except KeyError, IndexError, ValueError:  # a translation with other placeholders
        return FALLBACK_CHANNEL_NAME.format(**placeholders)


def channel_object_id(device_name: str, entity_name: str | None) -> str:
    """Object id of a channel entity: the channel device's name and the entity's name."""
    return slugify(f"{device_name} {entity_name}" if entity_name else device_name)


def async_rename_channel_devices(
    hass: HomeAssistant, entry_id: str, parent_device_id: str, receiver_name: str
) -> None:
    """Give a renamed receiver's channel devices its new name (entity ids do not change)."""
    registry = dr.async_get(hass)
    for child in dr.async_child_entries_for_config_entry(registry, entry_id):
        if child.parent_device_id != parent_device_id:
            continue
        index = _channel_index(child)
        if index is None:
            continue
        name = channel_device_name(hass, receiver_name, index)
        if child.name != name:
            LOGGER.debug("Renaming channel device %s to %s", child.name, name)
            registry.async_update_child_device(child.id, name=name)


def _channel_index(device: dr.ChildDeviceEntry) -> int | None:
    for identifier in device.identifiers:
        if (parsed := parse_channel_identifier(identifier)) is not None:
            return parsed[1]
    return None
