"""Shure command strings under faults, measured with real sockets on loopback.

Three figures (``scripts/measure_shure_faults``):

- **set-up at 2 s per request**: a simulator that answers every request 2 s late; seconds from
  ``get_devices()`` to a model, with the plugin's production timings.
- **recovery after an outage**: the device refuses connections for ``--outage`` seconds (60),
  then accepts; the reconnect loop uses the integration's own :class:`Backoff` (first retry
  1-5 s, then every 5 s). Seconds from "accepts again" to the first data in the model.
- **longest event-loop stall under a hostile stream**: while monitoring, the device sends 4 MB of
  noise (several patterns, each a trap for a naive framer); the longest time the plugin's event
  loop went without running a 1 ms ticker. The simulator runs in a child process, so neither
  its writes nor its share of the GIL count.

Wall-clock figures: run them on a quiet machine, and say how loaded it was.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass
import json
import multiprocessing
from multiprocessing.connection import Connection
import os
import time
from typing import Any, Literal

from custom_components.micboard.connection import Backoff
from custom_components.micboard.plugins.errors import MicboardError
from custom_components.micboard.plugins.shure.commands.plugin import (
    ShureCommandsOptions,
    ShureCommandsPlugin,
)
from simulators.shure.commands import ShureSimulator

HOSTILE_BYTES = 4 * 1024 * 1024
#: UHF-R's stream is datagrams: this much noise in each (what fits an Ethernet frame).
DATAGRAM_BYTES = 1400
#: Patterns that defeat naive framers: rescans from every "<", one fragment per ">", no
#: delimiter at all, an opening that never closes, and random bytes.
HOSTILE_PATTERNS: dict[str, bytes] = {
    "'<>' repeated": b"<>",
    "'>' repeated": b">",
    "'<' repeated": b"<",
    "no delimiters": b"x",
    "'< REP 1 CHAN_NAME {' repeated": b"< REP 1 CHAN_NAME {",
    "random bytes": os.urandom(4096),
}


@dataclass(frozen=True, slots=True)
class Remote:
    """A simulator in another process (so its work does not hold this process's GIL)."""

    host: str
    port: int
    transport: str
    _conn: Connection

    async def call(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Run ``sim.name(*args, **kwargs)`` in the child (awaited there); wait for it."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._roundtrip, (name, args, kwargs))

    def _roundtrip(self, message: tuple[str, tuple[Any, ...], dict[str, Any]]) -> None:
        self._conn.send(message)
        self._conn.recv()


def _child(conn: Connection, family: str, kwargs: dict[str, Any]) -> None:
    """The child process: one simulator, driven by messages on ``conn``."""

    async def serve() -> None:
        sim = ShureSimulator(family, 2, **kwargs)
        await sim.start()
        conn.send((sim.host, sim.port, sim.transport))
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[tuple[str, tuple[Any, ...], dict[str, Any]]] = asyncio.Queue()
        loop.add_reader(conn.fileno(), lambda: inbox.put_nowait(conn.recv()))
        while True:
            name, args, options = await inbox.get()
            if name == "close":
                await sim.close()
                conn.send(None)
                return
            if name == "hostile":  # build the stream here: 4 MB never crosses the pipe
                unit, size = args
                data = (unit * (size // len(unit) + 1))[:size]
                step = DATAGRAM_BYTES if sim.transport == "udp" else size
                for start in range(0, size, step):
                    sim.inject_garbage(data[start : start + step])
            else:
                result = getattr(sim, name)(*args, **options)
                if asyncio.iscoroutine(result):
                    await result
            conn.send(None)

    asyncio.run(serve())


@contextlib.asynccontextmanager
async def simulator_process(family: str, **kwargs: Any) -> AsyncIterator[Remote]:
    """A simulator of ``family`` (2 channels) in a child process on a loopback port."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_child, args=(child, family, kwargs), daemon=True)
    process.start()
    loop = asyncio.get_running_loop()
    host, port, transport = await loop.run_in_executor(None, parent.recv)
    remote = Remote(host, port, transport, parent)
    try:
        yield remote
    finally:
        await remote.call("close")
        process.join(5)


def _plugin(sim: Remote) -> ShureCommandsPlugin:
    transport: Literal["tcp", "udp"] = "udp" if sim.transport == "udp" else "tcp"
    options = ShureCommandsOptions(host=sim.host, port=sim.port, transport=transport)
    return ShureCommandsPlugin(options, meter_interval=0.1)


async def measure_setup(family: str, delay: float) -> float:
    """Seconds to a model from a device answering every request ``delay`` s late."""
    async with simulator_process(family, reply_delay=delay) as sim:
        plugin = _plugin(sim)
        started = time.monotonic()
        try:
            await plugin.get_devices()
            return time.monotonic() - started
        finally:
            await plugin.close()


async def measure_recovery(family: str, outage: float) -> dict[str, float]:
    """Seconds from the device accepting again to data, after ``outage`` s of refusal.

    The retries follow the integration's :class:`Backoff`; the device comes back on its own
    schedule, as a real one does, so the figure includes the wait for the next attempt.
    """
    async with simulator_process(family) as sim:
        plugin = _plugin(sim)
        await plugin.get_devices()
        await plugin.close()
        await sim.call("set_refusing", refusing=True)
        await sim.call("drop_connections")
        returned: list[float] = []

        async def come_back() -> None:
            await asyncio.sleep(outage)
            await sim.call("set_refusing", refusing=False)
            returned.append(time.monotonic())

        back = asyncio.create_task(come_back())
        backoff = Backoff()
        attempts = 0
        while True:
            await asyncio.sleep(backoff.next_delay())
            attempts += 1
            try:
                receivers = await plugin.get_devices()
            except MicboardError:
                continue
            break
        data_at = time.monotonic()
        await back
        assert receivers
        await plugin.close()
        return {"seconds_from_accept_to_data": data_at - returned[0], "attempts": attempts}


@dataclass
class StallMonitor:
    """The longest gap between ticks of a 1 ms ticker on the event loop."""

    longest: float = 0.0
    _running: bool = True

    async def run(self) -> None:
        """Tick until stopped, keeping the longest gap."""
        last = time.perf_counter()
        while self._running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - 0.001)
            last = now

    def stop(self) -> None:
        """End the ticker after its next tick."""
        self._running = False


async def measure_stalls(family: str) -> dict[str, dict[str, float]]:
    """Longest loop stall (ms) while 4 MB of each hostile pattern arrives while monitoring."""
    results: dict[str, dict[str, float]] = {}
    async with simulator_process(family) as sim:
        plugin = _plugin(sim)
        await plugin.get_devices()
        listener = asyncio.create_task(plugin.listen(lambda _update: None))
        try:
            for name, unit in HOSTILE_PATTERNS.items():
                monitor = StallMonitor()
                ticker = asyncio.create_task(monitor.run())
                await asyncio.sleep(0.1)
                before = plugin.health.messages_rejected
                await sim.call("hostile", unit, HOSTILE_BYTES)
                # Until the stream was read: the rejected count stops moving for a while.
                await _settled(lambda: plugin.health.messages_rejected)
                monitor.stop()
                await ticker
                results[name] = {
                    "longest_stall_ms": round(monitor.longest * 1000, 1),
                    "messages_rejected": plugin.health.messages_rejected - before,
                }
                if listener.done():
                    raise SystemExit(f"the listener ended under {name}: {listener}")
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
            await plugin.close()
    return results


async def _settled(read: Callable[[], object], quiet: float = 0.5, limit: float = 60.0) -> None:
    """Wait until ``read()`` stops changing for ``quiet`` seconds."""
    last = read()
    stable_since = time.monotonic()
    end = time.monotonic() + limit
    while time.monotonic() < end:
        await asyncio.sleep(0.05)
        now = read()
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= quiet:
            return


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure for every family asked for."""
    results: dict[str, Any] = {}
    for family in args.families:
        family_results: dict[str, Any] = {}
        family_results["setup_seconds_at_2s_per_request"] = await measure_setup(family, 2.0)
        family_results["under_4MB_hostile_stream"] = await measure_stalls(family)
        if args.outage > 0:
            family_results[f"recovery_after_{args.outage:g}s_outage"] = await measure_recovery(
                family, args.outage
            )
        results[family] = family_results
        print(json.dumps({family: family_results}, indent=2), flush=True)
    return results


def main() -> None:
    """Measure and print JSON per family."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=["ulxd", "uhfr"])
    parser.add_argument("--outage", type=float, default=60.0, help="seconds refused (0: skip)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
