"""Throughput of the Shure command-string parser, per family, for SAMPLE and REP streams.

Two figures per stream, single-threaded (so: messages per second per core):
  frame     bytes -> messages -> tokens (framer + tokenizer only)
  to model  bytes -> tokens -> dialect conversion -> model update -> listener callback
The streams are rendered by the simulator, so they have each family's real layout, widths and
sentinels; meter values vary from message to message so every SAMPLE really changes the model.
TCP families are fed in 4 KiB reads (messages split across reads), UHF-R one datagram per
message. Run: scripts/bench_shure_parser [-n N]
"""

from __future__ import annotations

import argparse
from pathlib import Path
import random
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.micboard.plugins.model import ModelUpdate
from custom_components.micboard.plugins.shure.commands.dialects import DIALECTS
from custom_components.micboard.plugins.shure.commands.framing import (
    AngleFramer,
    BadInput,
    StarFramer,
    tokenize,
)
from custom_components.micboard.plugins.shure.commands.identify import Identity
from custom_components.micboard.plugins.shure.commands.plugin import (
    ShureCommandsOptions,
    ShureCommandsPlugin,
)
from simulators.shure.commands_model import (
    MODELS,
    SimDevice,
    build_device,
    channel_params,
    meter_lines,
)

READ_SIZE = 4096


def sample_stream(device: SimDevice, count: int, rng: random.Random) -> list[str]:
    """``count`` meter messages, cycling through the channels with varying levels."""
    bodies: list[str] = []
    channels = list(device.channels.values())
    while len(bodies) < count:
        for channel in channels:
            channel.rf_dbm = [rng.uniform(-95, -40) for _ in channel.rf_dbm]
            channel.audio_peak_dbfs = rng.uniform(-50, 0)
            channel.audio_rms_dbfs = channel.audio_peak_dbfs - 8
            bodies.extend(meter_lines(device, channel))
    return bodies[:count]


def rep_stream(device: SimDevice, count: int, keyword: str) -> list[str]:
    """``count`` REP/REPORT messages: every parameter of every channel, repeated."""
    one_round = [
        f"{keyword} {channel.index} {key} {value}"
        for channel in device.channels.values()
        for key, value in channel_params(device, channel).items()
    ]
    return (one_round * (count // len(one_round) + 1))[:count]


def encode(bodies: list[str], udp: bool) -> list[bytes]:
    """Reads as the plugin would get them."""
    if udp:
        return [f"* {body} *".encode() for body in bodies]
    data = b"".join(f"< {body} >".encode() for body in bodies)
    return [data[i : i + READ_SIZE] for i in range(0, len(data), READ_SIZE)]


def primed_plugin(family: str, device: SimDevice) -> ShureCommandsPlugin:
    """A plugin with a model and a listener, as after connecting (no socket needed)."""
    dialect = DIALECTS[family]
    plugin = ShureCommandsPlugin(ShureCommandsOptions(host="bench"))
    identity = Identity(dialect, device.model, tuple(device.channels), "BENCH", None, "bench")
    plugin.identity = identity
    plugin._dialect = dialect  # noqa: SLF001  a benchmark drives the hot path directly
    plugin._raw_channels = {index: {} for index in device.channels}  # noqa: SLF001
    plugin.store_snapshot(
        [plugin.transform_device_data(plugin._raw_snapshot(identity))]  # noqa: SLF001
    )
    plugin._receiver = receiver = next(iter(plugin.receivers.values()))  # noqa: SLF001
    plugin._channels = receiver.channels  # noqa: SLF001
    return plugin


def bench_frame(reads: list[bytes], udp: bool) -> tuple[int, float]:
    """Messages framed and tokenized, and the seconds it took."""
    bad = BadInput("bench")
    framer = StarFramer(bad) if udp else AngleFramer(bad)
    messages = 0
    started = time.perf_counter()
    for data in reads:
        for body in framer.feed(data):
            tokenize(body)
            messages += 1
    return messages, time.perf_counter() - started


def bench_model(
    plugin: ShureCommandsPlugin, reads: list[bytes], udp: bool
) -> tuple[int, float, int]:
    """Messages applied to the model, the seconds it took, and the updates it produced."""
    updates: list[ModelUpdate] = []
    plugin._on_update = updates.append  # noqa: SLF001
    handle = plugin._handle  # noqa: SLF001
    bad = BadInput("bench")
    framer = StarFramer(bad) if udp else AngleFramer(bad)
    messages = 0
    started = time.perf_counter()
    for data in reads:
        for body in framer.feed(data):
            handle(tokenize(body))
            messages += 1
    return messages, time.perf_counter() - started, len(updates)


def main() -> None:
    """Print one line per family and stream."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=200_000, help="per stream")
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"{'family':8} {'stream':7} {'frame msg/s':>12} {'to model msg/s':>15} {'updates':>8}")
    for family in ("ulxd", "qlxd", "slxd", "ad", "uhfr", "psm1000"):
        channels = max(MODELS[family])
        device = build_device(family, channels, "BENCH", quadversity=False)
        keyword = "REPORT" if family in {"uhfr", "psm1000"} else "REP"
        udp = family == "uhfr"
        streams = {
            "SAMPLE": sample_stream(device, args.messages, rng),
            "REP": rep_stream(device, args.messages, keyword),
        }
        for name, bodies in streams.items():
            reads = encode(bodies, udp)
            framed, frame_seconds = bench_frame(reads, udp)
            plugin = primed_plugin(family, build_device(family, channels, "BENCH"))
            handled, model_seconds, updates = bench_model(plugin, reads, udp)
            if not framed == handled == len(bodies):
                raise SystemExit(f"{family} {name}: lost messages {framed} {handled}")
            label = "METERS" if family == "psm1000" and name == "SAMPLE" else name
            print(
                f"{family:8} {label:7} {framed / frame_seconds:12,.0f} "
                f"{handled / model_seconds:15,.0f} {updates:8}"
            )


if __name__ == "__main__":
    main()
