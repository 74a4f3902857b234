"""EW-DX SSCv2 resources mapped onto the normalized model; pure, no I/O.

A snapshot (one GET per resource) and a subscription event (``{"<path>": <body>, ...}``) carry
the same resource bodies, so both go through :meth:`ReceiverMapper.apply`: one mapping, tested
per path, whatever way the data arrived.

Facts from the EW-DX service API 1.7 (see ``shared/research/sennheiser_and_others.md`` §1.5):
resource ids are the 0-based receiver channel (the model's channels are 1-based), frequencies
are kHz, RSSI dBm (-107..0), RSQI % (0..100), AF level dBFS (-138.5..0), battery ``gauge`` % and
``lifetime`` minutes; ``null`` on ``/api/transmitters/{id}`` means the transmitter unlinked and
``{}`` that one is announcing itself. A value of the wrong type is unknown (``None``); a
value outside its documented range is refused by the plugin's value gate
(:data:`SSC2_LIMITS`), which counts it, and a body of the wrong shape is reported through the
mapper's ``on_malformed`` (the plugin counts it as a rejected message).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
import logging
import math
import re
from typing import Any, Final

from ...model import (
    Channel,
    Feature,
    Receiver,
    Transmitter,
)
from ...validate import DEFAULT_LIMITS, ValueGate

_LOGGER = logging.getLogger(__name__)

MANUFACTURER: Final = "Sennheiser"

#: What an EW-DX channel reports over SSCv2. Battery comes as percent and runtime, never as
#: bars (the status tracker derives its classes from percent); there is no interference flag
#: and no per-antenna RF level (only the diversity indicator).
FEATURES: Final = frozenset(
    {
        Feature.NAME,
        Feature.FREQUENCY,
        Feature.AUDIO_LEVEL,
        Feature.RF_LEVEL,
        Feature.RF_QUALITY,
        Feature.ANTENNA,
        Feature.MUTE,
        Feature.ENCRYPTION,
        Feature.TRANSMITTER,
        Feature.TX_MODEL,
        Feature.TX_MUTE,
        Feature.BATTERY_PERCENT,
        Feature.BATTERY_RUNTIME,
        Feature.BATTERY_TYPE,
    }
)

#: ``product`` of ``/api/device/identity`` -> model name printed on the receiver.
PRODUCTS: Final = {
    "EWDX2CHS": "EW-DX EM 2",
    "EWDX2CHDS": "EW-DX EM 2 Dante",
    "EWDX4CHDS": "EW-DX EM 4 Dante",
}
_PRODUCT_CHANNELS = re.compile(r"^EWDX(\d)CH")

#: Transmitter ``type`` -> model name (EW-D transmitters can link to an EW-DX receiver).
TRANSMITTER_MODELS: Final = {
    "EW_D_SKP": "EW-D SKP",
    "EW_D_SK": "EW-D SK",
    "EW_D_SKM_S": "EW-D SKM-S",
    "EW_DX_SK": "EW-DX SK",
    "EW_DX_SK_3_PIN": "EW-DX SK 3-PIN",
    "EW_DX_SKM": "EW-DX SKM",
    "EW_DX_SKM_S": "EW-DX SKM-S",
    "EW_DX_TS_3_PIN": "EW-DX TS 3-PIN",
    "EW_DX_TS_5_PIN": "EW-DX TS 5-PIN",
}

#: Channel warnings that mean the RF link is in trouble while a transmitter is on.
RF_WARNINGS: Final = frozenset({"LowSignal", "RfPeak"})
NO_LINK: Final = "NoLink"
AF_PEAK: Final = "AfPeak"
ENCRYPTION_ERROR: Final = "Aes256Error"

# Documented value ranges; anything outside is treated as unknown.
RSSI_RANGE: Final = (-107.0, 0.0)
LEVEL_RANGE: Final = (-138.5, 0.0)
PERCENT_RANGE: Final = (0, 100)
DIVERSITY_ANTENNAS: Final = {1: "A", 2: "B"}  # 0 = no antenna (SSC v1 meaning, [unverified])
#: What an EW-DX can report (EW-DX service API 1.7): RSSI -107..0 dBm, AF level
#: -138.5..0 dBFS, and frequencies of its bands, Q1-9 (from 470.2 MHz) to Y1-3 (up to
#: 1800 MHz). The value gate refuses (and counts) anything else.
SSC2_LIMITS: Final = replace(
    DEFAULT_LIMITS,
    rf_dbm=RSSI_RANGE,
    audio_dbfs=LEVEL_RANGE,
    frequency_mhz=(470.0, 1800.0),
)

_METERS: Final = {
    "signalStrengthIndicator": "rf_level",
    "signalQualityIndicator": "rf_quality",
    "diversityIndicator": "antenna",
    "level": "audio_level",
}
_CHANNEL = re.compile(r"^/api/channel/(\d+)(?:/(\w+))?$")
_RF_CHANNEL = re.compile(r"^/api/rf/channels/(\d+)$")
_TRANSMITTER = re.compile(r"^/api/transmitters/(\d+)(?:/(battery|warnings))?$")

TRANSMITTERS: Final = "/api/transmitters"
SITE: Final = "/api/device/site"
FIRMWARE: Final = "/api/firmware/update/state"
IDENTITY: Final = "/api/device/identity"
VERSION: Final = "/api/ssc/version"
DEVICE_STATE: Final = "/api/device/state"


def normalize_path(path: str) -> str:
    """``/api/...`` form of a resource path.

    The spec's subscription examples sometimes omit the ``/api`` prefix (``/device/site``)
    while every working client uses it; accept both.
    """
    path = path.strip().rstrip("/")
    if path.startswith("/") and not path.startswith("/api/") and path != "/api":
        return f"/api{path}"
    return path


def channel_count(product: str) -> int | None:
    """Channels of an EW-DX product code (the digit: EWDX2CHS has 2), ``None`` if unknown."""
    match = _PRODUCT_CHANNELS.match(product)
    if match is None:
        return None
    count = int(match.group(1))
    return count if count > 0 else None


def model_name(product: str) -> str:
    """Marketing name of a product code, or the code itself for one we do not know."""
    return PRODUCTS.get(product, product)


def transmitter_model(kind: object) -> str | None:
    """Printed model of a transmitter ``type``; unknown types are shown as the device says."""
    if not isinstance(kind, str) or not kind:
        return None
    return TRANSMITTER_MODELS.get(kind, kind.replace("_", " "))


def subscription_groups(channels: int) -> list[list[str]]:
    """Paths to subscribe, in groups of at most four (one ``PUT …/add`` each).

    Small groups were what worked on EW-DX hardware for another client, and a refused path
    then costs only its own group.
    """
    groups: list[list[str]] = []
    for index in range(channels):
        groups.append(
            [f"/api/channel/{index}", f"/api/channel/{index}/warnings", f"/api/rf/channels/{index}"]
        )
        groups.append([f"/api/channel/{index}/{name}" for name in _METERS])
    groups.append([TRANSMITTERS])
    groups.append([SITE])
    return groups


def transmitter_groups(channels: int) -> list[list[str]]:
    """Per-transmitter paths, for a device that refuses the dynamic ``/api/transmitters``."""
    return [
        [
            f"/api/transmitters/{index}",
            f"/api/transmitters/{index}/battery",
            f"/api/transmitters/{index}/warnings",
        ]
        for index in range(channels)
    ]


def snapshot_paths(index: int) -> list[str]:
    """Resources read for one channel in a full snapshot (transmitter parts separately).

    The meters are not among them: they are FastResources the device pushes the moment they
    are subscribed, and then as often as they change, so reading them first only made a slow
    receiver take longer to set up (see :func:`meter_paths`).
    """
    return [
        f"/api/channel/{index}",
        f"/api/channel/{index}/warnings",
        f"/api/rf/channels/{index}",
    ]


def meter_paths(index: int) -> list[str]:
    """One channel's meters: pushed on subscription, read only if the push does not come."""
    return [f"/api/channel/{index}/{name}" for name in _METERS]


#: Model fields the meters fill (kept from the live model across a snapshot).
METER_ATTRIBUTES: Final = tuple(_METERS.values())


#: How much of a malformed value a debug log line quotes.
_FRAGMENT_CHARS: Final = 200


def _fragment(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _FRAGMENT_CHARS else f"{text[:_FRAGMENT_CHARS]}..."


def _number(value: object, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if low <= number <= high else None


def _reading(value: object) -> float | None:
    """A JSON number as a float for the value gate (which checks the range); else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float: certainly out of range
        return math.inf


def _whole(value: float | None) -> float | int | None:
    """``value`` rounded where it is finite (the gate refuses the rest)."""
    return round(value) if value is not None and math.isfinite(value) else value


def _is_number(value: object) -> bool:
    """A JSON number, or null; anything else in a meter body is malformed."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _strings(value: object) -> frozenset[str] | None:
    if not isinstance(value, list):
        return None
    return frozenset(item for item in value if isinstance(item, str))


@dataclass(slots=True)
class _ChannelRaw:
    """What a transmitter is made of; it arrives in several resources, in any order."""

    linked: bool = False
    info: Mapping[str, Any] | None = None
    battery: Mapping[str, Any] | None = None
    tx_warnings: frozenset[str] | None = None
    warnings: frozenset[str] | None = None  # None: not received yet


def _log_malformed(path: str, body: object) -> None:
    _LOGGER.debug("Malformed SSCv2 %s: %s", path, _fragment(body))


@dataclass(slots=True)
class ReceiverMapper:
    """Applies resource bodies to one receiver and reports which fields changed.

    Values enter the receiver only through ``gate`` (the plugin's, counting what it refuses);
    a body of the wrong shape changes nothing and goes to ``on_malformed``. Total: no JSON
    value makes :meth:`apply` raise.
    """

    receiver: Receiver
    raw: dict[int, _ChannelRaw] = field(default_factory=dict)
    gate: ValueGate = field(default_factory=lambda: ValueGate(SSC2_LIMITS))
    on_malformed: Callable[[str, object], None] = _log_malformed

    def apply(self, path: str, body: Any) -> dict[int | None, set[str]]:
        """Apply one resource; return changed field names per model channel (None = receiver).

        Unknown paths and malformed bodies change nothing and are logged at debug.
        """
        path = normalize_path(path)
        if match := _CHANNEL.match(path):
            return self._channel(int(match.group(1)), match.group(2), body, path)
        if match := _TRANSMITTER.match(path):
            return self._transmitter(int(match.group(1)), match.group(2), body, path)
        if match := _RF_CHANNEL.match(path):
            return self._frequency(int(match.group(1)), body, path)
        if path == TRANSMITTERS:
            return self._transmitter_list(body)
        if path in {SITE, FIRMWARE} and not isinstance(body, Mapping):
            self.on_malformed(path, body)  # and the value is unknown, as for a null
            body = {}
        if path == SITE:
            name = body.get("deviceName")
            return self._receiver({"name": name if isinstance(name, str) and name else None})
        if path == FIRMWARE:
            version = body.get("deviceVersion")
            return self._receiver({"firmware": version if isinstance(version, str) else None})
        _LOGGER.debug("Ignoring SSCv2 resource %s: %s", path, _fragment(body))
        return {}

    # -- helpers --------------------------------------------------------------------------

    def _receiver(self, values: dict[str, object]) -> dict[int | None, set[str]]:
        changed = self.gate.apply(self.receiver, values)
        return {None: changed} if changed else {}

    def _lookup(self, index: int, path: str, body: object) -> tuple[Channel, _ChannelRaw] | None:
        channel = self.receiver.channels.get(index + 1)
        if channel is None:
            _LOGGER.debug("SSCv2 %s names a channel this receiver lacks: %s", path, _fragment(body))
            return None
        return channel, self.raw.setdefault(index, _ChannelRaw())

    def _set(
        self, index: int, channel: Channel, values: dict[str, object]
    ) -> dict[int | None, set[str]]:
        changed = self.gate.apply(channel, values)
        return {index + 1: changed} if changed else {}

    def _channel(
        self, index: int, sub: str | None, body: object, path: str
    ) -> dict[int | None, set[str]]:
        found = self._lookup(index, path, body)
        if found is None:
            return {}
        channel, raw = found
        if sub is None:
            if not isinstance(body, Mapping):
                self.on_malformed(path, body)
                return {}
            name = body.get("name")
            return self._set(
                index,
                channel,
                {"name": name if isinstance(name, str) else None, "muted": _flag(body.get("mute"))},
            )
        if sub == "warnings":
            warnings = _strings(body)
            if warnings is None:
                self.on_malformed(path, body)
                return {}
            raw.warnings = warnings
            return self._set(index, channel, self._warning_values(raw))
        attribute = _METERS.get(sub)
        if attribute is None:
            _LOGGER.debug("Ignoring SSCv2 resource %s: %s", path, _fragment(body))
            return {}
        if body is not None and not (isinstance(body, Mapping) and _is_number(body.get("value"))):
            self.on_malformed(path, body)
            return {}
        value = body.get("value") if body is not None else None  # null: no value right now
        return self._set(index, channel, {attribute: _meter(attribute, value)})

    def _frequency(self, index: int, body: object, path: str) -> dict[int | None, set[str]]:
        found = self._lookup(index, path, body)
        if found is None:
            return {}
        if not isinstance(body, Mapping):
            self.on_malformed(path, body)
            return {}
        khz = body.get("frequency")
        mhz = _reading(khz) if isinstance(khz, int) and khz > 0 else None
        return self._set(index, found[0], {"frequency_mhz": None if mhz is None else mhz / 1000})

    def _transmitter(
        self, index: int, sub: str | None, body: object, path: str
    ) -> dict[int | None, set[str]]:
        found = self._lookup(index, path, body)
        if found is None:
            return {}
        channel, raw = found
        if sub is None:
            if body is None:
                raw.linked, raw.info, raw.battery, raw.tx_warnings = False, None, None, None
            elif isinstance(body, Mapping):
                raw.linked, raw.info = True, body  # {} = announcing: on, details to follow
            else:
                self.on_malformed(path, body)
                return {}
        elif sub == "battery":
            if body is None:
                raw.battery = None
            elif isinstance(body, Mapping):
                raw.battery = body
                raw.linked = raw.linked or bool(body)  # a battery reading implies a transmitter
            else:
                self.on_malformed(path, body)
                return {}
        else:
            warnings = frozenset[str]() if body is None else _strings(body)
            if warnings is None:
                self.on_malformed(path, body)
                return {}
            raw.tx_warnings = warnings
        return self._set(index, channel, self._warning_values(raw))

    def _transmitter_list(self, body: object) -> dict[int | None, set[str]]:
        """``/api/transmitters`` as a whole: ``[{"id": 0, "transmitter": {...}}]``.

        The list names every linked transmitter, so a channel missing from it has none.
        """
        if not isinstance(body, list):
            self.on_malformed(TRANSMITTERS, body)
            return {}
        listed: dict[int, object] = {}
        for item in body:
            ident = item.get("id") if isinstance(item, Mapping) else None
            if isinstance(ident, int) and not isinstance(ident, bool):
                listed[ident] = item.get("transmitter", {})  # null in the list: unlinked
        changes: dict[int | None, set[str]] = {}
        for index in [number - 1 for number in self.receiver.channels]:
            path = f"{TRANSMITTERS}/{index}"
            changes.update(self._transmitter(index, None, listed.get(index), path))
        return changes

    def _warning_values(self, raw: _ChannelRaw) -> dict[str, object]:
        """Channel flags and transmitter presence, which both depend on the warnings."""
        warnings = raw.warnings
        clipping: bool | None = None
        if warnings is not None or raw.tx_warnings is not None:
            clipping = AF_PEAK in (warnings or ()) or AF_PEAK in (raw.tx_warnings or ())
        return {
            "rf_warning": None if warnings is None else not warnings.isdisjoint(RF_WARNINGS),
            "audio_clipping": clipping,
            "encryption_warning": None if warnings is None else ENCRYPTION_ERROR in warnings,
            "transmitter": _build_transmitter(raw),
        }


def _meter(attribute: str, value: object) -> object:
    """A meter reading; the value gate checks levels and quality against the family's range."""
    if attribute in {"rf_level", "audio_level"}:
        return _reading(value)
    if attribute == "rf_quality":
        return _whole(_reading(value))
    number = _number(value, 0, max(DIVERSITY_ANTENNAS))
    return None if number is None else DIVERSITY_ANTENNAS.get(int(number))


def _build_transmitter(raw: _ChannelRaw) -> Transmitter | None:
    """A transmitter while one is linked and the receiver has a link to it.

    ``NoLink`` counts as "off" too, so a device that only raises the warning (and never sends
    ``null``) still shows the transmitter off.
    """
    if not raw.linked or NO_LINK in (raw.warnings or ()):
        return None
    info = raw.info or {}
    battery = raw.battery or {}
    kind = battery.get("type")
    has_battery = kind != "NoBattery"
    gauge = _whole(_reading(battery.get("gauge"))) if has_battery else None
    # Any finite number: whether it is a runtime is the value gate's rule (Limits), the same
    # for SSC v1's lifetime of the same battery.
    lifetime = _number(battery.get("lifetime"), -math.inf, math.inf) if has_battery else None
    return Transmitter(
        model=transmitter_model(info.get("type")),
        battery_percent=gauge,  # type: ignore[arg-type]  # the gate refuses non-integers
        runtime_minutes=None
        if lifetime is None or not math.isfinite(lifetime)
        else round(lifetime),
        battery_type=kind if isinstance(kind, str) and kind else None,
        muted=_flag(info.get("mute")),
        locked=_flag(info.get("lock")),
    )


def new_receiver(
    identity: Mapping[str, Any], host: str, gate: ValueGate | None = None
) -> tuple[Receiver, ReceiverMapper]:
    """An empty receiver (channels from the product code) and the mapper that fills it."""
    product = str(identity.get("product") or "")
    serial = str(identity.get("serial") or "")
    receiver = Receiver(
        id=serial,
        manufacturer=MANUFACTURER,
        model=model_name(product),
        host=host,
        serial=serial,
    )
    for index in range(1, (channel_count(product) or 0) + 1):
        receiver.channels[index] = Channel(index=index, features=FEATURES)
    return receiver, ReceiverMapper(receiver, gate=gate or ValueGate(SSC2_LIMITS))


def build_receiver(
    raw: Mapping[str, Any],
    gate: ValueGate | None = None,
    on_malformed: Callable[[str, object], None] = _log_malformed,
) -> tuple[Receiver, ReceiverMapper]:
    """Receiver from a snapshot: ``{"host": str, "resources": {path: body}}``.

    ``resources`` holds ``/api/device/identity`` (which shapes the receiver) and any other
    resource bodies; ``None`` for ``/api/transmitters/{id}`` means no transmitter (a 422).
    """
    resources: Mapping[str, Any] = raw["resources"]
    receiver, mapper = new_receiver(resources[IDENTITY], str(raw["host"]), gate)
    mapper.on_malformed = on_malformed
    for path, body in resources.items():
        if path not in {IDENTITY, VERSION, DEVICE_STATE}:
            mapper.apply(path, body)
    return receiver, mapper
