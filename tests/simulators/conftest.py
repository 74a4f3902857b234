"""Simulator layer: the device simulators on their own, never Home Assistant."""

from __future__ import annotations

import pytest


@pytest.fixture
def hass() -> None:
    """Simulators run without Home Assistant; a test here that asks for it is misplaced."""
    pytest.fail("simulator tests run without a Home Assistant instance")
