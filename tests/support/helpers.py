"""Small test helpers that are not fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback


async def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until ``condition()`` holds; fail the test after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


class StateWrites:
    """Counts state_changed events per entity: what the recorder would store."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.counts: dict[str, int] = {}

        @callback
        def _count(event: Event[EventStateChangedData]) -> None:
            entity_id = event.data["entity_id"]
            self.counts[entity_id] = self.counts.get(entity_id, 0) + 1

        self.unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, _count)

    def clear(self) -> None:
        self.counts.clear()

    def of(self, suffix: str) -> dict[str, int]:
        """Counts of the entities whose id ends with ``suffix``."""
        return {eid: n for eid, n in self.counts.items() if eid.endswith(suffix)}
