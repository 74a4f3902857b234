"""ew G3/G4 Media Control Protocol (MCP): ASCII lines, and their mapping to the model.

Source: Sennheiser TI 1254 "Media control protocol description - ew 300-500 G4" (see the
research notes, §3). Lines are ``<Attribute> <params…>`` terminated by CR; a GET is the
attribute alone, a SET is echoed, errors are ``<code>: <text> [ <offending command> ]``.
With ``Push`` the receiver sends its *cyclic* attributes every cycle, always in the order
``RF1 RF2 States RF AF Bat Msg Config``, and its *configuration* attributes (``Name``,
``Frequency``, ``Mute``…) when they change.

Unit conversions (documented scales, linear interpolation assumed between them):

- RF: 100 % = 40 dBµV and values above 100 occur; 0 % is taken as 0 dBµV. dBm at 50 Ω is
  dBµV - 107, so ``dBm = 0.4 * percent - 107`` (100 % = -67 dBm).
- AF: 0 % = -50 dB, 100 % = peak (0 dBFS): ``dBFS = percent / 2 - 50``.
- Bat: 0 / 30 / 70 / 100 % (the three display segments); ``?`` = no battery telegram, i.e.
  no transmitter. Third-party code claims G3 sends bars 1-5 instead: accepted, unverified.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import re
from typing import Final

from ...model import (
    Feature,
    Transmitter,
)

#: The receiver ignores lines longer than this; so do we.
MAX_LINE: Final = 1500
MAX_DATAGRAM: Final = 8 * MAX_LINE
CYCLIC_ORDER: Final = ("RF1", "RF2", "States", "RF", "AF", "Bat", "Msg", "Config")
CONFIG_ATTRIBUTES: Final = ("Name", "Frequency", "Mute")

ERROR_TEXT: Final = {
    1000: "Invalid command",
    1010: "Invalid parameter",
    1020: "Value out of range",
    1030: "Relative parameters not supported",
    1040: "Invalid numbers of parameter",
    1050: "Incorrect termination",
}

#: Battery steps of G4 (percent) and their bars on the model's 0-5 scale: 100 and 70 are
#: good, 30 is "replace soon" (one segment left), 0 is critical.
BATTERY_STEPS: Final = {0: 0, 30: 3, 70: 4, 100: 5}
#: Above this RF percentage a value is treated as garbage (the scale exceeds 100 a little).
MAX_RF_PERCENT: Final = 250

FEATURES_EM: Final = frozenset(
    {
        Feature.NAME,
        Feature.FREQUENCY,
        Feature.AUDIO_LEVEL,
        Feature.RF_LEVEL,
        Feature.ANTENNA,
        Feature.MUTE,
        Feature.TRANSMITTER,
        Feature.TX_MUTE,
        Feature.BATTERY_BARS,
        Feature.BATTERY_PERCENT,
    }
)

_ERROR_RE: Final = re.compile(r"^(\d{4})\s*:\s*([^\[]*?)\s*(?:\[\s*(.*?)\s*\])?\s*$")
_NAME_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MUTE_BIT: Final = 1
_IN_EAR_AF_VALUES: Final = 4  # SR IEM: two peaks, two holds, ...
_MAX_RF_ANTENNA: Final = 2
_MAX_G3_BARS: Final = 5
_MAX_CONFIG: Final = 999
_AF_TOP: Final = 100
_AF_MIN_VALUES: Final = 3
_TX_MUTE_BIT: Final = 2
_RX_MUTE_BIT: Final = 8


class McpDecodeError(ValueError):
    """A datagram or line that is not MCP, or an attribute with invalid parameters."""


@dataclass(frozen=True, slots=True)
class McpLine:
    """One attribute line: name, space-separated parameters and the raw parameter text."""

    name: str
    params: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class McpError:
    """An error line, with the command it refers to when the device names it."""

    code: int
    command: str | None
    text: str


def split_datagram(data: bytes) -> list[str]:
    """The CR-terminated lines of one datagram (a datagram may carry one or several)."""
    if len(data) > MAX_DATAGRAM:
        raise McpDecodeError(f"datagram of {len(data)} bytes is too large")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as err:
        raise McpDecodeError("not ASCII") from err
    lines = [line.strip(" \n\t\x00") for line in text.replace("\n", "\r").split("\r")]
    return [line for line in lines if line]


def parse_line(line: str) -> McpLine | McpError:
    """Parse one line; raise :class:`McpDecodeError` if it is neither an attribute nor an error."""
    if len(line) > MAX_LINE:
        raise McpDecodeError("line too long")
    if not line.isprintable():
        raise McpDecodeError("control characters in line")
    error = _ERROR_RE.match(line)
    if error is not None:
        code = int(error.group(1))
        command = error.group(3).split()[0] if error.group(3) else None
        return McpError(code, command, error.group(2) or ERROR_TEXT.get(code, "error"))
    name, _, rest = line.partition(" ")
    if not _NAME_RE.match(name):
        raise McpDecodeError(f"not an attribute: {line[:40]!r}")
    return McpLine(name, tuple(rest.split()), rest.strip())


def _ints(params: tuple[str, ...], count: int, *, at_least: bool = False) -> tuple[int, ...]:
    if len(params) < count or (not at_least and len(params) != count):
        raise McpDecodeError(f"expected {count} parameters, got {len(params)}")
    try:
        values = tuple(int(item) for item in params)
    except ValueError as err:
        raise McpDecodeError(f"non-numeric parameter in {params}") from err
    if any(value < 0 for value in values):
        raise McpDecodeError(f"negative parameter in {params}")
    return values


@dataclass(slots=True)
class McpState:
    """Latest valid value of every attribute the model uses (None = not seen yet)."""

    rf1: tuple[int, ...] | None = None  # min %, max %, antenna active
    rf2: tuple[int, ...] | None = None
    states: tuple[int, ...] | None = None
    rf: tuple[int, ...] | None = None  # level %, antenna 1|2, pilot
    af: tuple[int, ...] | None = None  # peak %, peak hold %, mute bits (SR: more values)
    bat: int | None = None  # percent step, or bars 1-5 (G3); None with bat_seen = "?"
    bat_seen: bool = False
    msg: frozenset[str] | None = None
    config: int | None = None
    name: str | None = None
    frequency_khz: int | None = None
    mute: bool | None = None
    firmware: str | None = None

    def apply(self, line: McpLine) -> bool:
        """Store one line's value; False for attributes the model does not use.

        Raises :class:`McpDecodeError` when the parameters are invalid, so the caller can
        drop the line as a whole instead of storing half of it.
        """
        handler = _HANDLERS.get(line.name)
        if handler is None:
            return False
        handler(self, line)
        return True

    @property
    def is_in_ear(self) -> bool:
        """SR IEM transmitters send no RF1/RF2/Bat and a wider AF line."""
        return self.rf1 is None and self.af is not None and len(self.af) >= _IN_EAR_AF_VALUES

    @property
    def has_cyclic(self) -> bool:
        """Whether at least one cyclic block arrived."""
        return self.config is not None or self.bat_seen or self.af is not None


def _set_rf1(state: McpState, line: McpLine) -> None:
    state.rf1 = _check_rf(_ints(line.params, 3))


def _set_rf2(state: McpState, line: McpLine) -> None:
    state.rf2 = _check_rf(_ints(line.params, 3))


def _check_rf(values: tuple[int, ...]) -> tuple[int, ...]:
    if values[2] > 1:
        raise McpDecodeError("antenna flag must be 0 or 1")
    return values


def _set_states(state: McpState, line: McpLine) -> None:
    state.states = _ints(line.params, 2)


def _set_rf(state: McpState, line: McpLine) -> None:
    values = _ints(line.params, 3)
    if values[1] > _MAX_RF_ANTENNA or values[2] > 1:
        raise McpDecodeError(f"RF antenna/pilot out of range: {line.text}")
    state.rf = values


def _set_af(state: McpState, line: McpLine) -> None:
    state.af = _ints(line.params, _AF_MIN_VALUES, at_least=True)


def _set_bat(state: McpState, line: McpLine) -> None:
    if line.params == ("?",):
        state.bat = None
        state.bat_seen = True
        return
    (value,) = _ints(line.params, 1)
    if value not in BATTERY_STEPS and not 1 <= value <= _MAX_G3_BARS:
        raise McpDecodeError(f"battery value {value} is not 0/30/70/100/?")
    state.bat = value
    state.bat_seen = True


def _set_msg(state: McpState, line: McpLine) -> None:
    if not line.params:
        raise McpDecodeError("empty Msg")
    state.msg = frozenset(line.params) - {"OK"}


def _set_config(state: McpState, line: McpLine) -> None:
    (value,) = _ints(line.params, 1)
    if value > _MAX_CONFIG:
        raise McpDecodeError("Config counter above 999")
    state.config = value


def _set_name(state: McpState, line: McpLine) -> None:
    state.name = line.text or None


def _set_frequency(state: McpState, line: McpLine) -> None:
    values = _ints(line.params, 1, at_least=True)
    state.frequency_khz = values[0] or None  # 0 = no frequency set


def _set_mute(state: McpState, line: McpLine) -> None:
    (value,) = _ints(line.params, 1)
    if value > 1:
        raise McpDecodeError("Mute must be 0 or 1")
    state.mute = bool(value)


def _set_firmware(state: McpState, line: McpLine) -> None:
    state.firmware = line.text or None


_HANDLERS: Final = {
    "RF1": _set_rf1,
    "RF2": _set_rf2,
    "States": _set_states,
    "RF": _set_rf,
    "AF": _set_af,
    "Bat": _set_bat,
    "Msg": _set_msg,
    "Config": _set_config,
    "Name": _set_name,
    "Frequency": _set_frequency,
    "Mute": _set_mute,
    "FirmwareRevision": _set_firmware,
}


def rf_dbm(percent: int | None) -> float | None:
    """RF percentage -> dBm (see the module docstring); None when unknown or implausible."""
    if percent is None or percent > MAX_RF_PERCENT:
        return None
    return round(0.4 * percent - 107.0, 1)


def af_dbfs(percent: int | None) -> float | None:
    """AF percentage -> dBFS; None when unknown or above 100 % (not on the scale)."""
    if percent is None or percent > _AF_TOP:
        return None
    return percent / 2 - 50.0


def battery(value: int | None) -> tuple[int | None, int | None]:
    """(percent, bars) of a Bat value: G4 percent steps, or G3 bars (unverified)."""
    if value is None:
        return None, None
    if value in BATTERY_STEPS:
        return value, BATTERY_STEPS[value]
    return None, value


def channel_values(state: McpState) -> dict[str, object]:
    """Model values of the single EM channel from the latest attributes (pure)."""
    mute_bits = state.af[2] if state.af is not None and len(state.af) >= _AF_MIN_VALUES else None
    msg = state.msg
    transmitter: Transmitter | None = None
    if state.bat_seen and (state.bat is not None):
        percent, bars = battery(state.bat)
        tx_muted: bool | None = None
        if mute_bits is not None:
            tx_muted = bool(mute_bits & _TX_MUTE_BIT)
        if msg is not None:
            tx_muted = bool(tx_muted) or "TX_Mute" in msg
        transmitter = Transmitter(battery_percent=percent, battery_bars=bars, muted=tx_muted)
    muted: bool | None = state.mute
    if mute_bits is not None:
        muted = bool(mute_bits & _RX_MUTE_BIT) or bool(state.mute)
    peak = state.af[0] if state.af is not None else None
    clipping: bool | None = None
    if peak is not None or msg is not None:
        clipping = (peak is not None and peak >= _AF_TOP) or (msg is not None and "AF_Peak" in msg)
    antenna = None
    if state.rf is not None and transmitter is not None:
        antenna = {1: "A", 2: "B"}.get(state.rf[1])
    # Per antenna: the maximum of the cycle (RF1/RF2). The channel's level is the strongest of
    # them, as on every other receiver (the model's meaning of rf_level); the current RF line
    # (the active antenna's level at the moment of sending) only stands in without RF1/RF2.
    levels: tuple[float | None, ...] = ()
    if state.rf1 is not None or state.rf2 is not None:
        levels = tuple(rf_dbm(None if item is None else item[1]) for item in (state.rf1, state.rf2))
    known = [level for level in levels if level is not None]
    return {
        "name": state.name,
        "frequency_mhz": None if state.frequency_khz is None else state.frequency_khz / 1000,
        "muted": muted,
        "rf_level": max(known) if known else rf_dbm(None if state.rf is None else state.rf[0]),
        "rf_levels": levels,
        "antenna": antenna,
        "audio_level": af_dbfs(peak),
        "audio_peak": af_dbfs(state.af[1] if state.af is not None else None),
        "audio_clipping": clipping,
        "rf_warning": None if msg is None else "Low_RF_Signal" in msg,
        "transmitter": transmitter,
    }


def state_from_lines(lines: Iterable[str]) -> McpState:
    """Build a state from device lines, skipping invalid ones (used by the pure transform)."""
    state = McpState()
    for text in lines:
        try:
            parsed = parse_line(text)
            if isinstance(parsed, McpLine):
                state.apply(parsed)
        except McpDecodeError:
            continue
    return state
