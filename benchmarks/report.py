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

DOCS = Path(__file__).resolve().parent.parent / "docs"
MODES = ("default", "meters", "naive")
MODE_TITLES = {
    "default": "Default settings (meter entities disabled, coalescing on)",
    "meters": (
        "Meter entities enabled (RF, quality, antenna, audio; coalescing on, 1 s meter interval)"
    ),
    "naive": "Naive: coalescing off, every update written, all entities enabled",
}


def _run(source: str, receivers: int, mode: str, window: float, changes: int) -> dict[str, Any]:
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
    ]
    # stdout carries the result; the scenario's progress and warnings pass through on stderr.
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _row(result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    meter = result["meter_writes_per_entity_per_interval"]
    return (
        f"| {result['receivers']} | {result['channels']} | {result['setup_seconds']:.2f} "
        f"| {result['reload_seconds']:.2f} "
        f"| {result['cpu_baseline'] * 100:.2f} % | {result['cpu_with'] * 100:.2f} % "
        f"| {result['cpu_integration_percent_core']:.2f} % "
        f"| {result['messages_per_second']:.0f} | {result['state_writes_per_second']:.1f} "
        f"| {result['status_writes_per_second']:.1f} "
        f"| {'-' if meter is None else f'{meter:.2f}'} "
        f"| {result['write_calls_per_second']:.0f} "
        f"| {latency['p50']} / {latency['p99']} / {latency['max']} ({latency['count']}) "
        f"| {result['rss_growth_mb']:.1f} | {_busiest(result)} |"
    )


def _busiest(result: dict[str, Any]) -> str:
    """The two entity kinds that wrote most in the window, e.g. ``status 2.0/s``."""
    by_key: dict[str, float] = result.get("writes_per_second_by_key", {})
    top = list(by_key.items())[:2]
    return ", ".join(f"{key} {rate:.1f}/s" for key, rate in top) or "-"


HEADER = (
    "| receivers | channels | first set-up s | restart set-up s | HA CPU baseline | HA CPU with "
    "| integration (% core) "
    "| msgs/s | state writes/s | status writes/s | meter writes per entity per interval "
    "| write calls/s | status latency ms p50 / p99 / max (n) | RSS growth MB "
    "| most writes (entity kind) |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"
)


def render(results: list[dict[str, Any]], command: str, seconds: float) -> str:
    """The markdown document."""
    lines = [
        "# Benchmarks",
        "",
        (
            f"Produced by `{command}` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}), in "
            f"{seconds / 60:.1f} minutes. Every row is a fresh process: Home Assistant is "
            "measured idle first (baseline), then with the integration, in the same run."
        ),
        "",
        (
            "*HA CPU* is CPU seconds of the Home Assistant process per wall second (100 % = one "
            "core); *integration* is the difference. *State writes* are `state_changed` events "
            "(what the recorder stores); *write calls* are entity writes the integration made. "
            "*Status latency* runs from the change at the source to the `state_changed` event. "
            "*Most writes* names the entity kinds behind the state writes (the key at the end "
            "of their unique id)."
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
    ("shure", "naive", 1),
    ("shure", "naive", 10),
    ("shure", "meters", 100),
    ("demo", "default", 100),
)


def _plan(args: argparse.Namespace) -> list[tuple[str, str, int]]:
    if not (args.full or args.sizes or args.sources or args.modes):
        return list(DEFAULT_PLAN)
    sizes = [int(s) for s in (args.sizes or "1,10,50,100").split(",")]
    sources = (args.sources or "shure,demo").split(",")
    modes = (args.modes or ",".join(MODES)).split(",")
    return [(source, mode, size) for source in sources for mode in modes for size in sizes]


def main() -> None:
    """Run the plan, print and save the tables."""
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument("--full", action="store_true", help="every source x mode x size")
    parser.add_argument("--sizes", help="receivers per run, e.g. 1,10,50,100")
    parser.add_argument("--sources", help="shure,demo")
    parser.add_argument("--modes", help=",".join(MODES))
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args()
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    for source, mode, size in _plan(args):
        print(f"running {source} {mode} {size} receivers...", file=sys.stderr, flush=True)
        results.append(_run(source, size, mode, args.window, args.changes))
    command = "scripts/bench " + " ".join(sys.argv[1:])
    document = render(results, command.strip(), time.monotonic() - started)
    print(document)
    if not args.no_save:
        DOCS.mkdir(exist_ok=True)
        (DOCS / "benchmarks.md").write_text(document + "\n")
        (DOCS / "benchmarks.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
