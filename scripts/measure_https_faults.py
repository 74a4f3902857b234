"""Measure the HTTPS protocols (Sennheiser SSCv2, Shure System API) under faults, for real.

Real sockets on loopback, real TLS, the plugins as Home Assistant runs them; the simulator
runs on its own event loop in a thread, so its work never counts as the plugin's. Figures:

  setup     seconds from nothing to the first snapshot (get_devices) and to listening
            (subscribed), with the device answering every request ``--delay`` s late (2 s);
  recovery  seconds from the device answering again after a ``--outage`` s outage (60 s)
            to data flowing, with the coordinator's retry schedule (connection.Backoff),
            and how many attempts were made while it was away;
  stall     the longest time the plugin's event loop was blocked while a hostile stream
            arrived (4 MB of bare LF, of bare CR, of one-byte lines, deeply nested JSON).

Run: scripts/measure_https_faults [--only setup]
The machine's load changes the figures; say what it was (uptime) when you quote them.
"""

# The script reads the plugins' session state to know when they listen (SLF001), and asserts
# what must hold for the figures to mean anything (S101).
# ruff: noqa: SLF001, S101

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
import contextlib
from pathlib import Path
import sys
import threading
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.micboard.connection import Backoff
from custom_components.micboard.plugins.errors import MicboardError
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.net.tls import parse_fingerprint
from custom_components.micboard.plugins.plugin import ManufacturerPlugin
from custom_components.micboard.plugins.sennheiser.ssc2.plugin import (
    SennheiserSsc2Plugin,
    Ssc2Options,
)
from custom_components.micboard.plugins.shure.systemapi.plugin import (
    ShureSystemApiOptions,
    ShureSystemApiPlugin,
)
from simulators.sennheiser.ssc2 import Ssc2Simulator
from simulators.shure.systemapi import SystemApiSimulator

MB = 1024 * 1024


class SimulatorThread:
    """A simulator on its own loop in a thread (its work is not the plugin loop's)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        """Start the loop, then the simulator ``make`` builds, on it."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = self.run(self._start(make))

    async def _start(self, make: Callable[[], Any]) -> Any:
        sim = make()
        await sim.start()
        return sim

    def run(self, work: Coroutine[Any, Any, Any] | Callable[[], Any]) -> Any:
        """Run a coroutine, or call a function, on the simulator's loop; its result."""
        if asyncio.iscoroutine(work):
            return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=60)
        done: Future[Any] = Future()

        def call() -> None:
            try:
                done.set_result(work())  # type: ignore[operator]
            except Exception as err:  # noqa: BLE001  handed to the caller
                done.set_exception(err)

        self.loop.call_soon_threadsafe(call)
        return done.result(timeout=60)

    def close(self) -> None:
        """Stop the simulator and its loop."""
        self.run(self.sim.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def ssc2_sim(channels: int) -> SimulatorThread:
    """An EW-DX with ``channels`` channels."""
    return SimulatorThread(lambda: Ssc2Simulator(channels=channels))


def sapi_sim() -> SimulatorThread:
    """A System API server with an interface, a pack and a ceiling microphone."""

    def make() -> SystemApiSimulator:
        sim = SystemApiSimulator(page_size=50)
        for model, name in (("ANX4", "Stage box"), ("ULXD6", "Pack 1"), ("MXA910", "Ceiling")):
            sim.add_device(model, name=name)
        return sim

    return SimulatorThread(make)


def ssc2_plugin(sim: Ssc2Simulator) -> SennheiserSsc2Plugin:
    """The plugin as an entry for this receiver makes it."""
    return SennheiserSsc2Plugin(
        Ssc2Options(
            host=sim.host,
            port=sim.port,
            password=sim.password,
            fingerprint=parse_fingerprint(sim.fingerprint),
            expected_id=sim.state.serial,
        )
    )


def sapi_plugin(sim: SystemApiSimulator) -> ShureSystemApiPlugin:
    """The plugin as an entry for this server makes it."""
    return ShureSystemApiPlugin(
        ShureSystemApiOptions(
            host=sim.host,
            port=sim.port,
            api_key=sim.api_key,
            fingerprint=parse_fingerprint(sim.fingerprint),
        )
    )


async def until(condition: Callable[[], bool], limit: float = 120.0) -> None:
    """Poll ``condition`` until it holds (``TimeoutError`` after ``limit`` s)."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


class Supervisor:
    """What the coordinator does with a plugin: listen; when that ends, retry on Backoff."""

    def __init__(self, plugin: ManufacturerPlugin[Any]) -> None:
        """Start listening at once."""
        self.plugin = plugin
        self.backoff = Backoff()
        self.attempts = 0
        self.updates = 0
        self.task = asyncio.get_running_loop().create_task(self._run())

    def _update(self, _update: object) -> None:
        self.updates += 1

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(MicboardError):  # what ended it is not the figure
                await self.plugin.listen(self._update)
            self.backoff.reset()
            while True:
                await asyncio.sleep(self.backoff.next_delay())
                self.attempts += 1
                try:
                    await self.plugin.get_devices()
                    break
                except MicboardError:
                    continue

    async def stop(self) -> None:
        """Stop listening and close the plugin."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.plugin.close()


def connected(plugin: ManufacturerPlugin[Any]) -> bool:
    """The plugin says its link is up."""
    return plugin.health.state is ConnectionState.CONNECTED


def listening(plugin: ManufacturerPlugin[Any], sim: Any) -> bool:
    """Subscribed: changes on the device now reach the plugin."""
    if not connected(plugin):
        return False
    if isinstance(plugin, SennheiserSsc2Plugin):
        return plugin._session_uuid in sim.sessions and sim.active_streams == 1
    assert isinstance(plugin, ShureSystemApiPlugin)
    transport = plugin.transport_id
    return transport is not None and len(sim.subscriptions_of(transport)) >= len(plugin._subscribed)


# -- the measurements ------------------------------------------------------------------------


async def measure_setup(delay: float) -> None:
    """Set-up time of each protocol at ``delay`` s per request."""
    cases: list[tuple[str, Callable[[], SimulatorThread], Callable[[Any], Any]]] = [
        ("SSCv2 EM 2 (2 channels)", lambda: ssc2_sim(2), ssc2_plugin),
        ("SSCv2 EM 4 Dante (4 channels)", lambda: ssc2_sim(4), ssc2_plugin),
        ("System API (3 devices)", sapi_sim, sapi_plugin),
    ]
    for label, make_sim, make_plugin in cases:
        runner = make_sim()
        runner.sim.delay = delay
        plugin = make_plugin(runner.sim)
        started = time.monotonic()
        await plugin.get_devices()
        snapshot = time.monotonic() - started
        supervisor = Supervisor(plugin)
        await until(lambda plugin=plugin, sim=runner.sim: listening(plugin, sim))
        subscribed = time.monotonic() - started
        requests = len(runner.sim.requests)
        print(
            f"setup    {label}: snapshot {snapshot:.1f} s, listening {subscribed:.1f} s "
            f"({requests} requests at {delay:g} s each)"
        )
        await supervisor.stop()
        runner.close()


async def measure_recovery(outage: float) -> None:
    """Time to data after an ``outage`` s outage, with the coordinator's schedule."""
    cases: list[tuple[str, Callable[[], SimulatorThread], Callable[[Any], Any]]] = [
        ("SSCv2", lambda: ssc2_sim(2), ssc2_plugin),
        ("System API", sapi_sim, sapi_plugin),
    ]
    for label, make_sim, make_plugin in cases:
        runner = make_sim()
        plugin = make_plugin(runner.sim)
        await plugin.get_devices()
        supervisor = Supervisor(plugin)
        await until(lambda plugin=plugin, sim=runner.sim: listening(plugin, sim))
        runner.run(runner.sim.kill())
        await until(lambda plugin=plugin: not connected(plugin))
        await asyncio.sleep(outage)
        attempts = supervisor.attempts
        runner.run(runner.sim.restart())
        back = time.monotonic()
        await until(lambda plugin=plugin: connected(plugin))
        recovered = time.monotonic() - back
        print(
            f"recovery {label}: data {recovered:.1f} s after the device answered again "
            f"({outage:g} s outage, {attempts} attempts while away)"
        )
        await supervisor.stop()
        runner.close()


class StallMonitor:
    """The longest time between two turns of this loop that should have been 2 ms apart."""

    def __init__(self) -> None:
        """Start watching the loop."""
        self.worst = 0.0
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.002)
            now = loop.time()
            self.worst = max(self.worst, now - last - 0.002)
            last = now

    async def stop(self) -> float:
        """Stop watching; the longest stall seen (seconds)."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        return self.worst


SSE_HOSTILE: list[tuple[str, bytes]] = [
    ("4 MB of bare LF", b"\n" * (4 * MB)),
    ("4 MB of bare CR", b"\r" * (4 * MB)),
    ("4 MB of one-byte lines", b"a\n" * (2 * MB)),
    ("4 MB of data lines (one oversized event)", b"data:x\n" * (4 * MB // 7) + b"\n"),
    ("4 MB of nested events", (b"data:" + b"[" * 200_000 + b"\n\n") * 20),
]
FRAME_HOSTILE: list[tuple[str, str]] = [
    ("a 4 MB nested frame", "[" * (4 * MB)),
    ("a 4 MB frame of text", "x" * (4 * MB)),
]


async def measure_stalls() -> None:
    """The longest loop stall while each hostile stream is decoded."""
    runner = ssc2_sim(2)
    plugin = ssc2_plugin(runner.sim)
    await plugin.get_devices()
    supervisor = Supervisor(plugin)
    await until(lambda: listening(plugin, runner.sim))
    channel = plugin.receivers[runner.sim.state.serial].channels[1]
    for number, (label, stream) in enumerate(SSE_HOSTILE):
        monitor = StallMonitor()
        started = time.monotonic()
        runner.run(lambda stream=stream: runner.sim.send_raw(stream))
        runner.run(lambda number=number: runner.sim.rename(0, f"AFTER{number}"))
        await until(lambda number=number: channel.name == f"AFTER{number}")
        took = time.monotonic() - started
        worst = await monitor.stop()
        print(
            f"stall    SSCv2 {label}: longest loop stall {worst * 1000:.1f} ms "
            f"(stream handled in {took:.1f} s, rejected so far {plugin.health.messages_rejected})"
        )
    await supervisor.stop()
    runner.close()

    runner = sapi_sim()
    sapi = sapi_plugin(runner.sim)
    await sapi.get_devices()
    supervisor = Supervisor(sapi)
    await until(lambda: listening(sapi, runner.sim))
    box = next(d for d in runner.sim.devices.values() if d.model == "ANX4").device_id
    for number, (label, frame) in enumerate(FRAME_HOSTILE):
        monitor = StallMonitor()
        runner.run(lambda frame=frame: runner.sim.send_raw(frame))
        runner.run(lambda number=number: runner.sim.rename(box, f"After {number}"))
        await until(lambda number=number: sapi.receivers[box].name == f"After {number}")
        worst = await monitor.stop()
        print(
            f"stall    System API {label}: longest loop stall {worst * 1000:.1f} ms "
            f"(rejected so far {sapi.health.messages_rejected})"
        )
    await supervisor.stop()
    runner.close()


async def main(args: argparse.Namespace) -> None:
    """Run the measurements asked for."""
    steps: dict[str, Callable[[], Awaitable[None]]] = {
        "setup": lambda: measure_setup(args.delay),
        "stall": measure_stalls,
        "recovery": lambda: measure_recovery(args.outage),
    }
    for name, step in steps.items():
        if args.only in (None, name):
            await step()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0, help="seconds per request (setup)")
    parser.add_argument("--outage", type=float, default=60.0, help="outage seconds (recovery)")
    parser.add_argument("--only", choices=["setup", "stall", "recovery"])
    asyncio.run(main(parser.parse_args()))
