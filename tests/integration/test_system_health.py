"""System information: per-manufacturer and per-entry connection health, read live."""

from __future__ import annotations

import json
import time
from typing import Any

from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    get_system_health_info,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.micboard.const import CONF_MANUFACTURER, DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.plugins import PLUGINS
from custom_components.micboard.plugins.errors import CannotConnect
from custom_components.micboard.plugins.health import ConnectionHealth
from custom_components.micboard.system_health import (
    KEY_ENTRIES,
    MANAGE_URL,
    ago,
    manufacturer_key,
)
from tests.integration.common import setup_entry
from tests.integration.entries import demo_entry
from tests.support import REPO_ROOT

TRANSLATIONS = REPO_ROOT / "custom_components" / "micboard" / "translations" / "en.json"
RX1, RX2 = "demo_test_rack_rx01", "demo_test_rack_rx02"


@pytest.fixture
async def system_health(hass: HomeAssistant) -> None:
    """Home Assistant's system_health integration, which collects the platforms."""
    assert await async_setup_component(hass, "system_health", {})


async def _info(hass: HomeAssistant) -> dict[str, Any]:
    return await get_system_health_info(hass, DOMAIN)


@pytest.mark.usefixtures("system_health")
async def test_demo_rack_connected(
    hass: HomeAssistant, demo_rack: tuple[MockConfigEntry, MicboardCoordinator]
) -> None:
    _entry, coordinator = demo_rack
    coordinator.plugin.health.last_message_at = time.time() - 125
    assert await _info(hass) == {
        "entries": "1/1 loaded",
        "receivers_demo_rack": "2/2 connected",
        "Test rack": (
            "demo: connected, 2/2 receivers connected, 0 reconnects, last message 2 min ago"
        ),
    }


@pytest.mark.usefixtures("system_health")
async def test_lost_link_offline_receiver_and_no_message_yet(
    hass: HomeAssistant, demo_rack: tuple[MockConfigEntry, MicboardCoordinator]
) -> None:
    _entry, coordinator = demo_rack
    plugin = coordinator.plugin
    plugin.health.last_message_at = None
    coordinator.data[RX2].online = False
    info = await _info(hass)
    assert info["receivers_demo_rack"] == "1/2 connected"
    assert info["Test rack"] == (
        "demo: connected, 1/2 receivers connected, 0 reconnects, last message never"
    )

    plugin.health.disconnected(CannotConnect("rack unplugged"))
    plugin.health.reconnects = 3
    info = await _info(hass)
    assert info["receivers_demo_rack"] == "0/2 connected"
    assert info["Test rack"].startswith("demo: error, 0/2 receivers connected, 3 reconnects")


@pytest.mark.usefixtures("system_health")
async def test_health_per_receiver(
    hass: HomeAssistant, demo_rack: tuple[MockConfigEntry, MicboardCoordinator]
) -> None:
    """Where a plugin keeps one link per receiver, each receiver counts by its own link."""
    _entry, coordinator = demo_rack
    plugin = coordinator.plugin
    down = ConnectionHealth()
    down.disconnected()
    links = {RX1: plugin.health, RX2: down}
    plugin.health_for = links.__getitem__  # type: ignore[method-assign]
    info = await _info(hass)
    assert info["receivers_demo_rack"] == "1/2 connected"
    assert "1/2 receivers connected" in info["Test rack"]


@pytest.mark.usefixtures("system_health", "frozen_demo")
async def test_entries_not_running_and_title_clash(hass: HomeAssistant) -> None:
    await setup_entry(hass, demo_entry())
    spare = demo_entry(name="Spare rack")
    disabled = MockConfigEntry(
        domain=DOMAIN,
        title="Test rack",
        data=dict(spare.data),
        unique_id=spare.unique_id,
        disabled_by=ConfigEntryDisabler.USER,
    )
    disabled.add_to_hass(hass)
    unknown = MockConfigEntry(domain=DOMAIN, title="entries", data={CONF_MANUFACTURER: "acme"})
    unknown.add_to_hass(hass)
    await hass.config_entries.async_setup(unknown.entry_id)
    await hass.async_block_till_done()
    assert unknown.state is ConfigEntryState.SETUP_ERROR

    info = await _info(hass)
    assert info[KEY_ENTRIES] == "1/3 loaded"
    assert info["receivers_demo_rack"] == "2/2 connected, 1 entry not loaded"
    assert info["Test rack"].startswith("demo: connected, 2/2 receivers connected")
    assert info["Test rack (2)"] == "demo: disabled"
    # A title equal to a fixed key keeps both lines; the reason is Home Assistant's own.
    assert info["entries (2)"] == f"acme: setup_error ({unknown.reason})"
    assert list(info)[:2] == ["entries", "receivers_demo_rack"]


@pytest.mark.usefixtures("system_health")
async def test_no_entries(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert await _info(hass) == {"entries": "0/0 loaded"}


@pytest.mark.usefixtures("system_health", "frozen_demo")
async def test_system_information_page(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """What the frontend's System information dialog receives, with its Manage link."""
    await setup_entry(hass, demo_entry())
    client = await hass_ws_client(hass)
    await client.send_json({"id": 1, "type": "system_health/info"})
    assert (await client.receive_json())["success"]
    event = (await client.receive_json())["event"]
    assert event["type"] == "initial"
    section = event["data"][DOMAIN]
    assert section["manage_url"] == MANAGE_URL
    assert section["info"]["receivers_demo_rack"] == "2/2 connected"


def test_every_fixed_key_is_translated() -> None:
    """The manufacturer lines of every plugin, and the entry count, have English labels."""
    labels = json.loads(TRANSLATIONS.read_text())["system_health"]["info"]
    keys = {KEY_ENTRIES} | {manufacturer_key(p.manufacturer_name) for p in PLUGINS.values()}
    assert set(labels) == keys
    assert manufacturer_key("Audio-Technica") == "receivers_audio_technica"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-3, "0 s ago"),
        (0, "0 s ago"),
        (59.9, "59 s ago"),
        (60, "1 min ago"),
        (3599, "59 min ago"),
        (3600, "1 h ago"),
        (90000, "25 h ago"),
    ],
)
def test_ago(seconds: float, text: str) -> None:
    assert ago(seconds) == text
