"""``python -m simulators sennheiser --protocol P``: one entry point for every Sennheiser protocol.

Each protocol's simulator lives in its own module (``sennheiser_ssc2`` for EW-DX over SSCv2);
this module only maps ``--protocol`` to it, so adding a protocol is one line in
:data:`PROTOCOLS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from . import sennheiser_ssc2
from .registry import RunningSimulator, SimulatorKind


@dataclass(frozen=True, slots=True)
class SennheiserProtocol:
    """How to start one protocol's simulator and which extra options it takes."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    start: Callable[[argparse.Namespace], Awaitable[RunningSimulator]]


PROTOCOLS: dict[str, SennheiserProtocol] = {
    "ssc2": SennheiserProtocol(
        help="EW-DX over SSCv2 (HTTPS + Server-Sent Events)",
        add_arguments=sennheiser_ssc2.add_arguments,
        start=sennheiser_ssc2.start,
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
    parser.add_argument("--channels", type=int, default=4, help="receiver channels (2 or 4)")
    parser.add_argument("--password", default=None, help="password, where the protocol has one")
    for protocol in PROTOCOLS.values():
        protocol.add_arguments(parser)


async def start(args: argparse.Namespace) -> RunningSimulator:
    """Start the simulator of ``args.protocol``."""
    return await PROTOCOLS[args.protocol].start(args)


KIND = SimulatorKind(
    name="sennheiser",
    help="Sennheiser receivers (--protocol ssc2)",
    add_arguments=add_arguments,
    start=start,
)
