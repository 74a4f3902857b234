"""Home Assistant level Sennheiser tests: simulators on loopback."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from simulators.sennheiser.ssc2 import Ssc2Simulator
from tests.support.ssc2 import running_simulator


@pytest.fixture
async def sim() -> AsyncGenerator[Ssc2Simulator]:
    """A 2-channel EW-DX receiver speaking SSCv2 (HTTPS with its own certificate)."""
    async with running_simulator(channels=2) as simulator:
        yield simulator
