"""Home Assistant layer: custom integrations enabled, a seeded demo rack, snapshot extension."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
import json
import re
from typing import Any
from unittest.mock import AsyncMock, PropertyMock, patch

from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.micboard.const import (
    CONF_CHANNELS,
    CONF_MANUFACTURER,
    CONF_RECEIVERS,
    CONF_SEED,
    DOMAIN,
)
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.entry_data import create_plugin
from tests.support import REPO_ROOT


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
    with patch("custom_components.micboard.plugins.demo.plugin.TICK_SECONDS", 3600.0):
        yield


def demo_entry(
    *,
    name: str = "Test rack",
    receivers: int = 2,
    channels: int = 2,
    seed: int | None = 178,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """A config entry for a small seeded demo rack."""
    data: dict[str, Any] = {
        CONF_MANUFACTURER: "demo",
        CONF_NAME: name,
        CONF_RECEIVERS: receivers,
        CONF_CHANNELS: channels,
    }
    if seed is not None:
        data[CONF_SEED] = seed
    plugin = create_plugin(data)
    return MockConfigEntry(
        domain=DOMAIN,
        title=name,
        data=data,
        options=options or {},
        unique_id=plugin.stable_id,
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MicboardCoordinator:
    """Add and set up an entry; return its coordinator."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: MicboardCoordinator = entry.runtime_data
    return coordinator


async def advance_time(hass: HomeAssistant, seconds: float) -> None:
    """Fire Home Assistant's timers as if ``seconds`` had passed."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done()


@pytest.fixture
async def demo_rack(
    hass: HomeAssistant, frozen_demo: None
) -> tuple[MockConfigEntry, MicboardCoordinator]:
    """A loaded 2x2 seeded demo rack whose simulation only moves when a test says so."""
    entry = demo_entry()
    coordinator = await setup_entry(hass, entry)
    return entry, coordinator


TRANSLATIONS = json.loads(
    (REPO_ROOT / "custom_components/micboard/translations/en.json").read_text()
)


def check_translated(result: Any) -> None:
    """Every form, field, error and abort the flow shows has its text (and field help)."""
    config = TRANSLATIONS["config"]
    if result["type"] is FlowResultType.FORM:
        step = config["step"][result["step_id"]]
        schema = result["data_schema"].schema if result["data_schema"] else {}
        for key in schema:
            assert str(key) in step["data"], (result["step_id"], key)
            assert str(key) in step["data_description"], (result["step_id"], key)
        for error in (result["errors"] or {}).values():
            assert error in config["error"], error
        for name in re.findall(r"{(\w+)}", step.get("description", "") + step.get("title", "")):
            assert name in (result["description_placeholders"] or {}), (result["step_id"], name)
    elif result["type"] is FlowResultType.ABORT:
        assert result["reason"] in config["abort"], result["reason"]


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
