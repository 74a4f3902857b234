"""Normalized model, plugin contract and error tree shared by every manufacturer.

Entities, diagnostics and the dashboard only ever see these types, so a value means the same
thing whatever device it came from: frequencies in MHz, RF in dBm, audio in dBFS, runtime in
minutes, and ``None`` for "unknown" (device sentinels never leave a plugin).

This package is written as a standalone library: it must not import Home Assistant.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
import copy
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
import time
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import aiohttp


class MicboardError(Exception):
    """Root of every error a plugin raises; nothing else may escape a plugin."""


class CannotConnect(MicboardError):
    """The device or server could not be reached, or the connection was lost."""


class ConnectionClosed(CannotConnect):
    """An established connection ended (peer closed it or it went silent)."""


class InvalidAuth(MicboardError):
    """Credentials were rejected; retrying with the same ones can lock the client out."""


class ProtocolError(MicboardError):
    """The peer answered, but not in the protocol we expected."""


class UnsupportedDevice(MicboardError):
    """The peer speaks the protocol but is a model we cannot monitor."""


class RepairNeeded(MicboardError):
    """A problem only the user can fix (access disabled, certificate changed...).

    The integration shows it as a repair issue whose text is ``issues.<issue_key>`` in the
    translations, filled with ``placeholders``; with ``retry`` it keeps retrying slowly (the
    user may fix it on the device), without it the entry stops until it is reconfigured.
    The issue disappears by itself after the next successful connection.
    """

    def __init__(
        self,
        message: str,
        *,
        issue_key: str,
        placeholders: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> None:
        """Describe the problem; ``message`` is for logs, ``issue_key`` for the user."""
        super().__init__(message)
        self.issue_key = issue_key
        self.placeholders = dict(placeholders or {})
        self.retry = retry


class NotSupported(MicboardError):
    """The device (or its dialect) has no such function, e.g. no FLASH command to identify."""


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


class ConnectionState(StrEnum):
    """State of the link between the integration and one device or server."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    ERROR = "error"
    STOPPED = "stopped"


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


@dataclass(slots=True)
class ConnectionHealth:
    """What the link to a device is doing; shown in diagnostics and diagnostic entities."""

    state: ConnectionState = ConnectionState.STOPPED
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_error: str | None = None
    reconnects: int = 0
    messages_received: int = 0
    last_message_at: float | None = None  # time.time(); a float keeps the hot path cheap

    def _set(self, state: ConnectionState) -> None:
        if state is not self.state:
            self.state = state
            self.since = datetime.now(UTC)

    def connecting(self) -> None:
        """Record that a connection attempt started."""
        self._set(ConnectionState.CONNECTING)

    def connected(self) -> None:
        """Record that the link is up."""
        self._set(ConnectionState.CONNECTED)
        self.last_error = None

    def disconnected(self, error: BaseException | str | None = None) -> None:
        """Record the loss of the link; with an error the state is ERROR."""
        if error is None:
            self._set(ConnectionState.DISCONNECTED)
            return
        self.last_error = str(error) or type(error).__name__
        self._set(ConnectionState.ERROR)

    def stopped(self) -> None:
        """Record an orderly shutdown."""
        self._set(ConnectionState.STOPPED)

    def message(self, count: int = 1) -> None:
        """Count protocol messages; called on the hot path, so it stays trivial."""
        self.messages_received += count
        self.last_message_at = time.time()

    def snapshot(self) -> ConnectionHealth:
        """Independent copy, so a reader never sees a half-updated object."""
        return copy.copy(self)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for diagnostics."""
        return {
            "state": self.state.value,
            "since": self.since.isoformat(),
            "last_error": self.last_error,
            "reconnects": self.reconnects,
            "messages_received": self.messages_received,
            "last_message_at": (
                datetime.fromtimestamp(self.last_message_at, UTC).isoformat()
                if self.last_message_at is not None
                else None
            ),
        }


class ManufacturerPlugin(ABC):
    """One protocol's client, shaped like a small async device library.

    Lifecycle: ``get_devices()`` connects if needed and returns the full model (the coordinator
    calls it for set-up and resyncs); ``listen()`` then pushes incremental changes until the
    connection ends, by returning or by raising a :class:`MicboardError`; ``close()`` releases
    everything. The plugin owns its model objects and updates them in place, reporting what
    changed through :class:`ModelUpdate`, so a meter message costs one attribute write and no
    copies.

    The rest of the contract:

    - map every device sentinel to ``None`` and convert units to the model's (MHz, dBm, dBFS,
      minutes, %); ``transform_device_data`` is pure and unit-tested per dialect;
    - report :data:`STRUCTURE_FIELD` after receivers or channels were added or removed, and
      ``online`` for a receiver a server reports offline (one plugin may serve many);
    - keep ``self.health`` current: ``connecting()``/``connected()``/``disconnected(err)`` as
      the link changes, ``message()`` per protocol message (cheap, it is on the hot path);
    - raise only :class:`MicboardError` subclasses: :class:`InvalidAuth` is never retried by the
      plugin itself (devices lock clients out); bad input is logged once at debug and dropped;
    - never put a password or key in a log line, an exception message or the model.
    """

    manufacturer_code: ClassVar[str]
    manufacturer_name: ClassVar[str]
    #: Full resync while push is healthy; push protocols keep this slow.
    resync_interval: ClassVar[float] = 300.0
    #: How long one ``get_devices()`` may take: one device answers in a few seconds, a
    #: server fronting a whole installation may need longer.
    snapshot_timeout: ClassVar[float] = 10.0

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        meter_interval: float = 1.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """Keep the entry's configuration; never connect from the constructor.

        ``config`` is the entry's data (host, port, credentials... as the plugin's config
        flow step stored them). ``meter_interval`` is the user's option in seconds: the rate
        to ask devices to meter at, where they can. HTTP-based plugins must use the injected
        ``session`` (Home Assistant's shared one) rather than creating their own.
        """
        self.config = config
        self.meter_interval = meter_interval
        self.session = session
        self.health = ConnectionHealth()
        self.receivers: dict[str, Receiver] = {}
        #: Devices to hand over to another protocol, by an id of this plugin's choosing;
        #: kept current by the plugin, read after snapshots and structure updates.
        self.referrals: dict[str, Referral] = {}

    @property
    @abstractmethod
    def unique_id(self) -> str:
        """Stable id of what one config entry represents (device serial, server id...)."""

    @property
    @abstractmethod
    def title(self) -> str:
        """Human title for the config entry."""

    @abstractmethod
    async def get_devices(self) -> dict[str, Receiver]:
        """Connect if needed and return a full, fresh snapshot of every receiver."""

    @abstractmethod
    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """Turn one device's raw data (protocol dialect) into the normalized model; pure."""

    @abstractmethod
    async def listen(self, on_update: UpdateCallback) -> None:
        """Deliver incremental updates until the connection ends."""

    @abstractmethod
    async def close(self) -> None:
        """Stop metering, close sockets and tasks; safe to call twice."""

    async def identify(self, receiver_id: str, channel: int | None) -> None:
        """Make the receiver (or one channel) flash, where the protocol can."""
        raise NotSupported(f"{self.manufacturer_name} cannot identify a device")

    def can_identify(self, receiver_id: str) -> bool:
        """Whether :meth:`identify` can work for this receiver (an identify button shows).

        By default: whether the plugin implements it at all; plugins whose devices differ
        (one server, many models) answer per receiver.
        """
        return type(self).identify is not ManufacturerPlugin.identify

    def diagnostics(self) -> dict[str, Any]:
        """Protocol-specific plain data for diagnostics (never a secret); none by default."""
        return {}

    def health_for(self, receiver_id: str) -> ConnectionHealth:
        """Health of the connection that serves ``receiver_id`` (one shared link by default)."""
        return self.health

    async def check_health(self) -> ConnectionHealth:
        """Current connection health (a copy)."""
        return self.health.snapshot()

    def store_snapshot(self, fresh: list[Receiver]) -> dict[str, Receiver]:
        """Merge a full snapshot into the live model and return it.

        Existing objects are updated in place rather than replaced, so derived state kept on
        them (status, last known transmitter) survives a resync, and anyone holding the
        receivers dict keeps seeing current data.
        """
        seen: set[str] = set()
        for receiver in fresh:
            seen.add(receiver.id)
            current = self.receivers.get(receiver.id)
            if current is None:
                self.receivers[receiver.id] = receiver
            else:
                merge_receiver(current, receiver)
        for gone in set(self.receivers) - seen:
            del self.receivers[gone]
        return self.receivers


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
