"""The normalized model shared by every manufacturer.

Entities, diagnostics and the dashboard only ever see these types, so a value means the same
thing whatever device it came from: frequencies in MHz, RF in dBm, audio in dBFS, runtime in
minutes, and ``None`` for "unknown" (device sentinels never leave a plugin).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class Feature(StrEnum):
    """What a channel can report; entities are created only for supported features.

    A value of ``None`` in the model means "unknown right now"; a missing feature means
    "this device never reports it" (an SLX-D has no RF quality, a PSM1000 no battery).
    """

    NAME = "name"
    FREQUENCY = "frequency"
    AUDIO_LEVEL = "audio_level"
    RF_LEVEL = "rf_level"
    RF_QUALITY = "rf_quality"
    ANTENNA = "antenna"
    MUTE = "mute"
    INTERFERENCE = "interference"
    ENCRYPTION = "encryption"
    TRANSMITTER = "transmitter"
    TX_MODEL = "tx_model"
    TX_MUTE = "tx_mute"
    BATTERY_BARS = "battery_bars"
    BATTERY_PERCENT = "battery_percent"
    BATTERY_RUNTIME = "battery_runtime"
    BATTERY_TYPE = "battery_type"
    # Battery details of packs that report their own cells (docked or charging transmitters).
    BATTERY_STATE = "battery_state"
    BATTERY_CHARGE_TIME = "battery_charge_time"
    BATTERY_HEALTH = "battery_health"
    BATTERY_CYCLES = "battery_cycles"
    GAIN = "gain"
    AUDIO_ACTIVITY = "audio_activity"
    # Receiver-level features (``Receiver.features``): MUTE is also used there.
    IDENTIFY = "identify"
    COMPATIBILITY = "compatibility"


#: Everything a wireless receiver's channel can report (the Demo rack and Axient Digital
#: report all of it); the battery details of packs on chargers, gain, coarse audio activity
#: and the receiver-level features belong to other kinds of device.
RECEIVER_CHANNEL_FEATURES: frozenset[Feature] = frozenset(Feature) - {
    Feature.BATTERY_STATE,
    Feature.BATTERY_CHARGE_TIME,
    Feature.BATTERY_HEALTH,
    Feature.BATTERY_CYCLES,
    Feature.GAIN,
    Feature.AUDIO_ACTIVITY,
    Feature.IDENTIFY,
    Feature.COMPATIBILITY,
}


class BatteryState(StrEnum):
    """What a pack that reports its own charging says it is doing."""

    CHARGING = "charging"
    DISCHARGING = "discharging"
    FULL = "full"
    EMPTY = "empty"
    CALCULATING = "calculating"
    STORAGE = "storage"  # held at a storage charge level on a charger


class RuntimeStatus(StrEnum):
    """Why a transmitter that reports its runtime shows none right now.

    Shure receivers send these as runtime codes (65534 and 65533 minutes); the runtime itself
    stays unknown, but "still calculating" is not "nothing known" for a stage crew.
    """

    CALCULATING = "calculating"  # the pack is still working out its runtime
    ERROR = "error"  # the receiver cannot read the pack (battery communication warning)


class AudioActivity(StrEnum):
    """Coarse audio presence where a device reports no level in dBFS."""

    LOW = "low"
    GOOD = "good"
    CLIPPING = "clipping"


class Compatibility(StrEnum):
    """Whether the software that controls a device can work with its firmware."""

    CURRENT = "current"
    OUTDATED = "outdated"  # works, but a newer firmware is expected
    INCOMPATIBLE = "incompatible"  # too old to be controlled


class ChannelStatus(StrEnum):
    """What needs attention on a channel (derived in :mod:`.status`, like Micboard's colours)."""

    RX_OFFLINE = "rx_offline"
    TX_OFF = "tx_off"
    CRITICAL = "critical"
    AUDIO_PEAK = "audio_peak"
    REPLACE = "replace"
    GOOD = "good"
    PREVIOUSLY_CRITICAL = "previously_critical"
    PREVIOUSLY_REPLACE = "previously_replace"
    PREVIOUSLY_GOOD = "previously_good"
    UNKNOWN = "unknown"


#: Channel fields that change at metering speed. Updates touching only these are coalesced
#: to at most one entity write per meter interval; everything else is a status change.
METER_FIELDS: frozenset[str] = frozenset(
    {
        "audio_level",
        "audio_peak",
        "audio_clipping",
        "rf_level",
        "rf_levels",
        "rf_quality",
        "antenna",
        "audio_activity",
    }
)

#: Pseudo field reported when receivers or channels appeared or disappeared, when their
#: features changed, or when the plugin's referrals changed.
STRUCTURE_FIELD = "structure"


@dataclass(frozen=True, slots=True)
class Referral:
    """A device a plugin found that another protocol monitors better.

    A middleware server (the Shure System API) knows receivers whose full telemetry only their
    own protocol carries; instead of showing them half, the plugin names the protocol and
    address, and the integration offers each one as a discovered device of that protocol.
    """

    manufacturer_code: str  # plugin that should monitor it
    host: str
    port: int
    model: str | None = None


@dataclass(slots=True)
class Transmitter:
    """A body-pack or handheld linked to a channel (absent when it is off or unlinked)."""

    model: str | None = None
    battery_bars: int | None = None  # 0-5
    battery_percent: int | None = None  # 0-100
    runtime_minutes: int | None = None
    battery_type: str | None = None
    power_source: str | None = None
    muted: bool | None = None
    locked: bool | None = None
    battery_state: BatteryState | None = None
    charge_minutes: int | None = None  # time until full, while charging
    battery_health: int | None = None  # % of the design capacity left
    battery_cycles: int | None = None  # charge cycles so far
    #: Why runtime_minutes is unknown, where the device says (else None).
    runtime_status: RuntimeStatus | None = None


@dataclass(slots=True)
class Channel:
    """One receive channel: the unit a stage crew watches."""

    index: int  # 1-based, as printed on the receiver
    features: frozenset[Feature] = frozenset()
    name: str | None = None
    frequency_mhz: float | None = None
    audio_level: float | None = None  # dBFS (RMS where the device gives both)
    audio_peak: float | None = None  # dBFS
    audio_clipping: bool | None = None  # the device's own overload/peak flag
    rf_level: float | None = None  # dBm, strongest antenna
    rf_levels: tuple[float | None, ...] = ()  # dBm per antenna, where the device reports them
    rf_quality: int | None = None  # %
    antenna: str | None = None  # active antenna(s), e.g. "A", "B", "AB"; None = none lit
    rf_warning: bool | None = None  # the device's own low-signal/no-link warning
    muted: bool | None = None  # receiver output mute
    interference: bool | None = None
    encryption_warning: bool | None = None
    gain: float | None = None  # dB, the channel's audio gain setting
    audio_activity: AudioActivity | None = None
    transmitter: Transmitter | None = None
    #: Whether ``transmitter`` is what the device said: until a device reported anything
    #: about the link, ``None`` there means "not known yet", not "off".
    transmitter_known: bool = True
    # Derived by the status tracker, never by a protocol parser.
    status: ChannelStatus = ChannelStatus.UNKNOWN
    last_transmitter: Transmitter | None = None  # last one seen with a valid battery reading


@dataclass(slots=True)
class Receiver:
    """A receiver (or IEM transmitter) chassis: one Home Assistant device."""

    id: str  # stable: serial number or device id
    manufacturer: str
    model: str | None = None
    name: str | None = None
    host: str | None = None
    firmware: str | None = None
    serial: str | None = None
    configuration_url: str | None = None
    online: bool = True
    #: Receiver-level features (IDENTIFY, MUTE, COMPATIBILITY); empty for most protocols.
    features: frozenset[Feature] = frozenset()
    muted: bool | None = None  # mute of the whole device, where it has one
    compatibility: Compatibility | None = None
    channels: dict[int, Channel] = field(default_factory=dict)

    def add_channel(
        self, index: int, features: frozenset[Feature], values: Mapping[str, object]
    ) -> Channel:
        """Add channel ``index`` with ``features``, set from a protocol's model ``values``.

        How every ``transform_device_data`` builds its channels, so a snapshot's channel is
        made exactly like the one a live update would have changed.
        """
        channel = Channel(index=index, features=features)
        apply_values(channel, values)
        self.channels[index] = channel
        return channel


@dataclass(frozen=True, slots=True)
class ModelUpdate:
    """Tells the coordinator which part of the model a plugin just changed in place.

    ``channel`` is ``None`` for receiver-level fields. ``fields`` holds the names of the
    changed :class:`Channel` / :class:`Receiver` attributes (``"transmitter"`` for anything on
    the transmitter), or :data:`STRUCTURE_FIELD` when receivers or channels came or went.
    """

    receiver_id: str
    channel: int | None
    fields: frozenset[str]


type UpdateCallback = Callable[[ModelUpdate], None]


def apply_values(target: object, values: Mapping[str, object]) -> set[str]:
    """Set attributes that differ and return their names.

    Plugins parse one message into a few values; only real changes may wake entities, so the
    comparison happens here once instead of in every parser.
    """
    changed: set[str] = set()
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed.add(name)
    return changed


def model_as_dict(receiver: Receiver) -> dict[str, Any]:
    """Plain-data view of a receiver for diagnostics and the dashboard websocket."""
    result: dict[str, Any] = {}
    for item in fields(receiver):
        value = getattr(receiver, item.name)
        if item.name == "channels":
            value = {index: _channel_as_dict(ch) for index, ch in value.items()}
        elif isinstance(value, frozenset):
            value = sorted(value)
        result[item.name] = value
    return result


def _channel_as_dict(channel: Channel) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in fields(channel):
        value = getattr(channel, item.name)
        if isinstance(value, Transmitter):
            value = {t.name: getattr(value, t.name) for t in fields(value)}
        elif isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = list(value)
        result[item.name] = value
    return result


_RECEIVER_FIELDS = tuple(f.name for f in fields(Receiver) if f.name not in {"id", "channels"})
#: Channel fields a protocol reports; status and last_transmitter are derived, not merged.
_CHANNEL_FIELDS = tuple(
    f.name for f in fields(Channel) if f.name not in {"index", "status", "last_transmitter"}
)


def merge_receiver(live: Receiver, fresh: Receiver) -> dict[int | None, set[str]]:
    """Update ``live`` in place from ``fresh``; changed field names per channel (None = device).

    Objects are kept (the status tracker's memory lives on them); a channel that came or went,
    or a changed feature set, is reported as :data:`STRUCTURE_FIELD`.
    """
    changes: dict[int | None, set[str]] = {}
    receiver_changes = apply_values(live, {name: getattr(fresh, name) for name in _RECEIVER_FIELDS})
    if "features" in receiver_changes:
        receiver_changes.add(STRUCTURE_FIELD)
    if set(live.channels) != set(fresh.channels):
        receiver_changes.add(STRUCTURE_FIELD)
        for index in set(live.channels) - set(fresh.channels):
            del live.channels[index]
    for index, channel in fresh.channels.items():
        existing = live.channels.get(index)
        if existing is None:
            live.channels[index] = channel
            continue
        changed = apply_values(existing, {name: getattr(channel, name) for name in _CHANNEL_FIELDS})
        if "features" in changed:
            changed.add(STRUCTURE_FIELD)
        if changed:
            changes[index] = changed
    if receiver_changes:
        changes[None] = receiver_changes
    return changes
