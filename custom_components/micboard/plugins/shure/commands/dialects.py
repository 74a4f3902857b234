"""The six Shure command-string dialects: parameter names, units, features and commands.

Families share the ``< GET/SET/REP >`` grammar but not their vocabulary: a ULX-D says
``BATT_BARS`` where an Axient Digital says ``TX_BATT_BARS``, and a GET for a name a device
does not know is answered by silence. So each family is described once here, as data: which
parameter feeds which model field, how a SAMPLE is laid out, what the device can do. The plugin
holds the raw values per channel (``Raw``) and asks the dialect to turn them into model values;
the same functions serve the full snapshot and the per-message path, so they cannot disagree.

The fields all families have are written once (:class:`FieldSpec`: name, frequency, on/off
words, -120 meters, the transmitter); a family is a list of them with its own parameter names
and words (:class:`TransmitterParams` for the transmitter), and :func:`tables` derives which
parameter feeds which field from that list. Only the SAMPLE layouts stay one function per
family: they really differ.

Facts and sources: ``research/shure.md`` §2.2-§2.8. Choices where the sources are silent or
disagree are marked [?] and described in ``docs/protocols/shure.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
import math
from typing import Literal, TypedDict

from ...model import (
    RECEIVER_CHANNEL_FEATURES,
    Feature,
    Transmitter,
)
from ...validate import DEFAULT_LIMITS, in_range
from .values import (
    antennas,
    bars,
    frequency_mhz,
    level,
    minutes,
    number,
    percent,
    runtime_status,
    strongest,
    switch,
    word,
)

#: Raw values of one channel (or of the device), keyed by parameter name; indexed
#: sub-parameters are keyed ``"RSSI:1"``.
type Raw = dict[str, str]
type ChannelFn = Callable[[Mapping[str, str]], object]
type SampleFn = Callable[[list[str], Raw], dict[str, object] | None]

#: Meter interval limits the command strings accept (ms); 0 means off.
METER_MIN_MS = 100
METER_MAX_MS = 65535
#: UHF-R meters in steps of 30 ms, three digits.
UHFR_METER_STEP_MS = 30
UHFR_METER_MAX_STEPS = 999

#: ULX-D/QLX-D SAMPLE has no overload flag; Micboard calls a channel peaking at 80 % of its
#: 0-50 audio scale, i.e. a raw 40 (-10 dBFS on the scale Companion uses). [I]
ULX_PEAK_RAW = 40
#: SLX-D SAMPLE has no overload flag either; a peak within 1 dB of full scale is a clip. [?]
SLX_CLIP_DBFS = -1.0
#: Axient's audio LED bitmap: bit 8 is the overload LED.
AD_OVERLOAD_BIT = 0x80
#: UHF-R's audio field, read as Micboard does: an 8-LED bitmap whose top LED is the peak. [?]
UHFR_PEAK_BIT = 0x80
#: UHF-R's per-antenna RF scale: 020 is the strongest (overload), 100 the weakest. [I]
UHFR_RF_STRONGEST = 20
UHFR_RF_WEAK = 100
#: What the value gate accepts as a quality percentage.
QUALITY_RANGE = DEFAULT_LIMITS.rf_quality_percent
#: Axient link quality is 0-5; the model wants percent.
AD_QUALITY_STEPS = 5
#: Antennas per Axient SAMPLE section: diversity or quadversity.
AD_ANTENNA_COUNTS = frozenset({2, 4})


#: The receiver-level parameters most families answer (AD and SLX-D add MODEL).
_DEVICE_FIELDS: Mapping[str, str] = {"DEVICE_ID": "name", "FW_VER": "firmware"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialect:
    """Everything the plugin needs to know about one family."""

    code: str  # ulxd, qlxd, slxd, ad, uhfr, psm1000 (the simulator uses the same codes)
    label: str  # marketing name, for titles and logs
    transport: Literal["tcp", "udp"] = "tcp"
    reply: str = "REP"  # keyword of device replies: REPORT on PSM1000 and UHF-R
    terminator: str = ""  # appended to each command: PSM1000 ignores commands without CRLF
    features: frozenset[Feature]
    #: model field -> function of the channel's raw values (see :func:`tables`)
    channel_fields: Mapping[str, ChannelFn]
    #: parameter -> model fields it feeds
    param_fields: Mapping[str, tuple[str, ...]]
    #: receiver-level parameter -> Receiver attribute
    device_fields: Mapping[str, str] = field(default_factory=lambda: _DEVICE_FIELDS)
    sample: SampleFn | None = None
    #: channel count by model prefix (longest match wins)
    models: Mapping[str, int]
    get_all: bool = True
    dump_channel_params: tuple[str, ...] = ()
    dump_device_params: tuple[str, ...] = ()
    indexed_params: frozenset[str] = frozenset()
    flash: Literal["none", "receiver", "channel"] = "none"
    #: Whether to ask for metering at all (not where no metered value reaches the model).
    meters: bool = True
    #: How METER_RATE is written: 5 digits everywhere but PSM1000 (unpadded, [?]).
    meter_width: int = 5

    # -- commands -----------------------------------------------------------------------------

    def encode(self, command: str) -> bytes:
        """Frame one command for the wire."""
        if self.transport == "udp":
            return f"* {command} *".encode("ascii")
        return f"< {command} >{self.terminator}".encode("ascii")

    def dump_commands(self, channels: tuple[int, ...]) -> list[str]:
        """Commands that make the device report every value once."""
        if self.get_all:
            return ["GET 0 ALL"]
        commands = [f"GET {param}" for param in self.dump_device_params]
        commands.extend(
            f"GET {index} {param}" for index in channels for param in self.dump_channel_params
        )
        return commands

    def meter_on_commands(self, channels: tuple[int, ...], interval_ms: int) -> list[str]:
        """Start metering at ``interval_ms`` (already clamped by :func:`meter_interval_ms`)."""
        if not self.meters:
            return []
        if self.transport == "udp":
            steps = max(1, min(UHFR_METER_MAX_STEPS, round(interval_ms / UHFR_METER_STEP_MS)))
            return [f"METER {index} ALL {steps:03d}" for index in channels]
        rate = f"{interval_ms:0{self.meter_width}d}"
        return [f"SET {index} METER_RATE {rate}" for index in channels]

    def meter_off_commands(self, channels: tuple[int, ...]) -> list[str]:
        """Stop metering (sent before every disconnect)."""
        if not self.meters:
            return []
        if self.transport == "udp":
            return [f"METER {index} ALL STOP" for index in channels]
        return [f"SET {index} METER_RATE {0:0{self.meter_width}d}" for index in channels]

    def keepalive_command(self) -> str:
        """A cheap GET every family answers, for the liveness watchdog."""
        return "GET 1 CHAN_NAME"

    def flash_command(self, channel: int | None) -> str | None:
        """``SET [n] FLASH ON``, or ``None`` if the family cannot flash (QLX-D, UHF-R...).

        Families that flash only the whole receiver (ULX-D) flash it for a channel too.
        """
        if self.flash == "none":
            return None
        if channel is None or self.flash == "receiver":
            return "SET FLASH ON"
        return f"SET {channel} FLASH ON"

    # -- values -------------------------------------------------------------------------------

    def channel_values(self, raw: Mapping[str, str]) -> dict[str, object]:
        """Every model field of a channel from its raw values (the snapshot path)."""
        return {name: fn(raw) for name, fn in self.channel_fields.items()}

    def channel_count(self, model: str | None) -> int | None:
        """Channels of a model (``AD4Q-A`` → 4), from the longest matching prefix."""
        if not model:
            return None
        upper = model.upper().replace(" ", "")
        matches = [prefix for prefix in self.models if upper.startswith(prefix)]
        return self.models[max(matches, key=len)] if matches else None


def meter_interval_ms(meter_interval: float) -> int:
    """The user's meter interval (s) as a METER_RATE the device accepts.

    The option defaults to 1 s, so devices meter at 1000 ms unless the user set less; 100 ms is
    the protocol's floor and 65535 ms its ceiling.
    """
    if not math.isfinite(meter_interval):
        return 1000
    return max(METER_MIN_MS, min(METER_MAX_MS, round(meter_interval * 1000)))


# -- field specs: what every family has, told apart by parameter names --------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec[T]:
    """One model field: the parameters it is read from (indexed ones by their base name), and how.

    A family is a list of these; :func:`tables` turns the list into the two lookups the plugin
    uses, so "which parameter feeds which field" is never written by hand and cannot disagree
    with the function that reads the field.
    """

    name: str
    params: tuple[str, ...]
    read: Callable[[Mapping[str, str]], T]


class Tables(TypedDict):
    """A family's two field lookups, as :class:`Dialect` takes them."""

    channel_fields: Mapping[str, ChannelFn]
    param_fields: Mapping[str, tuple[str, ...]]


def tables(*specs: FieldSpec[object]) -> Tables:
    """``channel_fields`` and ``param_fields`` of a family made of ``specs``."""
    params: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        for param in spec.params:
            params[param] = (*params.get(param, ()), spec.name)
    return {"channel_fields": {spec.name: spec.read for spec in specs}, "param_fields": params}


def _name(raw: Mapping[str, str]) -> str | None:
    name = raw.get("CHAN_NAME", "").strip()
    return name or None


def _frequency(raw: Mapping[str, str]) -> float | None:
    return frequency_mhz(raw.get("FREQUENCY", ""))


NAME = FieldSpec("name", ("CHAN_NAME",), _name)
FREQUENCY = FieldSpec("frequency_mhz", ("FREQUENCY",), _frequency)


def switch_field(name: str, param: str, on: str = "ON", off: str = "OFF") -> FieldSpec[bool | None]:
    """A field that is an on/off word (the words differ by family and parameter)."""
    return FieldSpec(name, (param,), lambda raw: switch(raw.get(param, ""), on, off))


def meter_field(name: str, param: str, key: str | None = None) -> FieldSpec[float | None]:
    """A dBm/dBFS field sent as raw - 120 (AD, SLX-D); ``key`` for one indexed value."""
    source = key or param
    return FieldSpec(name, (param,), lambda raw: level(raw.get(source, ""), 120, 0, 255))


def lock_field(*params: str) -> FieldSpec[bool | None]:
    """Locked if any lock is ON, unlocked if all are OFF, else unknown. [?] ON/OFF/UNKN."""

    def locked(raw: Mapping[str, str]) -> bool | None:
        states = [switch(raw.get(param, "")) for param in params]
        if any(states):
            return True
        if states and all(state is False for state in states):
            return False
        return None

    return FieldSpec("locked", params, locked)


@dataclass(frozen=True, slots=True, kw_only=True)
class TransmitterParams:
    """Where a family keeps its transmitter's values: a parameter name per attribute.

    ``None`` where the family has no such parameter (the attribute stays unknown).
    """

    model: str | None
    #: Read when ``model`` says nothing (SLX-D firmware that answers ``TX_TYPE``).
    model_fallback: str | None = None
    bars: str
    #: Read when ``bars`` was never reported (UHF-R's TX_BAT, or BATT_BARS as Micboard asks).
    bars_fallback: str | None = None
    percent: str | None = None
    runtime: str | None = None
    battery_type: str | None = None
    power_source: str | None = None
    muted: FieldSpec[bool | None] | None = None
    locked: FieldSpec[bool | None] | None = None

    def params(self) -> tuple[str, ...]:
        """Every parameter that feeds the transmitter."""
        names = (
            self.model,
            self.model_fallback,
            self.bars,
            self.bars_fallback,
            self.percent,
            self.battery_type,
            self.runtime,
            self.power_source,
        )
        specs = (spec for spec in (self.muted, self.locked) if spec is not None)
        return (
            *(name for name in names if name is not None),
            *(param for spec in specs for param in spec.params),
        )


#: :func:`transmitter_field` passes these positionally, the cheapest call on the hot path
#: (a kwargs call costs twice as much); so their order is checked once, here.
_TRANSMITTER_ORDER = (
    "model",
    "battery_bars",
    "battery_percent",
    "runtime_minutes",
    "battery_type",
    "power_source",
    "muted",
    "locked",
)
if tuple(item.name for item in fields(Transmitter))[:8] != _TRANSMITTER_ORDER:  # pragma: no cover
    raise ImportError("Transmitter's fields moved: update transmitter_field()")


def transmitter_field(where: TransmitterParams) -> FieldSpec[Transmitter | None]:
    """The ``transmitter`` field: linked while the receiver knows its model or any battery value.

    A model word alone is not needed: a receiver reporting bars, percent, runtime or a runtime
    status (calculating, error) has a transmitter on, whatever its model parameter says (or if
    it never says one).
    The parameter names are bound into the reader once, so reading costs what a hand-written
    function per family did.
    """
    model_param, bars_param, fallback = where.model, where.bars, where.bars_fallback
    model_fallback = where.model_fallback
    percent_param, runtime_param = where.percent, where.runtime
    type_param, source_param = where.battery_type, where.power_source
    muted = None if where.muted is None else where.muted.read
    locked = None if where.locked is None else where.locked.read

    def read(raw: Mapping[str, str]) -> Transmitter | None:
        get = raw.get
        model = None if model_param is None else word(get(model_param, ""))
        if model is None and model_fallback is not None:
            model = word(get(model_fallback, ""))
        value = get(bars_param)
        if value is None:
            value = "" if fallback is None else get(fallback, "")
        battery_bars = bars(value)
        battery_percent = None if percent_param is None else percent(get(percent_param, ""))
        runtime_raw = "" if runtime_param is None else get(runtime_param, "")
        runtime = minutes(runtime_raw)
        status = runtime_status(runtime_raw)  # "calculating" is a transmitter that is on
        if (
            model is None
            and battery_bars is None
            and battery_percent is None
            and runtime is None
            and status is None
        ):
            return None
        transmitter = Transmitter(  # in _TRANSMITTER_ORDER
            model,
            battery_bars,
            battery_percent,
            runtime,
            None if type_param is None else word(get(type_param, "")),
            None if source_param is None else word(get(source_param, "")),
            None if muted is None else muted(raw),
            None if locked is None else locked(raw),
        )
        if status is not None:
            transmitter.runtime_status = status
        return transmitter

    return FieldSpec("transmitter", where.params(), read)


_MIC_FEATURES = frozenset(
    {
        Feature.NAME,
        Feature.FREQUENCY,
        Feature.AUDIO_LEVEL,
        Feature.RF_LEVEL,
        Feature.TRANSMITTER,
        Feature.TX_MODEL,
        Feature.BATTERY_BARS,
        Feature.BATTERY_RUNTIME,
    }
)
_AUDIO_MUTE = switch_field("muted", "AUDIO_MUTE")
_AUDIO_LEVEL = meter_field("audio_level", "AUDIO_LEVEL_RMS")
_AUDIO_PEAK = meter_field("audio_peak", "AUDIO_LEVEL_PEAK")


# -- ULX-D / QLX-D ---------------------------------------------------------------------------


def _ulx_sample(tokens: list[str], raw: Raw) -> dict[str, object] | None:
    """``SAMPLE n ALL nn aaa eee``: antenna LEDs, RF (dBm = aaa - 128), audio (0-50)."""
    match tokens:
        case [_, _, _, antenna, rf, audio]:
            audio_raw = number(audio, 0, 50)
            return {
                "antenna": antennas(antenna),
                "rf_level": level(rf, 128, 0, 115),
                "audio_level": None if audio_raw is None else float(audio_raw - 50),
                "audio_clipping": None if audio_raw is None else audio_raw >= ULX_PEAK_RAW,
            }
    return None


_ULX_FIELDS = (
    NAME,
    FREQUENCY,
    transmitter_field(
        TransmitterParams(
            model="TX_TYPE",
            bars="BATT_BARS",
            percent="BATT_CHARGE",
            runtime="BATT_RUN_TIME",
            battery_type="BATT_TYPE",
            power_source="TX_POWER_SOURCE",
            muted=switch_field("muted", "TX_MUTE_STATUS"),
            locked=lock_field("TX_PWR_LOCK", "TX_MENU_LOCK"),
        )
    ),
    switch_field("encryption_warning", "ENCRYPTION_WARNING"),
)
_ULX_FEATURES = _MIC_FEATURES | {
    Feature.ANTENNA,
    Feature.ENCRYPTION,
    Feature.TX_MUTE,
    Feature.BATTERY_PERCENT,
    Feature.BATTERY_TYPE,
}

ULXD = Dialect(
    code="ulxd",
    label="ULX-D",
    features=_ULX_FEATURES | {Feature.MUTE, Feature.INTERFERENCE},
    **tables(
        *_ULX_FIELDS,
        _AUDIO_MUTE,
        switch_field("interference", "RF_INT_DET", "CRITICAL", "NONE"),
    ),
    sample=_ulx_sample,
    models={"ULXD4": 1, "ULXD4D": 2, "ULXD4Q": 4},
    flash="receiver",
)

QLXD = Dialect(
    code="qlxd",
    label="QLX-D",
    # QLX-D has no receiver output mute and no interference detection.
    features=_ULX_FEATURES,
    **tables(*_ULX_FIELDS),
    sample=_ulx_sample,
    models={"QLXD4": 1},
)


# -- Axient Digital --------------------------------------------------------------------------


def _ad_lock(raw: Mapping[str, str]) -> bool | None:
    value = raw.get("TX_LOCK", "")
    if value == "NONE":
        return False
    return None if word(value) is None else True


def _ad_quality(raw: str) -> int | None:
    quality = number(raw, 0, AD_QUALITY_STEPS)
    return None if quality is None else quality * 100 // AD_QUALITY_STEPS


def _ad_rf_levels(raw: Mapping[str, str]) -> tuple[float | None, ...]:
    """Per-antenna RSSI from ``REP n RSSI a vvv`` (dBm = vvv - 120), antennas 1-4."""
    levels = [level(raw[key], 120, 0, 255) for i in range(1, 5) if (key := f"RSSI:{i}") in raw]
    return tuple(levels)


def _ad_sample(tokens: list[str], raw: Raw) -> dict[str, object] | None:
    """``SAMPLE n ALL qual bitmap peak rms`` then antenna sections.

    Each section is an antenna-status word (one letter per antenna: 2, or 4 in quadversity)
    followed by a (bitmap, rssi) pair per antenna; FD-C appends a second section for the
    second frequency. The layout is read from the words, never assumed.
    """
    match tokens:
        case [_, _, _, quality, bitmap_raw, peak, rms, *sections] if sections:
            pass
        case _:
            return None
    lit: set[str] = set()
    levels: list[float | None] = []
    while sections:
        status, *sections = sections
        count = len(status)
        if count not in AD_ANTENNA_COUNTS or len(sections) < 2 * count:
            return None
        if (lit_here := antennas(status)) is not None:
            lit.update(lit_here)
        levels.extend(level(rssi, 120, 0, 255) for rssi in sections[1 : 2 * count : 2])
        sections = sections[2 * count :]
    bitmap = number(bitmap_raw, 0, 255)
    rf = tuple(levels)
    return {
        "rf_quality": _ad_quality(quality),
        "audio_clipping": None if bitmap is None else bool(bitmap & AD_OVERLOAD_BIT),
        "audio_peak": level(peak, 120, 0, 255),
        "audio_level": level(rms, 120, 0, 255),
        "antenna": "".join(sorted(lit)) or None,
        "rf_levels": rf,
        "rf_level": strongest(rf),
    }


AD = Dialect(
    code="ad",
    label="Axient Digital",
    features=RECEIVER_CHANNEL_FEATURES,
    **tables(
        NAME,
        FREQUENCY,
        transmitter_field(
            TransmitterParams(
                model="TX_MODEL",
                bars="TX_BATT_BARS",
                percent="TX_BATT_CHARGE_PERCENT",
                runtime="TX_BATT_MINS",
                battery_type="TX_BATT_TYPE",
                # ``ON`` means the transmitter is *on* (unmuted).
                muted=switch_field("muted", "TX_MUTE_MODE_STATUS", on="MUTE", off="ON"),
                locked=FieldSpec("locked", ("TX_LOCK",), _ad_lock),
            )
        ),
        _AUDIO_MUTE,
        switch_field("interference", "INTERFERENCE_STATUS", "DETECTED", "NONE"),
        switch_field("encryption_warning", "ENCRYPTION_STATUS", "ERROR", "OK"),
        FieldSpec(
            "rf_quality", ("CHAN_QUALITY",), lambda raw: _ad_quality(raw.get("CHAN_QUALITY", ""))
        ),
        FieldSpec("rf_levels", ("RSSI",), _ad_rf_levels),
        FieldSpec("rf_level", ("RSSI",), lambda raw: strongest(_ad_rf_levels(raw))),
        FieldSpec(
            "antenna", ("ANTENNA_STATUS",), lambda raw: antennas(raw.get("ANTENNA_STATUS", ""))
        ),
        _AUDIO_LEVEL,
        _AUDIO_PEAK,
    ),
    device_fields={**_DEVICE_FIELDS, "MODEL": "model"},
    sample=_ad_sample,
    models={"AD4D": 2, "AD4Q": 4},
    indexed_params=frozenset({"RSSI", "RSSI_LED_BITMAP"}),
    flash="channel",
)


# -- SLX-D -------------------------------------------------------------------------------------


def _slx_sample(tokens: list[str], raw: Raw) -> dict[str, object] | None:
    """``SAMPLE n ALL peak rms rssi``: dBFS and dBm are raw - 120, RSSI is combined."""
    match tokens:
        case [_, _, _, peak_raw, rms, rssi]:
            peak = level(peak_raw, 120, 0, 255)
            return {
                "audio_peak": peak,
                "audio_level": level(rms, 120, 0, 255),
                "rf_level": level(rssi, 120, 0, 255),
                "audio_clipping": None if peak is None else peak >= SLX_CLIP_DBFS,
            }
    return None


def _slx_rf_level(raw: Mapping[str, str]) -> float | None:
    """``REP n RSSI 1 vvv`` and ``REP n RSSI 2 vvv`` (dBm = vvv - 120): the stronger antenna.

    The SAMPLE's one RSSI is "combined across antennas"; taking the stronger of the two REPs
    is how that combined figure is read here, so both paths give the same meaning. [?]
    """
    return strongest(_ad_rf_levels(raw))


SLXD = Dialect(
    code="slxd",
    label="SLX-D",
    # No battery percent, quality, antenna, mute, interference or encryption on SLX-D.
    features=_MIC_FEATURES,
    **tables(
        NAME,
        FREQUENCY,
        transmitter_field(
            # TX_MODEL in Shure's SLX-D strings; a client written against SLX-D units reads
            # TX_TYPE (Companion), so either is taken.
            TransmitterParams(
                model="TX_MODEL",
                model_fallback="TX_TYPE",
                bars="TX_BATT_BARS",
                runtime="TX_BATT_MINS",
            )
        ),
        FieldSpec("rf_level", ("RSSI",), _slx_rf_level),
        _AUDIO_LEVEL,
        _AUDIO_PEAK,
    ),
    device_fields={**_DEVICE_FIELDS, "MODEL": "model"},
    sample=_slx_sample,
    models={"SLXD4": 1, "SLXD4D": 2, "SLXD4Q": 4},
    indexed_params=frozenset({"RSSI"}),
    flash="channel",
)


# -- UHF-R -------------------------------------------------------------------------------------

#: UHF-R names no transmitter model; a known battery reading means one is linked. ``TX_BAT``
#: is 1-5 or ``U``; Micboard also asks ``BATT_BARS``, so either is accepted.
_UHFR_TRANSMITTER = transmitter_field(
    TransmitterParams(model=None, bars="TX_BAT", bars_fallback="BATT_BARS")
)
_uhfr_transmitter = _UHFR_TRANSMITTER.read


def _uhfr_quality(raw: str) -> float | None:
    """One antenna's RF as percent: ``100 * (100 - v) / 80`` (020 → 100 %, 100 → 0 %).

    UHF-R's RF is documented only as an inverted coarse scale (020 = overload … 100 = weak),
    not in dBm; the percent is Micboard's reading of it. Raw values outside 020-100 land
    outside 0-100 % on purpose: the value gate then makes them unknown and counts them.
    """
    if not raw.isdecimal():
        return None
    return (UHFR_RF_WEAK - int(raw)) * 100 / (UHFR_RF_WEAK - UHFR_RF_STRONGEST)


def _uhfr_rf_quality(levels: tuple[float | None, ...]) -> int | None:
    """The strongest antenna's percent; an antenna off the scale makes the reading invalid.

    Taking the maximum would hide a raw ``000`` behind the other antenna (or make it win at
    125 %), so an off-scale antenna is passed on as the reading for the gate to refuse.
    """
    known = [value for value in levels if value is not None]
    if not known:
        return None
    off_scale = [value for value in known if not in_range(value, QUALITY_RANGE)]
    return round(off_scale[0] if off_scale else max(known))


def _uhfr_sample(tokens: list[str], raw: Raw) -> dict[str, object] | None:
    """``SAMPLE n ALL nn aaa bbb d eee``: antennas, RF A/B, battery, audio LED bitmap."""
    match tokens:
        case [_, _, _, antenna, rf_a, rf_b, battery, audio_raw]:
            audio = number(audio_raw, 0, 255)
            raw["TX_BAT"] = battery
            return {
                "antenna": antennas(antenna),
                "rf_quality": _uhfr_rf_quality((_uhfr_quality(rf_a), _uhfr_quality(rf_b))),
                "audio_clipping": None if audio is None else bool(audio & UHFR_PEAK_BIT),
                "transmitter": _uhfr_transmitter(raw),
            }
    return None


UHFR = Dialect(
    code="uhfr",
    label="UHF-R",
    transport="udp",
    reply="REPORT",
    # No dBFS audio (the field is an LED bitmap), no TX model, percent or runtime; RF is a
    # quality percentage (no dBm is documented).
    features=frozenset(
        {
            Feature.NAME,
            Feature.FREQUENCY,
            Feature.RF_QUALITY,
            Feature.ANTENNA,
            Feature.MUTE,
            Feature.TRANSMITTER,
            Feature.BATTERY_BARS,
        }
    ),
    **tables(NAME, FREQUENCY, _UHFR_TRANSMITTER, switch_field("muted", "MUTE")),
    device_fields={"MODEL_NAME": "model", "DEVICE_ID": "name"},
    sample=_uhfr_sample,
    models={"UR4S": 1, "UR4D": 2},
    get_all=False,
    dump_channel_params=("CHAN_NAME", "TX_BAT", "GROUP_CHAN", "FREQUENCY", "MUTE"),
    dump_device_params=("MODEL_NAME",),
)


# -- PSM1000 -----------------------------------------------------------------------------------

PSM1000 = Dialect(
    code="psm1000",
    label="PSM1000",
    reply="REPORT",
    terminator="\r\n",
    # An IEM transmitter: no battery, no transmitter, no received RF. The audio-input meters
    # (AUDIO_IN_LVL_L/_R) have no documented unit, so they are not turned into dBFS.
    features=frozenset({Feature.NAME, Feature.FREQUENCY, Feature.MUTE}),
    **tables(NAME, FREQUENCY, switch_field("muted", "RF_MUTE", on="1", off="0")),
    device_fields={"DEVICE_NAME": "name", "DEVICE_ID": "name", "FW_VER": "firmware"},
    models={"P10T": 2, "PSM1000": 2},
    get_all=False,
    dump_channel_params=("CHAN_NAME", "FREQUENCY", "GROUP_CHAN", "RF_TX_LVL", "RF_MUTE"),
    dump_device_params=("DEVICE_NAME",),
    meters=False,
    meter_width=0,
)

DIALECTS: dict[str, Dialect] = {
    dialect.code: dialect for dialect in (ULXD, QLXD, SLXD, AD, UHFR, PSM1000)
}

#: Model prefix -> family, for models that name themselves (MODEL / MODEL_NAME replies).
MODEL_FAMILIES: tuple[tuple[str, Dialect], ...] = (
    ("ULXD", ULXD),
    ("QLXD", QLXD),
    ("SLXD", SLXD),
    ("AD4", AD),
    ("UR4", UHFR),
    ("P10T", PSM1000),
    ("PSM1000", PSM1000),
)


def family_for_model(model: str) -> Dialect | None:
    """The family of a self-reported model string, or ``None`` for models we do not know."""
    upper = model.upper().replace(" ", "")
    for prefix, dialect in MODEL_FAMILIES:
        if upper.startswith(prefix):
            return dialect
    return None


def default_model(dialect: Dialect, channels: int) -> str:
    """Model name for a family that does not say its own (ULX-D, QLX-D)."""
    for model, count in sorted(dialect.models.items(), key=lambda item: len(item[0])):
        if count == channels:
            return model
    return dialect.label


__all__ = [
    "AD",
    "DIALECTS",
    "PSM1000",
    "QLXD",
    "SLXD",
    "UHFR",
    "ULXD",
    "Dialect",
    "Raw",
    "default_model",
    "family_for_model",
    "meter_interval_ms",
]
