"""Field figures for SSC v1, MCP and Audio-Technica: slow set-up, recovery, hostile input.

Per protocol, against its simulator on loopback, with the plugins' real timeouts:

  set-up      get_devices() against a device answering every request ``--delay`` s late
              (2 s by default); must be well inside the 30 s Home Assistant allows.
  recovery    the device goes away for ``--outage`` s (60 by default) while listening; the
              reconnect loop is the integration's (its Backoff: 1-5 s, then every 5 s).
              Figure: from the device answering again to the first full snapshot.
  stall       the longest time the plugin's event loop was held in one go while hostile
              input arrived: for Audio-Technica 4 MB streams on the TCP session (bare CRs,
              one 4 MB line, junk lines), for the UDP protocols a flood of hostile datagrams
              (deep nesting, 400-digit numbers, oversized and binary junk) sent as fast as
              the simulator's own thread can.

The simulators run on their own event loop in a thread, so the plugin's loop carries only
the plugin's work. The machine is shared: report the load (``uptime``) with the figures.

Usage: scripts/measure_udp_faults [--delay 2] [--outage 60] [--skip-recovery]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Iterator
import contextlib
from pathlib import Path
import random
import sys
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.micboard.connection import Backoff
from custom_components.micboard.plugins.audio_technica import (
    AudioTechnicaOptions,
    AudioTechnicaPlugin,
)
from custom_components.micboard.plugins.errors import MicboardError
from custom_components.micboard.plugins.plugin import ManufacturerPlugin
from custom_components.micboard.plugins.sennheiser.mcp import McpOptions
from custom_components.micboard.plugins.sennheiser.mcp.plugin import (
    SennheiserMcpPlugin,
)
from custom_components.micboard.plugins.sennheiser.ssc1 import Ssc1Options
from custom_components.micboard.plugins.sennheiser.ssc1.plugin import (
    SennheiserSsc1Plugin,
)
from simulators.audio_technica import AudioTechnicaSimulator
from simulators.sennheiser.mcp import McpSimulator
from simulators.sennheiser.ssc1 import Ssc1Simulator
from tests.support.helpers import free_port
from tests.support.stalled_loop import simulator_in_thread

type Sim = Ssc1Simulator | McpSimulator | AudioTechnicaSimulator


class StallMeter:
    """The longest gap between two turns of this event loop while it runs."""

    def __init__(self) -> None:
        """Start with no gap seen and no watcher running."""
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    @contextlib.contextmanager
    def running(self) -> Iterator[StallMeter]:
        """Measure for the length of the ``with`` block; read ``longest`` afterwards."""
        self._task = asyncio.get_running_loop().create_task(self._watch())
        try:
            yield self
        finally:
            self._task.cancel()


def _ssc1() -> tuple[
    Callable[[], Awaitable[Ssc1Simulator]], Callable[[Any], ManufacturerPlugin[Any]]
]:
    async def start() -> Ssc1Simulator:
        return await Ssc1Simulator(channels=4).start()

    def plugin(sim: Ssc1Simulator) -> SennheiserSsc1Plugin:
        host, port = sim.address
        return SennheiserSsc1Plugin(Ssc1Options(host=host, port=port))

    return start, plugin


def _mcp() -> tuple[
    Callable[[], Awaitable[McpSimulator]], Callable[[Any], ManufacturerPlugin[Any]]
]:
    local = free_port("udp")

    async def start() -> McpSimulator:
        return await McpSimulator(reply_port=local).start()

    def plugin(sim: McpSimulator) -> SennheiserMcpPlugin:
        host, port = sim.address
        return SennheiserMcpPlugin(McpOptions(host=host, port=port, local_port=local))

    return start, plugin


def _at() -> tuple[
    Callable[[], Awaitable[AudioTechnicaSimulator]], Callable[[Any], ManufacturerPlugin[Any]]
]:
    async def start() -> AudioTechnicaSimulator:
        return await AudioTechnicaSimulator().start()  # ESW-R4180DAN, 8 channels

    def plugin(sim: AudioTechnicaSimulator) -> AudioTechnicaPlugin:
        return AudioTechnicaPlugin(
            AudioTechnicaOptions(host="127.0.0.1", port=sim.port, notify_port=0)
        )

    return start, plugin


PROTOCOLS = {
    "SSC v1 (EW-DX, 4 ch)": _ssc1,
    "MCP (ew G4 EM)": _mcp,
    "Audio-Technica (ESW, 8 ch)": _at,
}


async def measure_setup(name: str, delay: float) -> str:
    """How long get_devices() takes when the device answers every request ``delay`` s late."""
    start, make = PROTOCOLS[name]()
    with simulator_in_thread(start) as (sim, call):
        call(lambda: setattr(sim, "reply_delay", delay))
        plugin = make(sim)
        began = time.monotonic()
        try:
            receivers = await plugin.get_devices()
            took = time.monotonic() - began
            channels = sum(len(r.channels) for r in receivers.values())
            result = f"{took:6.1f} s ({channels} channels)"
        except MicboardError as err:
            result = f"FAILED after {time.monotonic() - began:.1f} s: {err}"
        finally:
            await plugin.close()
    return result


async def _away(
    sim: Sim, call: Callable[[Callable[[], Any]], None], loop: asyncio.AbstractEventLoop
) -> None:
    if isinstance(sim, AudioTechnicaSimulator):
        asyncio.run_coroutine_threadsafe(sim.kill(), loop).result(10)
    else:
        call(sim.stop_answering)


async def _back(
    sim: Sim, call: Callable[[Callable[[], Any]], None], loop: asyncio.AbstractEventLoop
) -> None:
    if isinstance(sim, AudioTechnicaSimulator):
        asyncio.run_coroutine_threadsafe(sim.restart(), loop).result(10)
    else:
        call(sim.resume)


async def measure_recovery(name: str, outage: float) -> str:
    """How soon data flows again after an ``outage`` s loss, retrying on the integration's backoff.

    The figure runs from the device answering again to the first full snapshot.
    """
    start, make = PROTOCOLS[name]()
    with simulator_in_thread(start) as (sim, call):
        sim_loop = _loop_of(call)
        plugin = make(sim)
        await plugin.get_devices()
        listening = asyncio.create_task(plugin.listen(lambda _u: None))
        await asyncio.sleep(2)
        await _away(sim, call, sim_loop)
        away_at = time.monotonic()
        back_at = away_at + outage

        async def come_back() -> None:
            await asyncio.sleep(outage)
            await _back(sim, call, sim_loop)

        returning = asyncio.create_task(come_back())
        with contextlib.suppress(MicboardError):
            await listening  # ends when the plugin notices
        noticed = time.monotonic() - away_at
        print(f"    {name}: loss noticed after {noticed:.1f} s", file=sys.stderr)
        backoff = Backoff()  # the integration's schedule, as the coordinator runs it
        attempts_away = 0
        while True:
            await asyncio.sleep(backoff.next_delay())
            try:
                await plugin.get_devices()
            except MicboardError as err:
                print(f"    {name}: attempt failed: {err}", file=sys.stderr)
                if time.monotonic() < back_at:
                    attempts_away += 1
                continue
            if time.monotonic() >= back_at:
                break
            attempts_away += 1  # pragma: no cover  (answered before it came back)
        recovered = time.monotonic()
        await returning
        await plugin.close()
        return (
            f"data {recovered - back_at:4.1f} s after the device answered again "
            f"(loss noticed after {noticed:.1f} s; {attempts_away} attempts in "
            f"{outage:.0f} s away)"
        )


def _loop_of(call: Callable[[Callable[[], Any]], None]) -> asyncio.AbstractEventLoop:
    found: list[asyncio.AbstractEventLoop] = []
    call(lambda: found.append(asyncio.get_running_loop()))
    return found[0]


def _hostile_datagrams(kind: str) -> list[bytes]:
    rng = random.Random(7)
    common = [b"[" * 60_000, b"{" * 60_000, bytes(rng.randrange(256) for _ in range(60_000))]
    if kind == "ssc1":
        return [
            *common,
            b'{"m":{"rx1":{"rssi":' + b"9" * 400 + b"}}}",
            b'{"a":' * 2000 + b"1" + b"}" * 2000,
            b'{"rx1":{"name":"' + b"\\u0007" * 8000 + b'"}}',
        ]
    return [
        *common,
        b"1000: " + b" " * 1490 + b"[\r",
        (b"RF " + b"9" * 1400 + b" 1 1\r") * 8,
        b"\r" * 12_000,
        b"Name \x1b[31m\r" * 900,
    ]


async def measure_udp_flood(name: str, seconds: float) -> str:
    """The longest loop stall while hostile datagrams arrive for ``seconds`` s, as fast as sent."""
    start, make = PROTOCOLS[name]()
    kind = "ssc1" if name.startswith("SSC") else "mcp"
    with simulator_in_thread(start) as (sim, call):
        plugin = make(sim)
        await plugin.get_devices()
        sim_loop = _loop_of(call)
        client = next(iter(sim.clients))  # type: ignore[union-attr]
        payloads = _hostile_datagrams(kind)
        sent = 0

        async def flood() -> None:
            nonlocal sent
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                for payload in payloads:
                    sim._send_datagram(payload, client)  # type: ignore[union-attr]  # noqa: SLF001
                    sent += 1
                await asyncio.sleep(0)

        meter = StallMeter()
        listening = asyncio.create_task(plugin.listen(lambda _u: None))
        await asyncio.sleep(1)
        rejected_before = plugin.health.messages_rejected
        with meter.running():
            future = asyncio.run_coroutine_threadsafe(flood(), sim_loop)
            # The flood runs on the simulator's loop in another thread, so an asyncio.Event
            # would need a thread-safe set; polling every 50 ms only ends the window late.
            while not future.done():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        rejected = plugin.health.messages_rejected - rejected_before
        alive = not listening.done()
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError, MicboardError):
            await listening
        await plugin.close()
    return (
        f"longest stall {meter.longest * 1000:6.1f} ms; {sent} datagrams sent, "
        f"{rejected} rejected, link {'up' if alive else 'DOWN'}"
    )


async def measure_at_stream() -> list[str]:
    """The longest loop stall while Audio-Technica reads each 4 MB hostile stream on its session."""
    start, make = PROTOCOLS["Audio-Technica (ESW, 8 ch)"]()
    floods = {
        "4 MB of bare CRs": b"\r" * (4 << 20),
        "one 4 MB line": b"x" * (4 << 20) + b"\r",
        "4 MB of junk lines": (b"\x00\xff!! ## " + b"." * 50 + b"\r") * ((4 << 20) // 60),
    }
    results = []
    with simulator_in_thread(start) as (sim, call):
        plugin = make(sim)
        plugin.reply_timeout = 30.0  # the figure is the loop, not whether a 3 s answer waits
        await plugin.get_devices()
        for label, flood in floods.items():
            meter = StallMeter()
            with meter.running():
                call(lambda flood=flood: sim.inject_before_reply(flood))
                began = time.monotonic()
                try:
                    await plugin._query("glevelrf", 1)  # noqa: SLF001  the flood, then the answer
                    outcome = "answered"
                except MicboardError as err:
                    outcome = f"FAILED: {err}"
                took = time.monotonic() - began
            results.append(
                f"{label:20} longest stall {meter.longest * 1000:6.1f} ms; "
                f"read in {took:.2f} s; {outcome}"
            )
        await plugin.close()
    return results


async def main() -> None:
    """Print the set-up, stall and recovery figures, one line per protocol."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--flood-seconds", type=float, default=5.0)
    parser.add_argument("--skip-recovery", action="store_true")
    parser.add_argument("--only-recovery", action="store_true")
    args = parser.parse_args()
    if args.only_recovery:
        await _recoveries(args.outage)
        return

    print(f"Set-up at {args.delay:g} s per request (Home Assistant allows 30 s):")
    setups = await asyncio.gather(*(measure_setup(name, args.delay) for name in PROTOCOLS))
    for name, result in zip(PROTOCOLS, setups, strict=True):
        print(f"  {name:28} {result}")

    print("Longest event-loop stall under hostile input:")
    for name in list(PROTOCOLS)[:2]:
        print(f"  {name:28} {await measure_udp_flood(name, args.flood_seconds)}")
    for line in await measure_at_stream():
        print(f"  {'Audio-Technica':28} {line}")

    if not args.skip_recovery:
        await _recoveries(args.outage)


async def _recoveries(outage: float) -> None:
    print(f"Recovery after a {outage:g} s outage (integration's backoff):")
    recoveries = await asyncio.gather(*(measure_recovery(name, outage) for name in PROTOCOLS))
    for name, result in zip(PROTOCOLS, recoveries, strict=True):
        print(f"  {name:28} {result}")


if __name__ == "__main__":
    asyncio.run(main())
