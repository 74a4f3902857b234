"""One benchmark run in its own process: ``python -m benchmarks.scenario --source demo ...``.

Prints one JSON object. Baseline and measured phases run in the same process and the same
Home Assistant, so ratios compare like with like.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass
import json
import logging
import os
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
    load_average,
    machine_busy_seconds,
    process_cpu_seconds,
    rss_bytes,
    setup_entries_and_wait,
    start_hass,
)
from .loop_turns import LoopTurns
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


@dataclass
class Window:
    """One measured window: CPU of Home Assistant, of the rest of the machine, and the load."""

    kind: str  # "baseline" (Home Assistant idle, no entry loaded) or "with" (the integration)
    cpu: float  # CPU seconds of this process per wall second
    others: float  # CPU of every other process (the simulators excepted), in cores
    load1: float  # 1-minute load average just before the window
    peak_rss: int
    wall: float
    turns: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """For the JSON."""
        return {
            "kind": self.kind,
            "cpu": round(self.cpu, 4),
            "others_cores": round(self.others, 3),
            "load1": self.load1,
            "loop_turns": self.turns,
        }


async def _measure(
    kind: str, seconds: float, turns: LoopTurns, exclude: list[int] | None = None
) -> Window:
    """CPU seconds per wall second over ``seconds``, the machine's load, and peak RSS.

    ``exclude``: process ids whose CPU is not "others" (the simulator process of the run).
    """
    load1 = load_average()
    cpu0, wall0, machine0 = cpu_seconds(), time.monotonic(), machine_busy_seconds()
    excluded0 = sum(process_cpu_seconds(pid) for pid in exclude or ())
    peak = rss_bytes()
    end = wall0 + seconds
    with turns.window() as stats:
        while time.monotonic() < end:
            await asyncio.sleep(0.5)
            peak = max(peak, rss_bytes())
    wall = time.monotonic() - wall0
    own = cpu_seconds() - cpu0
    excluded = sum(process_cpu_seconds(pid) for pid in exclude or ()) - excluded0
    others = max(0.0, machine_busy_seconds() - machine0 - own - excluded) / wall
    return Window(kind, own / wall, others, load1, peak, wall, stats.as_dict())


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


async def _enter_steady_state(source: Source, mode: str) -> None:
    """Metering at 10 Hz at the source (mode "interval": at the rate the integration asked)."""
    if mode == "interval":
        await asyncio.sleep(2.0)  # the integration's own meter rate (1 s) is in effect
        return
    if isinstance(source, DemoSource):
        source.tune()
    elif isinstance(source, ShureSource):
        await source.tune()
    await asyncio.sleep(1.0)  # the new meter rate and mode take effect


#: A window starts on a busy machine when the 1-minute load average per core is above this.
BUSY_LOAD_PER_CORE = 0.7
#: ... or when other processes used more than this many cores during a window.
BUSY_OTHERS_CORES = 0.35
#: ... or when the idle baselines of one run differ by more than this (share of a core).
NOISY_BASELINE_SPREAD = 0.01


def _busy_reasons(windows: list[Window]) -> list[str]:
    """Why the figures of a run should not be published ([] if the machine was quiet)."""
    cores = os.cpu_count() or 1
    reasons: list[str] = []
    loaded = [w.load1 for w in windows if w.load1 / cores > BUSY_LOAD_PER_CORE]
    if loaded:
        reasons.append(
            f"load average above {BUSY_LOAD_PER_CORE:g} per core before "
            f"{len(loaded)} of {len(windows)} windows (up to {max(loaded):.2f} on {cores} cores)"
        )
    others = [w.others for w in windows if w.others > BUSY_OTHERS_CORES]
    if others:
        reasons.append(
            f"other processes used up to {max(others):.2f} cores during "
            f"{len(others)} of {len(windows)} windows"
        )
    baselines = [w.cpu for w in windows if w.kind == "baseline"]
    if len(baselines) > 1 and max(baselines) - min(baselines) > NOISY_BASELINE_SPREAD:
        reasons.append(
            f"idle baseline noisy: {min(baselines) * 100:.2f}-{max(baselines) * 100:.2f} % "
            "of a core"
        )
    return reasons


def _spread(values: list[float], digits: int = 2) -> dict[str, Any]:
    """Median, minimum, maximum and every value of a figure measured once per round."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "values": [round(v, digits) for v in values],
    }


async def _set_up(
    hass: HomeAssistant, source: Source, turns: LoopTurns, *, first: bool
) -> tuple[float, dict[str, Any]]:
    """Set the entries up (first time, or again after an unload): seconds and loop turns."""
    with turns.window(callbacks=True) as stats:
        if first:
            seconds = await add_entries_and_wait(hass, source.entries())
        else:
            seconds = await setup_entries_and_wait(hass, source.entries())
    return seconds, stats.as_dict()


async def _unload(hass: HomeAssistant, source: Source) -> None:
    entries = source.entries()
    await asyncio.gather(*(hass.config_entries.async_unload(e.entry_id) for e in entries))
    await hass.async_block_till_done()


async def run(
    source: Source, mode: str, window: float, changes: int, rounds: int
) -> dict[str, Any]:
    """Baseline and measured windows interleaved, set-ups, latency; all in one Home Assistant.

    Round 1: idle baseline, first set-up, measured window. Every further round unloads the
    entries (Home Assistant idle again: another baseline), sets them up again (what a restart
    costs once the registries know them) and measures again. Each measured window is compared
    with the baseline just before it, so a machine whose load drifts shows as spread.
    """
    started = time.monotonic()
    hass = await start_hass()
    turns = LoopTurns(asyncio.get_running_loop()).install()
    counter = WriteCounter(hass)
    await asyncio.sleep(2.0)  # let start-up work settle
    await source.start()
    pids = source.pids()
    windows: list[Window] = []
    setup_seconds = 0.0
    setup_turns: dict[str, Any] = {}
    restart_seconds: list[float] = []
    restart_turns: list[dict[str, Any]] = []
    per_round: list[dict[str, Any]] = []
    first_baseline_rss = 0
    for number in range(rounds):
        _phase(started, f"round {number + 1}/{rounds}: idle baseline")
        baseline = await _measure("baseline", window, turns, pids)
        windows.append(baseline)
        if number == 0:
            first_baseline_rss = baseline.peak_rss
            _phase(started, "adding entries")
            setup_seconds, setup_turns = await _set_up(hass, source, turns, first=True)
            # Before the naive mode starts: under its message flood Home Assistant never idles.
            await _flush_pending_saves(hass)
        else:
            _phase(started, "setting the entries up again")
            seconds, stats = await _set_up(hass, source, turns, first=False)
            restart_seconds.append(seconds)
            restart_turns.append(stats)
        coordinators = _coordinators(source)
        writes = _count_writes(coordinators, mode)
        await _enter_steady_state(source, mode)
        _phase(started, "steady state; measuring window")
        messages0 = sum(c.connection_health.messages_received for c in coordinators)
        calls0 = sum(w.count for w in writes)
        counter.reset()
        measured = await _measure("with", window, turns, pids)
        windows.append(measured)
        messages = sum(c.connection_health.messages_received for c in coordinators) - messages0
        calls = sum(w.count for w in writes) - calls0
        per_round.append(
            _round_figures(
                hass,
                source=source,
                counter=counter,
                coordinators=coordinators,
                baseline=baseline,
                measured=measured,
            )
            | {
                "messages": messages,
                "write_calls": calls,
                "rss_growth": measured.peak_rss - first_baseline_rss,
            }
        )
        if number < rounds - 1:
            await _unload(hass, source)

    _phase(started, "timing status changes")
    latencies = await _time_status_changes(hass, source, counter, changes)

    # Unload first: stopping Home Assistant under a saturating message stream (naive mode)
    # would otherwise wait for its shutdown-stage timeouts.
    _phase(started, "unloading")
    await _unload(hass, source)
    await hass.async_stop()
    await source.stop()
    turns.uninstall()
    _phase(started, "done")
    return _result(
        source,
        mode=mode,
        windows=windows,
        rounds=per_round,
        setup_seconds=setup_seconds,
        setup_turns=setup_turns,
        restart_seconds=restart_seconds,
        restart_turns=restart_turns,
        latencies=latencies,
    )


def _round_figures(
    hass: HomeAssistant,
    *,
    source: Source,
    counter: WriteCounter,
    coordinators: list[MicboardCoordinator],
    baseline: Window,
    measured: Window,
) -> dict[str, Any]:
    """What one measured window saw: CPU over its baseline, state writes by kind."""
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
    wall = measured.wall
    meter_interval = coordinators[0].meter_interval
    return {
        "wall": wall,
        "cpu_baseline": baseline.cpu,
        "cpu_with": measured.cpu,
        "entities_enabled": len(enabled),
        "meter_entities_enabled": len(meter_ids),
        "meter_writes_per_entity_per_interval": (
            meter_writes / len(meter_ids) / (wall / meter_interval) if meter_ids else None
        ),
        "state_writes": meter_writes + status_writes,
        "status_writes": status_writes,
        "writes_by_key": writes_by_key,
    }


def _result(
    source: Source,
    *,
    mode: str,
    windows: list[Window],
    rounds: list[dict[str, Any]],
    setup_seconds: float,
    setup_turns: dict[str, Any],
    restart_seconds: list[float],
    restart_turns: list[dict[str, Any]],
    latencies: list[float],
) -> dict[str, Any]:
    """The run's JSON: medians with their spread over rounds, every window, the warnings."""
    integration = [(r["cpu_with"] - r["cpu_baseline"]) * 100.0 for r in rounds]
    rates = [r["messages"] / r["wall"] for r in rounds]
    per_message_us = [
        (r["cpu_with"] - r["cpu_baseline"]) / rate * 1e6 if rate else 0.0
        for r, rate in zip(rounds, rates, strict=True)
    ]
    meter = [
        r["meter_writes_per_entity_per_interval"]
        for r in rounds
        if r["meter_writes_per_entity_per_interval"] is not None
    ]
    total_wall = sum(r["wall"] for r in rounds)
    by_key: dict[str, float] = {}
    for r in rounds:
        for key, count in r["writes_by_key"].items():
            by_key[key] = by_key.get(key, 0.0) + count / total_wall
    steady = [w.turns for w in windows if w.kind == "with"]
    busy = _busy_reasons(windows)
    if busy:
        print(
            "\n  !!! LOADED MACHINE: do not publish these figures: " + "; ".join(busy) + "\n",
            file=sys.stderr,
            flush=True,
        )
    return {
        "source": source.name,
        "mode": mode,
        "receivers": source.receivers,
        "channels": source.receivers * 4,
        "rounds": len(rounds),
        "entities_enabled": rounds[0]["entities_enabled"],
        "meter_entities_enabled": rounds[0]["meter_entities_enabled"],
        "setup_seconds": round(setup_seconds, 3),
        "restart_setup_seconds": _spread(restart_seconds) if restart_seconds else None,
        "cpu_baseline": _spread([r["cpu_baseline"] * 100.0 for r in rounds]),
        "cpu_with": _spread([r["cpu_with"] * 100.0 for r in rounds]),
        "cpu_integration_percent_core": _spread(integration),
        "integration_us_per_message": _spread(per_message_us, 1),
        "messages_per_second": round(statistics.median(rates), 1),
        "write_calls_per_second": round(
            statistics.median(r["write_calls"] / r["wall"] for r in rounds), 1
        ),
        "state_writes_per_second": round(
            statistics.median(r["state_writes"] / r["wall"] for r in rounds), 1
        ),
        "status_writes_per_second": round(
            statistics.median(r["status_writes"] / r["wall"] for r in rounds), 2
        ),
        "meter_writes_per_entity_per_interval": _spread(meter, 3) if meter else None,
        "writes_per_second_by_key": {
            key: round(rate, 2) for key, rate in sorted(by_key.items(), key=lambda kv: -kv[1])
        },
        "latency_ms": {
            "count": len(latencies),
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p99": round(_percentile(latencies, 0.99), 2) if latencies else None,
            "max": round(max(latencies), 2) if latencies else None,
        },
        # A fresh start is the first round; later rounds also hold what Python's allocator kept
        # of the set-ups and unloads before them, so they are listed, not the headline.
        "rss_growth_mb": round(rounds[0]["rss_growth"] / 2**20, 1),
        "rss_growth_mb_later_rounds": [round(r["rss_growth"] / 2**20, 1) for r in rounds[1:]],
        "loop_turns": {
            "first_setup": setup_turns,
            "restart_setup": restart_turns,
            "steady_max_wall_ms": max(t["max_wall_ms"] for t in steady),
            "steady_max_cpu_ms": max(t["max_cpu_ms"] for t in steady),
            "steady_over_threshold_wall": sum(t["over_threshold_wall"] for t in steady),
            "steady_over_threshold_cpu": sum(t["over_threshold_cpu"] for t in steady),
        },
        "windows": [w.as_dict() for w in windows],
        "busy": busy,
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
    parser.add_argument(
        "--mode", choices=["default", "interval", "meters", "naive"], default="default"
    )
    parser.add_argument("--window", type=float, default=10.0, help="seconds per CPU window")
    parser.add_argument("--changes", type=int, default=200, help="status changes timed")
    parser.add_argument("--rounds", type=int, default=3, help="baseline + measured windows")
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
        if args.mode not in {"default", "interval"}:
            stack.enter_context(
                patch.object(Entity, "entity_registry_enabled_default", enabled_default)
            )
        result = asyncio.run(run(source, args.mode, args.window, args.changes, args.rounds))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
