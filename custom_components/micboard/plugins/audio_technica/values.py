"""Audio-Technica answers -> normalized model values: units, sentinels and features, all pure.

A channel's raw state is the latest parameter list per get command (the channel number
already removed), e.g. ``{"glevelbatttx": ("1", "80", "0330", "0"), "glevelrf": ("5",)}``.
Every update recomputes the channel's values from that state, so a value that arrives on its
own (a notification, one poll) lands in the same place as a full snapshot.

Value scales come from the Companion ESW module's tables [code, unverified on hardware]:

- ``glevelrf``: step 0-7; 0 = no link, 1 = -90..-84 dBm ... 7 = -54 dBm or more. The model
  gets the lower edge of the step's range (dBm); a negative number is taken as dBm as is, in
  case a firmware reports real values.
- ``glevelafrx``: step 0-7; 0 = no link, 1 = -50..-40 dBFS ... 7 = -1 dBFS or more (the top
  step is the overload zone, reported as ``audio_clipping``).
- ``glevelbatttx``: link status (0 = no link), battery level (%), battery life (``HHMM``),
  USB charging status (0 = not charging). System 20 PRO answers only link and level.
- ``gtxbattery``: 0 Alkaline, 1 NiMH, 2 Lithium.
- ``gstsmute``: channel mute, then (ESW) transmitter mute.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model import (
    Feature,
    Transmitter,
)

type ChannelState = Mapping[str, tuple[str, ...]]

# Commands, grouped by how often they are worth asking (see the plugin's poll loop).
GET_MODEL = "gmymodel"
GET_NAME = "gmyname"
GET_VERSION = "gmyversion"
RF_LEVEL = "glevelrf"
AF_LEVEL = "glevelafrx"
BATTERY_TX = "glevelbatttx"
TX_STATUS = "gststx"
STATUS_MUTE = "gstsmute"
CHANNEL_MUTE = "gchmute"
TX_MUTE = "gtxmute"
CHANNEL_NAME = "gchname"
TX_NAME = "gtxname"
TX_MODEL = "gtxmodel"
TX_BATTERY_TYPE = "gtxbattery"

#: Meters: polled at the user's meter interval (the device does not notify them).
METER_COMMANDS = (RF_LEVEL, AF_LEVEL)
#: Status: pushed by notifications where the device sends them, polled every few seconds.
STATUS_COMMANDS = (BATTERY_TX, TX_STATUS, STATUS_MUTE, CHANNEL_MUTE, TX_MUTE)
#: Names and transmitter details: change rarely, polled slowly.
CONFIG_COMMANDS = (CHANNEL_NAME, TX_NAME, TX_MODEL, TX_BATTERY_TYPE)
CHANNEL_COMMANDS = METER_COMMANDS + STATUS_COMMANDS + CONFIG_COMMANDS
DEVICE_COMMANDS = (GET_MODEL, GET_NAME, GET_VERSION)

#: A raw RF value in this range (dBm) is taken as it is rather than as a step.
RAW_DBM_RANGE = range(-130, 0)
RF_STEP_DBM: dict[int, float] = {
    1: -90.0,
    2: -84.0,
    3: -78.0,
    4: -72.0,
    5: -66.0,
    6: -60.0,
    7: -54.0,
}
AF_STEP_DBFS: dict[int, float] = {
    1: -50.0,
    2: -40.0,
    3: -30.0,
    4: -20.0,
    5: -12.0,
    6: -6.0,
    7: -1.0,
}
AF_OVERLOAD_STEP = 7
PERCENT_RANGE = range(101)
_HHMM_LENGTH = 4
_MINUTES_PER_HOUR = 60
BATTERY_TYPES = {"0": "Alkaline", "1": "NiMH", "2": "Lithium"}
POWER_USB = "usb"
POWER_BATTERY = "battery"


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def flag(value: str | None) -> bool | None:
    """``0``/``1`` -> bool; anything else is unknown."""
    number = _int(value)
    return None if number not in (0, 1) else bool(number)


def text(value: str | None) -> str | None:
    """A name or model; blank (and the ``*`` markers the ESW puts around TX names) -> None."""
    if value is None:
        return None
    cleaned = value.strip().strip("*").strip()
    return cleaned or None


def rf_level_dbm(value: str | None) -> float | None:
    """RF step (or a raw negative dBm) -> dBm; no link and out-of-range values -> None."""
    number = _int(value)
    if number is None:
        return None
    if number in RAW_DBM_RANGE:
        return float(number)
    return RF_STEP_DBM.get(number)


def audio_level(value: str | None) -> tuple[float | None, bool | None]:
    """AF step -> (dBFS, overload flag); no link and out-of-range values -> (None, None)."""
    number = _int(value)
    if number is None or number not in AF_STEP_DBFS:
        return None, None
    return AF_STEP_DBFS[number], number == AF_OVERLOAD_STEP


def battery_percent(value: str | None) -> int | None:
    """0-100 %; anything else (255-style sentinels, text) -> None."""
    number = _int(value)
    return number if number in PERCENT_RANGE else None


def battery_minutes(value: str | None) -> int | None:
    """``HHMM`` -> minutes; dashes, wrong length or minutes >= 60 -> None."""
    if value is None:
        return None
    value = value.strip()
    if len(value) != _HHMM_LENGTH or not value.isdigit():
        return None
    hours, minutes = int(value[:2]), int(value[2:])
    return None if minutes >= _MINUTES_PER_HOUR else hours * _MINUTES_PER_HOUR + minutes


def battery_type(value: str | None) -> str | None:
    """0/1/2 -> Alkaline/NiMH/Lithium; unknown codes -> None."""
    return None if value is None else BATTERY_TYPES.get(value.strip())


def _field(state: ChannelState, command: str, index: int) -> str | None:
    params = state.get(command)
    if params is None or len(params) <= index:
        return None
    return params[index]


def transmitter_present(state: ChannelState) -> bool:
    """A transmitter is on and linked when every known indicator says so.

    ``glevelbatttx``'s link status (ESW, System 20 PRO) and ``gststx`` (System 20 PRO) can
    both be known; either one saying "off" wins, and with neither known there is none.
    """
    indicators = [flag(_field(state, BATTERY_TX, 0)), flag(_field(state, TX_STATUS, 0))]
    known = [value for value in indicators if value is not None]
    return bool(known) and all(known)


def channel_values(state: ChannelState) -> dict[str, object]:
    """Model values of one channel from its raw state."""
    transmitter: Transmitter | None = None
    if transmitter_present(state):
        charging = flag(_field(state, BATTERY_TX, 3))
        tx_muted = flag(_field(state, STATUS_MUTE, 1))
        if tx_muted is None:
            tx_muted = flag(_field(state, TX_MUTE, 0))
        transmitter = Transmitter(
            model=text(_field(state, TX_MODEL, 0)),
            battery_percent=battery_percent(_field(state, BATTERY_TX, 1)),
            runtime_minutes=battery_minutes(_field(state, BATTERY_TX, 2)),
            battery_type=battery_type(_field(state, TX_BATTERY_TYPE, 0)),
            power_source=None if charging is None else (POWER_USB if charging else POWER_BATTERY),
            muted=tx_muted,
        )
    muted = flag(_field(state, STATUS_MUTE, 0))
    if muted is None:
        muted = flag(_field(state, CHANNEL_MUTE, 0))
    level, overload = audio_level(_field(state, AF_LEVEL, 0))
    return {
        "name": text(_field(state, CHANNEL_NAME, 0)) or text(_field(state, TX_NAME, 0)),
        "rf_level": rf_level_dbm(_field(state, RF_LEVEL, 0)),
        "audio_level": level,
        "audio_clipping": overload,
        "muted": muted,
        "transmitter": transmitter,
    }


#: A feature is supported when the receiver accepts any of these commands.
_FEATURE_COMMANDS: tuple[tuple[Feature, frozenset[str]], ...] = (
    (Feature.NAME, frozenset({CHANNEL_NAME, TX_NAME})),
    (Feature.RF_LEVEL, frozenset({RF_LEVEL})),
    (Feature.AUDIO_LEVEL, frozenset({AF_LEVEL})),
    (Feature.MUTE, frozenset({STATUS_MUTE, CHANNEL_MUTE})),
    (Feature.TRANSMITTER, frozenset({BATTERY_TX, TX_STATUS})),
    (Feature.TX_MODEL, frozenset({TX_MODEL})),
    (Feature.BATTERY_TYPE, frozenset({TX_BATTERY_TYPE})),
    (Feature.TX_MUTE, frozenset({TX_MUTE})),
)
#: ... or when an answer has this field (index after the channel number).
_FEATURE_FIELDS: tuple[tuple[Feature, str, int], ...] = (
    (Feature.BATTERY_PERCENT, BATTERY_TX, 1),
    (Feature.BATTERY_RUNTIME, BATTERY_TX, 2),
    (Feature.TX_MUTE, STATUS_MUTE, 1),
)


def channel_features(supported: frozenset[str], state: ChannelState) -> frozenset[Feature]:
    """What this channel can report, from the commands the device accepts.

    ``supported`` holds the channel commands the device did not refuse as invalid. Fields
    that some models leave out (battery life on System 20 PRO, the transmitter-mute half of
    ``gstsmute``) count only when the last answer had them; with no answer yet they count, so
    a busy start-up does not hide entities for good.
    """
    features = {feature for feature, commands in _FEATURE_COMMANDS if commands & supported}
    for feature, command, index in _FEATURE_FIELDS:
        params = state.get(command)
        if command in supported and (params is None or len(params) > index):
            features.add(feature)
    return frozenset(features)


def firmware(params: tuple[str, ...]) -> str | None:
    """``gmyversion`` may list several component versions; the first is the product's."""
    return text(params[0]) if params else None
