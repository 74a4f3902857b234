"""What a simulator kind offers the command line; each kind module defines one.

Kept apart from :mod:`.registry`, which imports every kind, so that no kind imports the
registry back.
"""

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
