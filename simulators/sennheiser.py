"""``python -m simulators sennheiser --protocol P``: one entry point for the Sennheiser simulators.

Each protocol module exposes ``start(args) -> RunningSimulator``; this table is all there is
to the dispatcher, so adding a protocol is one line.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from . import sennheiser_mcp, sennheiser_ssc1
from .registry import RunningSimulator, SimulatorKind

PROTOCOLS: dict[str, Callable[[argparse.Namespace], Awaitable[RunningSimulator]]] = {
    "ssc1": sennheiser_ssc1.start,
    "mcp": sennheiser_mcp.start,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by the Sennheiser protocols."""
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS), required=True)
    parser.add_argument(
        "--channels", type=int, default=None, help="receiver channels (ssc1; an ew G3/G4 has one)"
    )
    parser.add_argument(
        "--product", choices=["ewdx", "sldw"], default="ewdx", help="ssc1 only: address tree"
    )


async def start(args: argparse.Namespace) -> RunningSimulator:
    """Start the simulator of ``--protocol``."""
    return await PROTOCOLS[args.protocol](args)


KIND = SimulatorKind(
    name="sennheiser",
    help="Sennheiser receivers (SSC v1 over UDP, ew G3/G4 MCP over UDP)",
    add_arguments=add_arguments,
    start=start,
)
