"""Helpers for the SSCv2 tests: a running simulator and the plugin options that reach it."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from typing import Any

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
