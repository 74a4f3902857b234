"""The simulator kinds ``python -m simulators`` knows, and how each is started."""

from __future__ import annotations

import argparse

from . import audio_technica
from .kind import SimulatorKind
from .sennheiser import cli as sennheiser_cli
from .shure import commands as shure_commands, systemapi as shure_systemapi


def kinds() -> dict[str, SimulatorKind]:
    """Every simulator kind by name (protocol issues add theirs here)."""
    found: list[SimulatorKind] = [
        shure_commands.KIND,
        shure_systemapi.KIND,
        sennheiser_cli.KIND,
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
