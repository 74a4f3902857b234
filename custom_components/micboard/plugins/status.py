"""Derived channel status (Micboard's colours) and the thresholds behind it, in one place.

Protocol parsers only report facts (bars, percent, clip flags, presence of a transmitter);
this module turns them into the status a stage crew reads. It keeps a little memory per
channel because two rules depend on time: an audio peak is held for a few seconds, and a
battery reading that went unknown while the transmitter is still reported shows its last
known class for 30 minutes, as Micboard does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
import math

from .model import (
    Channel,
    ChannelStatus,
    Feature,
    Transmitter,
)

#: Battery bars at or above which a transmitter is good, and the bar count that means
#: "replace soon" (Micboard: 4-5 good, 3 replace, 0-2 critical).
GOOD_BARS = 4
REPLACE_BARS = 3
#: Each bar stands for this much charge when a device reports only percent.
PERCENT_PER_BAR = 20
#: How long a peak keeps the channel in AUDIO_PEAK (Micboard: 10 s).
AUDIO_PEAK_HOLD_SECONDS = 10.0
#: How long a lost battery reading still shows its last class (Micboard: 30 min).
BATTERY_MEMORY_SECONDS = 30 * 60.0
#: RF below this (dBm), or link quality at or below this (%), is an RF problem.
RF_WEAK_DBM = -90.0
RF_POOR_QUALITY_PERCENT = 20
#: Defaults of the user's low-battery options.
DEFAULT_LOW_BATTERY_PERCENT = 25
DEFAULT_LOW_BATTERY_MINUTES = 60

_PREVIOUS = {
    ChannelStatus.GOOD: ChannelStatus.PREVIOUSLY_GOOD,
    ChannelStatus.REPLACE: ChannelStatus.PREVIOUSLY_REPLACE,
    ChannelStatus.CRITICAL: ChannelStatus.PREVIOUSLY_CRITICAL,
}


def bars_from_percent(percent: int) -> int:
    """Bars (0-5) equivalent to a charge percentage."""
    if percent <= 0:
        return 0
    return min(5, math.ceil(percent / PERCENT_PER_BAR))


def battery_class(transmitter: Transmitter) -> ChannelStatus | None:
    """GOOD / REPLACE / CRITICAL from bars (or percent), ``None`` if nothing is known."""
    bars = transmitter.battery_bars
    if bars is None and transmitter.battery_percent is not None:
        bars = bars_from_percent(transmitter.battery_percent)
    if bars is None:
        return None
    if bars >= GOOD_BARS:
        return ChannelStatus.GOOD
    if bars >= REPLACE_BARS:
        return ChannelStatus.REPLACE
    return ChannelStatus.CRITICAL


def is_low_battery(
    transmitter: Transmitter | None, percent_threshold: int, minutes_threshold: int
) -> bool | None:
    """Low when any known reading is at or under the user's threshold.

    Percent and runtime are compared with the user's options; a device that only reports
    bars is low at the critical bar count. ``None`` when nothing is known (or no transmitter).
    """
    if transmitter is None:
        return None
    known = False
    if transmitter.battery_percent is not None:
        known = True
        if transmitter.battery_percent <= percent_threshold:
            return True
    if transmitter.runtime_minutes is not None:
        known = True
        if transmitter.runtime_minutes <= minutes_threshold:
            return True
    if not known and transmitter.battery_bars is not None:
        return transmitter.battery_bars < REPLACE_BARS
    return False if known else None


def has_rf_problem(channel: Channel) -> bool | None:
    """Weak RF, poor link quality or the device's own RF warning, while a transmitter is on."""
    if channel.transmitter is None:
        return None
    if channel.rf_warning:
        return True
    if channel.rf_level is not None and channel.rf_level < RF_WEAK_DBM:
        return True
    if channel.rf_quality is not None and channel.rf_quality <= RF_POOR_QUALITY_PERCENT:
        return True
    if channel.rf_level is None and channel.rf_quality is None and channel.rf_warning is None:
        return None
    return False


@dataclass(slots=True)
class _Memory:
    last_class: ChannelStatus | None = None  # battery class of the last valid reading
    reading_valid: bool = False  # whether the latest evaluation had a valid reading
    lost_at: float = 0.0  # when the reading went from valid to unknown
    peak_until: float = 0.0


class StatusTracker:
    """Derives :class:`ChannelStatus` per channel and remembers what the rules need."""

    def __init__(self) -> None:
        """Start with no memory; keys are (receiver id, channel index)."""
        self._memory: dict[tuple[str, int], _Memory] = {}

    def note_clip(self, key: tuple[str, int], now: float) -> None:
        """Hold AUDIO_PEAK for a while after the device flagged a peak."""
        memory = self._memory.setdefault(key, _Memory())
        memory.peak_until = now + AUDIO_PEAK_HOLD_SECONDS

    def forget(self, key: tuple[str, int]) -> None:
        """Drop the memory of a channel that no longer exists."""
        self._memory.pop(key, None)

    def evaluate(
        self, key: tuple[str, int], channel: Channel, now: float, *, receiver_online: bool
    ) -> bool:
        """Recompute ``channel.status`` (and ``last_transmitter``); True if status changed."""
        memory = self._memory.setdefault(key, _Memory())
        if channel.audio_clipping:
            memory.peak_until = now + AUDIO_PEAK_HOLD_SECONDS
        transmitter = channel.transmitter
        current = battery_class(transmitter) if transmitter is not None else None
        if transmitter is not None and current is not None:
            memory.last_class = current
            memory.reading_valid = True
            if channel.last_transmitter != transmitter:
                channel.last_transmitter = copy.copy(transmitter)
        elif memory.reading_valid:
            memory.reading_valid = False
            memory.lost_at = now
        status = _derive(channel, receiver_online, current, memory, now)
        if status is channel.status:
            return False
        channel.status = status
        return True

    def deadline(self, key: tuple[str, int], now: float) -> float | None:
        """When the status of this channel may change with no new message, if ever."""
        memory = self._memory.get(key)
        if memory is None:
            return None
        candidates = [memory.peak_until] if memory.peak_until > now else []
        expiry = memory.lost_at + BATTERY_MEMORY_SECONDS
        if memory.last_class is not None and not memory.reading_valid and expiry > now:
            candidates.append(expiry)
        return min(candidates, default=None)


def _derive(
    channel: Channel,
    receiver_online: bool,
    current: ChannelStatus | None,
    memory: _Memory,
    now: float,
) -> ChannelStatus:
    """Most urgent first: receiver offline, transmitter off, critical battery, audio peak."""
    if not receiver_online:
        return ChannelStatus.RX_OFFLINE
    peaking = memory.peak_until > now
    if channel.transmitter is None:
        if Feature.TRANSMITTER in channel.features and channel.transmitter_known:
            return ChannelStatus.TX_OFF
        # A channel without transmitter telemetry (an IEM transmitter, say) is never "off".
        return ChannelStatus.AUDIO_PEAK if peaking else ChannelStatus.UNKNOWN
    if current is ChannelStatus.CRITICAL:
        return current
    if peaking:
        return ChannelStatus.AUDIO_PEAK
    if current is not None:
        return current
    if memory.last_class is not None and now - memory.lost_at < BATTERY_MEMORY_SECONDS:
        return _PREVIOUS[memory.last_class]
    return ChannelStatus.UNKNOWN
