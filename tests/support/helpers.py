"""Polling and free ports: the two helpers every test layer uses (no Home Assistant here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import socket
from typing import Literal, Protocol

#: How long :func:`wait_for` waits by default: a hang guard, not a timing assertion. Generous,
#: because the simulators share the event loop (and two cores) with the code under test.
WAIT_SECONDS = 20.0


class _Settles(Protocol):
    """What :func:`wait_for` needs of a Home Assistant instance (no import of it here)."""

    async def async_block_till_done(self) -> None:
        """Run until nothing is pending."""


async def wait_for(
    predicate: Callable[[], object],
    *,
    timeout: float = WAIT_SECONDS,
    hass: _Settles | None = None,
) -> None:
    """Poll until ``predicate()`` holds; raise ``TimeoutError`` after ``timeout`` seconds.

    With ``hass`` it lets Home Assistant finish its pending work before each look, so a state
    that depends on a callback is seen as soon as it is written.
    """
    async with asyncio.timeout(timeout):
        while True:
            if hass is not None:
                await hass.async_block_till_done()
            if predicate():
                return
            await asyncio.sleep(0.01)


def free_port(kind: Literal["tcp", "udp"] = "tcp") -> int:
    """A loopback port that nothing listened on a moment ago (closed again: connecting fails)."""
    family = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, family) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
