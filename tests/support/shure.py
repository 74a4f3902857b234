"""Helpers for the Shure command-string tests: short timings, a running simulator, its id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from custom_components.micboard.plugins.shure.commands.plugin import Timing
from simulators.shure.commands import ShureSimulator

#: The simulator answers a burst in one write, so a short quiet gap ends each probe and dump
#: quickly. Waits that only matter when something goes wrong stay generous: the simulator
#: shares the event loop with the plugin, and on a loaded machine a starved process must not
#: look like a silent receiver.
FAST = Timing(
    connect=2.0, first_reply=2.0, quiet=0.03, settle_limit=3.0, watchdog_min=1.5, close=0.5
)
#: For the tests about silence itself: give up on a quiet peer soon.
QUICK_SILENCE = replace(FAST, first_reply=0.3, watchdog_min=0.5)
#: Channels each family's simulator gets in the tests (its biggest model).
FAMILY_CHANNELS = {"ulxd": 4, "qlxd": 1, "slxd": 2, "ad": 4, "uhfr": 2, "psm1000": 2}
FAMILIES = tuple(FAMILY_CHANNELS)


@asynccontextmanager
async def running_simulator(
    family: str, channels: int | None = None, **kwargs: Any
) -> AsyncIterator[ShureSimulator]:
    """A started simulator on a free loopback port, closed afterwards."""
    simulator = ShureSimulator(family, channels or FAMILY_CHANNELS[family], **kwargs)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.close()


def receiver_id(simulator: ShureSimulator) -> str:
    """The receiver id the plugin derives for a simulator."""
    if simulator.device.device_id:
        return f"shure-{simulator.device.device_id}"
    return f"shure-{simulator.device.model}@{simulator.host}"
