"""Keeps every channel's derived status (``ChannelStatus``) current, with time as well.

The status is re-derived from the model when a flush touches a channel, and also when time
alone changes it: an audio peak is held for a while, a low battery is remembered. For that a
timer per channel waits for the tracker's next deadline, and a status that changed then wakes
the channel's status listeners like any other change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import time
from typing import TYPE_CHECKING

from homeassistant.core import callback

from .listeners import KIND_STATUS
from .plugins.model import Receiver

if TYPE_CHECKING:
    from .coordinator import MicboardCoordinator


class StatusEvaluator:
    """Runs the coordinator's ``StatusTracker`` and its deadlines for one entry."""

    def __init__(self, coordinator: MicboardCoordinator) -> None:
        """No deadline yet; the model and the tracker are the coordinator's."""
        self._coordinator = coordinator
        self._deadlines: dict[tuple[str, int], tuple[float, asyncio.TimerHandle]] = {}
        self._closed = False

    def evaluate(self, receiver_id: str, index: int, now: float) -> bool:
        """Re-derive one channel's status; True if it changed."""
        coordinator = self._coordinator
        receiver = coordinator.receiver(receiver_id)
        channel = receiver.channels.get(index) if receiver else None
        if receiver is None or channel is None:
            return False
        key = (receiver_id, index)
        changed = coordinator.tracker.evaluate(key, channel, now, receiver_online=receiver.online)
        self._schedule_deadline(key, now)
        return changed

    def evaluate_snapshot(self, receivers: Mapping[str, Receiver]) -> None:
        """Derive every channel's status from a full snapshot (before it is the data)."""
        tracker = self._coordinator.tracker
        now = time.monotonic()
        for receiver_id, receiver in receivers.items():
            for index, channel in receiver.channels.items():
                key = (receiver_id, index)
                tracker.evaluate(key, channel, now, receiver_online=receiver.online)
                self._schedule_deadline(key, now)
                self._coordinator.runtime.observe(key, channel, online=receiver.online)

    def note_clip(self, receiver_id: str, index: int) -> None:
        """Start the peak hold of a channel whose audio clips now (it may stop before a flush)."""
        channel = self._coordinator.channel(receiver_id, index)
        if channel is not None and channel.audio_clipping:
            self._coordinator.tracker.note_clip((receiver_id, index), time.monotonic())

    def forget(self, key: tuple[str, int]) -> None:
        """A channel left the model."""
        self._coordinator.tracker.forget(key)

    def close(self) -> None:
        """Cancel every deadline; none is scheduled after this."""
        self._closed = True
        for _deadline, handle in self._deadlines.values():
            handle.cancel()
        self._deadlines.clear()

    def _schedule_deadline(self, key: tuple[str, int], now: float) -> None:
        """Re-check a status that will change with time alone (peak hold, battery memory)."""
        deadline = self._coordinator.tracker.deadline(key, now)
        scheduled = self._deadlines.get(key)
        if scheduled is not None:
            if scheduled[0] == deadline:
                return
            scheduled[1].cancel()
            del self._deadlines[key]
        if deadline is not None and not self._closed:
            handle = self._coordinator.hass.loop.call_later(deadline - now, self._on_deadline, key)
            self._deadlines[key] = (deadline, handle)

    @callback
    def _on_deadline(self, key: tuple[str, int]) -> None:
        self._deadlines.pop(key, None)
        if self.evaluate(key[0], key[1], time.monotonic()):
            self._coordinator.listeners.notify(key[0], key[1], KIND_STATUS)
