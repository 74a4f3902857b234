"""Helpers for the System API tests: a running simulator, plugin options, a listener task."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from typing import Any

from custom_components.micboard.plugins.model import ModelUpdate
from custom_components.micboard.plugins.net.tls import parse_fingerprint
from custom_components.micboard.plugins.shure.systemapi import (
    ShureSystemApiOptions,
    ShureSystemApiPlugin,
)
from simulators.shure.systemapi import SystemApiSimulator
from tests.support.helpers import wait_for


@contextlib.asynccontextmanager
async def running_simulator(**kwargs: Any) -> AsyncIterator[SystemApiSimulator]:
    """A System API simulator on a free loopback port, closed afterwards."""
    simulator = await SystemApiSimulator(**kwargs).start()
    try:
        yield simulator
    finally:
        await simulator.close()


def options(simulator: SystemApiSimulator, **overrides: Any) -> ShureSystemApiOptions:
    """Plugin options that reach the simulator (the library's view of an entry)."""
    fields: dict[str, Any] = {
        "host": simulator.host,
        "port": simulator.port,
        "api_key": simulator.api_key,
        "fingerprint": parse_fingerprint(simulator.fingerprint),
    }
    fields.update(overrides)
    if isinstance(fields["fingerprint"], str):
        fields["fingerprint"] = parse_fingerprint(fields["fingerprint"])
    return ShureSystemApiOptions(**fields)


def stage(simulator: SystemApiSimulator) -> dict[str, str]:
    """A small installation: the device ids by role.

    An interface with muteable channels, a pack charging in its charger, a ceiling mic with a
    device mute, a charger, a ULX-D receiver (handed over), one device the server only
    discovered and one that is off.
    """
    add = simulator.add_device
    ids = {
        "anx4": add("ANX4", name="Stage box").device_id,
        "pack": add("ULXD6", name="Pack 1").device_id,
        "mxa": add("MXA910", name="Ceiling").device_id,
        "charger": add("SBC220", name="Charger").device_id,
        "ulxd": add("ULXD4D", name="RX-1", address="198.51.100.21").device_id,
        "found": add("ADTD", name="New PSM", state="DISCOVERED").device_id,
        "off": add("ADTQ", name="Spare PSM", state="OFFLINE").device_id,
    }
    battery = simulator.devices[ids["pack"]].battery
    assert battery is not None
    battery.state, battery.percentage, battery.minutes = "CHARGING", 20, 120
    return ids


class Listener:
    """Runs ``plugin.listen`` in a task and records its updates."""

    def __init__(self, plugin: ShureSystemApiPlugin) -> None:
        self.plugin = plugin
        self.updates: list[ModelUpdate] = []
        self.task: asyncio.Task[None] | None = None

    async def start(self, simulator: SystemApiSimulator) -> None:
        """Listen until the transport is subscribed (the server knows it)."""
        self.task = asyncio.create_task(self.plugin.listen(self.updates.append))
        known = set(simulator.transport_ids)
        await wait_for(
            lambda: (
                (
                    self.plugin.transport_id is not None
                    and self.plugin.transport_id not in known
                    and self.plugin.health.state.value == "connected"
                )
                or self.task is None
                or self.task.done()
            )
        )
        if self.task.done():
            self.task.result()

    def fields_of(self, receiver_id: str, channel: int | None = None) -> set[str]:
        """Every field reported for a receiver (or one of its channels)."""
        return {
            name
            for update in self.updates
            if update.receiver_id == receiver_id and update.channel == channel
            for name in update.fields
        }

    async def stop(self) -> None:
        """Cancel the listen task (as the coordinator does on unload)."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
