"""Binary sensors: per-channel transmitter, low battery, RF problem, mute; receiver connectivity."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import MicboardConfigEntry, MicboardCoordinator
from .entity import (
    HEALTH_KINDS,
    STATUS_AND_METER_KINDS,
    MicboardEntity,
    MicboardEntityDescription,
    receiver_present,
    setup_dynamic_entities,
)
from .plugins.model import (
    Channel,
    Feature,
    Receiver,
)
from .plugins.status import has_rf_problem, is_low_battery

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MicboardBinarySensorDescription(MicboardEntityDescription, BinarySensorEntityDescription):
    """A Micboard binary sensor (a channel's or a receiver's)."""


@dataclass(frozen=True, kw_only=True)
class ChannelBinarySensorDescription(MicboardBinarySensorDescription):
    """A channel flag: needs any of ``features``; reads the model (and the user's options)."""

    features: frozenset[Feature]
    value_fn: Callable[[Channel, MicboardCoordinator], bool | None]

    def reported_by(self, features: frozenset[Feature]) -> bool:
        """Channels with any of :attr:`features`."""
        return not self.features.isdisjoint(features)


CHANNEL_BINARY_SENSORS: tuple[ChannelBinarySensorDescription, ...] = (
    ChannelBinarySensorDescription(
        key="transmitter",
        translation_key="transmitter",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        features=frozenset({Feature.TRANSMITTER}),
        value_fn=lambda ch, _: ch.transmitter is not None if ch.transmitter_known else None,
    ),
    ChannelBinarySensorDescription(
        key="low_battery",
        device_class=BinarySensorDeviceClass.BATTERY,
        features=frozenset(
            {Feature.BATTERY_BARS, Feature.BATTERY_PERCENT, Feature.BATTERY_RUNTIME}
        ),
        value_fn=lambda ch, co: is_low_battery(
            ch.transmitter, co.low_battery_percent, co.low_battery_minutes
        ),
    ),
    ChannelBinarySensorDescription(
        key="rf_problem",
        translation_key="rf_problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        features=frozenset({Feature.RF_LEVEL, Feature.RF_QUALITY}),
        kinds=STATUS_AND_METER_KINDS,
        value_fn=lambda ch, _: has_rf_problem(ch),
    ),
    ChannelBinarySensorDescription(
        key="muted",
        translation_key="muted",
        features=frozenset({Feature.MUTE}),
        value_fn=lambda ch, _: ch.muted,
    ),
    ChannelBinarySensorDescription(
        key="transmitter_muted",
        translation_key="transmitter_muted",
        features=frozenset({Feature.TX_MUTE}),
        value_fn=lambda ch, _: ch.transmitter.muted if ch.transmitter else None,
        entity_registry_enabled_default=False,
    ),
    ChannelBinarySensorDescription(
        key="interference",
        translation_key="interference",
        device_class=BinarySensorDeviceClass.PROBLEM,
        features=frozenset({Feature.INTERFERENCE}),
        value_fn=lambda ch, _: ch.interference,
        entity_registry_enabled_default=False,
    ),
    ChannelBinarySensorDescription(
        key="encryption_warning",
        translation_key="encryption_warning",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        features=frozenset({Feature.ENCRYPTION}),
        value_fn=lambda ch, _: ch.encryption_warning,
        entity_registry_enabled_default=False,
    ),
)


#: Whether a receiver is reachable: woken with connection health, available while it is not.
CONNECTIVITY = MicboardBinarySensorDescription(
    key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    kinds=HEALTH_KINDS,
    available_fn=receiver_present,
)


@dataclass(frozen=True, kw_only=True)
class ReceiverBinarySensorDescription(MicboardBinarySensorDescription):
    """A flag of the whole receiver, for receivers with ``feature`` (``Receiver.features``)."""

    feature: Feature
    value_fn: Callable[[Receiver], bool | None]

    def reported_by(self, features: frozenset[Feature]) -> bool:
        """Receivers with :attr:`feature`."""
        return self.feature in features


RECEIVER_BINARY_SENSORS: tuple[ReceiverBinarySensorDescription, ...] = (
    ReceiverBinarySensorDescription(
        key="muted",
        translation_key="muted",
        feature=Feature.MUTE,
        value_fn=lambda rx: rx.muted,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MicboardConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create binary sensors now and whenever receivers or channels appear."""
    await setup_dynamic_entities(
        entry,
        async_add_entities,
        lambda coordinator, receiver: (
            ReceiverConnectivity(coordinator, CONNECTIVITY, receiver.id),
            *(
                MicboardReceiverBinarySensor(coordinator, description, receiver.id)
                for description in RECEIVER_BINARY_SENSORS
                if description.reported_by(receiver.features)
            ),
        ),
        lambda coordinator, receiver, channel: (
            MicboardChannelBinarySensor(coordinator, description, receiver.id, channel.index)
            for description in CHANNEL_BINARY_SENSORS
            if description.reported_by(channel.features)
        ),
    )


class _MicboardBinarySensor(MicboardEntity, BinarySensorEntity):
    """What a binary sensor shows: its availability and its flag (written when either changed)."""

    entity_description: MicboardBinarySensorDescription

    def _state_fingerprint(self) -> Hashable:
        return (self.available, self.is_on)


class MicboardChannelBinarySensor(_MicboardBinarySensor):
    """A flag of one channel."""

    entity_description: ChannelBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The flag (None = unknown)."""
        channel = self.channel
        if channel is None:
            return None
        return self.entity_description.value_fn(channel, self.coordinator)


class MicboardReceiverBinarySensor(_MicboardBinarySensor):
    """A flag of one receiver (the mute of a whole device, say)."""

    entity_description: ReceiverBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The flag (None = unknown)."""
        receiver = self.receiver
        return None if receiver is None else self.entity_description.value_fn(receiver)


class ReceiverConnectivity(_MicboardBinarySensor):
    """Whether the receiver is reachable; available even while it is not, or it could not say so."""

    @property
    def is_on(self) -> bool:
        """Connected and reported online."""
        receiver = self.receiver
        return bool(self.coordinator.last_update_success and receiver and receiver.online)
