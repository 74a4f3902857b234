"""Sensor entities of every device family: registry entries and states (snapshots)."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.syrupy import ANY, StateSnapshot
from syrupy.assertion import SnapshotAssertion
from syrupy.types import PropertyPath, SerializableData

#: Families whose receivers send on a clock (meters streamed, polled or pushed every cycle) or
#: push their meters once subscribed (SSCv2): how many messages arrived before the snapshot
#: depends on timing, so that count is not kept.
CLOCKED = frozenset(
    {
        "shure_ulxd",
        "shure_qlxd",
        "shure_slxd",
        "shure_ad",
        "shure_uhfr",
        "shure_psm1000",
        "sennheiser_mcp",
        "sennheiser_ssc2",
        "audio_technica_esw",
        "audio_technica_system20",
    }
)


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.SENSOR]


def _any_message_count(data: SerializableData, path: PropertyPath) -> SerializableData:
    if isinstance(data, StateSnapshot) and data["entity_id"].endswith("_messages_received"):
        return StateSnapshot(data | {"state": ANY})
    return data


async def test_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    family: str,
    family_entry: MockConfigEntry,
) -> None:
    if family in CLOCKED:
        snapshot = snapshot.with_defaults(matcher=_any_message_count)
    await snapshot_platform(hass, entity_registry, snapshot, family_entry.entry_id)
