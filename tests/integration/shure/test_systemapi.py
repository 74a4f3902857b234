"""Shure System API in Home Assistant: entity states for a scripted day, faults, handover.

Everything runs against the simulator over real loopback HTTPS/WSS with its own certificate,
through Home Assistant's shared aiohttp session.

Receivers the API knows are handed over to the command-string protocol through
``discovery_flow.async_create_flow``. The tests patch ``async_create_flow`` and check the flow
is *requested* with exactly the data the command-string step expects (that step itself, which
connects to the receiver, is tested with the Shure flow).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import timedelta
import json
import logging
from typing import Any
from unittest.mock import MagicMock, patch

from homeassistant.config_entries import (
    SOURCE_INTEGRATION_DISCOVERY,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.micboard.const import CONF_METER_INTERVAL, DOMAIN
from custom_components.micboard.coordinator import Backoff, MicboardCoordinator
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.shure.systemapi.plugin import ShureSystemApiPlugin
from simulators.shure.systemapi import SystemApiSimulator
from tests.integration.entries import systemapi_entry_data
from tests.support.helpers import wait_for
from tests.support.systemapi import options, running_simulator, stage

pytestmark = pytest.mark.usefixtures("socket_enabled")

CREATE_FLOW = "homeassistant.helpers.discovery_flow.async_create_flow"


@pytest.fixture
async def sim() -> AsyncGenerator[SystemApiSimulator]:
    async with running_simulator(page_size=3) as simulator:
        yield simulator


@pytest.fixture
def ids(sim: SystemApiSimulator) -> dict[str, str]:
    return stage(sim)


@pytest.fixture
def create_flow() -> Generator[MagicMock]:
    with patch(CREATE_FLOW) as mock:
        yield mock


def api_entry(sim: SystemApiSimulator, **overrides: Any) -> MockConfigEntry:
    plugin = ShureSystemApiPlugin(options(sim, **overrides))
    return MockConfigEntry(
        domain=DOMAIN,
        title="Shure System API",
        data=systemapi_entry_data(sim, **overrides),
        unique_id=plugin.stable_id,
        options={CONF_METER_INTERVAL: 0.05},
    )


def listening(coordinator: MicboardCoordinator, sim: SystemApiSimulator) -> bool:
    plugin = coordinator.plugin
    assert isinstance(plugin, ShureSystemApiPlugin)
    return (
        plugin.transport_id in sim.transports and plugin.health.state is ConnectionState.CONNECTED
    )


async def start(
    hass: HomeAssistant, sim: SystemApiSimulator, entry: MockConfigEntry
) -> MicboardCoordinator:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: MicboardCoordinator = entry.runtime_data
    coordinator.backoff = Backoff(initial=0.05, maximum=0.1)
    plugin = coordinator.plugin
    assert isinstance(plugin, ShureSystemApiPlugin)
    plugin.heartbeat = 2.0
    await wait_for(lambda: listening(coordinator, sim))
    return coordinator


def entity_id(
    hass: HomeAssistant, platform: str, receiver: str, key: str, channel: int | None = None
) -> str:
    suffix = key if channel is None else f"{channel}-{key}"
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{receiver}-{suffix}")
    assert found is not None, (platform, receiver, channel, key)
    return found


def state(
    hass: HomeAssistant, platform: str, receiver: str, key: str, channel: int | None = None
) -> str:
    current = hass.states.get(entity_id(hass, platform, receiver, key, channel))
    assert current is not None
    return current.state


async def until(
    hass: HomeAssistant,
    platform: str,
    receiver: str,
    key: str,
    expected: str,
    *,
    channel: int | None = None,
) -> None:
    await wait_for(lambda: state(hass, platform, receiver, key, channel) == expected)


@pytest.fixture
async def loaded(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    create_flow: MagicMock,
) -> AsyncGenerator[tuple[MockConfigEntry, MicboardCoordinator]]:
    entry = api_entry(sim)
    coordinator = await start(hass, sim, entry)
    yield entry, coordinator
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_scripted_day(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    sensor, binary, button = Platform.SENSOR, Platform.BINARY_SENSOR, Platform.BUTTON
    anx4, pack, mxa, found = ids["anx4"], ids["pack"], ids["mxa"], ids["found"]
    entry, _coordinator = loaded

    # Morning: the stage box, the ceiling mic and a pack in its charger.
    assert state(hass, binary, anx4, "connectivity") == "on"
    assert state(hass, sensor, anx4, "channel_name", 1) == "Ch 1"
    assert state(hass, sensor, anx4, "gain", 1) == "6.0"
    assert state(hass, sensor, anx4, "audio_activity", 1) == "low"
    assert state(hass, binary, anx4, "muted", 1) == "off"
    assert state(hass, sensor, anx4, "compatibility") == "current"
    assert state(hass, binary, mxa, "muted") == "off"
    assert state(hass, sensor, pack, "battery", 1) == "20"
    assert state(hass, sensor, pack, "battery_state", 1) == "charging"
    assert state(hass, sensor, pack, "battery_charge_time", 1) == "120"
    assert state(hass, sensor, pack, "battery_health", 1) == "96"
    assert state(hass, sensor, pack, "battery_cycles", 1) == "42"
    assert state(hass, binary, pack, "low_battery", 1) == "on"
    assert state(hass, binary, found, "connectivity") == "off"
    assert state(hass, button, anx4, "identify") == "unknown"
    registry = er.async_get(hass)
    assert registry.async_get_entity_id(button, DOMAIN, f"{found}-identify") is None
    # The ULX-D receiver is no device of this entry: its own protocol monitors it.
    devices = dr.async_get(hass)
    assert devices.async_get_device_by_identifier((DOMAIN, ids["ulxd"]), entry.entry_id) is None
    device = devices.async_get_device_by_identifier((DOMAIN, anx4), entry.entry_id)
    assert device is not None
    assert (device.manufacturer, device.model, device.name) == ("Shure", "ANX4", "Stage box")

    # The pack charges through the morning.
    sim.charge(pack, 30)
    await until(hass, sensor, pack, "battery", "50", channel=1)
    assert state(hass, binary, pack, "low_battery", 1) == "off"
    sim.charge(pack, 30)
    await until(hass, sensor, pack, "battery", "80", channel=1)
    assert state(hass, sensor, pack, "battery_charge_time", 1) == "30"
    sim.charge(pack, 30)
    await until(hass, sensor, pack, "battery_state", "full", channel=1)
    assert state(hass, sensor, pack, "battery", 1) == "100"
    assert state(hass, sensor, pack, "battery_charge_time", 1) == "unknown"
    assert state(hass, sensor, pack, "status", 1) == "good"

    # The engineer renames the stage box and a channel, and mutes.
    sim.rename(anx4, "Drum box")
    await wait_for(lambda: devices.async_get(device.id).name == "Drum box")  # type: ignore[union-attr]
    sim.set_channel(anx4, 0, name="Kick", muted=True)
    await until(hass, sensor, anx4, "channel_name", "Kick", channel=1)
    await until(hass, binary, anx4, "muted", "on", channel=1)
    sim.set_mute(mxa, muted=True)
    await until(hass, binary, mxa, "muted", "on")

    # Sound check: the kick clips.
    sim.set_channel(anx4, 0, activity="CLIPPING")
    await until(hass, sensor, anx4, "audio_activity", "clipping", channel=1)
    await until(hass, sensor, anx4, "status", "audio_peak", channel=1)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_scripted_evening(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    sensor, binary, button = Platform.SENSOR, Platform.BINARY_SENSOR, Platform.BUTTON
    anx4, found = ids["anx4"], ids["found"]
    entry, _coordinator = loaded
    registry = er.async_get(hass)
    devices = dr.async_get(hass)
    sim.set_channel(anx4, 0, name="Kick")
    await until(hass, sensor, anx4, "channel_name", "Kick", channel=1)

    # The stage box loses power, and comes back.
    sim.set_state(anx4, "OFFLINE")
    await until(hass, binary, anx4, "connectivity", "off")
    assert state(hass, sensor, anx4, "channel_name", 1) == STATE_UNAVAILABLE
    assert state(hass, sensor, anx4, "audio_activity", 1) == STATE_UNAVAILABLE
    assert state(hass, sensor, anx4, "status", 1) == STATE_UNAVAILABLE
    sim.set_state(anx4, "ONLINE")
    await until(hass, binary, anx4, "connectivity", "on")
    await until(hass, sensor, anx4, "channel_name", "Kick", channel=1)

    # A device the server had only discovered comes online: its channels and its identify
    # button appear without a reload.
    sim.set_state(found, "ONLINE")
    await wait_for(
        lambda: registry.async_get_entity_id(button, DOMAIN, f"{found}-identify") is not None
    )
    await wait_for(
        lambda: registry.async_get_entity_id(Platform.SENSOR, DOMAIN, f"{found}-2-gain") is not None
    )
    await until(hass, sensor, found, "channel_name", "Ch 2", channel=2)
    assert len(dr.async_entries_for_config_entry(devices, entry.entry_id)) == 6

    # Someone asks the box to flash.
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": entity_id(hass, button, anx4, "identify")},
        blocking=True,
    )
    assert sim.devices[anx4].identifying is True


async def test_receivers_are_offered_to_their_own_protocol(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
    create_flow: MagicMock,
) -> None:
    expected = {
        "context": {"source": SOURCE_INTEGRATION_DISCOVERY},
        "data": {"manufacturer": "shure_tcp", "host": "198.51.100.21", "port": 2202},
    }
    assert [(*call.args[1:], call.kwargs) for call in create_flow.call_args_list] == [
        (DOMAIN, expected)
    ]
    assert create_flow.call_args.args[0] is hass

    # A receiver switched on later is offered too; one seen again is not offered twice.
    sim.add_device("AD4Q", address="198.51.100.40")
    await wait_for(lambda: create_flow.call_count == 2)
    assert create_flow.call_args.kwargs["data"] == {
        "manufacturer": "shure_tcp",
        "host": "198.51.100.40",
        "port": 2202,
    }
    coordinator = loaded[1]
    await coordinator.async_refresh()
    sim.set_state(ids["ulxd"], "OFFLINE")
    sim.set_state(ids["ulxd"], "ONLINE")
    await coordinator.async_refresh()
    assert create_flow.call_count == 2

    # A receiver that moved is offered at its new address (its entry's host gets updated).
    sim.devices[ids["ulxd"]].address = "198.51.100.22"
    sim.set_state(ids["ulxd"], "ONLINE")
    await wait_for(lambda: create_flow.call_count == 3)
    assert create_flow.call_args.kwargs["data"]["host"] == "198.51.100.22"


async def test_monitored_receivers_are_not_offered(
    hass: HomeAssistant, sim: SystemApiSimulator, ids: dict[str, str], create_flow: MagicMock
) -> None:
    MockConfigEntry(
        domain=DOMAIN,
        data={"manufacturer": "shure_tcp", "host": "198.51.100.21", "port": 2202},
        unique_id="shure-RX-1",
        # Disabled, so setting the integration up does not connect to that (documentation)
        # address: only its host matters here.
        disabled_by=ConfigEntryDisabler.USER,
    ).add_to_hass(hass)
    entry = api_entry(sim)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert create_flow.call_count == 0
    await hass.config_entries.async_unload(entry.entry_id)


async def test_socket_drop_resubscribes_on_a_new_transport(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    entry, coordinator = loaded
    plugin = coordinator.plugin
    assert isinstance(plugin, ShureSystemApiPlugin)
    first = plugin.transport_id
    assert first is not None
    sim.drop_sockets()
    await wait_for(lambda: plugin.transport_id not in {None, first} and listening(coordinator, sim))
    second = plugin.transport_id
    assert second is not None
    assert sim.subscriptions_of(second) == sim.subscriptions_of(first)
    assert plugin.health.reconnects >= 1
    assert sim.transport_ids[-1] == second
    sim.rename(ids["anx4"], "After the drop")
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, ids["anx4"]), entry.entry_id
    )
    assert device is not None
    await wait_for(
        lambda: dr.async_get(hass).async_get(device.id).name == "After the drop"  # type: ignore[union-attr]
    )


async def test_new_key_asks_for_reauth_after_one_attempt(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    entry, coordinator = loaded
    # The service is reinstalled with a new key (it restarts: the socket drops).
    sim.set_api_key("a-brand-new-key")
    await wait_for(
        lambda: any(
            flow["context"]["source"] == "reauth"
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        )
    )
    assert sim.bad_key_requests == 1
    await until(hass, Platform.BINARY_SENSOR, ids["anx4"], "connectivity", "off")
    # Time passes and someone presses refresh: the rejected key is never sent again.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1))
    await hass.async_block_till_done()
    await coordinator.async_refresh()
    assert sim.bad_key_requests == 1

    flow = next(
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == "reauth"
    )
    with patch("custom_components.micboard.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            flow["flow_id"], {"api_key": "a-brand-new-key"}
        )
        assert result["reason"] == "reauth_successful"
        await hass.async_block_till_done()
    assert entry.data["api_key"] == "a-brand-new-key"
    assert sim.bad_key_requests == 1


async def test_wrong_key_at_setup(
    hass: HomeAssistant, sim: SystemApiSimulator, ids: dict[str, str], create_flow: MagicMock
) -> None:
    entry = api_entry(sim, api_key="stale")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1))
    await hass.async_block_till_done()
    assert sim.bad_key_requests == 1


async def test_certificate_change_raises_a_repair(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    entry, coordinator = loaded
    requests = len(sim.requests)
    await sim.change_certificate()
    issue_id = f"certificate_changed_{entry.entry_id}"
    await wait_for(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["received"] == sim.fingerprint
    assert coordinator.last_update_success is False
    assert len(sim.requests) == requests  # the key never went to the new certificate


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_malformed_frames_are_ignored(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _entry, coordinator = loaded
    caplog.set_level(logging.DEBUG, "custom_components.micboard")
    sim.send_raw("{broken")
    sim.send_raw(json.dumps({"envelope": {"eventName": "DEVICE_NAME"}, "body": None}))
    sim.send_raw(b"\x00\x01")
    sim.set_channel(ids["anx4"], 1, gain=-12)
    await until(hass, Platform.SENSOR, ids["anx4"], "gain", "-12.0", channel=2)
    assert listening(coordinator, sim)
    # Rejected input is logged once per connection (the health's line, an escaped excerpt)
    # and every rejected frame is counted.
    assert "Dropped an event (not JSON" in caplog.text
    assert "{broken" in caplog.text
    assert coordinator.connection_health.messages_rejected == 3
    assert not [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.micboard") and record.levelno >= logging.INFO
    ]
    assert sim.api_key not in caplog.text


async def test_diagnostics_never_contain_the_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    entry, _coordinator = loaded
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert sim.api_key not in json.dumps(diagnostics)
    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["plugin"] == "shure_systemapi"
    protocol = diagnostics["protocol"]
    assert protocol["server"]["fingerprint"] == sim.fingerprint
    assert ids["ulxd"] in protocol["referrals"]
    receivers = {receiver["id"]: receiver for receiver in diagnostics["receivers"]}
    assert receivers[ids["anx4"]]["compatibility"] == "current"
    assert receivers[ids["anx4"]]["features"] == ["compatibility", "identify"]


async def test_identify_errors_reach_the_user(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    ids: dict[str, str],
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    button = entity_id(hass, Platform.BUTTON, ids["anx4"], "identify")
    sim.override("POST", f"/api/v1/devices/{ids['anx4']}/identify/start", 500, times=1)
    with pytest.raises(HomeAssistantError, match="Identifying Stage box failed"):
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    # The server stopped offering identify since the last read.
    plugin = loaded[1].plugin
    assert isinstance(plugin, ShureSystemApiPlugin)
    plugin.devices[ids["anx4"]].node["capabilities"] = ["name"]
    with pytest.raises(HomeAssistantError, match="cannot identify itself"):
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
