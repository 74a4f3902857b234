"""Where the benchmark's receivers come from: the built-in Demo rack, or simulators."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from custom_components.micboard.plugins.model import (
    ModelUpdate,
    Transmitter,
)

from .hass_runner import config_entry

CHANNELS = 4


class Source(Protocol):
    """A set of receivers for one benchmark run."""

    name: str
    receivers: int

    async def start(self) -> None:
        """Start whatever serves the receivers (simulators), before entries are added."""

    def entries(self) -> list[ConfigEntry]:
        """The config entries that monitor them."""

    def status_target(self, hass: HomeAssistant, number: int) -> str:
        """The entity that the ``number``-th status change will change."""

    async def status_change(self, number: int) -> float:
        """Cause the ``number``-th status change; return when it was made (monotonic)."""

    async def stop(self) -> None:
        """Stop the simulators."""

    def pids(self) -> list[int]:
        """Processes that serve the receivers (their CPU is not Home Assistant's, nor noise)."""


class DemoSource:
    """Demo racks (up to 25 receivers each), metering at 10 Hz, inside Home Assistant.

    The simulation runs in the Home Assistant process, so its own cost counts as integration
    CPU here (a real device does that work itself).
    """

    name = "demo"
    RACK_SIZE = 25

    def __init__(self, receivers: int) -> None:
        """``receivers`` receivers of four channels, split into racks."""
        self.receivers = receivers
        self._entries: list[ConfigEntry] = []
        remaining, number = receivers, 1
        while remaining > 0:
            size = min(self.RACK_SIZE, remaining)
            name = f"Bench rack {number}"
            data = {"manufacturer": "demo", "name": name, "receivers": size, "channels": 4}
            self._entries.append(config_entry(name, data, f"demo_bench_rack_{number}"))
            remaining -= size
            number += 1

    async def start(self) -> None:
        """Nothing to start: the racks are simulated by the plugin itself."""

    def entries(self) -> list[ConfigEntry]:
        """One entry per rack."""
        return self._entries

    def _coordinators(self) -> list[MicboardCoordinator]:
        return [entry.runtime_data for entry in self._entries]

    def tune(self) -> None:
        """Meter at 10 Hz like the simulators (the demo's default is 4 Hz)."""
        for coordinator in self._coordinators():
            plugin = coordinator.plugin
            assert isinstance(plugin, DemoRackPlugin)
            plugin.tick_seconds = 0.1

    def _pick(self, number: int) -> tuple[MicboardCoordinator, str, int]:
        coordinators = self._coordinators()
        coordinator = coordinators[number % len(coordinators)]
        receiver_ids = list(coordinator.data)
        receiver_id = receiver_ids[(number // len(coordinators)) % len(receiver_ids)]
        return coordinator, receiver_id, 1 + number % CHANNELS

    def status_target(self, hass: HomeAssistant, number: int) -> str:
        """The transmitter binary sensor of the channel the change toggles."""
        _coordinator, receiver_id, index = self._pick(number)
        entity_id = er.async_get(hass).async_get_entity_id(
            "binary_sensor", "micboard", f"{receiver_id}-{index}-transmitter"
        )
        assert entity_id is not None
        return entity_id

    async def status_change(self, number: int) -> float:
        """Toggle a transmitter in the model and hand the update to the coordinator.

        This measures the integration's own path (queue, status flush, entity write); with
        the simulators the socket and parser are included too.
        """
        coordinator, receiver_id, index = self._pick(number)
        channel = coordinator.data[receiver_id].channels[index]
        plugin = coordinator.plugin
        assert isinstance(plugin, DemoRackPlugin)
        rack_number = next(
            n for n in range(1, len(coordinator.data) + 1) if plugin.receiver_id(n) == receiver_id
        )
        switch_on = channel.transmitter is None
        # The simulation follows (and holds the transmitter off), so its next tick agrees with
        # the model instead of undoing the change before it is measured.
        plugin.set_transmitter(rack_number, index, on=switch_on, hold=3600.0)
        started = time.monotonic()
        if switch_on:
            channel.transmitter = channel.last_transmitter or Transmitter(battery_bars=5)
        else:
            channel.transmitter = None
        coordinator.handle_update(ModelUpdate(receiver_id, index, frozenset({"transmitter"})))
        return started

    async def stop(self) -> None:
        """Nothing to stop."""

    def pids(self) -> list[int]:
        """None: the racks run inside Home Assistant."""
        return []


class ShureSource:
    """Shure ULX-D quad simulators in a separate process, one config entry per receiver.

    The simulators run outside the Home Assistant process (so their CPU is not counted) and
    meter at 10 Hz; every status change travels over a real socket and through the parser.
    """

    name = "shure"

    def __init__(self, receivers: int) -> None:
        """``receivers`` receivers of four channels."""
        self.receivers = receivers
        self._process: asyncio.subprocess.Process | None = None
        self._entries: list[ConfigEntry] = []
        self._state: dict[tuple[int, int], bool] = {}

    async def _ask(self, command: str | None = None) -> dict[str, Any]:
        assert self._process is not None
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        if command is not None:
            self._process.stdin.write(f"{command}\n".encode())
            await self._process.stdin.drain()
        answer: dict[str, Any] = json.loads(await self._process.stdout.readline())
        return answer

    async def start(self) -> None:
        """Start the simulator process and build one entry per receiver."""
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.shure_rack",
            "--receivers",
            str(self.receivers),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        ports = (await self._ask())["ports"]
        self._entries = [
            config_entry(
                f"ULXD4Q {number:03d}",
                {"manufacturer": "shure_tcp", "host": "127.0.0.1", "port": port},
                f"shure-BENCH{number:03d}",
            )
            for number, port in enumerate(ports, start=1)
        ]

    def entries(self) -> list[ConfigEntry]:
        """One entry per receiver."""
        return self._entries

    def pids(self) -> list[int]:
        """The simulator process."""
        return [] if self._process is None else [self._process.pid]

    async def tune(self) -> None:
        """Every receiver meters at 10 Hz from now on."""
        await self._ask("meter 100")

    def _pick(self, number: int) -> tuple[int, int]:
        return number % self.receivers, 1 + (number // self.receivers) % CHANNELS

    def status_target(self, hass: HomeAssistant, number: int) -> str:
        """The transmitter binary sensor of the channel the change toggles."""
        receiver, channel = self._pick(number)
        entity_id = er.async_get(hass).async_get_entity_id(
            "binary_sensor", "micboard", f"shure-BENCH{receiver + 1:03d}-{channel}-transmitter"
        )
        assert entity_id is not None
        return entity_id

    async def status_change(self, number: int) -> float:
        """Switch the transmitter off (or back on) at the simulator; when it went out."""
        receiver, channel = self._pick(number)
        on = not self._state.get((receiver, channel), True)
        self._state[receiver, channel] = on
        started: float = (await self._ask(f"tx {receiver} {channel} {int(on)}"))["t"]
        return started

    async def stop(self) -> None:
        """Stop the simulator process."""
        if self._process is not None and self._process.returncode is None:
            assert self._process.stdin is not None
            self._process.stdin.write(b"quit\n")
            await self._process.stdin.drain()
            await self._process.wait()
