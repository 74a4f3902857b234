"""Base entities: device placement, availability and write-only-on-change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import ChildDeviceInfo, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback, EntityPlatform
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .channel_names import (
    CHANNEL_TRANSLATION_KEY,
    channel_device_name,
    channel_name_placeholders,
    channel_object_id,
)
from .coordinator import MicboardConfigEntry, MicboardCoordinator
from .identifiers import channel_identifier, receiver_identifier
from .listeners import KIND_HEALTH, KIND_METER, KIND_STATUS, ChannelKey
from .plugins.model import (
    Channel,
    Feature,
    Receiver,
)

STATUS_KINDS = frozenset({KIND_STATUS})
METER_KINDS = frozenset({KIND_METER})
STATUS_AND_METER_KINDS = frozenset({KIND_STATUS, KIND_METER})
HEALTH_KINDS = frozenset({KIND_STATUS, KIND_HEALTH})


def link_available(entity: MicboardEntity) -> bool:
    """Default availability: link up, receiver online, channel there and still reporting it.

    A feature can go after its entity was made (an Audio-Technica command found unsupported
    once a slow set-up's unasked commands are asked): the entity then shows unavailable, not
    a value the device will never send, and keeps its id and the user's settings.
    """
    receiver = entity.receiver
    if not entity.coordinator.last_update_success or receiver is None or not receiver.online:
        return False
    if entity.channel_index is None:
        return entity.entity_description.reported_by(receiver.features)
    channel = receiver.channels.get(entity.channel_index)
    return channel is not None and entity.entity_description.reported_by(channel.features)


def receiver_present(entity: MicboardEntity) -> bool:
    """Availability of connection diagnostics: as long as the receiver is part of the entry.

    They must stay readable exactly when the connection is down, which is what they show.
    """
    return entity.receiver is not None


@dataclass(frozen=True, kw_only=True)
class MicboardEntityDescription(EntityDescription):
    """What every Micboard entity description adds: its wake-ups and its availability.

    ``kinds`` are the listener kinds (status, meter, health) the entity is woken for;
    ``available_fn`` decides availability, as the descriptions of HA core's lamarzocco do, so
    which entities outlive a lost link is said where the entity is described.
    """

    kinds: frozenset[str] = STATUS_KINDS
    available_fn: Callable[[MicboardEntity], bool] = link_available

    def reported_by(self, features: frozenset[Feature]) -> bool:
        """Whether a receiver or channel with ``features`` reports what this entity shows.

        Decides which entities are made, and keeps one available only while it holds.
        """
        return True


#: Entities handed to Home Assistant at a time during set-up; the event loop runs in between.
ADD_SLICE: Final = 16


async def add_in_slices(
    async_add_entities: AddConfigEntryEntitiesCallback, entities: list[Entity]
) -> None:
    """Add ``entities`` a few at a time, letting the event loop run in between.

    Home Assistant adds the entities of one ``async_add_entities`` call in a single callback
    (registry entry, state write, listeners): a Demo rack of 25 quad receivers would hold the
    loop for a second, and a hundred entries set up at once line up behind each other. A slice
    of ``ADD_SLICE`` costs a few milliseconds; yielding after each (one more loop turn) is
    nothing beside it, and the platform still waits for all of them before its set-up is done.
    """
    for start in range(0, len(entities), ADD_SLICE):
        # Before the first slice too: the platforms of an entry start in the same callback.
        await asyncio.sleep(0)
        async_add_entities(entities[start : start + ADD_SLICE])


class _KnownEntities:
    """The entities a platform already added, by (receiver, channel) and their features."""

    def __init__(
        self,
        coordinator: MicboardCoordinator,
        for_receiver: Callable[[MicboardCoordinator, Receiver], Iterable[Entity]],
        for_channel: Callable[[MicboardCoordinator, Receiver, Channel], Iterable[Entity]],
    ) -> None:
        self._coordinator = coordinator
        self._for_receiver = for_receiver
        self._for_channel = for_channel
        self._known: dict[ChannelKey, tuple[frozenset[Feature], set[str | None]]] = {}

    def _consider(
        self,
        key: ChannelKey,
        features: frozenset[Feature],
        build: Callable[[], Iterable[Entity]],
        new: list[Entity],
    ) -> None:
        seen = self._known.get(key)
        if seen is not None and seen[0] == features:
            return
        ids = set() if seen is None else seen[1]
        for entity in build():
            if entity.unique_id not in ids:
                ids.add(entity.unique_id)
                new.append(entity)
        self._known[key] = (features, ids)

    def collect_new(self) -> list[Entity]:
        """Entities for what appeared (or gained features) since the last call."""
        coordinator = self._coordinator
        current: set[ChannelKey] = set()
        new: list[Entity] = []
        for receiver_id, receiver in coordinator.data.items():
            current.add((receiver_id, None))
            self._consider(
                (receiver_id, None),
                receiver.features,
                partial(self._for_receiver, coordinator, receiver),
                new,
            )
            for index, channel in receiver.channels.items():
                current.add((receiver_id, index))
                self._consider(
                    (receiver_id, index),
                    channel.features,
                    partial(self._for_channel, coordinator, receiver, channel),
                    new,
                )
        for key in set(self._known) - current:
            del self._known[key]
        return new


async def setup_dynamic_entities(
    entry: MicboardConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    for_receiver: Callable[[MicboardCoordinator, Receiver], Iterable[Entity]],
    for_channel: Callable[[MicboardCoordinator, Receiver, Channel], Iterable[Entity]],
) -> None:
    """Add a platform's entities now and for every receiver, channel or feature that appears.

    The coordinator calls back when the model's structure changes (a receiver came online at
    a System API server and reported its capabilities, a rack grew); only entities whose
    unique id is new are added. The first set is added in slices (:func:`add_in_slices`).
    """
    coordinator = entry.runtime_data
    known = _KnownEntities(coordinator, for_receiver, for_channel)

    @callback
    def add_new() -> None:
        if new := known.collect_new():
            async_add_entities(new)

    # ``known`` holds the first set before the loop is let go, so a structure change meanwhile
    # adds only what is new to it.
    first = known.collect_new()
    entry.async_on_unload(coordinator.async_add_structure_listener(add_new))
    await add_in_slices(async_add_entities, first)


class MicboardEntity(CoordinatorEntity[MicboardCoordinator]):
    """Common base: registers for its own (receiver, channel, kinds) context only.

    ``_handle_coordinator_update`` writes state only when what the entity shows changed, so a
    flush that touches a channel does not rewrite its twenty unchanged siblings.
    """

    entity_description: MicboardEntityDescription
    _attr_has_entity_name = True
    _last_written: Hashable = None

    def __init__(
        self,
        coordinator: MicboardCoordinator,
        description: MicboardEntityDescription,
        receiver_id: str,
        channel: int | None = None,
    ) -> None:
        """Bind the entity to a receiver (and a channel when ``channel`` is set)."""
        super().__init__(coordinator, context=(receiver_id, channel, description.kinds))
        self.entity_description = description
        self.receiver_id = receiver_id
        self.channel_index = channel
        suffix = description.key if channel is None else f"{channel}-{description.key}"
        self._attr_unique_id = f"{receiver_id}-{suffix}"
        receiver = coordinator.data[receiver_id]
        if channel is None:
            self._attr_device_info = DeviceInfo(
                identifiers={receiver_identifier(receiver_id)},
                manufacturer=receiver.manufacturer,
                model=receiver.model,
                name=receiver.name or receiver_id,
                serial_number=receiver.serial,
                sw_version=receiver.firmware,
                configuration_url=receiver.configuration_url,
            )
        else:
            self._receiver_name = receiver.name or receiver_id
            self._attr_device_info = ChildDeviceInfo(
                identifiers={channel_identifier(receiver_id, channel)},
                parent_device_id=coordinator.receiver_device_id(receiver_id),
                translation_key=CHANNEL_TRANSLATION_KEY,
                translation_placeholders=channel_name_placeholders(self._receiver_name, channel),
            )

    def add_to_platform_start(
        self,
        hass: HomeAssistant,
        platform: EntityPlatform,
        parallel_updates: asyncio.Semaphore | None,
    ) -> None:
        """Suggest a channel entity's id from its device's name and its own (channel_names.py).

        Home Assistant would prefix the receiver's name, which the channel device's name
        already starts with. An id already in the entity registry is kept whatever we suggest.
        """
        super().add_to_platform_start(hass, platform, parallel_updates)
        if self.channel_index is None or self.entity_id:  # set by the caller: kept
            return
        name = self.name
        device_name = channel_device_name(hass, self._receiver_name, self.channel_index)
        object_id = channel_object_id(device_name, name if isinstance(name, str) else None)
        self.entity_id = f"{platform.domain}.{object_id}"

    @property
    def receiver(self) -> Receiver | None:
        """The live receiver model, if it still exists."""
        return self.coordinator.receiver(self.receiver_id)

    @property
    def channel(self) -> Channel | None:
        """The live channel model, if it still exists."""
        if self.channel_index is None:
            return None
        return self.coordinator.channel(self.receiver_id, self.channel_index)

    @property
    def available(self) -> bool:
        """As the description says (by default: link up, receiver online, channel there)."""
        return self.entity_description.available_fn(self)

    def _state_fingerprint(self) -> Hashable:
        """What the entity shows; platforms extend it with their value."""
        return self.available

    async def async_added_to_hass(self) -> None:
        """Remember what was first written, so the next flush can skip an identical write."""
        await super().async_added_to_hass()
        self._last_written = self._state_fingerprint()

    def _handle_coordinator_update(self) -> None:
        fingerprint = self._state_fingerprint()
        write = fingerprint != self._last_written
        if (hook := self.coordinator.write_hook) is not None:
            write = hook(write)  # the benchmark only: it counts writes, or forces them
        if write:
            self._last_written = fingerprint
            self.async_write_ha_state()
