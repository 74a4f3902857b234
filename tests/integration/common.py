"""Helpers of the Home Assistant layer that are not fixtures (the fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import timedelta
import json
import re
from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from tests.support import REPO_ROOT


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


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Entity id registered for ``unique_id`` (raises if there is none)."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity for {unique_id}"
    return found


def state(hass: HomeAssistant, platform: str, unique_id: str) -> str | None:
    """Current state string of an entity, ``None`` if it has no state yet."""
    current = hass.states.get(entity_id(hass, platform, unique_id))
    return None if current is None else current.state


class StateWrites:
    """Counts state_changed events per entity: what the recorder would store."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.counts: dict[str, int] = {}

        @callback
        def _count(event: Event[EventStateChangedData]) -> None:
            entity_id = event.data["entity_id"]
            self.counts[entity_id] = self.counts.get(entity_id, 0) + 1

        self.unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, _count)

    def clear(self) -> None:
        self.counts.clear()

    def of(self, suffix: str) -> dict[str, int]:
        """Counts of the entities whose id ends with ``suffix``."""
        return {eid: n for eid, n in self.counts.items() if eid.endswith(suffix)}


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


async def start_different_device_fix(
    hass: HomeAssistant, client: ClientSessionGenerator, entry_id: str
) -> dict[str, Any]:
    """Open the "different device" repair's fix flow, as the frontend does."""
    assert await async_setup_component(hass, "repairs", {})
    http = await client()
    response = await http.post(
        "/api/repairs/issues/fix",
        json={"handler": DOMAIN, "issue_id": f"different_device_{entry_id}"},
    )
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def repair_step(
    client: ClientSessionGenerator, flow_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Submit one step of a repair's fix flow."""
    http = await client()
    response = await http.post(f"/api/repairs/issues/fix/{flow_id}", json=data)
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result
