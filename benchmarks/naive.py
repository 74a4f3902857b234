"""The benchmark's instruments on a coordinator: a write counter and the naive baseline.

Neither runs in production: the coordinator offers two seams (its ``delivery`` strategy and
its optional ``write_hook``) and the benchmark, or a test of the baseline, installs these.

- :class:`EntityWrites` counts the state writes entities make, per coordinator.
- :func:`install_naive` is the "naive" mode: every update is handed to the entities at once
  (no batching, no meter interval, all kinds woken) and every woken entity writes, changed
  or not. It measures what coalescing and write-on-change save.
"""

from __future__ import annotations

import time

from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.delivery import UpdateDelivery, wake_receiver_channels
from custom_components.micboard.listeners import KIND_HEALTH, KIND_METER, KIND_STATUS
from custom_components.micboard.plugins.model import STRUCTURE_FIELD, ModelUpdate


class EntityWrites:
    """The coordinator's write hook: counts writes; in naive mode writes unchanged states too."""

    def __init__(self, *, write_unchanged: bool = False) -> None:
        """Count from zero; ``write_unchanged`` turns off write-on-change."""
        self.count = 0
        self.write_unchanged = write_unchanged

    def __call__(self, changed: bool) -> bool:
        """Whether the notified entity writes (and count it if so)."""
        write = changed or self.write_unchanged
        if write:
            self.count += 1
        return write

    @classmethod
    def install(
        cls, coordinator: MicboardCoordinator, *, write_unchanged: bool = False
    ) -> EntityWrites:
        """Count the writes of ``coordinator``'s entities from now on."""
        writes = cls(write_unchanged=write_unchanged)
        coordinator.write_hook = writes
        return writes


class ImmediateDelivery:
    """Naive delivery: no batching, no interval, every kind woken for every update.

    Wraps the coalescing delivery it replaces, so that whatever that one still had pending
    flushes as it would have, and closing the coordinator cancels it.
    """

    def __init__(self, coordinator: MicboardCoordinator, replaced: UpdateDelivery) -> None:
        """Deliver for ``coordinator`` instead of ``replaced``."""
        self._coordinator = coordinator
        self._replaced = replaced

    def start(self) -> None:
        """Nothing waits for an interval here."""
        self._replaced.start()

    def deliver(self, update: ModelUpdate) -> None:
        """Wake everything ``update`` could concern, now."""
        coordinator = self._coordinator
        listeners = coordinator.listeners
        if STRUCTURE_FIELD in update.fields:
            coordinator.check_structure(coordinator.data)
        if update.channel is None and "online" in update.fields:
            wake_receiver_channels(coordinator, update.receiver_id, time.monotonic())
        if update.channel is not None:
            if "audio_clipping" in update.fields:
                coordinator.status.note_clip(update.receiver_id, update.channel)
            coordinator.status.evaluate(update.receiver_id, update.channel, time.monotonic())
            listeners.notify(update.receiver_id, update.channel, KIND_METER)
        listeners.notify(update.receiver_id, update.channel, KIND_STATUS)
        listeners.notify(update.receiver_id, None, KIND_HEALTH)

    def close(self) -> None:
        """Cancel what the replaced delivery still had pending."""
        self._replaced.close()


def install_naive(coordinator: MicboardCoordinator) -> EntityWrites:
    """Switch ``coordinator`` to the naive baseline; the returned counter counts its writes."""
    coordinator.delivery = ImmediateDelivery(coordinator, coordinator.delivery)
    return EntityWrites.install(coordinator, write_unchanged=True)
