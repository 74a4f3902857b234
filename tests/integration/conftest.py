"""Home Assistant layer: custom integrations on, a seeded demo rack, device families, snapshots."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any
from unittest.mock import AsyncMock, PropertyMock, patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.micboard import PLATFORMS
from custom_components.micboard.coordinator import MicboardCoordinator
from tests.integration.common import check_translated, setup_entry
from tests.integration.entries import demo_entry
from tests.integration.families import DEMO_TICK, FAMILIES, running_family, settled


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Every test may load custom_components/micboard."""


@pytest.fixture(autouse=True)
def no_slp_autostart() -> Generator[None]:
    """Never bind the real SLP port (8427, multicast) in tests; discovery tests bind loopback."""
    with patch("custom_components.micboard.discovery_slp.SLP_AUTOSTART", new=False):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format for entity and diagnostics snapshots."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable the entities that are disabled by default (meters)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def frozen_demo() -> Generator[None]:
    """Stop the demo's own clock so only ``plugin.advance()`` changes the rack."""
    with patch(DEMO_TICK, 3600.0):
        yield


@pytest.fixture
async def demo_rack(
    hass: HomeAssistant, frozen_demo: None
) -> tuple[MockConfigEntry, MicboardCoordinator]:
    """A loaded 2x2 seeded demo rack whose simulation only moves when a test says so."""
    entry = demo_entry()
    coordinator = await setup_entry(hass, entry)
    return entry, coordinator


@pytest.fixture
def translated(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check the text of every flow result these tests produce."""
    manager = hass.config_entries.flow
    for name in ("async_init", "async_configure"):
        original = getattr(manager, name)

        async def checked(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            result = await _original(*args, **kwargs)
            check_translated(result)
            return result

        monkeypatch.setattr(manager, name, checked)


@pytest.fixture
def no_setup() -> Generator[AsyncMock]:
    """Flows only: an entry the flow creates or updates is not set up for real."""
    with (
        patch("custom_components.micboard.async_setup_entry", return_value=True) as mock,
        patch("custom_components.micboard.async_unload_entry", return_value=True),
    ):
        yield mock


@pytest.fixture(params=FAMILIES)
def family(request: pytest.FixtureRequest) -> str:
    """A device family (every family; a test narrows the list by parametrizing ``family``)."""
    return str(request.param)


@pytest.fixture
def platforms() -> list[Platform]:
    """The platforms ``family_entry`` loads; a snapshot module keeps only its own."""
    return list(PLATFORMS)


@pytest.fixture
async def family_entry(
    hass: HomeAssistant,
    family: str,
    platforms: list[Platform],
    socket_enabled: None,
    entity_registry_enabled_by_default: None,
) -> AsyncGenerator[MockConfigEntry]:
    """The family's simulator and its loaded entry, every entity enabled, the states settled."""
    async with running_family(family) as entry:
        with patch("custom_components.micboard.PLATFORMS", platforms):
            coordinator = await setup_entry(hass, entry)
        await settled(hass, coordinator)
        yield entry
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
