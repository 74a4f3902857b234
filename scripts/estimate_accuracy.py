"""Accuracy of the runtime estimate against the Demo rack, whose battery drain is known.

Runs Demo racks in accelerated time (no Home Assistant: the plugin's ``advance()`` is the
clock), feeds one ``RuntimeEstimator`` per channel exactly as the integration does (on every
transmitter change: the reading, or off), and compares the estimate with the simulation's own
remaining on-air time (``battery_truth``) when a pack has been learnt for 5, 10 and 20 on-air
minutes. Li-ion channels are estimated twice: from their percent (as a device that reports
percent but no runtime) and from their bars only; alkaline channels report bars only.

Usage: scripts/estimate_accuracy
           [--seeds 1-8] [--receivers 64] [--minutes 40] [--tick 1.0] [--write]
``--write`` also writes docs/runtime_estimates.md.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from pathlib import Path
import statistics
import sys

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.micboard.plugins.demo import DemoOptions  # noqa: E402
from custom_components.micboard.plugins.demo.plugin import (  # noqa: E402
    BatteryTruth,
    DemoRackPlugin,
)
from custom_components.micboard.plugins.model import Transmitter  # noqa: E402
from custom_components.micboard.plugins.runtime_estimate import (  # noqa: E402
    Confidence,
    ReadingSource,
    RuntimeEstimator,
)

CHECKPOINTS = (5.0, 10.0, 20.0)  # on-air minutes of learning
#: Errors in % are of the true remaining time, for samples with at least this much left (a
#: few seconds of error on a pack about to die would read as hundreds of %).
PERCENT_FROM_MINUTES = 2.0
#: Loads by simulated drain (% per second) and the life of a full pack they give.
LOADS = (("light", 0.03, 0.06), ("medium", 0.06, 0.09), ("heavy", 0.09, 0.1201))
#: (pack, reading) pairs reported, in table order.
KINDS = (
    ("ALKA", ReadingSource.BARS),
    ("LION", ReadingSource.PERCENT),
    ("LION", ReadingSource.BARS),
)
DOC = ROOT / "docs" / "runtime_estimates.md"


@dataclass(slots=True)
class Sample:
    """One estimate compared with the truth at a checkpoint."""

    battery_type: str
    source: ReadingSource
    load: str
    checkpoint: float
    error: float  # estimate - truth, minutes
    truth: float  # true remaining, minutes
    confidence: Confidence


@dataclass(slots=True)
class Tracked:
    """One reading source of one channel: its estimator and the pack being learnt."""

    estimator: RuntimeEstimator
    source: ReadingSource
    last: object = None  # last fed reading (a level, or "off")
    learned: float = 0.0  # on-air seconds since this pack was first seen
    passed: set[float] = field(default_factory=set)


def _level(transmitter: Transmitter, source: ReadingSource) -> int | None:
    if source is ReadingSource.PERCENT:
        return transmitter.battery_percent
    return transmitter.battery_bars


def _load(drain: float) -> str:
    return next(name for name, low, high in LOADS if low <= drain < high)


def run_rack(seed: int, receivers: int, minutes: float, tick: float) -> list[Sample]:
    """Run one seeded rack and collect the checkpoint samples of every pack."""
    options = DemoOptions(name="Accuracy", receivers=receivers, channels=4, seed=seed)
    plugin = DemoRackPlugin(options)
    plugin.tick_seconds = tick
    model = asyncio.run(plugin.get_devices())
    tracked: dict[tuple[str, int], list[Tracked]] = {}
    percent: dict[tuple[str, int], float] = {}
    for receiver_id, receiver in model.items():
        for index in receiver.channels:
            truth = plugin.battery_truth(receiver_id, index)
            sources = [ReadingSource.BARS]
            if truth.battery_type == "LION":
                sources.insert(0, ReadingSource.PERCENT)
            tracked[(receiver_id, index)] = [
                Tracked(RuntimeEstimator(source, plugin.battery_life), source) for source in sources
            ]
            percent[(receiver_id, index)] = truth.percent
    samples: list[Sample] = []
    now = 0.0
    while now < minutes * 60:
        plugin.advance(tick)
        now += tick
        for (receiver_id, index), items in tracked.items():
            truth = plugin.battery_truth(receiver_id, index)
            swapped = truth.percent > percent[(receiver_id, index)] + 1.0
            percent[(receiver_id, index)] = truth.percent
            transmitter = model[receiver_id].channels[index].transmitter
            for item in items:
                if swapped:
                    item.learned, item.passed = 0.0, set()
                samples.extend(_step(item, transmitter, truth, now, tick))
    return samples


def _step(
    item: Tracked, transmitter: Transmitter | None, truth: BatteryTruth, now: float, tick: float
) -> list[Sample]:
    """Feed one estimator as the integration does; sample it at the checkpoints it passed."""
    level = None if transmitter is None else _level(transmitter, item.source)
    reading: object = "off" if transmitter is None else level
    if reading != item.last:
        item.last = reading
        item.estimator.observe(now, level)
    if transmitter is None or not truth.on:
        return []
    item.learned += tick
    samples = []
    for checkpoint in CHECKPOINTS:
        if checkpoint in item.passed or item.learned < checkpoint * 60:
            continue
        item.passed.add(checkpoint)
        estimate = item.estimator.estimate(now)
        if estimate is None or truth.percent <= 0:
            continue
        samples.append(
            Sample(
                battery_type=truth.battery_type,
                source=item.source,
                load=_load(truth.drain_per_second),
                checkpoint=checkpoint,
                error=estimate.remaining_minutes - truth.remaining_minutes,
                truth=truth.remaining_minutes,
                confidence=estimate.confidence,
            )
        )
    return samples


def _seeds(text: str) -> list[int]:
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(part) for part in text.split(",")]


def _stats(group: list[Sample]) -> str:
    """Median and worst absolute error, in minutes and in % of the true remaining time."""
    if not group:
        return "- | - | - | -"
    minutes = [abs(s.error) for s in group]
    text = f"{statistics.median(minutes):.1f} | {max(minutes):.1f}"
    percents = _percents(group)
    if not percents:
        return f"{text} | - | -"
    return f"{text} | {statistics.median(percents):.1f} | {max(percents):.1f}"


def _percents(group: list[Sample]) -> list[float]:
    return [abs(s.error) / s.truth * 100 for s in group if s.truth >= PERCENT_FROM_MINUTES]


def table(samples: list[Sample]) -> list[str]:
    """Markdown rows: per pack, reading, load and learning time.

    Estimates with a measured rate (confidence medium or high) are what the integration
    shows; low-confidence ones (rate only bounded) are kept apart to show why they are not.
    """
    lines = [
        (
            "| Pack | Reading | Load (full pack) | Learnt | Packs | Shown (medium/high) "
            "| Median error (min) | Worst (min) | Median (%) | Worst (%) "
            "| Low: median (%) | Low: worst (%) |"
        ),
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lives = {name: f"{100 / high / 60:.0f}-{100 / low / 60:.0f} min" for name, low, high in LOADS}
    names = {"ALKA": "Alkaline AA", "LION": "Li-ion pack"}
    for battery_type, source in KINDS:
        for load, _low, _high in LOADS:
            for checkpoint in CHECKPOINTS:
                group = [
                    s
                    for s in samples
                    if (s.battery_type, s.source, s.load, s.checkpoint)
                    == (battery_type, source, load, checkpoint)
                ]
                if not group:
                    continue
                shown = [s for s in group if s.confidence is not Confidence.LOW]
                low = [s for s in group if s.confidence is Confidence.LOW]
                low_percents = _percents(low)
                low_text = (
                    f"{statistics.median(low_percents):.0f} | {max(low_percents):.0f}"
                    if low_percents
                    else "- | -"
                )
                lines.append(
                    f"| {names[battery_type]} | {source.value} | {load} ({lives[load]}) "
                    f"| {checkpoint:.0f} min | {len(group)} "
                    f"| {len(shown) * 100 // len(group)} % | {_stats(shown)} | {low_text} |"
                )
    return lines


def main() -> None:
    """Run the racks, print the table, optionally write the document."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", default="1-8", help="e.g. 1-8 or 3,5,7")
    parser.add_argument("--receivers", type=int, default=64)
    parser.add_argument("--minutes", type=float, default=40.0, help="simulated minutes per rack")
    parser.add_argument("--tick", type=float, default=1.0, help="simulation step, seconds")
    parser.add_argument("--write", action="store_true", help="write docs/runtime_estimates.md")
    args = parser.parse_args()
    seeds = _seeds(args.seeds)
    samples: list[Sample] = []
    for seed in seeds:
        samples.extend(run_rack(seed, args.receivers, args.minutes, args.tick))
    rows = table(samples)
    print("\n".join(rows))
    if args.write:
        command = (
            f"scripts/estimate_accuracy --seeds {args.seeds} --receivers {args.receivers} "
            f"--minutes {args.minutes:g} --tick {args.tick:g} --write"
        )
        text = DOC.read_text() if DOC.exists() else ""
        start, end = "<!-- results -->", "<!-- /results -->"
        body = "\n".join(
            [
                start,
                (
                    f"Measured with `{command}` ({len(seeds)} seeds x {args.receivers * 4} "
                    f"channels, {args.minutes:g} simulated minutes each, {len(samples)} samples):"
                ),
                "",
                *rows,
                end,
            ]
        )
        if start in text and end in text:
            text = text[: text.index(start)] + body + text[text.index(end) + len(end) :]
        else:
            text = f"{text.rstrip()}\n\n{body}\n" if text else f"{body}\n"
        DOC.write_text(text)
        print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
