"""Shared helpers for the SSCv2 tests: a running simulator and the entry data that reaches it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from typing import Any

from custom_components.micboard.const import CONF_FINGERPRINT, CONF_MANUFACTURER
from custom_components.micboard.plugins.net.tls import parse_fingerprint
from custom_components.micboard.plugins.sennheiser.ssc2 import Ssc2Options
from simulators.sennheiser.ssc2 import Ssc2Simulator


@contextlib.asynccontextmanager
async def running_simulator(**kwargs: Any) -> AsyncIterator[Ssc2Simulator]:
    """An SSCv2 simulator on a free loopback port, closed afterwards."""
    simulator = await Ssc2Simulator(**kwargs).start()
    try:
        yield simulator
    finally:
        await simulator.close()


CONF_HOST, CONF_PORT, CONF_PASSWORD = "host", "port", "password"  # Home Assistant's keys


def options(simulator: Ssc2Simulator, **overrides: Any) -> Ssc2Options:
    """Plugin options that reach the simulator (the library's view of an entry)."""
    fields: dict[str, Any] = {
        "host": simulator.host,
        "port": simulator.port,
        "password": simulator.password,
        "fingerprint": parse_fingerprint(simulator.fingerprint),
    }
    fields.update(overrides)
    if isinstance(fields["fingerprint"], str):
        fields["fingerprint"] = parse_fingerprint(fields["fingerprint"])
    return Ssc2Options(**fields)


def entry_data(simulator: Ssc2Simulator, **overrides: Any) -> dict[str, Any]:
    """Config-entry data for the simulator, as the config flow stores it."""
    data: dict[str, Any] = {
        CONF_MANUFACTURER: "sennheiser_ssc2",
        CONF_HOST: simulator.host,
        CONF_PORT: simulator.port,
        CONF_PASSWORD: simulator.password,
        CONF_FINGERPRINT: simulator.fingerprint,
    }
    data.update(overrides)
    return data


async def eventually(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Wait (real time: the device is a real server) until ``predicate`` holds."""
    async with asyncio.timeout(within):
        while not predicate():
            await asyncio.sleep(0.01)
