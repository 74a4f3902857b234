"""One benchmark run in its own process: ``python -m benchmarks.scenario --source demo ...``.

Prints one JSON object. Baseline and measured phases run in the same process and the same
Home Assistant, so ratios compare like with like.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import statistics
import sys
import time
from typing import Any
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity

from custom_components.micboard.coordinator import MicboardCoordinator

from .hass_runner import (
    add_entries_and_wait,
    cpu_seconds,
    reload_entries_and_wait,
    rss_bytes,
    start_hass,
)
from .naive import EntityWrites, install_naive
from .sources import DemoSource, ShureSource, Source

#: Entity keys that carry meter values (coalesced to the meter interval).
METER_KEYS = ("rf_level", "rf_quality", "audio_level", "antenna")


class WriteCounter:
    """Counts state_changed events (what the recorder would store), meters vs status."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to every state change."""
        self.per_entity: dict[str, int] = {}
        self._waiters: dict[str, asyncio.Future[float]] = {}

        @callback
        def _count(event: Event[EventStateChangedData]) -> None:
            entity_id = event.data["entity_id"]
            self.per_entity[entity_id] = self.per_entity.get(entity_id, 0) + 1
            waiter = self._waiters.pop(entity_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(time.monotonic())

        hass.bus.async_listen(EVENT_STATE_CHANGED, _count)

    def reset(self) -> None:
        """Start counting afresh."""
        self.per_entity.clear()

    def wait_for(self, entity_id: str) -> asyncio.Future[float]:
        """Future resolved with the time of the entity's next state change."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[entity_id] = future
        return future


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _measure_cpu(seconds: float) -> tuple[float, float]:
    """CPU seconds per wall second over ``seconds``, and peak RSS seen meanwhile."""
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    peak = rss_bytes()
    end = wall0 + seconds
    while time.monotonic() < end:
        await asyncio.sleep(0.5)
        peak = max(peak, rss_bytes())
    return (cpu_seconds() - cpu0) / (time.monotonic() - wall0), peak


def _phase(started: float, name: str) -> None:
    """Progress on stderr (stdout carries the result)."""
    print(f"  {time.monotonic() - started:6.1f} s  {name}", file=sys.stderr, flush=True)


async def _flush_pending_saves(hass: HomeAssistant) -> None:
    """Write the registries' delayed saves now, as Home Assistant does when it stops.

    Set-up schedules them 10 s ahead; flushing instead of waiting keeps that file writing out
    of the measured window without a fixed sleep.
    """
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()


def _coordinators(source: Source) -> list[MicboardCoordinator]:
    return [entry.runtime_data for entry in source.entries()]


async def _time_status_changes(
    hass: HomeAssistant, source: Source, counter: WriteCounter, changes: int
) -> list[float]:
    """Milliseconds from each change at the source to its ``state_changed`` event.

    Stops after a minute: a saturated Home Assistant (the naive mode on a large rack) would
    otherwise take up to five seconds per lost change; the table shows how many were timed.
    """
    latencies: list[float] = []
    deadline = time.monotonic() + 60.0
    for number in range(changes):
        if time.monotonic() > deadline:
            break
        waiter = counter.wait_for(source.status_target(hass, number))
        started = await source.status_change(number)
        try:
            changed_at = await asyncio.wait_for(waiter, 5.0)
        except TimeoutError:
            continue
        latencies.append((changed_at - started) * 1000.0)
        await asyncio.sleep(0.01)
    return latencies


def _count_writes(coordinators: list[MicboardCoordinator], mode: str) -> list[EntityWrites]:
    """Entity write counters on every coordinator; the naive mode switched on if asked for."""
    if mode == "naive":
        return [install_naive(coordinator) for coordinator in coordinators]
    return [EntityWrites.install(coordinator) for coordinator in coordinators]


async def _enter_steady_state(source: Source) -> None:
    """Metering at 10 Hz at the source."""
    if isinstance(source, DemoSource):
        source.tune()
    elif isinstance(source, ShureSource):
        await source.tune()
    await asyncio.sleep(1.0)  # the new meter rate and mode take effect


async def run(source: Source, mode: str, window: float, changes: int) -> dict[str, Any]:
    """Baseline, set-up, steady state, latency; everything in one Home Assistant."""
    started = time.monotonic()
    hass = await start_hass()
    counter = WriteCounter(hass)
    await asyncio.sleep(2.0)  # let start-up work settle
    _phase(started, "Home Assistant started; baseline window")
    baseline_cpu, baseline_rss = await _measure_cpu(window)

    await source.start()
    _phase(started, "simulators up; adding entries")
    setup_seconds = await add_entries_and_wait(hass, source.entries())
    _phase(started, "every entity has a state; reloading")
    reload_seconds = await reload_entries_and_wait(hass, source.entries())
    _phase(started, "reloaded; writing the registries")
    # Before the naive mode starts: under its message flood Home Assistant never idles.
    await _flush_pending_saves(hass)
    coordinators = _coordinators(source)
    writes = _count_writes(coordinators, mode)
    await _enter_steady_state(source)
    _phase(started, "steady state; measuring window")
    messages0 = sum(c.connection_health.messages_received for c in coordinators)
    calls0 = sum(w.count for w in writes)
    counter.reset()
    wall0 = time.monotonic()
    cpu, peak_rss = await _measure_cpu(window)
    wall = time.monotonic() - wall0
    messages = sum(c.connection_health.messages_received for c in coordinators) - messages0
    calls = sum(w.count for w in writes) - calls0

    registry = er.async_get(hass)
    entry_ids = {entry.entry_id for entry in source.entries()}
    enabled = [
        e
        for e in registry.entities.values()
        if e.config_entry_id in entry_ids and e.disabled_by is None
    ]
    meter_ids = {e.entity_id for e in enabled if e.unique_id.endswith(METER_KEYS)}
    status_ids = {e.entity_id for e in enabled} - meter_ids
    meter_writes = sum(n for eid, n in counter.per_entity.items() if eid in meter_ids)
    status_writes = sum(n for eid, n in counter.per_entity.items() if eid in status_ids)
    # Which kinds of entity wrote (by entity key, e.g. "battery_runtime"): explains the totals.
    key_of = {e.entity_id: e.unique_id.rsplit("-", 1)[-1] for e in enabled}
    writes_by_key: dict[str, int] = {}
    for entity_id, count in counter.per_entity.items():
        if entity_id in key_of:
            writes_by_key[key_of[entity_id]] = writes_by_key.get(key_of[entity_id], 0) + count

    _phase(started, "timing status changes")
    latencies = await _time_status_changes(hass, source, counter, changes)

    # Unload first: stopping Home Assistant under a saturating message stream (naive mode)
    # would otherwise wait for its shutdown-stage timeouts.
    _phase(started, "unloading")
    entries = source.entries()
    await asyncio.gather(*(hass.config_entries.async_unload(e.entry_id) for e in entries))
    await hass.async_stop()
    await source.stop()
    _phase(started, "done")
    channels = source.receivers * 4
    meter_interval = coordinators[0].meter_interval
    return {
        "source": source.name,
        "mode": mode,
        "receivers": source.receivers,
        "channels": channels,
        "entities_enabled": len(enabled),
        "meter_entities_enabled": len(meter_ids),
        "setup_seconds": round(setup_seconds, 3),
        "reload_seconds": round(reload_seconds, 3),
        "cpu_baseline": round(baseline_cpu, 4),
        "cpu_with": round(cpu, 4),
        "cpu_ratio": round(cpu / baseline_cpu, 2) if baseline_cpu else None,
        "cpu_integration_percent_core": round((cpu - baseline_cpu) * 100.0, 2),
        "messages_per_second": round(messages / wall, 1),
        "write_calls_per_second": round(calls / wall, 1),
        "state_writes_per_second": round((meter_writes + status_writes) / wall, 1),
        "meter_writes_per_entity_per_interval": (
            round(meter_writes / len(meter_ids) / (wall / meter_interval), 3) if meter_ids else None
        ),
        "status_writes_per_second": round(status_writes / wall, 2),
        "writes_per_second_by_key": {
            key: round(count / wall, 2)
            for key, count in sorted(writes_by_key.items(), key=lambda item: -item[1])
        },
        "latency_ms": {
            "count": len(latencies),
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p99": round(_percentile(latencies, 0.99), 2) if latencies else None,
            "max": round(max(latencies), 2) if latencies else None,
        },
        "rss_growth_mb": round((peak_rss - baseline_rss) / 2**20, 1),
    }


def _meters_enabled(entity: Entity) -> bool:
    """The meter sensors of every channel enabled (as a user who graphs RF and audio)."""
    description = getattr(entity, "entity_description", None)
    if getattr(description, "key", None) in METER_KEYS:
        return True
    return bool(getattr(description, "entity_registry_enabled_default", True))


def _all_enabled(_entity: Entity) -> bool:
    """Every entity enabled, diagnostics included (the naive mode)."""
    return True


def main() -> None:
    """Parse arguments, run, print JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scenario")
    parser.add_argument("--source", choices=["demo", "shure"], default="demo")
    parser.add_argument("--receivers", type=int, default=10)
    parser.add_argument("--mode", choices=["default", "meters", "naive"], default="default")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per CPU window")
    parser.add_argument("--changes", type=int, default=200, help="status changes timed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # Home Assistant's default integrations probe for ffmpeg and libturbojpeg at start-up;
    # their absence is irrelevant here.
    for noisy in ("haffmpeg", "homeassistant.components.camera.img_util"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    source: Source = (
        ShureSource(args.receivers) if args.source == "shure" else DemoSource(args.receivers)
    )
    # "meters": the four meter sensors of every channel enabled (as a user who graphs RF and
    # audio would); "naive": every entity enabled, diagnostics included.
    enabled_default = property(_meters_enabled if args.mode == "meters" else _all_enabled)
    with contextlib.ExitStack() as stack:
        # SLP discovery would join a multicast group on the machine's real interfaces.
        stack.enter_context(
            patch("custom_components.micboard.discovery_slp.SLP_AUTOSTART", new=False)
        )
        if args.mode != "default":
            stack.enter_context(
                patch.object(Entity, "entity_registry_enabled_default", enabled_default)
            )
        result = asyncio.run(run(source, args.mode, args.window, args.changes))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
