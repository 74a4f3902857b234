"""Estimated runtime for the channels of one entry whose transmitters report no runtime.

Each such channel (``plugins.runtime_estimate.needs_estimate``: bars or percent, no runtime)
gets a ``RuntimeEstimator``, fed where the coordinator derives status: after a status flush
(battery, transmitter on/off, receiver on/offline) and after a full snapshot, never on meter
flushes. Feeding compares the reading with the last one fed, so a status change that is not
about the battery costs a dict lookup.

The estimate runs down with on-air time between readings, so a timer re-reads every
estimate once a minute and wakes the channel's status listeners (the estimate sensor, the
card's websocket, the ``runtime_below`` trigger) only where the figure shown changed.

What is shown: whole minutes once the rate was measured (confidence medium or high); before
that the estimate is only a physical bound (see docs/runtime_estimates.md for how far off it
is) and consumers show it as unknown, with the confidence saying it is still learning.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, callback

from .listeners import KIND_STATUS
from .plugins.model import Channel
from .plugins.runtime_estimate import (
    Confidence,
    ReadingSource,
    RuntimeEstimate,
    RuntimeEstimator,
    estimate_source,
    needs_estimate,
)

if TYPE_CHECKING:
    from .coordinator import MicboardCoordinator

#: How often estimates are re-read as on-air time passes (they are shown in whole minutes).
REFRESH_SECONDS: Final = 60.0

type _Key = tuple[str, int]
type _Reading = int | str  # a level, or one of the markers below
_OFF: Final = "off"
_UNKNOWN: Final = "unknown"


def shown_minutes(estimate: RuntimeEstimate | None) -> int | None:
    """Whole minutes to show, once the rate was measured (``None`` while only bounded)."""
    if estimate is None or estimate.confidence is Confidence.LOW:
        return None
    return round(estimate.remaining_minutes)


class RuntimeEstimates:
    """The runtime estimators of one coordinator's channels, and their minute timer."""

    def __init__(self, coordinator: MicboardCoordinator) -> None:
        """No estimator yet: they are made as channels without runtime are first seen."""
        self._coordinator = coordinator
        self._life = coordinator.plugin.battery_life
        self._estimators: dict[_Key, RuntimeEstimator] = {}
        self._fed: dict[_Key, _Reading] = {}
        self._shown: dict[_Key, tuple[int | None, Confidence | None]] = {}
        self._handle: asyncio.TimerHandle | None = None
        self._unsub: CALLBACK_TYPE | None = None
        #: Monotonic seconds; tests replace it to let on-air time pass.
        self.clock: Callable[[], float] = coordinator.hass.loop.time

    # -- feeding ----------------------------------------------------------------------------

    def channel_changed(self, receiver_id: str, index: int) -> None:
        """A status flush touched this channel: feed its reading if it changed."""
        receiver = self._coordinator.receiver(receiver_id)
        channel = receiver.channels.get(index) if receiver else None
        if receiver is not None and channel is not None:
            self.observe((receiver_id, index), channel, online=receiver.online)

    def observe(self, key: _Key, channel: Channel, *, online: bool) -> None:
        """Feed one channel's current reading (a snapshot passes channels not yet the data)."""
        estimator = self._estimators.get(key)
        if not needs_estimate(channel.features):
            if estimator is not None:
                self.forget(key)
            return
        source = estimate_source(channel.features)
        if estimator is None or estimator.source is not source:
            estimator = self._estimators[key] = RuntimeEstimator(source, self._life)
            self._fed.pop(key, None)
        transmitter = channel.transmitter
        reading: _Reading
        if not online:
            reading = _UNKNOWN
        elif transmitter is None:
            reading = _OFF
        else:
            percent = source is ReadingSource.PERCENT
            level = transmitter.battery_percent if percent else transmitter.battery_bars
            reading = _UNKNOWN if level is None else level
        if self._fed.get(key) == reading:
            return
        self._fed[key] = reading
        now = self.clock()
        if reading == _UNKNOWN:
            estimator.interrupt(now)
        else:
            estimator.observe(now, None if reading == _OFF else int(reading))

    def forget(self, key: _Key) -> None:
        """A channel left the model (or now reports its own runtime)."""
        self._estimators.pop(key, None)
        self._fed.pop(key, None)
        self._shown.pop(key, None)

    # -- reading ----------------------------------------------------------------------------

    def estimated(self, receiver_id: str, index: int) -> bool:
        """Whether this channel's runtime is estimated (it reports none of its own)."""
        return (receiver_id, index) in self._estimators

    def estimate(self, receiver_id: str, index: int) -> RuntimeEstimate | None:
        """The current estimate of a channel (``None``: not estimated, or nothing read yet)."""
        estimator = self._estimators.get((receiver_id, index))
        return None if estimator is None else estimator.estimate(self.clock())

    def payload(self, receiver_id: str, index: int) -> dict[str, Any]:
        """The card's fields (``micboard/subscribe`` channel records), documented in README.

        ``runtime_estimated`` says the channel's runtime is learnt (it reports none);
        ``runtime_estimate_minutes`` is set once the rate was measured and stays while the
        transmitter is off (the pack's remaining on-air time, as its last battery reading);
        ``runtime_estimate_confidence`` is low (still learning), medium or high.
        """
        estimate = self.estimate(receiver_id, index)
        return {
            "runtime_estimated": self.estimated(receiver_id, index),
            "runtime_estimate_minutes": shown_minutes(estimate),
            "runtime_estimate_confidence": estimate.confidence.value if estimate else None,
        }

    # -- the minute timer -------------------------------------------------------------------

    @callback
    def start(self) -> None:
        """Re-read estimates every minute; readings stop counting when the connection fails."""
        self._unsub = self._coordinator.async_add_listener(self._refreshed)
        self._schedule()

    def close(self) -> None:
        """Stop the timer (unload)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._unsub is not None:
            self._unsub()
            self._unsub = None

    def _schedule(self) -> None:
        self._handle = self._coordinator.hass.loop.call_later(REFRESH_SECONDS, self._tick)

    @callback
    def _tick(self) -> None:
        self._schedule()
        self.notify_changed()

    def notify_changed(self) -> None:
        """Wake the status listeners of channels whose shown estimate changed."""
        listeners = self._coordinator.listeners
        for key in list(self._estimators):
            estimate = self.estimate(*key)
            shown = (shown_minutes(estimate), estimate.confidence if estimate else None)
            if self._shown.get(key) != shown:
                self._shown[key] = shown
                listeners.notify(key[0], key[1], KIND_STATUS)

    @callback
    def _refreshed(self) -> None:
        """A failed connection: whatever drains until the next snapshot is not seen."""
        if self._coordinator.last_update_success:
            return
        now = self.clock()
        for key, estimator in self._estimators.items():
            if self._fed.get(key) != _UNKNOWN:
                self._fed[key] = _UNKNOWN
                estimator.interrupt(now)
