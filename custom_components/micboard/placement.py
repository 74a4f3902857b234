"""Where a channel lives in Home Assistant: its devices, area and labels, and the way back.

The model knows receivers and channels by their own ids; people know them by the devices they
put in areas and labelled. The dashboard websocket filters and groups by those, and device
automations and actions are configured with a device id, so both directions live here.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    label_registry as lr,
)

from .const import DOMAIN
from .coordinator import MicboardCoordinator
from .identifiers import channel_identifier, parse_channel_identifier, receiver_identifier
from .plugins.model import (
    Channel,
    Receiver,
)


@dataclass(frozen=True, slots=True)
class Placement:
    """A channel's devices, effective area and labels.

    A channel device without an area of its own is where its receiver is (as Home Assistant
    does for entities without an area), and a label on the receiver covers its channels.
    The names people gave the devices in Home Assistant and the channel's status entity are
    part of it too, so that renaming either reaches the dashboards like a move does.
    """

    device_id: str | None
    receiver_device_id: str | None
    area_id: str | None
    labels: frozenset[str]
    name_by_user: str | None = None  # the channel device's name, as renamed in Home Assistant
    receiver_name_by_user: str | None = None
    status_entity_id: str | None = None  # what a tap on the card's tile opens


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A channel of a loaded entry, resolved from a device id."""

    coordinator: MicboardCoordinator
    receiver_id: str
    index: int

    @property
    def receiver(self) -> Receiver | None:
        """The live receiver, if it still exists."""
        return self.coordinator.receiver(self.receiver_id)

    @property
    def channel(self) -> Channel | None:
        """The live channel, if it still exists."""
        return self.coordinator.channel(self.receiver_id, self.index)


def receiver_device(
    registry: dr.DeviceRegistry, entry_id: str, receiver_id: str
) -> dr.DeviceEntry | None:
    """The registry device of a receiver."""
    return registry.async_get_device_by_identifier(receiver_identifier(receiver_id), entry_id)


def channel_device(
    registry: dr.DeviceRegistry, entry_id: str, receiver_id: str, index: int
) -> dr.ChildDeviceEntry | None:
    """The registry (child) device of a channel."""
    return registry.async_get_child_device_by_identifier(
        channel_identifier(receiver_id, index), entry_id
    )


def status_unique_id(receiver_id: str, index: int) -> str:
    """Unique id of a channel's status sensor (see ``MicboardEntity``)."""
    return f"{receiver_id}-{index}-status"


def channel_placement(
    registry: dr.DeviceRegistry,
    entry_id: str,
    receiver_id: str,
    index: int,
    entities: er.EntityRegistry | None = None,
) -> Placement:
    """Devices, effective area, labels, user names and status entity of one channel."""
    parent = receiver_device(registry, entry_id, receiver_id)
    child = channel_device(registry, entry_id, receiver_id, index)
    area_id = child.area_id if child is not None else None
    if area_id is None and parent is not None:
        area_id = parent.area_id
    labels: set[str] = set()
    for device in (parent, child):
        if device is not None:
            labels.update(device.labels)
    status_entity_id = (
        entities.async_get_entity_id(Platform.SENSOR, DOMAIN, status_unique_id(receiver_id, index))
        if entities is not None
        else None
    )
    return Placement(
        device_id=child.id if child is not None else None,
        receiver_device_id=parent.id if parent is not None else None,
        area_id=area_id,
        labels=frozenset(labels),
        name_by_user=child.name_by_user if child is not None else None,
        receiver_name_by_user=parent.name_by_user if parent is not None else None,
        status_entity_id=status_entity_id,
    )


def area_name(hass: HomeAssistant, area_id: str | None) -> str | None:
    """Display name of an area."""
    if area_id is None:
        return None
    area = ar.async_get(hass).async_get_area(area_id)
    return area.name if area is not None else None


def label_name(hass: HomeAssistant, label_id: str) -> str:
    """Display name of a label (its id if it was deleted meanwhile)."""
    label = lr.async_get(hass).async_get_label(label_id)
    return label.name if label is not None else label_id


def loaded_coordinator(hass: HomeAssistant, entry_id: str) -> MicboardCoordinator | None:
    """The coordinator of a loaded Micboard entry."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    coordinator: MicboardCoordinator = entry.runtime_data
    return coordinator


def micboard_entry(
    hass: HomeAssistant, device: dr.DeviceEntry | dr.ChildDeviceEntry | None
) -> ConfigEntry | None:
    """The Micboard entry (loaded or not) a receiver or channel device belongs to."""
    entry = hass.config_entries.async_get_entry(device.config_entry_id) if device else None
    return entry if entry is not None and entry.domain == DOMAIN else None


def micboard_channel_device(hass: HomeAssistant, device_id: str) -> dr.ChildDeviceEntry | None:
    """The device, if it is a channel device of a Micboard entry (loaded or not)."""
    device = dr.async_get(hass).async_get(device_id, include_main_devices=False)
    if not isinstance(device, dr.ChildDeviceEntry):
        return None
    return device if micboard_entry(hass, device) is not None else None


def resolve_channel(hass: HomeAssistant, device_id: str) -> ChannelRef | None:
    """The live channel behind a channel device, if its entry is loaded and it still exists."""
    device = dr.async_get(hass).async_get(device_id, include_main_devices=False)
    if not isinstance(device, dr.ChildDeviceEntry):
        return None
    coordinator = loaded_coordinator(hass, device.config_entry_id)
    if coordinator is None:
        return None
    for identifier in device.identifiers:
        if (parsed := parse_channel_identifier(identifier)) is None:
            continue
        ref = ChannelRef(coordinator, *parsed)
        if ref.channel is not None:
            return ref
    return None
