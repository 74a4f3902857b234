"""The one gate between a protocol's parsed values and the model.

Parsers turn device bytes into model values; whatever a device sends, what reaches the model
must be something the hardware could report. Every plugin hands its values to a
:class:`ValueGate` instead of writing the model directly, so a value outside its family's
documented range becomes unknown (``None``) and is counted, a name loses its control
characters and is trimmed to a sane length, and a number is never taken for a name. Ranges
are physical by default; a family narrows them with its own :class:`Limits`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
import math
from typing import TYPE_CHECKING, Final
import unicodedata

from .model import Channel, Receiver, Transmitter, apply_values

if TYPE_CHECKING:
    from .health import ConnectionHealth

#: Longest name kept (a channel or device name on any receiver is far shorter; Home
#: Assistant refuses states over 255 characters).
MAX_NAME_LENGTH: Final = 64
#: Longest other text kept (models, firmware versions, serials, battery types).
MAX_TEXT_LENGTH: Final = 64

#: Longest transmitter runtime believed (a day): the bound of :attr:`Limits.runtime_minutes`.
MAX_RUNTIME_MINUTES: Final = 24 * 60

type Range = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Limits:
    """Inclusive ranges of what one device family can report.

    The defaults are physical bounds no wireless system exceeds; a family documented
    narrower passes its own (``dataclasses.replace(DEFAULT_LIMITS, rf_dbm=(-128, -13))``).
    """

    rf_dbm: Range = (-130.0, 0.0)
    audio_dbfs: Range = (-140.0, 0.0)
    rf_quality_percent: Range = (0, 100)
    battery_percent: Range = (0, 100)
    battery_bars: Range = (0, 5)
    #: No transmitter battery lasts a day; larger "runtimes" are sentinels or garbage. The one
    #: runtime rule for every protocol: parsers hand on any number a device sends as minutes
    #: (EW-DX documents its ``lifetime`` with no bound and no sentinel, over SSCv2 and SSC v1
    #: alike), and this range decides, so one battery never gets two answers.
    runtime_minutes: Range = (0, MAX_RUNTIME_MINUTES)
    charge_minutes: Range = (0, 24 * 60)
    battery_health_percent: Range = (0, 100)
    battery_cycles: Range = (0, 100_000)
    #: VHF to the 1.9 GHz bands; wireless microphones and IEMs live inside this.
    frequency_mhz: Range = (30.0, 3000.0)
    gain_db: Range = (-60.0, 60.0)


DEFAULT_LIMITS: Final = Limits()

#: Model fields checked against a range (by the name of the range in :class:`Limits`).
_CHANNEL_RANGES: Final = {
    "frequency_mhz": "frequency_mhz",
    "audio_level": "audio_dbfs",
    "audio_peak": "audio_dbfs",
    "rf_level": "rf_dbm",
    "rf_quality": "rf_quality_percent",
    "gain": "gain_db",
}
_TRANSMITTER_RANGES: Final = {
    "battery_bars": "battery_bars",
    "battery_percent": "battery_percent",
    "runtime_minutes": "runtime_minutes",
    "charge_minutes": "charge_minutes",
    "battery_health": "battery_health_percent",
    "battery_cycles": "battery_cycles",
}
_CHANNEL_TEXT: Final = {"name": MAX_NAME_LENGTH, "antenna": 8}
_RECEIVER_TEXT: Final = {
    "name": MAX_NAME_LENGTH,
    "model": MAX_TEXT_LENGTH,
    "firmware": MAX_TEXT_LENGTH,
    "serial": MAX_TEXT_LENGTH,
}
_TRANSMITTER_TEXT: Final = {
    "model": MAX_TEXT_LENGTH,
    "battery_type": MAX_TEXT_LENGTH,
    "power_source": MAX_TEXT_LENGTH,
}

#: Refused values remembered (one per field of each receiver and channel); past this the
#: memory starts again, so a device inventing ids cannot grow it without bound.
_MAX_REMEMBERED: Final = 4096
#: How much of a refused value's repr tells two refusals apart.
_SEEN_CHARS: Final = 100


def _seen(value: object) -> str:
    """What identifies a refused value (NaN equals NaN here, unlike ``==``)."""
    return f"{type(value).__name__}:{repr(value)[:_SEEN_CHARS]}"


def clean_text(value: object, limit: int = MAX_NAME_LENGTH) -> str | None:
    """A device-supplied text fit to show, or ``None``.

    Control and format characters (ESC, NUL, BEL, bidi overrides...) are dropped, runs of
    white space become one space, the ends are trimmed and the rest is capped at ``limit``.
    Anything that is not a string (a number where a name belongs) is no text at all.
    """
    if not isinstance(value, str):
        return None
    # Fast path, the usual case (meters carry an antenna word every sample): printable text
    # (no control, format or odd separator characters), trimmed, single-spaced, short enough
    # is already what the loop below would make of it.
    if len(value) <= limit and value.isprintable() and value.strip() == value and "  " not in value:
        return value or None
    return _cleaned(value, limit)


def _cleaned(value: str, limit: int) -> str | None:
    """:func:`clean_text`'s character-by-character way (its fast path must agree with it)."""
    kept = "".join(
        " " if char.isspace() else char
        for char in value
        if char.isspace() or unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    text = " ".join(kept.split())
    return text[:limit].rstrip() or None


def in_range(value: object, bounds: Range) -> bool:
    """Whether ``value`` is a finite number within ``bounds`` (bools are not numbers)."""
    if type(value) is float:  # the meters: checked first, they are most of the traffic
        return math.isfinite(value) and bounds[0] <= value <= bounds[1]
    if type(value) is int:
        return bounds[0] <= value <= bounds[1]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return bounds[0] <= value <= bounds[1]


class ValueGate:
    """Cleans values on their way into the model and counts what it had to refuse.

    A refusal is counted once per value a device sends, not once per check: protocols that
    re-apply a channel's whole state on every message (MCP, Audio-Technica) or re-read it on
    every resync would otherwise count one bad reading again and again, and *Values rejected*
    would measure how chatty the device is rather than how much it got wrong. Each field of
    each receiver and channel remembers the last value refused there; the same value again
    is not counted, a different one is, and a good value in between makes the next bad one
    count again.
    """

    __slots__ = ("_channel_bounds", "_health", "_refused", "_scope", "limits", "rejected")

    def __init__(
        self, limits: Limits = DEFAULT_LIMITS, health: ConnectionHealth | None = None
    ) -> None:
        """Check against ``limits``; count refusals here and in ``health`` (if given)."""
        self.limits = limits
        self.rejected = 0
        self._health = health
        #: (scope, field) -> the last value refused there (see :func:`_seen`).
        self._refused: dict[tuple[object, str], str] = {}
        #: Whose values are being checked: a receiver id, or the identity of the channel
        #: object that holds (or will hold) them in the model.
        self._scope: object = None
        #: Channel field -> its range, looked up once: every meter sample passes here.
        self._channel_bounds: dict[str, Range] = {
            name: getattr(limits, bounds_name) for name, bounds_name in _CHANNEL_RANGES.items()
        }

    def narrowed(self, limits: Limits) -> ValueGate:
        """The same gate (same counters' owner) with a family's own limits."""
        return ValueGate(limits, self._health)

    # -- single values ----------------------------------------------------------------------

    def _refuse(self, field: str, value: object) -> None:
        """Count a refused value, unless it is the one last refused in this field."""
        key = (self._scope, field)
        seen = _seen(value)
        if self._refused.get(key) == seen:
            return
        if len(self._refused) >= _MAX_REMEMBERED:
            self._refused.clear()
        self._refused[key] = seen
        self.rejected += 1
        if self._health is not None:
            self._health.values_rejected += 1

    def _accepted(self, field: str) -> None:
        """A good value arrived: the next bad one in this field counts again."""
        if self._refused:
            self._refused.pop((self._scope, field), None)

    def number[T: (int, float)](
        self, value: T | None, bounds: Range, field: str = "number"
    ) -> T | None:
        """``value`` if within ``bounds``; else unknown (counted once per value, per field)."""
        self._scope = None
        return self._number(value, bounds, field)

    def text(self, value: object, limit: int = MAX_NAME_LENGTH, field: str = "text") -> str | None:
        """Cleaned text; a non-string (or one with nothing printable) is refused."""
        self._scope = None
        return self._text(value, limit, field)

    def _number[T: (int, float)](self, value: T | None, bounds: Range, field: str) -> T | None:
        if value is None:
            return None
        if in_range(value, bounds):
            self._accepted(field)
            return value
        self._refuse(field, value)
        return None

    def _text(self, value: object, limit: int, field: str) -> str | None:
        if value is None:
            return None
        cleaned = clean_text(value, limit)
        if cleaned is None:
            self._refuse(field, value)
        else:
            self._accepted(field)
        return cleaned

    # -- model objects ------------------------------------------------------------------------

    def transmitter(self, transmitter: Transmitter | None) -> Transmitter | None:
        """A transmitter whose values are all within range (a copy when one was not)."""
        if transmitter is None:
            return None
        changes: dict[str, object] = {}
        for name, limit in _TRANSMITTER_TEXT.items():
            value = getattr(transmitter, name)
            if (
                value is not None
                and (cleaned := self._text(value, limit, f"transmitter.{name}")) != value
            ):
                changes[name] = cleaned
        for name, bounds_name in _TRANSMITTER_RANGES.items():
            value = getattr(transmitter, name)
            if value is None:
                continue
            if in_range(value, getattr(self.limits, bounds_name)):
                self._accepted(f"transmitter.{name}")
            else:
                self._refuse(f"transmitter.{name}", value)
                changes[name] = None
        return replace(transmitter, **changes) if changes else transmitter  # type: ignore[arg-type]

    def channel_values(self, values: Mapping[str, object]) -> dict[str, object]:
        """Channel field values as they may enter the model."""
        clean: dict[str, object] = dict(values)
        channel_bounds = self._channel_bounds
        for name, value in values.items():
            if value is None:
                continue
            if (bounds := channel_bounds.get(name)) is not None:
                if in_range(value, bounds):
                    self._accepted(name)
                else:
                    self._refuse(name, value)
                    clean[name] = None
            elif name == "rf_levels":
                clean[name] = self._rf_levels(value)
            elif (limit := _CHANNEL_TEXT.get(name)) is not None:
                clean[name] = self._text(value, limit, name)
            elif name == "transmitter":
                clean[name] = self.transmitter(value)  # type: ignore[arg-type]
        return clean

    def _rf_levels(self, value: object) -> tuple[float | None, ...]:
        if not isinstance(value, tuple):
            self._refuse("rf_levels", value)
            return ()
        return tuple(
            self._number(level, self.limits.rf_dbm, f"rf_levels.{antenna}")
            for antenna, level in enumerate(value)
        )

    def receiver_values(self, values: Mapping[str, object]) -> dict[str, object]:
        """Receiver field values as they may enter the model."""
        clean: dict[str, object] = dict(values)
        for name, value in values.items():
            if value is not None and (limit := _RECEIVER_TEXT.get(name)) is not None:
                clean[name] = self._text(value, limit, name)
        return clean

    def apply(self, target: Channel | Receiver, values: Mapping[str, object]) -> set[str]:
        """Check ``values`` and set those that differ; the names of what changed."""
        if isinstance(target, Channel):
            # A live channel object lasts as long as its receiver in the model (snapshots
            # merge into it), so its identity names it as well as (receiver id, index).
            self._scope = id(target)
            checked = self.channel_values(values)
        else:
            self._scope = target.id
            checked = self.receiver_values(values)
        return apply_values(target, checked)

    def receiver(self, receiver: Receiver, live: Receiver | None = None) -> Receiver:
        """Check a whole receiver (a fresh snapshot) in place; returns it.

        ``live`` is the model's current object for the same receiver, if any: its channels
        are where the snapshot will be merged (without one, this receiver becomes the live
        one), so a value refused in both the live updates and the snapshots counts once.
        """
        self._scope = receiver.id
        apply_values(
            receiver,
            self.receiver_values({name: getattr(receiver, name) for name in _RECEIVER_TEXT}),
        )
        for channel in receiver.channels.values():
            current = None if live is None else live.channels.get(channel.index)
            # Where the values will live: the current channel, or this one if it is new.
            self._scope = id(channel if current is None else current)
            apply_values(
                channel,
                self.channel_values(
                    {
                        item.name: getattr(channel, item.name)
                        for item in fields(channel)
                        if item.name not in {"index", "features", "status", "last_transmitter"}
                    }
                ),
            )
        return receiver
