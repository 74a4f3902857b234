"""Protocol library layer: plugins against simulators over loopback, never Home Assistant."""

from __future__ import annotations

import pytest


@pytest.fixture
def hass() -> None:
    """The library must work without Home Assistant; a test here that asks for it is misplaced."""
    pytest.fail("tests of the protocol library run without a Home Assistant instance")
