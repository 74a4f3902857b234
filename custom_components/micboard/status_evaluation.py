"""Keeps every channel's derived status (``ChannelStatus``) current, with time as well.

The status is re-derived from the model when a flush touches a channel, and also when time
alone changes it: an audio peak is held for a while, a low battery is remembered. For that the
entry keeps every channel's next deadline and one timer for the earliest of them (a heap, not a
timer per channel: a clipping channel moves its deadline at every meter flush, and cancelling
and re-arming hundreds of timers per second costs more than the evaluations). A status that
changed at its deadline wakes the channel's status listeners like any other change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import heapq
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
        #: Each channel's next deadline; the heap may also hold outdated ones (skipped).
        self._deadlines: dict[tuple[str, int], float] = {}
        self._heap: list[tuple[float, tuple[str, int]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
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
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._timer_at = None
        self._deadlines.clear()
        self._heap.clear()

    def _schedule_deadline(self, key: tuple[str, int], now: float) -> None:
        """Re-check a status that will change with time alone (peak hold, battery memory)."""
        deadline = self._coordinator.tracker.deadline(key, now)
        if self._deadlines.get(key) == deadline:
            return
        if deadline is None:
            del self._deadlines[key]  # its heap entry is skipped when it comes up
            return
        if self._closed:
            return
        self._deadlines[key] = deadline
        heap = self._heap
        heapq.heappush(heap, (deadline, key))
        if len(heap) > 4 * len(self._deadlines) + 64:
            # Outdated entries pile up while deadlines move; rebuild from the live ones.
            self._heap = heap = [(when, k) for k, when in self._deadlines.items()]
            heapq.heapify(heap)
        self._arm(now)

    def _arm(self, now: float) -> None:
        """One timer, for the earliest deadline (re-armed only when that moves earlier)."""
        if not self._heap:
            return
        earliest = self._heap[0][0]
        if self._timer_at is not None and self._timer_at <= earliest:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = earliest
        self._timer = self._coordinator.hass.loop.call_later(
            max(0.0, earliest - now), self._on_deadline
        )

    @callback
    def _on_deadline(self) -> None:
        self._timer = self._timer_at = None
        now = time.monotonic()
        heap, deadlines = self._heap, self._deadlines
        due: list[tuple[str, int]] = []
        while heap and heap[0][0] <= now:
            when, key = heapq.heappop(heap)
            if deadlines.get(key) == when:  # else outdated: the deadline moved or went
                del deadlines[key]
                due.append(key)
        for receiver_id, index in due:
            if self.evaluate(receiver_id, index, now):
                self._coordinator.listeners.notify(receiver_id, index, KIND_STATUS)
        if not self._closed:
            self._arm(now)
