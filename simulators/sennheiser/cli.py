"""``python -m simulators sennheiser --protocol P``: one entry point for every Sennheiser protocol.

Each protocol's simulator lives in its own module (``ssc2`` for EW-DX over SSCv2, ``ssc1``
for SSC v1 over UDP, ``mcp`` for ew G3/G4); this module only maps
``--protocol`` to it, so adding a protocol is one entry in :data:`PROTOCOLS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..kind import RunningSimulator, SimulatorKind
from . import (
    mcp as sennheiser_mcp,
    ssc1 as sennheiser_ssc1,
    ssc2 as sennheiser_ssc2,
)


@dataclass(frozen=True, slots=True)
class SennheiserProtocol:
    """How to start one protocol's simulator and which extra options it takes."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    start: Callable[[argparse.Namespace], Awaitable[RunningSimulator]]


def _ssc1_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--product", choices=["ewdx", "sldw"], default="ewdx", help="ssc1 only: address tree"
    )


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """MCP takes no options of its own (an ew G3/G4 receiver has one channel)."""


PROTOCOLS: dict[str, SennheiserProtocol] = {
    "ssc2": SennheiserProtocol(
        help="EW-DX over SSCv2 (HTTPS + Server-Sent Events)",
        add_arguments=sennheiser_ssc2.add_arguments,
        start=sennheiser_ssc2.start,
    ),
    "ssc1": SennheiserProtocol(
        help="EW-DX (Legacy mode) or SpeechLine DW over SSC v1 (JSON over UDP)",
        add_arguments=_ssc1_arguments,
        start=sennheiser_ssc1.start,
    ),
    "mcp": SennheiserProtocol(
        help="ew G3/G4 over MCP (ASCII over UDP)",
        add_arguments=_no_arguments,
        start=sennheiser_mcp.start,
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--protocol`` plus the options the protocols share and their own."""
    parser.add_argument(
        "--protocol",
        choices=sorted(PROTOCOLS),
        default="ssc2",
        help="; ".join(f"{name}: {protocol.help}" for name, protocol in PROTOCOLS.items()),
    )
    parser.add_argument(
        "--channels", type=int, default=None, help="receiver channels (ssc2/ssc1: 2 or 4)"
    )
    parser.add_argument("--password", default=None, help="password, where the protocol has one")
    for protocol in PROTOCOLS.values():
        protocol.add_arguments(parser)


async def start(args: argparse.Namespace) -> RunningSimulator:
    """Start the simulator of ``args.protocol``."""
    return await PROTOCOLS[args.protocol].start(args)


KIND = SimulatorKind(
    name="sennheiser",
    help="Sennheiser receivers (--protocol ssc2, ssc1 or mcp)",
    add_arguments=add_arguments,
    start=start,
)
