"""The device-registry side of one entry: receiver devices, their channels, what is gone.

Receivers are devices, channels child devices of their receiver (created by the entities'
``ChildDeviceInfo``). The model's *structure* (which receivers and channels exist, with which
features) is what devices and entities depend on; when it changes, devices are registered or
removed here and the coordinator tells the platforms to add entities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from homeassistant.helpers import device_registry as dr

from .channel_names import async_rename_channel_devices
from .const import LOGGER
from .identifiers import model_identifiers, receiver_identifier
from .listeners import ChannelKey
from .plugins.model import Feature, Receiver

if TYPE_CHECKING:
    from .coordinator import MicboardCoordinator

#: What entities depend on: which receivers and channels exist, with which features.
type StructureKey = tuple[ChannelKey, frozenset[Feature]]


def model_structure(receivers: Mapping[str, Receiver]) -> set[StructureKey]:
    """The structure of a model: one key per receiver and per channel, with its features."""
    keys: set[StructureKey] = set()
    for receiver_id, receiver in receivers.items():
        keys.add(((receiver_id, None), receiver.features))
        keys.update(
            ((receiver_id, index), channel.features) for index, channel in receiver.channels.items()
        )
    return keys


class EntryDevices:
    """Registers, updates and removes the registry devices of one entry."""

    def __init__(self, coordinator: MicboardCoordinator) -> None:
        """Nothing registered yet; the model is the coordinator's."""
        self._coordinator = coordinator
        self._device_ids: dict[str, str] = {}
        self._known_structure: set[StructureKey] = set()

    @property
    def _receivers(self) -> dict[str, Receiver]:
        return self._coordinator.data or {}

    @property
    def _entry_id(self) -> str:
        return self._coordinator.config_entry.entry_id

    def register(self) -> None:
        """Create receiver devices (channel child devices need their parent to exist)."""
        registry = dr.async_get(self._coordinator.hass)
        for receiver in self._receivers.values():
            device = registry.async_get_or_create(
                config_entry_id=self._entry_id,
                identifiers={receiver_identifier(receiver.id)},
                manufacturer=receiver.manufacturer,
                model=receiver.model,
                name=receiver.name or receiver.id,
                serial_number=receiver.serial,
                sw_version=receiver.firmware,
                configuration_url=receiver.configuration_url,
            )
            self._device_ids[receiver.id] = device.id
        self._known_structure = model_structure(self._receivers)

    def receiver_device_id(self, receiver_id: str) -> str:
        """Registry id of a receiver device (registered by :meth:`register`).

        Every channel entity asks for it when it is created; a dict lookup instead of a
        registry search per entity keeps set-up of a large rack fast.
        """
        device_id = self._device_ids.get(receiver_id)
        if device_id is None:
            device_id = dr.async_get_device_id_by_identifier(
                self._coordinator.hass,
                receiver_identifier(receiver_id),
                config_entry_id=self._entry_id,
            )
            self._device_ids[receiver_id] = device_id
        return device_id

    def update_receiver(self, receiver_id: str) -> None:
        """Follow a receiver's new name, firmware or model (written only if one changed)."""
        receiver = self._receivers.get(receiver_id)
        registry = dr.async_get(self._coordinator.hass)
        device = registry.async_get_device_by_identifier(
            receiver_identifier(receiver_id), self._entry_id
        )
        if receiver is None or device is None:
            return
        name = receiver.name or receiver.id
        if (device.name, device.sw_version, device.model) != (
            name,
            receiver.firmware,
            receiver.model,
        ):
            registry.async_update_device(
                device.id, name=name, sw_version=receiver.firmware, model=receiver.model
            )
            # Channel devices are named after their receiver ("RX-A Channel 1").
            async_rename_channel_devices(self._coordinator.hass, self._entry_id, device.id, name)

    def sync_structure(self, receivers: Mapping[str, Receiver]) -> set[ChannelKey] | None:
        """Register what appeared and remove what is gone, if the structure changed.

        Returns the receivers and channels that left (empty if only something appeared), or
        None when the structure is unchanged.
        """
        current = model_structure(receivers)
        if current == self._known_structure:
            return None
        gone = {key for key, _ in self._known_structure} - {key for key, _ in current}
        self.register()
        self.remove_stale()
        return gone

    def remove_stale(self) -> None:
        """Remove registry devices of this entry that the model no longer has."""
        registry = dr.async_get(self._coordinator.hass)
        wanted = model_identifiers(self._receivers)
        devices: list[dr.DeviceEntry | dr.ChildDeviceEntry] = [
            *dr.async_child_entries_for_config_entry(registry, self._entry_id),
            *dr.async_entries_for_config_entry(registry, self._entry_id),
        ]
        for device in devices:
            if device.identifiers.isdisjoint(wanted):
                LOGGER.debug("Removing stale device %s", device.name)
                registry.async_remove_device(device.id)
                self._device_ids = {
                    rid: did for rid, did in self._device_ids.items() if did != device.id
                }
