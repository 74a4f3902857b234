"""Home Assistant level Shure tests: real sockets on loopback, short plugin timings."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.micboard.const import CONF_MANUFACTURER, CONF_METER_INTERVAL, DOMAIN
from custom_components.micboard.coordinator import Backoff, MicboardCoordinator
from simulators.shure.commands import ShureSimulator
from tests.integration.conftest import setup_entry
from tests.support.shure import (
    FAST,
    receiver_id,
)


@pytest.fixture(autouse=True)
def shure_sockets(socket_enabled: None) -> None:
    """These tests talk to simulators over loopback sockets."""


@pytest.fixture
def second_loopback() -> None:
    """Also allow 127.0.0.2 (still loopback), to play a device that moved to a new address."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "127.0.0.2"], allow_unix_socket=True)


@pytest.fixture(autouse=True)
def fast_shure() -> Generator[None]:
    """Probe, dump and watchdog timings short enough for tests."""
    with patch("custom_components.micboard.plugins.shure.commands.plugin.DEFAULT_TIMING", FAST):
        yield


def shure_entry(
    sim: ShureSimulator, *, meter_interval: float = 0.1, **data: Any
) -> MockConfigEntry:
    """An entry as the config flow would create it for ``sim``."""
    rid = receiver_id(sim)
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{sim.device.device_id or sim.host} ({sim.device.model})",
        data={
            CONF_MANUFACTURER: "shure_tcp",
            "host": sim.host,
            "port": sim.port,
            "transport": sim.transport,
            "receiver_id": rid,
        }
        | data,
        options={CONF_METER_INTERVAL: meter_interval},
        unique_id=rid,
    )


async def setup_shure(
    hass: HomeAssistant, sim: ShureSimulator, **kwargs: Any
) -> tuple[MockConfigEntry, MicboardCoordinator]:
    """Set up an entry for ``sim``; reconnect backoff shortened to test speed."""
    entry = shure_entry(sim, **kwargs)
    coordinator = await setup_entry(hass, entry)
    coordinator.backoff = Backoff(initial=0.05, maximum=0.2)
    return entry, coordinator


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Entity id registered for ``unique_id`` (raises if there is none)."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity for {unique_id}"
    return found


def state(hass: HomeAssistant, platform: str, unique_id: str) -> str | None:
    """Current state string of an entity, ``None`` if it has no state yet."""
    current = hass.states.get(entity_id(hass, platform, unique_id))
    return None if current is None else current.state
