"""Run every benchmark scenario (each in a fresh process) and write the tables."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import subprocess
import sys
import time
from typing import Any

from .scenario import BUSY_LOAD_PER_CORE, BUSY_OTHERS_CORES, NOISY_BASELINE_SPREAD

DOCS = Path(__file__).resolve().parent.parent / "docs"
MODES = ("default", "interval", "meters", "naive")
MODE_TITLES = {
    "default": "Default settings (meter entities disabled, coalescing on)",
    "interval": (
        "Default settings, receivers metering at the meter interval (1 s) as the integration "
        "asks them to, instead of 10 Hz"
    ),
    "meters": (
        "Meter entities enabled (RF, quality, antenna, audio; coalescing on, 1 s meter interval)"
    ),
    "naive": "Naive: coalescing off, every update written, all entities enabled",
}


def _run(
    *, source: str, receivers: int, mode: str, window: float, changes: int, rounds: int
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.scenario",
        "--source",
        source,
        "--receivers",
        str(receivers),
        "--mode",
        mode,
        "--window",
        str(window),
        "--changes",
        str(changes),
        "--rounds",
        str(rounds),
    ]
    # stdout carries the result; the scenario's progress and warnings pass through on stderr.
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _median_spread(figure: dict[str, Any] | None, unit: str = "") -> str:
    """``12.3 % (11.9-13.0)``: the median over rounds and the lowest and highest round."""
    if figure is None:
        return "-"
    return f"{figure['median']}{unit} ({figure['min']}-{figure['max']})"


def _loads(result: dict[str, Any]) -> str:
    """The 1-minute load average before each window, in order (b: baseline, w: with)."""
    return " ".join(f"{w['kind'][0]}{w['load1']:.2f}" for w in result["windows"])


def _turns(result: dict[str, Any]) -> str:
    """Longest callbacks (set-ups), longest steady-state turn, longest GC pause (CPU ms).

    The callbacks are what asyncio's debug mode reports as slow; the garbage collector's pause
    is the longest during the first set-up.
    """
    turns = result["loop_turns"]
    first = turns["first_setup"]
    restart = max((t["max_callback_cpu_ms"] for t in turns["restart_setup"]), default=None)
    return (
        f"{first['max_callback_cpu_ms']} / {'-' if restart is None else restart} "
        f"/ {turns['steady_max_cpu_ms']} / {first['max_gc_pause_ms']}"
    )


def _row(result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    mark = " ⚠" if result["busy"] else ""
    return (
        f"| {result['receivers']}{mark} | {result['channels']} | {result['entities_enabled']} "
        f"| {result['setup_seconds']:.2f} "
        f"| {_median_spread(result['restart_setup_seconds'])} "
        f"| {_median_spread(result['cpu_baseline'], ' %')} "
        f"| {_median_spread(result['cpu_integration_percent_core'], ' %')} "
        f"| {_median_spread(result['integration_us_per_message'])} "
        f"| {result['messages_per_second']:.0f} | {result['state_writes_per_second']:.1f} "
        f"| {result['status_writes_per_second']:.1f} "
        f"| {_median_spread(result['meter_writes_per_entity_per_interval'])} "
        f"| {result['write_calls_per_second']:.0f} "
        f"| {latency['p50']} / {latency['p99']} / {latency['max']} ({latency['count']}) "
        f"| {result['rss_growth_mb']} | {_turns(result)} "
        f"| {_loads(result)} | {_busiest(result)} |"
    )


def _busiest(result: dict[str, Any]) -> str:
    """The two entity kinds that wrote most in the window, e.g. ``status 2.0/s``."""
    by_key: dict[str, float] = result.get("writes_per_second_by_key", {})
    top = list(by_key.items())[:2]
    return ", ".join(f"{key} {rate:.1f}/s" for key, rate in top) or "-"


HEADER = (
    "| receivers | channels | entities enabled | first set-up s | restart set-up s "
    "| HA CPU idle baseline | integration (% core) | integration µs per message "
    "| msgs/s | state writes/s | status writes/s | meter writes per entity per interval "
    "| write calls/s | status latency ms p50 / p99 / max (n) | RSS growth MB "
    "| longest callback ms (CPU): first set-up / restart; longest turn steady; GC pause "
    "| load average before each window | most writes (entity kind) |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|---|"
)


def _warning(results: list[dict[str, Any]]) -> list[str]:
    """A loud paragraph when any run was made on a busy machine."""
    busy = [r for r in results if r["busy"]]
    if not busy:
        return []
    lines = [
        (
            "> **⚠ LOADED MACHINE — these figures are not comparable with a quiet machine's.** "
            "Rows marked ⚠ were measured while other work competed for the CPU; use them only "
            "for ratios within this run, and regenerate on a quiet machine before publishing:"
        ),
        ">",
    ]
    lines += [
        f"> - {r['source']} {r['mode']} {r['receivers']}: {'; '.join(r['busy'])}" for r in busy
    ]
    return [*lines, ""]


def render(results: list[dict[str, Any]], command: str, seconds: float) -> str:
    """The markdown document."""
    rounds = max((r["rounds"] for r in results), default=0)
    lines = [
        "# Benchmarks",
        "",
        *_warning(results),
        (
            f"Produced by `{command}` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}), in "
            f"{seconds / 60:.1f} minutes. Every row is a fresh process running {rounds} rounds: "
            "Home Assistant idle with no entry loaded (baseline), then with the entries set up "
            "(the first round creates them, later rounds set them up again as a restart does), "
            "a measured window each. Figures per round show as *median (lowest-highest)*."
        ),
        "",
        (
            "*Integration* is Home Assistant's CPU over the baseline measured just before it "
            "(100 % = one core), also per message received. *State writes* are `state_changed` "
            "events (what the recorder stores); *write calls* are entity writes the integration "
            "made. *Status latency* runs from the change at the source to the `state_changed` "
            "event. *RSS growth* is the first round's (a fresh start). *Longest callback* is "
            "the most CPU time one callback (a task step, an I/O callback, a timer) held the "
            "event loop during the set-ups, what asyncio's debug mode reports as a slow "
            "callback; *longest turn* is the most CPU time between two waits for I/O in steady "
            "state (all callbacks due at once); both without pauses of Python's garbage "
            "collector, shown apart (the longest during the first set-up): a collection lasts "
            "in proportion to the whole process's heap, not to the callback it interrupts "
            "(`benchmarks/loop_turns.py`). *Load average* is the machine's 1-minute load "
            "before each window (b: baseline, w: with the integration); a run is marked ⚠ "
            "when it was above "
            f"{BUSY_LOAD_PER_CORE:g} per core, when other processes used more than "
            f"{BUSY_OTHERS_CORES:g} of a core in a window, or when the baselines differed by "
            f"more than {NOISY_BASELINE_SPREAD * 100:g} % of a core. *Most writes* names the "
            "entity kinds behind the state writes (the key at the end of their unique id)."
        ),
        "",
    ]
    for source in dict.fromkeys(r["source"] for r in results):
        for mode in MODES:
            rows = [r for r in results if r["source"] == source and r["mode"] == mode]
            if not rows:
                continue
            lines += [f"## {source}: {MODE_TITLES[mode]}", "", HEADER]
            lines += [_row(r) for r in sorted(rows, key=lambda r: r["receivers"])]
            lines.append("")
    return "\n".join(lines)


#: The default plan (about seven minutes on two cores): every size with default settings on
#: Shure simulators, the naive mode at 1 and 10 receivers, 100 receivers with meter entities
#: on, and a 100-receiver Demo rack. ``--full`` runs every combination; its naive runs at 50
#: and 100 receivers saturate Home Assistant, which then falls minutes behind the rack.
DEFAULT_PLAN: tuple[tuple[str, str, int], ...] = (
    *(("shure", "default", size) for size in (1, 10, 50, 100)),
    ("shure", "interval", 100),
    ("shure", "naive", 1),
    ("shure", "naive", 10),
    ("shure", "meters", 100),
    ("demo", "default", 100),
)


#: ``--quick``: a development run that leaves the shared CPU mostly alone (about a minute).
QUICK_PLAN: tuple[tuple[str, str, int], ...] = (("shure", "default", 20),)


def _plan(args: argparse.Namespace) -> list[tuple[str, str, int]]:
    if not (args.full or args.sizes or args.sources or args.modes):
        return list(QUICK_PLAN if args.quick else DEFAULT_PLAN)
    sizes = [int(s) for s in (args.sizes or "1,10,50,100").split(",")]
    sources = (args.sources or "shure,demo").split(",")
    modes = (args.modes or ",".join(MODES)).split(",")
    return [(source, mode, size) for source in sources for mode in modes for size in sizes]


def main() -> None:
    """Run the plan, print and save the tables."""
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument("--full", action="store_true", help="every source x mode x size")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="development: 20 Shure receivers, 4 s windows, 40 changes, nothing saved",
    )
    parser.add_argument("--sizes", help="receivers per run, e.g. 1,10,50,100")
    parser.add_argument("--sources", help="shure,demo")
    parser.add_argument("--modes", help=",".join(MODES))
    parser.add_argument("--window", type=float, help="seconds per window (default 10, quick 4)")
    parser.add_argument("--changes", type=int, help="status changes timed (200, quick 40)")
    parser.add_argument("--rounds", type=int, default=3, help="baseline + measured windows")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args()
    window = args.window or (4.0 if args.quick else 10.0)
    changes = args.changes or (40 if args.quick else 200)
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    for source, mode, size in _plan(args):
        print(f"running {source} {mode} {size} receivers...", file=sys.stderr, flush=True)
        results.append(
            _run(
                source=source,
                receivers=size,
                mode=mode,
                window=window,
                changes=changes,
                rounds=args.rounds,
            )
        )
    command = "scripts/bench " + " ".join(sys.argv[1:])
    document = render(results, command.strip(), time.monotonic() - started)
    print(document)
    busy = [r for r in results if r["busy"]]
    if busy:
        print(
            f"\n!!! LOADED MACHINE: {len(busy)} of {len(results)} runs were measured on a busy "
            "machine (see the warning at the top); do not publish these figures.",
            file=sys.stderr,
        )
    if not (args.no_save or args.quick):
        DOCS.mkdir(exist_ok=True)
        (DOCS / "benchmarks.md").write_text(document + "\n")
        (DOCS / "benchmarks.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
