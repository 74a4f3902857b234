"""Shure System API resources mapped onto the normalized model; pure, no I/O.

A snapshot (one GET per resource) and a WebSocket event (``{envelope, body}``, whose body has
the shape of the matching GET) fill the same raw state, :class:`RawDevice`, and every model
value is derived from that state by :func:`build_receiver`: one mapping, tested per resource,
whatever way the data arrived.

Facts (``shared/research/shure.md`` §1): device nodes carry ``hardwareIdentity.deviceId`` (a
UUID, the stable id), ``deviceState`` ONLINE / OFFLINE / DISCOVERED (a DISCOVERED node has no
serial, firmware or capabilities), ``compatibility`` and ``capabilities``; audio channel ids
are opaque base64 JSON whose index is ``i`` or ``index``; battery durations are ISO-8601
(``PT853M``). Values of the wrong type or out of range are unknown (``None``), never passed on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
import json
import math
import re
from typing import Any, Final

from ...model import (
    AudioActivity,
    BatteryState,
    Channel,
    Compatibility,
    Feature,
    Receiver,
    Referral,
    Transmitter,
)
from ...validate import DEFAULT_LIMITS, clean_text
from ..commands.dialects import DIALECTS
from ..commands.plugin import (
    DEFAULT_PORT,
    ShureCommandsPlugin,
)

MANUFACTURER: Final = "Shure"

ONLINE: Final = "ONLINE"
OFFLINE: Final = "OFFLINE"
DISCOVERED: Final = "DISCOVERED"

#: Device resources read and subscribed per capability (path segment = capability name).
NAME: Final = "name"
IDENTIFY: Final = "identify"
AUDIO_MUTE: Final = "audio-mute"
BATTERY_LEVEL: Final = "battery-level"
BATTERY_HEALTH: Final = "battery-health"
AUDIO_CHANNELS: Final = "audio-channels"
DEVICE_RESOURCES: Final = (NAME, IDENTIFY, AUDIO_MUTE, BATTERY_LEVEL, BATTERY_HEALTH)
#: Audio-channel resources, likewise.
CHANNEL_RESOURCES: Final = ("name", "mute", "gain", "activity")

DEVICE_STATE_CHANGE: Final = "DEVICE_STATE_CHANGE"
#: Event name -> device resource whose GET body the event carries.
DEVICE_EVENTS: Final = {
    "DEVICE_NAME": NAME,
    "DEVICE_IDENTIFY": IDENTIFY,
    "DEVICE_AUDIO_MUTE": AUDIO_MUTE,
    "DEVICE_BATTERY_LEVEL": BATTERY_LEVEL,
    "DEVICE_BATTERY_HEALTH": BATTERY_HEALTH,
}
#: Event name -> audio-channel resource.
CHANNEL_EVENTS: Final = {
    "AUDIO_CHANNEL_NAME": "name",
    "AUDIO_CHANNEL_MUTE": "mute",
    "AUDIO_CHANNEL_GAIN": "gain",
    "AUDIO_CHANNEL_ACTIVITY": "activity",
}

COMPATIBILITY: Final = {
    "COMPATIBLE_LATEST": Compatibility.CURRENT,
    "COMPATIBLE_OLD": Compatibility.OUTDATED,
    "INCOMPATIBLE_TOO_OLD": Compatibility.INCOMPATIBLE,
}
BATTERY_STATES: Final = {
    "CHARGING": BatteryState.CHARGING,
    "DISCHARGING": BatteryState.DISCHARGING,
    "FULL": BatteryState.FULL,
    "EMPTY": BatteryState.EMPTY,
    "CALCULATING": BatteryState.CALCULATING,
    "OPTIMAL_STORAGE": BatteryState.STORAGE,
}
ACTIVITY: Final = {
    "LOW": AudioActivity.LOW,
    "GOOD": AudioActivity.GOOD,
    "CLIPPING": AudioActivity.CLIPPING,
}

#: Receivers whose telemetry (battery, RF, audio) only their own command strings carry, by
#: model prefix: the models of every family the command-string plugin speaks (ULX-D, QLX-D,
#: SLX-D, Axient Digital, UHF-R, PSM1000), not their transmitters or chargers.
COMMAND_STRING_MODELS: Final = tuple(
    model for dialect in DIALECTS.values() for model in dialect.models
)
#: Manufacturer code and port of the command-string protocol receivers are handed over to.
COMMAND_STRING_PLUGIN: Final = ShureCommandsPlugin.manufacturer_code
COMMAND_STRING_PORT: Final = DEFAULT_PORT

#: Gain settings outside this range (dB) are not a gain.
GAIN_RANGE: Final = (-100.0, 100.0)
#: A battery duration longer than this (minutes) is not a battery estimate.
MAX_BATTERY_MINUTES: Final = 7 * 24 * 60
#: What the value gate lets through for devices behind the server: the physical defaults,
#: with gain as wide as the API's channels document (ADTQ: -20..+16 dB; others differ).
SYSTEMAPI_LIMITS: Final = replace(DEFAULT_LIMITS, gain_db=GAIN_RANGE)
#: Audio channel ids longer than this are not decoded.
MAX_CHANNEL_ID: Final = 4096

_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


# -- small validators ----------------------------------------------------------------------------


def as_dict(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _reading(value: object) -> float | None:
    """A JSON number as a float, for the value gate to judge (range, NaN, infinity).

    The range is the gate's to check, not the parser's, so a value no device could report
    is counted in *Values rejected* instead of vanishing here. An integer too large for a
    float becomes infinity, which the gate refuses like any other impossible reading.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _whole(value: object) -> int | float | None:
    """A JSON number as a whole number where it is a finite one; else as the gate gets it."""
    reading = _reading(value)
    if reading is None or not math.isfinite(reading):
        return reading
    return round(reading)


def iso_minutes(value: object) -> int | None:
    """Whole minutes of an ISO-8601 duration (``PT853M``, ``PT1H5M``, ``P1DT2H``); else None."""
    if not isinstance(value, str):
        return None
    match = _DURATION.fullmatch(value.strip().upper())
    if match is None:
        return None
    parts = {key: float(number) for key, number in match.groupdict().items() if number}
    if not parts:
        return None
    minutes = (
        parts.get("d", 0.0) * 1440
        + parts.get("h", 0.0) * 60
        + parts.get("m", 0.0)
        + parts.get("s", 0.0) / 60
    )
    rounded = round(minutes)
    return rounded if rounded <= MAX_BATTERY_MINUTES else None


def decode_channel_index(channel_id: str) -> int | None:
    """0-based index inside an opaque audio channel id (base64 JSON with ``i`` or ``index``)."""
    if len(channel_id) > MAX_CHANNEL_ID:
        return None
    padded = channel_id + "=" * (-len(channel_id) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            data = json.loads(decode(padded.encode("ascii")).decode("utf-8"))
        except binascii.Error, UnicodeError, ValueError:
            continue
        if not isinstance(data, dict):
            return None
        for key in ("i", "index"):
            index = data.get(key)
            if isinstance(index, int) and not isinstance(index, bool) and index >= 0:
                return index
        return None
    return None


def assign_indexes(channel_ids: Iterable[str]) -> dict[str, int]:
    """1-based model index per audio channel id.

    The decoded index where every id has a distinct one (as printed on the device), else the
    position in the server's list, which is stable as long as the list is.
    """
    ids = list(dict.fromkeys(channel_ids))
    decoded = {
        channel_id: index
        for channel_id in ids
        if (index := decode_channel_index(channel_id)) is not None
    }
    if len(decoded) == len(ids) and len(set(decoded.values())) == len(ids):
        return {channel_id: index + 1 for channel_id, index in decoded.items()}
    return {channel_id: position for position, channel_id in enumerate(ids, start=1)}


def device_nodes(body: object) -> list[dict[str, Any]]:
    """Device nodes of one ``/v1/devices`` page: Relay edges, a bare array or ``{items}``."""
    if isinstance(body, list):
        items: list[Any] = body
    elif isinstance(body, dict) and isinstance(body.get("edges"), list):
        items = [as_dict(edge).get("node") for edge in body["edges"]]
    elif isinstance(body, dict) and isinstance(body.get("items"), list):
        items = body["items"]
    else:
        return []
    return [item for item in items if isinstance(item, dict)]


def next_cursor(body: object) -> str | None:
    """Cursor of the next page, when the page says there is one."""
    info = as_dict(as_dict(body).get("pageInfo"))
    cursor = info.get("endCursor")
    if info.get("hasNextPage") is True and isinstance(cursor, str) and cursor:
        return cursor
    return None


def node_device_id(node: Mapping[str, Any]) -> str | None:
    """The stable device id of a node (``hardwareIdentity.deviceId``)."""
    return _text(as_dict(node.get("hardwareIdentity")).get("deviceId"))


def is_command_string_receiver(model: str | None) -> bool:
    """Whether the receiver's own protocol on port 2202 is the one to monitor it with."""
    if not model:
        return False
    upper = model.upper().replace(" ", "").replace("-", "")
    return upper.startswith(COMMAND_STRING_MODELS)


# -- raw state -----------------------------------------------------------------------------------


@dataclass(slots=True)
class RawChannel:
    """One audio channel as the server describes it, and its resource bodies."""

    id: str
    index: int
    capabilities: frozenset[str] = frozenset()
    role: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RawDevice:
    """One device node and the bodies of the resources read or pushed for it."""

    device_id: str
    node: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    channels: dict[str, RawChannel] = field(default_factory=dict)

    @property
    def state(self) -> str | None:
        """ONLINE, OFFLINE, DISCOVERED (or whatever a newer server says)."""
        return _text(self.node.get("deviceState"))

    @property
    def online(self) -> bool:
        """Whether the server controls the device right now."""
        return self.state == ONLINE

    @property
    def capabilities(self) -> frozenset[str]:
        """Capability names of the node (none for a DISCOVERED node)."""
        items = self.node.get("capabilities")
        if not isinstance(items, list):
            return frozenset()
        return frozenset(item for item in items if isinstance(item, str))

    @property
    def model(self) -> str | None:
        """Model as the server reports it (``ULXD4D``)."""
        return _text(as_dict(self.node.get("softwareIdentity")).get("model"))

    @property
    def address(self) -> str | None:
        """IP address the server reaches the device at."""
        return _text(as_dict(self.node.get("communicationProtocol")).get("address"))

    @property
    def name(self) -> str | None:
        """The device name (``name`` resource); one with nothing printable is none."""
        return clean_text(as_dict(self.values.get(NAME)).get("name"))

    @property
    def handed_over(self) -> bool:
        """A receiver monitored through its own protocol, never through the API entry."""
        return is_command_string_receiver(self.model)

    def set_channels(self, listing: object) -> None:
        """Replace the audio channel list (the ``audio-channels`` body), keeping known values."""
        found = listing if isinstance(listing, list) else as_dict(listing).get("items")
        items = [
            item
            for item in (found if isinstance(found, list) else [])
            if isinstance(item, dict) and _text(item.get("id")) is not None
        ]
        indexes = assign_indexes(str(item["id"]).strip() for item in items)
        channels: dict[str, RawChannel] = {}
        for item in items:
            channel_id = str(item["id"]).strip()
            if channel_id in channels:
                continue
            caps = item.get("capabilities")
            old = self.channels.get(channel_id)
            channels[channel_id] = RawChannel(
                id=channel_id,
                index=indexes[channel_id],
                capabilities=frozenset(
                    cap for cap in (caps if isinstance(caps, list) else []) if isinstance(cap, str)
                ),
                role=_text(item.get("role")),
                values=old.values if old is not None else {},
            )
        self.channels = channels


def raw_device(raw: Mapping[str, Any]) -> RawDevice:
    """A :class:`RawDevice` from plain data.

    ``{"node": {...}, "resources": {"name": {...}, ...}, "audio_channels": [{"id", "role",
    "capabilities", "resources": {"name": {...}, ...}}, ...]}``: the form diagnostics and tests
    use, and what :meth:`ShureSystemApiPlugin.transform_device_data` accepts.
    """
    node = as_dict(raw.get("node"))
    device = RawDevice(
        device_id=node_device_id(node) or "",
        node=node,
        values=dict(as_dict(raw.get("resources"))),
    )
    listing = raw.get("audio_channels")
    if isinstance(listing, list):
        device.set_channels(listing)
        by_id = {str(item.get("id")).strip(): item for item in listing if isinstance(item, dict)}
        for channel in device.channels.values():
            channel.values.update(as_dict(by_id[channel.id].get("resources")))
    return device


# -- model ---------------------------------------------------------------------------------------


def build_receiver(device: RawDevice) -> Receiver:
    """The normalized receiver for a device's raw state."""
    node = device.node
    hardware = as_dict(node.get("hardwareIdentity"))
    software = as_dict(node.get("softwareIdentity"))
    caps = device.capabilities
    features: set[Feature] = set()
    if IDENTIFY in caps:
        features.add(Feature.IDENTIFY)
    if AUDIO_MUTE in caps:
        features.add(Feature.MUTE)
    compatibility = COMPATIBILITY.get(str(node.get("compatibility")))
    if compatibility is not None:
        features.add(Feature.COMPATIBILITY)
    serial = _text(hardware.get("serialNumber"))
    model = device.model
    channels = {
        channel.index: build_channel(channel)
        for channel in sorted(device.channels.values(), key=lambda item: item.index)
    }
    _attach_battery(device, model, channels)
    return Receiver(
        id=device.device_id,
        manufacturer=MANUFACTURER,
        model=model,
        name=device.name or _fallback_name(model, serial, device.address, device.device_id),
        host=device.address,
        firmware=_text(software.get("firmwareVersion")),
        serial=serial,
        online=device.online,
        features=frozenset(features),
        muted=(
            _flag(as_dict(device.values.get(AUDIO_MUTE)).get("muted"))
            if Feature.MUTE in features
            else None
        ),
        compatibility=compatibility,
        channels=channels,
    )


def _fallback_name(model: str | None, serial: str | None, address: str | None, ident: str) -> str:
    """A readable name until the device's own arrives (or for one without a name)."""
    detail = serial or address or ident[:8]
    return f"{model} {detail}" if model else f"Shure {detail}"


def build_channel(channel: RawChannel) -> Channel:
    """One audio channel: name, mute, gain and coarse activity, as its capabilities allow."""
    caps = channel.capabilities
    values = channel.values
    features: set[Feature] = set()
    result = Channel(index=channel.index)
    if "name" in caps:
        features.add(Feature.NAME)
        result.name = _text(as_dict(values.get("name")).get("name"))
    if "mute" in caps:
        features.add(Feature.MUTE)
        result.muted = _flag(as_dict(values.get("mute")).get("muted"))
    if "gain" in caps:
        features.add(Feature.GAIN)
        result.gain = _reading(as_dict(values.get("gain")).get("gain"))
    if "activity" in caps:
        features.add(Feature.AUDIO_ACTIVITY)
        activity = ACTIVITY.get(str(as_dict(values.get("activity")).get("audioLevel")))
        result.audio_activity = activity
        result.audio_clipping = None if activity is None else activity is AudioActivity.CLIPPING
    result.features = frozenset(features)
    return result


def battery_values(level: object, health: object) -> dict[str, Any]:
    """Transmitter fields from ``battery-level`` and ``battery-health`` bodies.

    ``timeToTargetState`` is the runtime left while the pack heads for EMPTY and the time to
    a full charge while it heads for FULL; the two are never mixed up.
    """
    level_body, health_body = as_dict(level), as_dict(health)
    status = as_dict(level_body.get("status"))
    state = BATTERY_STATES.get(str(status.get("currentState")))
    target = _text(status.get("targetState"))
    minutes = iso_minutes(status.get("timeToTargetState"))
    to_empty = target == "EMPTY" or (target is None and state is BatteryState.DISCHARGING)
    to_full = target == "FULL" or (target is None and state is BatteryState.CHARGING)
    cycles = health_body.get("cycleCount")
    return {
        "battery_percent": _whole(level_body.get("percentage")),
        "battery_state": state,
        "runtime_minutes": minutes if to_empty else None,
        "charge_minutes": minutes if to_full and not to_empty else None,
        "battery_health": _whole(health_body.get("percentage")),
        "battery_cycles": _whole(cycles),
    }


def _attach_battery(device: RawDevice, model: str | None, channels: dict[int, Channel]) -> None:
    """A device-level battery is the battery of the pack on the device's first channel.

    Packs (a ULXD6 in its charger, an ADX body-pack) are devices of their own; the model's
    battery lives on a channel's transmitter, so the pack's first audio channel carries it,
    or a channel 1 made for it when the device has none.
    """
    caps = device.capabilities
    features: set[Feature] = set()
    if BATTERY_LEVEL in caps:
        features.update(
            {
                Feature.BATTERY_PERCENT,
                Feature.BATTERY_RUNTIME,
                Feature.BATTERY_STATE,
                Feature.BATTERY_CHARGE_TIME,
            }
        )
    if BATTERY_HEALTH in caps:
        features.update({Feature.BATTERY_HEALTH, Feature.BATTERY_CYCLES})
    if not features:
        return
    index = min(channels, default=1)
    channel = channels.setdefault(index, Channel(index=index))
    channel.features = channel.features | features
    values = battery_values(
        device.values.get(BATTERY_LEVEL) if BATTERY_LEVEL in caps else None,
        device.values.get(BATTERY_HEALTH) if BATTERY_HEALTH in caps else None,
    )
    if any(value is not None for value in values.values()):
        channel.transmitter = Transmitter(model=model, **values)


def referral_for(device: RawDevice) -> Referral | None:
    """Where to monitor a handed-over receiver, while the server can reach it."""
    address = device.address
    if not device.handed_over or address is None or device.state == OFFLINE:
        return None
    return Referral(
        manufacturer_code=COMMAND_STRING_PLUGIN,
        host=address,
        port=COMMAND_STRING_PORT,
        model=device.model,
    )


# -- events --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """What one event changed: whose model to rebuild, and whether to read it afresh."""

    device_id: str
    #: The device is new, came online or changed capabilities: read its resources again
    #: (and subscribe them), because capabilities and values are not pushed with the state.
    refresh: bool = False


def apply_event(devices: dict[str, RawDevice], message: object) -> EventOutcome | None:
    """Store one ``{envelope, body}`` message in the raw state; ``None`` if it is unusable."""
    envelope = as_dict(as_dict(message).get("envelope"))
    body = as_dict(message).get("body")
    name = envelope.get("eventName")
    if not isinstance(name, str) or not isinstance(body, dict):
        return None
    if name == DEVICE_STATE_CHANGE:
        return _state_change(devices, envelope, body)
    device = devices.get(str(envelope.get("deviceId")))
    if device is None:
        return None
    if (resource := DEVICE_EVENTS.get(name)) is not None:
        device.values[resource] = body
        return EventOutcome(device.device_id)
    if (resource := CHANNEL_EVENTS.get(name)) is not None:
        channel = device.channels.get(str(envelope.get("audioChannelId")))
        if channel is None:
            return None
        channel.values[resource] = body
        return EventOutcome(device.device_id)
    return None


def _state_change(
    devices: dict[str, RawDevice], envelope: dict[str, Any], body: dict[str, Any]
) -> EventOutcome | None:
    device_id = node_device_id(body) or _text(envelope.get("deviceId"))
    if device_id is None:
        return None
    device = devices.get(device_id)
    if device is None:
        devices[device_id] = device = RawDevice(device_id=device_id, node=body)
        return EventOutcome(device_id, refresh=device.online)
    was_online, caps = device.online, device.capabilities
    if not isinstance(body.get("hardwareIdentity"), dict):
        # A bare state change: keep what the last full node said about the device.
        body = {**device.node, **body}
    device.node = body
    changed = not was_online or device.capabilities != caps
    return EventOutcome(device_id, refresh=device.online and changed)
