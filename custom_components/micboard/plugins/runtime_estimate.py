"""Remaining battery runtime for transmitters that report a charge level but no time.

Many transmitters (AA packs, SLX-D on alkalines, ew G3/G4, Audio-Technica, several SSC v1
models) report 0-5 bars or a percentage and nothing else. This module learns each
transmitter's discharge rate from its own readings and turns the current reading into
remaining on-air minutes. It is pure (the caller passes monotonic seconds) and knows nothing
of Home Assistant.

How it works, and why:

- **Step changes, not step values.** A reading of ``L`` means the charge is in ``(L-1, L]``
  steps (the library's own convention: ``status.bars_from_percent`` rounds up). At the moment
  the reading drops to ``L`` the charge is *exactly* ``L`` steps, so the times of step changes
  are precise points of the discharge curve, while a reading between two changes only bounds
  it. The rate is the least-squares slope through those points (time regressed on level: the
  levels are exact, the times carry the observation latency); with two points it is the
  plain slope.
- **Waiting is information.** While the reading stays at ``L`` for ``D`` minutes after the
  last change, the charge is still above ``L-1``: the rate is at most one step per ``D``.
  A measured rate that the waiting contradicts is lowered to that bound, and before two
  changes have been seen this bound (with the one from the first observation) is all there is.
- **Plausible physics.** A full pack lasts between :attr:`BatteryLife.shortest_minutes` and
  :attr:`BatteryLife.longest_minutes` on the device family (the plugin says); the rate never
  leaves that range. Without a measured rate the estimate takes the geometric middle of what
  is still possible, and says so (confidence *low*).
- **Noise and fresh packs.** The level only counts downwards (a monotone envelope): a reading
  that comes back up by less than :data:`RESET_RISE_FRACTION` of the scale (alkaline cells
  recover a little at rest, bars flicker at a boundary) is ignored. A bigger rise, or any rise
  to a full reading, is a fresh pack: learning starts again.
- **Off is not on air.** The learning clock counts on-air time only: nothing is learnt while
  the transmitter is off, and a short off/on of the same pack keeps everything. After a pause
  longer than the shortest possible pack life (the pack may have been swapped for one at the
  same level, or rested) the time anchor is dropped but the learned rate is carried over;
  the same happens when readings stop without the transmitter being known off (the receiver
  went offline, the level became unknown) and resume a step lower: that change was unseen.

Confidence: *low* until two step changes of this pack were seen (the rate is only bounded),
or when the readings contradict the physical bounds; *medium* with a measured (or carried)
rate; *high* once at least three changes spanning a tenth of the pack were seen.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
import math
from typing import Final

from .model import Feature


class ReadingSource(StrEnum):
    """Which reading the estimate learns from; percent where the device has it (finer)."""

    BARS = "bars"
    PERCENT = "percent"


#: Full-scale reading of each source.
SOURCE_MAXIMUM: Final = {ReadingSource.BARS: 5, ReadingSource.PERCENT: 100}


class Confidence(StrEnum):
    """How far an estimate can be trusted (see the module docstring)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


_ORDER: Final = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}

#: A rise of at least this share of the scale (and at least two steps) is a fresh pack.
RESET_RISE_FRACTION: Final = 0.1
#: Step changes a measured rate needs (a slope needs two points).
MEASURED_CHANGES: Final = 2
#: High confidence needs this many step changes, spanning this share of the pack.
HIGH_CONFIDENCE_CHANGES: Final = 3
HIGH_CONFIDENCE_SPAN: Final = 0.1


@dataclass(frozen=True, slots=True)
class BatteryLife:
    """How long a full pack plausibly lasts on a device family: the bounds of a learned rate.

    The defaults cover real wireless transmitters generously (an AA bodypack lasts about
    8 hours; nothing lasts less than one or more than two days on one charge).
    """

    shortest_minutes: float = 60.0
    longest_minutes: float = 48 * 60.0

    def __post_init__(self) -> None:
        """Refuse bounds that cannot hold a rate."""
        if not 0 < self.shortest_minutes < self.longest_minutes:
            raise ValueError("need 0 < shortest_minutes < longest_minutes")

    @property
    def fastest_rate(self) -> float:
        """Share of a pack per on-air minute at the fastest plausible drain."""
        return 1.0 / self.shortest_minutes

    @property
    def slowest_rate(self) -> float:
        """Share of a pack per on-air minute at the slowest plausible drain."""
        return 1.0 / self.longest_minutes

    @property
    def longest_pause_minutes(self) -> float:
        """A pause after which the pack may not be the one that was learnt (time anchor lost)."""
        return self.shortest_minutes


def needs_estimate(features: Collection[Feature]) -> bool:
    """Whether a channel reports a charge level but no runtime of its own."""
    return Feature.BATTERY_RUNTIME not in features and (
        Feature.BATTERY_BARS in features or Feature.BATTERY_PERCENT in features
    )


def estimate_source(features: Collection[Feature]) -> ReadingSource:
    """The reading an estimate for such a channel learns from: percent where there is one."""
    return ReadingSource.PERCENT if Feature.BATTERY_PERCENT in features else ReadingSource.BARS


@dataclass(frozen=True, slots=True)
class RuntimeEstimate:
    """Remaining on-air minutes of a pack, and how much the estimate has to go on."""

    remaining_minutes: float
    confidence: Confidence
    source: ReadingSource
    #: Step changes of the reading behind the rate (this pack, since the time anchor).
    step_changes: int
    #: On-air minutes between the first and the last of them (0 before two were seen).
    learned_minutes: float
    #: Whether the rate was measured (or carried over) rather than only bounded.
    rate_measured: bool
    #: The rate as the life of a full pack, in on-air minutes.
    full_pack_minutes: float


@dataclass(slots=True)
class _Pack:
    """What is known of the pack in the transmitter since the time anchor.

    ``points`` are (on-air minute, level as a share of the scale) at each step change down;
    ``start`` is the first reading, which only bounds the charge to one step.
    """

    start_minute: float
    start_level: float
    floor: float  # lowest level seen since the anchor (the monotone envelope)
    points: list[tuple[float, float]] = field(default_factory=list)
    carried_rate: float | None = None
    carried_confidence: Confidence = Confidence.LOW


class RuntimeEstimator:
    """Learns one transmitter's discharge from its readings; one per channel.

    Feed it with :meth:`observe` (a reading, or ``None`` when the transmitter is off) and
    :meth:`interrupt` (readings stopped for an unknown reason) whenever they change; ask
    :meth:`estimate` at any time. Times are monotonic seconds.
    """

    def __init__(self, source: ReadingSource, life: BatteryLife | None = None) -> None:
        """Start knowing nothing about the transmitter."""
        self.source = source
        self.life = life or BatteryLife()
        self._maximum = SOURCE_MAXIMUM[source]
        self._step = 1.0 / self._maximum
        self._reset_rise = max(2 * self._step, RESET_RISE_FRACTION)
        self._on = False
        self._on_since = 0.0
        self._air_seconds = 0.0  # on-air seconds before ``_on_since``
        self._off_since: float | None = None
        self._last_now = -math.inf
        self._interrupted = False
        self._pack: _Pack | None = None

    # -- feeding --------------------------------------------------------------------------

    def observe(self, now: float, level: int | None) -> None:
        """A reading at ``now``: the level (bars or percent), or ``None``: transmitter off."""
        now = self._monotonic(now)
        if level is None:
            if self._on:
                self._air_seconds += now - self._on_since
                self._on = False
            if self._off_since is None:
                self._off_since = now
            return
        share = min(max(level, 0), self._maximum) / self._maximum
        paused = False
        if not self._on:
            if self._off_since is not None:
                paused = (now - self._off_since) / 60.0 > self.life.longest_pause_minutes
            self._on = True
            self._on_since = now
            self._off_since = None
        minute = self._air_minutes(now)
        pack = self._pack
        if pack is None or self._fresh_pack(pack, share):
            self._pack = _Pack(start_minute=minute, start_level=share, floor=share)
        elif paused:
            self._pack = self._reanchored(pack, minute, share)
        elif share < pack.floor - self._step / 2:
            if self._interrupted:  # the change happened at some unseen time in the gap
                self._pack = self._reanchored(pack, minute, share)
            else:
                pack.points.append((minute, share))
                pack.floor = share
        # A reading at the same step after a gap: no change was missed, the anchor holds.
        self._interrupted = False

    def interrupt(self, now: float) -> None:
        """Readings stopped, the transmitter not known off: what happens next is unseen.

        The on-air clock keeps its state (a transmitter that was on is assumed to stay on).
        If the next reading is a step lower, that change happened at an unseen time: the
        time anchor is dropped and the rate learnt so far kept. At the same step, nothing
        was missed.
        """
        self._monotonic(now)
        self._interrupted = True

    # -- estimating -----------------------------------------------------------------------

    def estimate(self, now: float) -> RuntimeEstimate | None:
        """Remaining on-air minutes at ``now`` (``None`` before the first reading)."""
        pack = self._pack
        if pack is None:
            return None
        now = max(now, self._last_now)
        minute = self._air_minutes(now)
        life = self.life
        points = pack.points
        if points:
            anchor_minute, anchor_level = points[-1]
        else:
            anchor_minute, anchor_level = pack.start_minute, pack.start_level
        waited = minute - anchor_minute
        # Still no change: the charge stayed above the next step down all this time.
        waiting_bound = self._step / waited if waited > 0 else math.inf
        clamped = False
        if len(points) >= MEASURED_CHANGES:
            rate = _fitted_rate(points)
            confidence = (
                Confidence.HIGH
                if len(points) >= HIGH_CONFIDENCE_CHANGES
                and points[0][1] - points[-1][1] >= HIGH_CONFIDENCE_SPAN - 1e-9
                else Confidence.MEDIUM
            )
            measured = True
        elif pack.carried_rate is not None:
            rate, confidence, measured = pack.carried_rate, pack.carried_confidence, True
        else:
            rate, confidence, measured = (
                self._bounded_rate(pack, waiting_bound),
                Confidence.LOW,
                False,
            )
        rate = min(rate, waiting_bound)
        if not life.slowest_rate <= rate <= life.fastest_rate:
            clamped = True
            rate = min(max(rate, life.slowest_rate), life.fastest_rate)
        if clamped and measured:
            confidence = Confidence.LOW  # the readings contradict a plausible discharge
        if points:
            charge = anchor_level - rate * waited
        else:
            # The first reading only says "within this step": start from its middle.
            charge = anchor_level - self._step / 2 - rate * waited
        floor = pack.floor
        charge = min(max(charge, floor - self._step, 0.0), floor)
        return RuntimeEstimate(
            remaining_minutes=charge / rate,
            confidence=confidence,
            source=self.source,
            step_changes=len(points),
            learned_minutes=points[-1][0] - points[0][0]
            if len(points) >= MEASURED_CHANGES
            else 0.0,
            rate_measured=measured,
            full_pack_minutes=1.0 / rate,
        )

    # -- internals ------------------------------------------------------------------------

    def _monotonic(self, now: float) -> float:
        """Never let time run backwards (a caller's clock glitch must not corrupt learning)."""
        now = max(now, self._last_now)
        self._last_now = now
        return now

    def _air_minutes(self, now: float) -> float:
        seconds = self._air_seconds + (now - self._on_since if self._on else 0.0)
        return seconds / 60.0

    def _fresh_pack(self, pack: _Pack, share: float) -> bool:
        rise = share - pack.floor
        return rise >= self._reset_rise - 1e-9 or (share >= 1.0 and rise > 0)

    def _reanchored(self, pack: _Pack, minute: float, share: float) -> _Pack:
        """Keep the rate learnt so far, forget the time anchor."""
        if len(pack.points) >= MEASURED_CHANGES:
            rate = _fitted_rate(pack.points)
            if self.life.slowest_rate <= rate <= self.life.fastest_rate:
                pack.carried_rate = rate
                pack.carried_confidence = Confidence.MEDIUM
        return _Pack(
            start_minute=minute,
            start_level=share,
            floor=share,
            carried_rate=pack.carried_rate,
            carried_confidence=min(
                pack.carried_confidence, Confidence.MEDIUM, key=_ORDER.__getitem__
            ),
        )

    def _bounded_rate(self, pack: _Pack, waiting_bound: float) -> float:
        """The geometric middle of the rates the readings still allow (none measured yet)."""
        slowest, fastest = self.life.slowest_rate, min(self.life.fastest_rate, waiting_bound)
        if pack.points:
            # From the first reading (charge within one step of it) to the first change.
            minute, level = pack.points[0]
            span = minute - pack.start_minute
            if span > 0:
                fastest = min(fastest, (pack.start_level - level) / span)
                slowest = max(slowest, (pack.start_level - self._step - level) / span)
        slowest = min(slowest, fastest)
        return math.sqrt(slowest * fastest)


def _fitted_rate(points: list[tuple[float, float]]) -> float:
    """Share of the pack per on-air minute: least squares of time on level, inverted.

    Returns infinity when every change happened at the same on-air minute (no time to
    measure a rate over); the caller bounds it.
    """
    count = len(points)
    mean_minute = sum(p[0] for p in points) / count
    mean_level = sum(p[1] for p in points) / count
    covariance = sum((p[1] - mean_level) * (p[0] - mean_minute) for p in points)
    variance = sum((p[1] - mean_level) ** 2 for p in points)
    minutes_per_share = -covariance / variance
    return 1.0 / minutes_per_share if minutes_per_share > 0 else math.inf
