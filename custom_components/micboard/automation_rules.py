"""The facts device triggers and conditions test, read from the live channel model.

They are evaluated on the model rather than on entities, so they work whether or not the
matching entity is enabled, and see meters and audio clips at the device's own rate rather
than once per meter interval. The thresholds are the same as the entities' (``plugins.status``
and the entry's low-battery options), so a trigger and its binary sensor never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .placement import ChannelRef
from .plugins.model import (
    Channel,
    ChannelStatus,
    Feature,
    Transmitter,
)
from .plugins.runtime_estimate import RuntimeEstimate
from .plugins.status import PERCENT_PER_BAR, battery_class, has_rf_problem, is_low_battery
from .runtime_estimates import shown_minutes

TRIGGER_BATTERY_LOW: Final = "battery_low"
TRIGGER_BATTERY_CRITICAL: Final = "battery_critical"
TRIGGER_RUNTIME_BELOW: Final = "runtime_below"
TRIGGER_TRANSMITTER_OFF: Final = "transmitter_off"
TRIGGER_TRANSMITTER_ON: Final = "transmitter_on"
TRIGGER_RF_LOST: Final = "rf_lost"
TRIGGER_AUDIO_CLIPPING: Final = "audio_clipping"

CONDITION_BATTERY_BELOW: Final = "is_battery_below"
CONDITION_TRANSMITTER_ON: Final = "is_transmitter_on"
CONDITION_TRANSMITTER_OFF: Final = "is_transmitter_off"

CONF_MINUTES: Final = "minutes"
CONF_PERCENT: Final = "percent"

_BATTERY_LEVEL = frozenset({Feature.BATTERY_BARS, Feature.BATTERY_PERCENT})
_BATTERY = _BATTERY_LEVEL | {Feature.BATTERY_RUNTIME}
_TRANSMITTER = frozenset({Feature.TRANSMITTER})

#: Which device features a trigger or condition needs (any of them); in listing order.
TRIGGER_FEATURES: Final[dict[str, frozenset[Feature]]] = {
    TRIGGER_BATTERY_LOW: _BATTERY,
    TRIGGER_BATTERY_CRITICAL: _BATTERY_LEVEL,
    # Channels without a runtime of their own use the estimate learnt from their level.
    TRIGGER_RUNTIME_BELOW: _BATTERY,
    TRIGGER_TRANSMITTER_OFF: _TRANSMITTER,
    TRIGGER_TRANSMITTER_ON: _TRANSMITTER,
    TRIGGER_RF_LOST: frozenset({Feature.RF_LEVEL, Feature.RF_QUALITY}),
    TRIGGER_AUDIO_CLIPPING: frozenset({Feature.AUDIO_LEVEL}),
}
CONDITION_FEATURES: Final[dict[str, frozenset[Feature]]] = {
    CONDITION_BATTERY_BELOW: _BATTERY_LEVEL,
    CONDITION_TRANSMITTER_ON: _TRANSMITTER,
    CONDITION_TRANSMITTER_OFF: _TRANSMITTER,
}

#: What a trigger or condition type tests on a channel (the live channel, where it is, and the
#: automation's config); the entry's options and estimates are the reference's coordinator's.
type ChannelPredicate = Callable[[Channel, ChannelRef, dict[str, Any]], bool]


def battery_percent(transmitter: Transmitter | None) -> int | None:
    """Charge in %, estimated from bars (20 % each) where the device reports only bars."""
    if transmitter is None:
        return None
    if transmitter.battery_percent is not None:
        return transmitter.battery_percent
    if transmitter.battery_bars is not None:
        return transmitter.battery_bars * PERCENT_PER_BAR
    return None


def _battery_low(channel: Channel, ref: ChannelRef, _config: dict[str, Any]) -> bool:
    co = ref.coordinator
    return (
        is_low_battery(channel.transmitter, co.low_battery_percent, co.low_battery_minutes) is True
    )


def _battery_critical(channel: Channel, _ref: ChannelRef, _c: dict[str, Any]) -> bool:
    transmitter = channel.transmitter
    return transmitter is not None and battery_class(transmitter) is ChannelStatus.CRITICAL


def runtime_estimate(ref: ChannelRef) -> RuntimeEstimate | None:
    """The learnt runtime of a channel that reports none of its own (else ``None``)."""
    return ref.coordinator.runtime.estimate(ref.receiver_id, ref.index)


def _runtime_below(channel: Channel, ref: ChannelRef, config: dict[str, Any]) -> bool:
    """The reported runtime, or where there is none the estimate once its rate is measured."""
    transmitter = channel.transmitter
    if transmitter is None:
        return False
    runtime = transmitter.runtime_minutes
    if runtime is None:
        runtime = shown_minutes(runtime_estimate(ref))
    return runtime is not None and runtime < config[CONF_MINUTES]


def _transmitter_off(channel: Channel, _ref: ChannelRef, _c: dict[str, Any]) -> bool:
    return channel.transmitter is None


def _transmitter_on(channel: Channel, _ref: ChannelRef, _c: dict[str, Any]) -> bool:
    return channel.transmitter is not None


def _rf_lost(channel: Channel, _ref: ChannelRef, _c: dict[str, Any]) -> bool:
    return has_rf_problem(channel) is True


#: Level triggers: they fire when their predicate turns from false to true. Audio clipping is
#: an event trigger instead (see ``device_trigger``).
TRIGGER_PREDICATES: Final[dict[str, ChannelPredicate]] = {
    TRIGGER_BATTERY_LOW: _battery_low,
    TRIGGER_BATTERY_CRITICAL: _battery_critical,
    TRIGGER_RUNTIME_BELOW: _runtime_below,
    TRIGGER_TRANSMITTER_OFF: _transmitter_off,
    TRIGGER_TRANSMITTER_ON: _transmitter_on,
    TRIGGER_RF_LOST: _rf_lost,
}


def _battery_below(channel: Channel, _ref: ChannelRef, config: dict[str, Any]) -> bool:
    percent = battery_percent(channel.transmitter)
    return percent is not None and percent < config[CONF_PERCENT]


#: Conditions hold while their predicate is true (and the channel is known).
CONDITION_PREDICATES: Final[dict[str, ChannelPredicate]] = {
    CONDITION_BATTERY_BELOW: _battery_below,
    CONDITION_TRANSMITTER_ON: _transmitter_on,
    CONDITION_TRANSMITTER_OFF: _transmitter_off,
}


def is_known(ref: ChannelRef) -> bool:
    """Whether the model of this channel is current (entry connected, receiver online).

    While it is not, nothing about the channel is known: no trigger fires, no condition holds.
    """
    receiver = ref.receiver
    return bool(
        ref.coordinator.last_update_success
        and receiver is not None
        and receiver.online
        and ref.channel is not None
    )


def channel_variables(ref: ChannelRef) -> dict[str, Any]:
    """What a notification wants to say about a channel (``trigger.<name>`` in templates).

    Battery values come from the last transmitter seen when the transmitter is off, so
    "Lead Vox switched off at 12 %" can be said. A channel that reports no runtime gives the
    learnt estimate as ``runtime_minutes`` (once its rate is measured), with
    ``runtime_estimated`` true and ``runtime_confidence`` low, medium or high.
    """
    receiver = ref.receiver
    channel = ref.channel
    transmitter = None
    if channel is not None:
        transmitter = channel.transmitter or channel.last_transmitter
    runtime = transmitter.runtime_minutes if transmitter else None
    estimate = runtime_estimate(ref)
    estimated = runtime is None and estimate is not None
    if estimated:
        runtime = shown_minutes(estimate)
    return {
        "channel_name": (channel.name if channel else None) or f"Channel {ref.index}",
        "channel": ref.index,
        "receiver": (receiver.name or receiver.id) if receiver else ref.receiver_id,
        "receiver_id": ref.receiver_id,
        "status": channel.status.value if channel else None,
        "battery_percent": battery_percent(transmitter),
        "battery_bars": transmitter.battery_bars if transmitter else None,
        "runtime_minutes": runtime,
        "runtime_estimated": estimated,
        "runtime_confidence": estimate.confidence.value if estimated and estimate else None,
        "transmitter_model": transmitter.model if transmitter else None,
        "rf_level": channel.rf_level if channel else None,
        "audio_peak": channel.audio_peak if channel else None,
    }
