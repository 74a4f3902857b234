"""How plugin updates reach the listeners: status at once (batched), meters once per interval.

Receivers meter up to 10 times a second per channel. Writing every message to the state
machine would flood the recorder, so updates are split by kind: status changes (battery,
link, names, warnings) reach entities within a few milliseconds (``STATUS_BATCH_SECONDS``),
meter values at most once per ``meter_interval``. Each flush re-derives the status of the
channels it touches and wakes only their listeners.

The coordinator holds one :class:`UpdateDelivery`; production uses :class:`CoalescingDelivery`.
The benchmark installs its own baseline (``benchmarks/naive.py``) through the same protocol,
so nothing of it runs here.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Protocol

from homeassistant.core import callback

from .const import STATUS_BATCH_SECONDS
from .listeners import KIND_METER, KIND_STATUS, ChannelKey
from .plugins.model import METER_FIELDS, STRUCTURE_FIELD, ModelUpdate

if TYPE_CHECKING:
    from .coordinator import MicboardCoordinator


class UpdateDelivery(Protocol):
    """Turns plugin updates into listener wake-ups for one coordinator."""

    def start(self) -> None:
        """Entities were just written (set-up): meter time starts now."""

    def deliver(self, update: ModelUpdate) -> None:
        """One plugin update (called per device message: the hot path)."""

    def close(self) -> None:
        """Cancel pending flushes; nothing is delivered after this."""


class CoalescingDelivery:
    """Batches status changes for a few milliseconds and meters for the meter interval."""

    def __init__(self, coordinator: MicboardCoordinator) -> None:
        """Nothing pending; the model, listeners and status are the coordinator's."""
        self._coordinator = coordinator
        self._status_dirty: set[ChannelKey] = set()
        self._online_changed: set[str] = set()
        self._meter_dirty: set[ChannelKey] = set()
        self._status_handle: asyncio.TimerHandle | None = None
        self._meter_handle: asyncio.TimerHandle | None = None
        self._last_meter_flush = 0.0

    def start(self) -> None:
        """The first meter flush waits a full interval after set-up wrote every entity."""
        self._last_meter_flush = time.monotonic()

    def deliver(self, update: ModelUpdate) -> None:
        """Queue ``update`` as meter change, status change or both."""
        changed = update.fields
        if not changed:
            return
        if changed <= METER_FIELDS:
            # Most messages: a meter sample. Once its channel waits for the next meter flush,
            # a further sample only has to start a peak hold if it clips.
            key = (update.receiver_id, update.channel)
            if key in self._meter_dirty and self._meter_handle is not None:
                if "audio_clipping" in changed and update.channel is not None:
                    self._coordinator.status.note_clip(update.receiver_id, update.channel)
                return
            self._queue_meters(key, update)
            return
        key = (update.receiver_id, update.channel)
        if not changed.isdisjoint(METER_FIELDS):
            self._queue_meters(key, update)
        self._status_dirty.add(key)
        if STRUCTURE_FIELD in changed:
            self._status_dirty.add((update.receiver_id, None))
        if update.channel is None and "online" in changed:
            # Every entity of the receiver changes availability, meters included.
            self._online_changed.add(update.receiver_id)
        if self._status_handle is None:
            loop = self._coordinator.hass.loop
            self._status_handle = loop.call_later(STATUS_BATCH_SECONDS, self._flush_status)

    def _queue_meters(self, key: ChannelKey, update: ModelUpdate) -> None:
        """Mark the channel's meters dirty; the meter flush waits out the interval."""
        self._meter_dirty.add(key)
        if "audio_clipping" in update.fields and update.channel is not None:
            self._coordinator.status.note_clip(update.receiver_id, update.channel)
        if self._meter_handle is None:
            interval = self._coordinator.meter_interval
            delay = max(0.0, self._last_meter_flush + interval - time.monotonic())
            loop = self._coordinator.hass.loop
            self._meter_handle = loop.call_later(delay, self._flush_meters)

    def close(self) -> None:
        """Cancel the pending flushes."""
        for handle in (self._status_handle, self._meter_handle):
            if handle is not None:
                handle.cancel()

    @callback
    def _flush_status(self) -> None:
        coordinator = self._coordinator
        self._status_handle = None
        dirty, self._status_dirty = self._status_dirty, set()
        if any(key[1] is None for key in dirty):
            coordinator.check_structure(coordinator.data)
        now = time.monotonic()
        for receiver_id, index in dirty:
            if index is not None:
                coordinator.status.evaluate(receiver_id, index, now)
                coordinator.runtime.channel_changed(receiver_id, index)
            else:
                coordinator.devices.update_receiver(receiver_id)
            coordinator.listeners.notify(receiver_id, index, KIND_STATUS)
        self._flush_online(now)
        coordinator.listeners.notify_health(coordinator.data or {})

    def _flush_online(self, now: float) -> None:
        """A receiver went on- or offline: re-evaluate and wake all of its channels."""
        if not self._online_changed:
            return
        changed, self._online_changed = self._online_changed, set()
        for receiver_id in changed:
            wake_receiver_channels(self._coordinator, receiver_id, now)

    @callback
    def _flush_meters(self) -> None:
        coordinator = self._coordinator
        self._meter_handle = None
        self._last_meter_flush = now = time.monotonic()
        dirty, self._meter_dirty = self._meter_dirty, set()
        for receiver_id, index in dirty:
            if index is not None and coordinator.status.evaluate(receiver_id, index, now):
                coordinator.listeners.notify(receiver_id, index, KIND_STATUS)
            coordinator.listeners.notify(receiver_id, index, KIND_METER)
        coordinator.listeners.notify_health(coordinator.data or {})


def wake_receiver_channels(coordinator: MicboardCoordinator, receiver_id: str, now: float) -> None:
    """Re-evaluate every channel of a receiver and wake all of their listeners.

    What a receiver going on- or offline needs: every entity's availability changed, its
    meters' too. Shared with the benchmark's baseline delivery.
    """
    receiver = coordinator.receiver(receiver_id)
    for index in receiver.channels if receiver else ():
        coordinator.status.evaluate(receiver_id, index, now)
        coordinator.runtime.channel_changed(receiver_id, index)
        coordinator.listeners.notify(receiver_id, index, KIND_STATUS)
        coordinator.listeners.notify(receiver_id, index, KIND_METER)
