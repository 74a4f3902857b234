"""A rack of Shure ULX-D quad simulators in its own process, driven over stdin/stdout.

``python -m benchmarks.shure_rack --receivers N`` prints one JSON line with the ports, then
obeys one command per input line and answers with one JSON line:

- ``meter <ms>``: every receiver meters at ``<ms>`` from now on, as if set on its front panel
  (the integration asks for its own, slower, rate; the benchmark wants 10 Hz);
- ``tx <receiver> <channel> <0|1>``: switch a transmitter, answering with the monotonic time
  the change went out on the sockets (CLOCK_MONOTONIC is shared by the processes of a machine);
- ``quit``.

Meters move every 100 ms (RF and audio of every channel), so every SAMPLE differs as on a stage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time

from simulators.shure.commands import ShureSimulator

CHANNELS = 4


async def _animate(simulators: list[ShureSimulator], period: float) -> None:
    rng = random.Random(1)  # noqa: S311  stage noise, not security
    while True:
        await asyncio.sleep(period)
        for simulator in simulators:
            for channel in simulator.device.channels.values():
                level = rng.uniform(-75.0, -45.0)
                channel.rf_dbm = [level, level - rng.uniform(0.0, 6.0)]
                channel.audio_rms_dbfs = rng.uniform(-45.0, -15.0)
                channel.audio_peak_dbfs = channel.audio_rms_dbfs + rng.uniform(3.0, 10.0)


def _answer(payload: object) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def main(receivers: int) -> None:
    """Start the rack, then serve commands until ``quit`` or end of input."""
    simulators = [
        await ShureSimulator("ulxd", CHANNELS, device_id=f"BENCH{number:03d}", seed=number).start()
        for number in range(1, receivers + 1)
    ]
    _answer({"ports": [simulator.port for simulator in simulators]})
    animation = asyncio.create_task(_animate(simulators, 0.1))
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().split():
        if line[0] == "quit":
            break
        if line[0] == "meter":
            for simulator in simulators:
                simulator.set_meter_rate(int(line[1]))
            _answer({"ok": True})
        elif line[0] == "tx":
            simulator = simulators[int(line[1])]
            started = time.monotonic()
            simulator.set_transmitter(int(line[2]), line[3] == "1")
            _answer({"t": started})
    animation.cancel()
    for simulator in simulators:
        await simulator.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shure_rack")
    parser.add_argument("--receivers", type=int, required=True)
    asyncio.run(main(parser.parse_args().receivers))
