"""Sensors: per-channel battery, RF, audio, names and status; per-receiver connection health."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfFrequency,
    UnitOfRatio,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import MicboardConfigEntry, MicboardCoordinator
from .entity import (
    HEALTH_KINDS,
    METER_KINDS,
    MicboardEntity,
    MicboardEntityDescription,
    receiver_present,
    setup_dynamic_entities,
)
from .plugins.health import ConnectionState
from .plugins.model import (
    AudioActivity,
    BatteryState,
    Channel,
    ChannelStatus,
    Compatibility,
    Feature,
    Receiver,
)
from .plugins.runtime_estimate import needs_estimate
from .runtime_estimates import shown_minutes

PARALLEL_UPDATES = 0

#: Audio level has no Home Assistant device class (SOUND_PRESSURE is dB SPL, not dBFS).
UNIT_DBFS = "dBFS"
#: Gain is a ratio in decibels, not a sound pressure either.
UNIT_DB = "dB"


@dataclass(frozen=True, kw_only=True)
class MicboardSensorDescription(MicboardEntityDescription, SensorEntityDescription):
    """A Micboard sensor (a channel's or a receiver's)."""


@dataclass(frozen=True, kw_only=True)
class ChannelSensorDescription(MicboardSensorDescription):
    """A channel sensor: which feature it needs, how it reads the model, how it updates."""

    feature: Feature | None  # None: every channel has it
    value_fn: Callable[[Channel], StateType]

    def reported_by(self, features: frozenset[Feature]) -> bool:
        """Channels with :attr:`feature` (every channel when it is None)."""
        return self.feature is None or self.feature in features

    #: State attributes read from the channel, where the value needs a word of context.
    attributes_fn: Callable[[Channel], dict[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class ReceiverSensorDescription(MicboardSensorDescription):
    """A receiver sensor, reading the receiver model and the coordinator (connection health)."""

    value_fn: Callable[[Receiver, MicboardCoordinator], StateType]
    feature: Feature | None = None  # a receiver-level feature it needs; None: every receiver

    def reported_by(self, features: frozenset[Feature]) -> bool:
        """Receivers with :attr:`feature` (every receiver when it is None)."""
        return self.feature is None or self.feature in features


def _enum_value(value: StrEnum | None) -> str | None:
    """State of an enum sensor (``None`` = unknown)."""
    return None if value is None else value.value


CHANNEL_SENSORS: tuple[ChannelSensorDescription, ...] = (
    ChannelSensorDescription(
        key="battery",
        feature=Feature.BATTERY_PERCENT,
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda ch: ch.transmitter.battery_percent if ch.transmitter else None,
    ),
    ChannelSensorDescription(
        key="battery_bars",
        translation_key="battery_bars",
        feature=Feature.BATTERY_BARS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda ch: ch.transmitter.battery_bars if ch.transmitter else None,
    ),
    ChannelSensorDescription(
        key="battery_runtime",
        translation_key="battery_runtime",
        feature=Feature.BATTERY_RUNTIME,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda ch: ch.transmitter.runtime_minutes if ch.transmitter else None,
        # Why the runtime is unknown where the receiver says: calculating, or error.
        attributes_fn=lambda ch: {
            "runtime_status": _enum_value(ch.transmitter.runtime_status if ch.transmitter else None)
        },
    ),
    ChannelSensorDescription(
        key="battery_state",
        translation_key="battery_state",
        feature=Feature.BATTERY_STATE,
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in BatteryState],
        value_fn=lambda ch: _enum_value(ch.transmitter.battery_state if ch.transmitter else None),
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        key="battery_charge_time",
        translation_key="battery_charge_time",
        feature=Feature.BATTERY_CHARGE_TIME,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda ch: ch.transmitter.charge_minutes if ch.transmitter else None,
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        key="battery_health",
        translation_key="battery_health",
        feature=Feature.BATTERY_HEALTH,
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda ch: ch.transmitter.battery_health if ch.transmitter else None,
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        key="battery_cycles",
        translation_key="battery_cycles",
        feature=Feature.BATTERY_CYCLES,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda ch: ch.transmitter.battery_cycles if ch.transmitter else None,
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        key="status",
        translation_key="status",
        feature=None,
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in ChannelStatus],
        value_fn=lambda ch: ch.status.value,
    ),
    ChannelSensorDescription(
        key="channel_name",
        translation_key="channel_name",
        feature=Feature.NAME,
        value_fn=lambda ch: ch.name,
    ),
    ChannelSensorDescription(
        key="frequency",
        feature=Feature.FREQUENCY,
        device_class=SensorDeviceClass.FREQUENCY,
        native_unit_of_measurement=UnitOfFrequency.MEGAHERTZ,
        suggested_display_precision=3,
        value_fn=lambda ch: ch.frequency_mhz,
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        key="gain",
        translation_key="gain",
        feature=Feature.GAIN,
        native_unit_of_measurement=UNIT_DB,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda ch: ch.gain,
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        # Coarse (pushed every few seconds); disabled by default like every reading nobody acts on.
        key="audio_activity",
        translation_key="audio_activity",
        feature=Feature.AUDIO_ACTIVITY,
        device_class=SensorDeviceClass.ENUM,
        options=[activity.value for activity in AudioActivity],
        kinds=METER_KINDS,
        value_fn=lambda ch: _enum_value(ch.audio_activity),
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        key="transmitter_model",
        translation_key="transmitter_model",
        feature=Feature.TX_MODEL,
        value_fn=lambda ch: ch.transmitter.model if ch.transmitter else None,
        entity_registry_enabled_default=False,
    ),
    ChannelSensorDescription(
        key="battery_type",
        translation_key="battery_type",
        feature=Feature.BATTERY_TYPE,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda ch: ch.transmitter.battery_type if ch.transmitter else None,
    ),
    ChannelSensorDescription(
        key="rf_level",
        translation_key="rf_level",
        feature=Feature.RF_LEVEL,
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        kinds=METER_KINDS,
        value_fn=lambda ch: ch.rf_level,
    ),
    ChannelSensorDescription(
        key="rf_quality",
        translation_key="rf_quality",
        feature=Feature.RF_QUALITY,
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        kinds=METER_KINDS,
        value_fn=lambda ch: ch.rf_quality,
    ),
    ChannelSensorDescription(
        key="antenna",
        translation_key="antenna",
        feature=Feature.ANTENNA,
        entity_registry_enabled_default=False,
        kinds=METER_KINDS,
        value_fn=lambda ch: ch.antenna,
    ),
    ChannelSensorDescription(
        key="audio_level",
        translation_key="audio_level",
        feature=Feature.AUDIO_LEVEL,
        native_unit_of_measurement=UNIT_DBFS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        kinds=METER_KINDS,
        value_fn=lambda ch: ch.audio_level,
    ),
)

#: Runtime learnt from the channel's own readings, for transmitters that report none.
RUNTIME_ESTIMATE_SENSOR = MicboardSensorDescription(
    key="battery_runtime_estimated",
    translation_key="battery_runtime_estimated",
    device_class=SensorDeviceClass.DURATION,
    native_unit_of_measurement=UnitOfTime.MINUTES,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=0,
)

RECEIVER_SENSORS: tuple[ReceiverSensorDescription, ...] = (
    ReceiverSensorDescription(
        key="firmware",
        translation_key="firmware",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda rx, _: rx.firmware,
        entity_registry_enabled_default=False,
    ),
    ReceiverSensorDescription(
        key="compatibility",
        translation_key="compatibility",
        feature=Feature.COMPATIBILITY,
        device_class=SensorDeviceClass.ENUM,
        options=[item.value for item in Compatibility],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda rx, _: _enum_value(rx.compatibility),
        entity_registry_enabled_default=False,
    ),
    ReceiverSensorDescription(
        key="connection_state",
        translation_key="connection_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in ConnectionState],
        entity_category=EntityCategory.DIAGNOSTIC,
        kinds=HEALTH_KINDS,
        available_fn=receiver_present,
        value_fn=lambda rx, co: co.health_for(rx.id).state.value,
        entity_registry_enabled_default=False,
    ),
    ReceiverSensorDescription(
        key="reconnects",
        translation_key="reconnects",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        kinds=HEALTH_KINDS,
        available_fn=receiver_present,
        value_fn=lambda rx, co: co.health_for(rx.id).reconnects,
        entity_registry_enabled_default=False,
    ),
    ReceiverSensorDescription(
        key="messages_received",
        translation_key="messages_received",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        kinds=HEALTH_KINDS,
        available_fn=receiver_present,
        value_fn=lambda rx, co: co.health_for(rx.id).messages_received,
    ),
    ReceiverSensorDescription(
        key="messages_rejected",
        translation_key="messages_rejected",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        kinds=HEALTH_KINDS,
        available_fn=receiver_present,
        value_fn=lambda rx, co: co.health_for(rx.id).messages_rejected,
    ),
    ReceiverSensorDescription(
        key="values_rejected",
        translation_key="values_rejected",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        kinds=HEALTH_KINDS,
        available_fn=receiver_present,
        value_fn=lambda rx, co: co.health_for(rx.id).values_rejected,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MicboardConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create sensors for every receiver and channel now and whenever new ones appear."""
    await setup_dynamic_entities(
        entry,
        async_add_entities,
        lambda coordinator, receiver: (
            MicboardReceiverSensor(coordinator, description, receiver.id)
            for description in RECEIVER_SENSORS
            if description.reported_by(receiver.features)
        ),
        _channel_sensors,
    )


def _channel_sensors(
    coordinator: MicboardCoordinator, receiver: Receiver, channel: Channel
) -> Iterator[_MicboardSensor]:
    """A channel's sensors: one per feature it reports, and an estimate of missing runtime."""
    for description in CHANNEL_SENSORS:
        if description.reported_by(channel.features):
            kind = (
                MicboardChannelSensor
                if description.attributes_fn is None
                else MicboardChannelAttributesSensor
            )
            yield kind(coordinator, description, receiver.id, channel.index)
    if needs_estimate(channel.features):
        yield MicboardRuntimeEstimateSensor(
            coordinator, RUNTIME_ESTIMATE_SENSOR, receiver.id, channel.index
        )


class _MicboardSensor(MicboardEntity, SensorEntity):
    """What a sensor shows: its availability and its value (written when either changed)."""

    entity_description: MicboardSensorDescription

    def _state_fingerprint(self) -> Hashable:
        return (self.available, self.native_value)


class MicboardChannelSensor(_MicboardSensor):
    """A value of one channel."""

    entity_description: ChannelSensorDescription

    @property
    def native_value(self) -> StateType:
        """The channel's current value (None = unknown)."""
        channel = self.channel
        return None if channel is None else self.entity_description.value_fn(channel)


class MicboardChannelAttributesSensor(MicboardChannelSensor):
    """A channel value with state attributes (only these pay for reading them on each write)."""

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The description's attributes of the channel (none while it is gone)."""
        channel = self.channel
        attributes_fn = self.entity_description.attributes_fn
        if channel is None or attributes_fn is None:
            return {}
        return attributes_fn(channel)

    def _state_fingerprint(self) -> Hashable:
        return (self.available, self.native_value, *self.extra_state_attributes.values())


class MicboardRuntimeEstimateSensor(_MicboardSensor):
    """Battery runtime learnt from the transmitter's own level readings.

    Unknown while the transmitter is off (as the other battery sensors) and while the rate is
    only bounded, not measured; the attributes say how much the estimate has to go on.
    """

    @property
    def native_value(self) -> StateType:
        """Whole minutes once the discharge rate was measured."""
        channel = self.channel
        if channel is None or channel.transmitter is None or self.channel_index is None:
            return None
        return shown_minutes(
            self.coordinator.runtime.estimate(self.receiver_id, self.channel_index)
        )

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Confidence (low: still learning), reading used, step changes and minutes learnt."""
        estimate = (
            self.coordinator.runtime.estimate(self.receiver_id, self.channel_index)
            if self.channel_index is not None
            else None
        )
        if estimate is None:
            return {"confidence": None, "source": None, "step_changes": 0, "learned_minutes": 0}
        return {
            "confidence": estimate.confidence.value,
            "source": estimate.source.value,
            "step_changes": estimate.step_changes,
            "learned_minutes": round(estimate.learned_minutes),
        }

    def _state_fingerprint(self) -> Hashable:
        return (self.available, self.native_value, *self.extra_state_attributes.values())


class MicboardReceiverSensor(_MicboardSensor):
    """A value of a receiver or of its connection."""

    entity_description: ReceiverSensorDescription

    @property
    def native_value(self) -> StateType:
        """The receiver's current value."""
        receiver = self.receiver
        if receiver is None:
            return None
        return self.entity_description.value_fn(receiver, self.coordinator)
