"""Identify buttons of every device family: registry entries and states (snapshots).

Only receivers that can flash get a button; the other families have none.
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from tests.integration.families import FAMILIES

IDENTIFY = (
    "shure_ulxd",
    "shure_slxd",
    "shure_ad",
    "shure_systemapi",
    "sennheiser_ssc2",
    "sennheiser_ssc1_ewdx",
    "sennheiser_ssc1_sldw",
)


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.BUTTON]


@pytest.mark.parametrize("family", IDENTIFY)
async def test_buttons(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    family_entry: MockConfigEntry,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, family_entry.entry_id)


@pytest.mark.parametrize("family", [family for family in FAMILIES if family not in IDENTIFY])
async def test_no_buttons(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, family_entry: MockConfigEntry
) -> None:
    assert er.async_entries_for_config_entry(entity_registry, family_entry.entry_id) == []
