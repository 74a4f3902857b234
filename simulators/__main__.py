"""Run one simulator until interrupted: ``python -m simulators <kind> --host H --port P``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from .registry import build_parser, kinds


async def _run(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    simulator = await kinds()[args.kind].start(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    # Printed once a signal stops it cleanly: whoever waits for this line may send one.
    for line in simulator.describe():
        print(line, flush=True)
    try:
        await stop.wait()
    finally:
        await simulator.close()


def main() -> None:
    """Entry point."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(_run(sys.argv[1:]))


if __name__ == "__main__":
    main()
