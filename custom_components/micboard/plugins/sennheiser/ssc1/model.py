"""SSC v1 address maps per product family, and the pure mapping of their values to the model.

The SSC v1 trees differ per product (EW-DX ``/mates/tx1/battery/gauge`` against SpeechLine
``/mates/tx1/bat_gauge``; lifetime in minutes against seconds), so each family is a
:class:`Dialect`: a table from address templates (``{n}`` = 1-based channel) to a *leaf key*
with one meaning, and the mapping below works on leaf keys only. The plugin picks the dialect
by probing which addresses the device has, never by trusting a product string.

Evidence (see docs/protocols/sennheiser_udp.md):

- EW-DX (EM 2, EM 2 Dante, EM 4 Dante in Legacy mode or firmware < 4): Sennheiser's EW-DX SSC
  guide (firmware 1.1.3) and the companion module; every address here is documented.
- SpeechLine Digital Wireless (SL Rack Receiver DW, SL MCR 2/4 DW): Sennheiser's SpeechLine
  SSC guide (TI 1094). No RF, audio or frequency addresses exist (DECT); bars are left out
  because their scale (0-5 or 0-6) is not documented for the receivers.
- Digital 6000 uses another tree (``/mm/chN/…``, ``/rxN/skx/…``) known only from third-party
  code, with unknown units; it is not mapped, and the plugin reports it as unsupported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
from typing import Any, Final

from ...model import (
    Feature,
    Transmitter,
)
from .codec import (
    FAILED_DEPENDENCY,
    Path,
    SscError,
)

#: Leaf key -> the feature it provides (TRANSMITTER comes from link detection, always).
LEAF_FEATURES: Final[Mapping[str, Feature]] = {
    "name": Feature.NAME,
    "frequency_khz": Feature.FREQUENCY,
    "rx_mute": Feature.MUTE,
    "rssi": Feature.RF_LEVEL,
    "rsqi": Feature.RF_QUALITY,
    "divi": Feature.ANTENNA,
    "af": Feature.AUDIO_LEVEL,
    "bat_gauge": Feature.BATTERY_PERCENT,
    "bat_minutes": Feature.BATTERY_RUNTIME,
    "bat_seconds": Feature.BATTERY_RUNTIME,
    "bat_type": Feature.BATTERY_TYPE,
    "tx_type": Feature.TX_MODEL,
    "tx_device_type": Feature.TX_MODEL,
    "tx_mute": Feature.TX_MUTE,
}

#: Which leaves belong to the transmitter: their 424 means "no transmitter".
TX_LEAVES: Final = frozenset(
    {
        "bat_gauge",
        "bat_minutes",
        "bat_seconds",
        "bat_type",
        "tx_type",
        "tx_device_type",
        "tx_capsule",
        "tx_mute",
        "tx_lock",
        "tx_warnings",
    }
)

# Plausible ranges; anything outside is a sentinel or garbage and becomes None.
_FREQUENCY_KHZ = (30_000, 3_000_000)
_RSSI_DBM = (-140.0, 20.0)
_AF_DBFS = (-160.0, 20.0)
_ANTENNAS: Final = {1: "A", 2: "B"}  # 0 = no antenna lit
_SLDW_DEVICE_TYPES: Final = {0: "Handheld", 1: "Bodypack", 2: "Tablestand", 3: "Boundary"}
_NO_VALUE_STRINGS: Final = frozenset({"", "unknown", "none", "nobattery", "n/a"})


@dataclass(frozen=True, slots=True)
class Dialect:
    """One product family's SSC v1 tree."""

    key: str
    family: str
    #: (address template, leaf key); ``{n}`` is the 1-based channel number.
    channel_leaves: tuple[tuple[Path, str], ...]
    #: An address only this family has (for a channel 1 that exists): selects the dialect.
    probe: Path
    #: A template every channel of this family has: counts the channels.
    channel_probe: Path
    #: Channel-warning strings.
    no_link: frozenset[str]
    rf_warnings: frozenset[str]
    af_peak: frozenset[str]
    encryption_warnings: frozenset[str] = frozenset()
    #: Device-level list of linked transmitters (``["mates/tx1"]`` or ``["tx1"]``), if any.
    active_mates: Path | None = None
    #: Features the channel warnings provide.
    warning_features: frozenset[Feature] = frozenset()

    def address(self, template: Path, channel: int) -> Path:
        """The concrete address of a template for ``channel``."""
        return tuple(part.replace("{n}", str(channel)) for part in template)

    def leaves_for(self, channel: int, keys: frozenset[str] | None = None) -> dict[Path, str]:
        """Address -> leaf key for one channel (optionally only ``keys``)."""
        return {
            self.address(template, channel): key
            for template, key in self.channel_leaves
            if keys is None or key in keys
        }

    def features(self, supported: frozenset[str]) -> frozenset[Feature]:
        """Features of a channel whose device has the leaves ``supported``."""
        found = {LEAF_FEATURES[key] for key in supported if key in LEAF_FEATURES}
        if "rx_warnings" in supported:
            found |= self.warning_features
        return frozenset({Feature.TRANSMITTER, *found})


EWDX: Final = Dialect(
    key="ewdx",
    family="EW-DX",
    channel_leaves=(
        (("rx{n}", "name"), "name"),
        (("rx{n}", "frequency"), "frequency_khz"),
        (("rx{n}", "mute"), "rx_mute"),
        (("rx{n}", "warnings"), "rx_warnings"),
        (("m", "rx{n}", "rssi"), "rssi"),
        (("m", "rx{n}", "rsqi"), "rsqi"),
        (("m", "rx{n}", "divi"), "divi"),
        (("m", "rx{n}", "af"), "af"),
        (("mates", "tx{n}", "battery", "gauge"), "bat_gauge"),
        (("mates", "tx{n}", "battery", "lifetime"), "bat_minutes"),
        (("mates", "tx{n}", "battery", "type"), "bat_type"),
        (("mates", "tx{n}", "type"), "tx_type"),
        (("mates", "tx{n}", "capsule"), "tx_capsule"),
        (("mates", "tx{n}", "mute"), "tx_mute"),
        (("mates", "tx{n}", "lock"), "tx_lock"),
        (("mates", "tx{n}", "warnings"), "tx_warnings"),
    ),
    probe=("mates", "tx1", "battery", "gauge"),
    channel_probe=("rx{n}", "name"),
    no_link=frozenset({"NoLink"}),
    rf_warnings=frozenset({"LowSignal", "RfPeak"}),
    af_peak=frozenset({"AfPeak"}),
    encryption_warnings=frozenset({"Aes256Error"}),
    warning_features=frozenset({Feature.ENCRYPTION}),
)

SLDW: Final = Dialect(
    key="sldw",
    family="SpeechLine Digital Wireless",
    channel_leaves=(
        (("rx{n}", "name"), "name"),
        (("rx{n}", "warnings"), "rx_warnings"),
        (("rx{n}", "mute_state"), "tx_mute"),
        (("mates", "tx{n}", "bat_gauge"), "bat_gauge"),
        (("mates", "tx{n}", "bat_lifetime"), "bat_seconds"),
        (("mates", "tx{n}", "device_type"), "tx_device_type"),
        (("mates", "tx{n}", "warnings"), "tx_warnings"),
    ),
    probe=("mates", "tx1", "bat_gauge"),
    channel_probe=("rx{n}", "mute_state"),
    no_link=frozenset({"No Link"}),
    rf_warnings=frozenset({"Bad Link"}),
    af_peak=frozenset(),
    active_mates=("mates", "active"),
)

DIALECTS: Final = (EWDX, SLDW)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def _in_range(value: Any, bounds: tuple[float, float]) -> float | None:
    number = _number(value)
    if number is None or not bounds[0] <= number <= bounds[1]:
        return None
    return number


def _integer(value: Any, low: int, high: int) -> int | None:
    number = _in_range(value, (low, high))
    return None if number is None else round(number)


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return None if text.lower() in _NO_VALUE_STRINGS else text


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _warnings(value: Any) -> frozenset[str] | None:
    """Warnings come as a list of strings (EW-DX) or one string (SpeechLine, "" = none)."""
    if isinstance(value, str):
        return frozenset({value.strip()} - {""})
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(item.strip() for item in value) - {""}
    return None


def parse_active_mates(value: Any) -> frozenset[int] | None:
    """``["mates/tx1","mates/tx3"]`` or ``["tx1"]`` -> {1, 3}; None if not a list of those."""
    if not isinstance(value, list):
        return None
    found: set[int] = set()
    for item in value:
        if not isinstance(item, str):
            return None
        name = item.rsplit("/", 1)[-1]
        if not name.startswith("tx") or not name[2:].isdigit():
            return None
        found.add(int(name[2:]))
    return frozenset(found)


def _has(leaves: Mapping[str, Any], key: str) -> bool:
    return key in leaves and not isinstance(leaves[key], SscError)


def is_linked(
    dialect: Dialect, channel: int, leaves: Mapping[str, Any], active: frozenset[int] | None
) -> bool:
    """Whether a transmitter is linked to ``channel`` (False when anything says it is not).

    Three independent signs, any of which means "no transmitter": a 424 on a transmitter
    address, the channel's no-link warning, and the device's active-mates list.
    """
    if any(
        isinstance(value, SscError) and value.code == FAILED_DEPENDENCY
        for key, value in leaves.items()
        if key in TX_LEAVES
    ):
        return False
    warnings = _warnings(leaves.get("rx_warnings"))
    if warnings is not None and warnings & dialect.no_link:
        return False
    if active is not None and channel not in active:
        return False
    return any(_has(leaves, key) for key in TX_LEAVES) or (
        warnings is not None or active is not None
    )


def _whole(value: Any) -> int | None:
    """A finite JSON number, rounded; no range (the value gate has it)."""
    number = _number(value)
    return None if number is None else round(number)


def transmitter_values(leaves: Mapping[str, Any]) -> Transmitter:
    """The transmitter fields of a linked channel."""
    model = _text(leaves.get("tx_type"))
    device_type = _integer(leaves.get("tx_device_type"), 0, 99)
    if model is None and device_type is not None:
        model = _SLDW_DEVICE_TYPES.get(device_type)
    capsule = _text(leaves.get("tx_capsule"))
    if model is not None and capsule is not None:
        model = f"{model} ({capsule})"
    # Any number: whether it is a runtime is the value gate's rule (Limits), the same for
    # SSCv2's lifetime of the same EW-DX battery.
    minutes = _whole(leaves.get("bat_minutes"))
    seconds = _whole(leaves.get("bat_seconds"))
    if minutes is None and seconds is not None:
        minutes = seconds // 60
    return Transmitter(
        model=model,
        battery_percent=_integer(leaves.get("bat_gauge"), 0, 100),
        runtime_minutes=minutes,
        battery_type=_text(leaves.get("bat_type")),
        muted=_flag(leaves.get("tx_mute")),
        locked=_flag(leaves.get("tx_lock")),
    )


def channel_values(
    dialect: Dialect, channel: int, leaves: Mapping[str, Any], active: frozenset[int] | None
) -> dict[str, object]:
    """Model values of one channel from its latest leaf values (errors as :class:`SscError`).

    Pure; the plugin calls it after every message touching the channel and applies only what
    changed. Every sentinel or out-of-range value maps to ``None``.
    """
    warnings = _warnings(leaves.get("rx_warnings"))
    tx_warnings = _warnings(leaves.get("tx_warnings"))
    frequency = _in_range(leaves.get("frequency_khz"), _FREQUENCY_KHZ)
    divi = _integer(leaves.get("divi"), 0, 2)
    linked = is_linked(dialect, channel, leaves, active)
    clipping: bool | None = None
    if warnings is not None or tx_warnings is not None:
        clipping = bool(
            dialect.af_peak & ((warnings or frozenset()) | (tx_warnings or frozenset()))
        )
    return {
        "name": _text(leaves.get("name")),
        "frequency_mhz": None if frequency is None else round(frequency / 1000, 3),
        "muted": _flag(leaves.get("rx_mute")),
        "rf_level": _in_range(leaves.get("rssi"), _RSSI_DBM),
        "rf_quality": _integer(leaves.get("rsqi"), 0, 100),
        "antenna": None if divi is None else _ANTENNAS.get(divi),
        "audio_level": _in_range(leaves.get("af"), _AF_DBFS),
        "audio_clipping": clipping if dialect.af_peak else None,
        "rf_warning": None if warnings is None else bool(warnings & dialect.rf_warnings),
        "encryption_warning": (
            bool(warnings & dialect.encryption_warnings)
            if warnings is not None and dialect.encryption_warnings
            else None
        ),
        "transmitter": transmitter_values(leaves) if linked else None,
    }
