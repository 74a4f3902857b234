"""The simulator kinds ``python -m simulators`` knows, and how each is started."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol


class RunningSimulator(Protocol):
    """What a started simulator offers the command line."""

    def describe(self) -> list[str]:
        """Lines printed once it listens (address, and anything a client must know)."""

    async def close(self) -> None:
        """Stop serving and close every socket."""


@dataclass(frozen=True, slots=True)
class SimulatorKind:
    """A simulator the command line can start."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    start: Callable[[argparse.Namespace], Awaitable[RunningSimulator]]


def kinds() -> dict[str, SimulatorKind]:
    """Every simulator kind by name (protocol issues add theirs here)."""
    # Imported here: the simulator modules import SimulatorKind from this module.
    from . import audio_technica, sennheiser, shure, shure_systemapi  # noqa: PLC0415

    found: list[SimulatorKind] = [
        shure.KIND,
        shure_systemapi.KIND,
        sennheiser.KIND,
        audio_technica.KIND,
    ]
    return {kind.name: kind for kind in found}


def build_parser() -> argparse.ArgumentParser:
    """``python -m simulators <kind> --host H --port P [kind options]``."""
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    sub = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind in kinds().values():
        kind_parser = sub.add_parser(kind.name, help=kind.help)
        kind_parser.add_argument("--host", default="127.0.0.1", help="address to bind")
        kind_parser.add_argument("--port", type=int, default=0, help="port (0 = any free)")
        kind.add_arguments(kind_parser)
    return parser
