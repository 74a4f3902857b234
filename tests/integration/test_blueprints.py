"""The shipped blueprints validate and do what they say on the seeded demo rack."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any

from homeassistant.components import automation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.identifiers import channel_identifier, receiver_identifier
from custom_components.micboard.plugins.demo import DemoRackPlugin
from tests.integration.common import advance_time
from tests.support import REPO_ROOT

BLUEPRINTS = REPO_ROOT / "blueprints" / "automation" / "micboard"
RX1 = "demo_test_rack_rx01"
LEAD_VOX_LOW = "binary_sensor.test_rack_rx_1_channel_1_battery"
LEAD_VOX_RF = "binary_sensor.test_rack_rx_1_channel_1_rf_problem"
LEAD_VOX_NAME = "sensor.test_rack_rx_1_channel_1_channel_name"

type Rack = tuple[MockConfigEntry, MicboardCoordinator]


@pytest.fixture
def blueprint_folder(hass: HomeAssistant, tmp_path: Path) -> None:
    """A configuration folder holding the blueprints, as after an import."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "micboard"
    shutil.copytree(BLUEPRINTS, target)


def _record(*fields: str) -> list[dict[str, Any]]:
    return [
        {
            "action": "test.automation",
            "data": {field: f"{{{{ {field} }}}}" for field in fields},
        }
    ]


async def _use(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    config = {"alias": "bp", "use_blueprint": {"path": f"micboard/{path}", "input": inputs}}
    assert await async_setup_component(hass, automation.DOMAIN, {automation.DOMAIN: [config]})
    await hass.async_block_till_done()
    state = hass.states.get("automation.bp")
    assert state is not None
    assert state.state == "on"


def _plugin(coordinator: MicboardCoordinator) -> DemoRackPlugin:
    assert isinstance(coordinator.plugin, DemoRackPlugin)
    return coordinator.plugin


@pytest.mark.usefixtures("blueprint_folder")
async def test_low_battery_notification(hass: HomeAssistant, demo_rack: Rack) -> None:
    _entry, coordinator = demo_rack
    calls = async_mock_service(hass, "test", "automation")
    await _use(
        hass,
        "notify_low_battery.yaml",
        {
            "low_battery_sensors": [LEAD_VOX_LOW],
            "notify_actions": _record(
                "message", "channel_name", "receiver_name", "battery_percent"
            ),
        },
    )
    plugin = _plugin(coordinator)
    plugin._sim[RX1][0].battery = 50.0
    plugin.advance(0.25)
    await advance_time(hass, 0.1)
    assert calls == []

    plugin._sim[RX1][0].battery = 22.0
    plugin.advance(0.25)
    await advance_time(hass, 0.1)
    assert len(calls) == 1
    data: dict[str, Any] = dict(calls[0].data)
    transmitter = coordinator.data[RX1].channels[1].transmitter
    assert transmitter is not None
    assert data["channel_name"] == "Lead Vox"
    assert data["receiver_name"] == "Test rack RX 1"
    assert data["battery_percent"] == 22
    assert data["message"] == (
        f"Lead Vox on Test rack RX 1: battery low (22 %, {transmitter.runtime_minutes} min left)."
    )


@pytest.mark.usefixtures("blueprint_folder")
async def test_low_battery_default_notification(hass: HomeAssistant, demo_rack: Rack) -> None:
    _entry, coordinator = demo_rack
    notifications = async_mock_service(hass, "persistent_notification", "create")
    await _use(hass, "notify_low_battery.yaml", {"low_battery_sensors": [LEAD_VOX_LOW]})
    plugin = _plugin(coordinator)
    plugin._sim[RX1][0].battery = 15.0
    plugin.advance(0.25)
    await advance_time(hass, 0.1)
    assert len(notifications) == 1
    assert notifications[0].data["title"] == "Mic battery low"
    assert notifications[0].data["message"].startswith("Lead Vox on Test rack RX 1: battery low")


async def _battery_low(hass: HomeAssistant, coordinator: MicboardCoordinator) -> None:
    plugin = _plugin(coordinator)
    plugin._sim[RX1][0].battery = 18.0
    plugin.advance(0.25)
    await advance_time(hass, 0.1)


@pytest.mark.usefixtures("blueprint_folder")
async def test_names_given_in_home_assistant_win(hass: HomeAssistant, demo_rack: Rack) -> None:
    """A channel or receiver device renamed in Home Assistant is named so in the message."""
    entry, coordinator = demo_rack
    devices = dr.async_get(hass)
    channel = devices.async_get_child_device_by_identifier(
        channel_identifier(RX1, 1), entry.entry_id
    )
    receiver = devices.async_get_device_by_identifier(receiver_identifier(RX1), entry.entry_id)
    assert channel is not None
    assert receiver is not None
    devices.async_update_child_device(channel.id, name_by_user="Pastor's lavalier")
    devices.async_update_device(receiver.id, name_by_user="Stage left rack")
    calls = async_mock_service(hass, "test", "automation")
    await _use(
        hass,
        "notify_low_battery.yaml",
        {
            "low_battery_sensors": [LEAD_VOX_LOW],
            "notify_actions": _record("message", "channel_name", "receiver_name"),
        },
    )
    await _battery_low(hass, coordinator)
    assert len(calls) == 1
    assert calls[0].data["channel_name"] == "Pastor's lavalier"
    assert calls[0].data["receiver_name"] == "Stage left rack"
    assert calls[0].data["message"].startswith("Pastor's lavalier on Stage left rack: battery low")


@pytest.mark.usefixtures("blueprint_folder")
async def test_renamed_name_sensor_falls_back_to_the_device(
    hass: HomeAssistant, demo_rack: Rack
) -> None:
    """Without the Channel name sensor's created entity id, the channel device names it."""
    _entry, coordinator = demo_rack
    er.async_get(hass).async_update_entity(LEAD_VOX_NAME, new_entity_id="sensor.lead_vox_label")
    await hass.async_block_till_done()
    calls = async_mock_service(hass, "test", "automation")
    await _use(
        hass,
        "notify_low_battery.yaml",
        {
            "low_battery_sensors": [LEAD_VOX_LOW],
            "notify_actions": _record("channel_name", "receiver_name", "battery_percent"),
        },
    )
    await _battery_low(hass, coordinator)
    assert len(calls) == 1
    assert calls[0].data["channel_name"] == "Test rack RX 1 Channel 1"  # the device's own name
    assert calls[0].data["receiver_name"] == "Test rack RX 1"
    assert calls[0].data["battery_percent"] == 18


@pytest.mark.usefixtures("blueprint_folder")
async def test_rf_loss_only_while_the_show_runs(hass: HomeAssistant, demo_rack: Rack) -> None:
    _entry, coordinator = demo_rack
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"show": {}}})
    calls = async_mock_service(hass, "test", "automation")
    await _use(
        hass,
        "alert_rf_loss_during_show.yaml",
        {
            "rf_problem_sensors": [LEAD_VOX_RF],
            "show_running": "input_boolean.show",
            "alert_actions": _record("message", "channel_name"),
        },
    )
    plugin = _plugin(coordinator)
    sim = plugin._sim[RX1][0]
    base = sim.rf_base

    # Show not running: RF loss is ignored.
    sim.rf_base = -104.0
    plugin.advance(0.25)
    await advance_time(hass, 1.1)
    assert hass.states.get(LEAD_VOX_RF).state == "on"
    await advance_time(hass, 5)
    assert calls == []
    sim.rf_base = base
    plugin.advance(0.25)
    await advance_time(hass, 1.1)
    assert hass.states.get(LEAD_VOX_RF).state == "off"

    # Show running: a dip shorter than the minimum duration is ignored, a real loss alerts.
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": "input_boolean.show"})
    sim.rf_base = -104.0
    plugin.advance(0.25)
    await advance_time(hass, 1.1)
    sim.rf_base = base
    plugin.advance(0.25)
    await advance_time(hass, 1.1)
    await advance_time(hass, 5)
    assert calls == []
    sim.rf_base = -104.0
    plugin.advance(0.25)
    await advance_time(hass, 1.1)
    await advance_time(hass, 5)
    assert len(calls) == 1
    assert calls[0].data["channel_name"] == "Lead Vox"
    assert calls[0].data["message"] == "RF lost on Lead Vox (Test rack RX 1)."


def test_source_urls_and_readme_import_links() -> None:
    """Each blueprint points at itself in the repository, and the README links to it."""
    import json  # noqa: PLC0415
    from urllib.parse import quote  # noqa: PLC0415

    root = REPO_ROOT
    manifest = json.loads((root / "custom_components/micboard/manifest.json").read_text())
    readme = (root / "README.md").read_text()
    files = sorted(BLUEPRINTS.glob("*.yaml"))
    assert [f.name for f in files] == [
        "alert_rf_loss_during_show.yaml",
        "notify_low_battery.yaml",
        "show_report_after_event.yaml",
    ]
    for path in files:
        url = f"{manifest['documentation']}/blob/main/blueprints/automation/micboard/{path.name}"
        assert f"source_url: {url}\n" in path.read_text()
        link = "https://my.home-assistant.io/redirect/blueprint_import/?blueprint_url="
        assert link + quote(url, safe="") in readme
