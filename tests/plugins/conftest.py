"""Protocol library layer: plugins against simulators over loopback, never Home Assistant."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest


@pytest.fixture
def hass() -> None:
    """The library must work without Home Assistant; a test here that asks for it is misplaced."""
    pytest.fail("tests of the protocol library run without a Home Assistant instance")


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """An aiohttp session of the test's own, as Home Assistant would inject its shared one."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session
