"""Helpers for the Sennheiser UDP tests: free ports and waiting for asynchronous effects."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import socket

from homeassistant.core import HomeAssistant


def free_udp_port() -> int:
    """A UDP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until(
    predicate: Callable[[], bool], *, within: float = 20.0, hass: HomeAssistant | None = None
) -> None:
    """Poll until ``predicate()`` holds; fail after ``within`` s (a bound, not a measurement)."""
    async with asyncio.timeout(within):
        while True:
            if hass is not None:
                await hass.async_block_till_done()
            if predicate():
                return
            await asyncio.sleep(0.02)
