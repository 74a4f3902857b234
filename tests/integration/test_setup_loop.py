"""Set-up lets the event loop run: no callback holds it while a rack's entities are added.

A 4 x 4 Demo rack once held Home Assistant's event loop for 0.82 s in one callback: every
entity of a platform was added in one go. Two checks, so that neither a slow nor a loaded
machine makes the test flaky:

- **work per callback** (the deterministic one): entities added by one callback, counted
  through Home Assistant's ``EntityPlatform._async_add_entity``. It does not depend on the
  machine's speed or load, and adding a rack in one go fails it at once (240 sensors).
- **CPU time per callback**, measured by ``benchmarks/loop_turns.py`` on the loop thread's own
  CPU clock, with garbage-collector pauses taken out: other processes that stretch wall time
  do not count, and the collector's pause is proportional to the whole test process's heap,
  not to the code under test. The threshold (100 ms) is generous: set-up callbacks take a few
  milliseconds, so only a real regression (a rack added in one callback: hundreds of ms on
  any machine) crosses it.

Only callbacks on the test's own loop are counted, and only while the entries set up.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import EntityPlatform
from homeassistant.setup import async_setup_component
import pytest

from benchmarks.loop_turns import LoopTurns, TurnStats
from custom_components.micboard.const import DOMAIN
from custom_components.micboard.entity import ADD_SLICE
from tests.integration.entries import demo_entry

#: CPU time (loop thread, garbage collection excluded) one callback may take during set-up.
CALLBACK_CPU_LIMIT = 0.1


@contextlib.contextmanager
def callbacks_timed(hass: HomeAssistant) -> Iterator[TurnStats]:
    """Time every callback of the loop and count the entities each one adds."""
    turns = LoopTurns(hass.loop, threshold=CALLBACK_CPU_LIMIT)
    original = EntityPlatform._async_add_entity

    async def counted(self: EntityPlatform, *args: Any, **kwargs: Any) -> None:
        turns.count()
        await original(self, *args, **kwargs)

    with (
        patch.object(EntityPlatform, "_async_add_entity", counted),
        turns.install().window(callbacks=True) as stats,
    ):
        try:
            yield stats
        finally:
            turns.uninstall()


def _check(stats: TurnStats) -> None:
    assert stats.callbacks > 0
    assert stats.max_callback_work <= ADD_SLICE, (
        f"{stats.max_callback_work} entities added in one callback ({stats.max_work_callback})"
    )
    assert stats.max_callback_cpu <= CALLBACK_CPU_LIMIT, (
        f"a callback held the loop {stats.max_callback_cpu * 1000:.0f} ms of CPU "
        f"({stats.max_callback})"
    )


@pytest.mark.usefixtures("frozen_demo")
async def test_a_4x4_demo_rack_sets_up_in_short_callbacks(hass: HomeAssistant) -> None:
    entry = demo_entry(receivers=4, channels=4)
    entry.add_to_hass(hass)
    with callbacks_timed(hass) as stats:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    # Everything was added: one status sensor per channel has a state.
    statuses = [s for s in hass.states.async_all("sensor") if s.entity_id.endswith("_status")]
    assert len(statuses) == 16
    assert stats.max_callback_work > 0  # the counter saw the entities being added
    _check(stats)


@pytest.mark.usefixtures("frozen_demo")
async def test_several_entries_set_up_at_once_in_short_callbacks(hass: HomeAssistant) -> None:
    entries = [demo_entry(name=f"Rack {number}", receivers=4, channels=4) for number in range(1, 5)]
    for entry in entries:
        entry.add_to_hass(hass)
    with callbacks_timed(hass) as stats:
        # Setting the integration up sets up all its entries at once, as Home Assistant's start.
        assert await async_setup_component(hass, DOMAIN, {})
        await hass.async_block_till_done()
    assert all(entry.state is ConfigEntryState.LOADED for entry in entries)
    statuses = [s for s in hass.states.async_all("sensor") if s.entity_id.endswith("_status")]
    assert len(statuses) == 64
    _check(stats)
