"""EW-DX over SSCv2 in Home Assistant: entity states for a scripted show, and the faults.

Everything runs against the simulator over real loopback HTTPS with its own certificate,
through Home Assistant's shared aiohttp session.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
import json
import logging

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.micboard.const import CONF_METER_INTERVAL, DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from simulators.sennheiser.ssc2 import Ssc2Simulator
from simulators.sennheiser.ssc2_state import SimTransmitter
from tests.integration.entries import ssc2_entry_data, ssc2_streaming, start_ssc2
from tests.support.helpers import wait_for

SERIAL = "1234567890"
WRONG_PASSWORD = "Wrong-Pass-1!"  # noqa: S105

pytestmark = pytest.mark.usefixtures("socket_enabled")


def ssc2_entry(sim: Ssc2Simulator, **overrides: object) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="EWDXEM",
        data=ssc2_entry_data(sim, **overrides),
        unique_id=SERIAL,
        options={CONF_METER_INTERVAL: 0.05},
    )


def entity_id(hass: HomeAssistant, platform: str, channel: int | None, key: str) -> str:
    suffix = key if channel is None else f"{channel}-{key}"
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{SERIAL}-{suffix}")
    assert found is not None, (platform, channel, key)
    return found


def state(hass: HomeAssistant, platform: str, channel: int | None, key: str) -> str:
    current = hass.states.get(entity_id(hass, platform, channel, key))
    assert current is not None
    return current.state


async def until(
    hass: HomeAssistant, platform: str, channel: int | None, key: str, expected: str
) -> None:
    await wait_for(lambda: state(hass, platform, channel, key) == expected)


@pytest.fixture
async def loaded(
    hass: HomeAssistant, sim: Ssc2Simulator, entity_registry_enabled_by_default: None
) -> AsyncGenerator[tuple[MockConfigEntry, MicboardCoordinator]]:
    entry = ssc2_entry(sim)
    coordinator = await start_ssc2(hass, sim, entry)
    yield entry, coordinator
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_scripted_show(
    hass: HomeAssistant,
    sim: Ssc2Simulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    sensor, binary = Platform.SENSOR, Platform.BINARY_SENSOR
    # Doors open: both packs charged and on.
    assert state(hass, sensor, 1, "battery") == "90"
    assert state(hass, sensor, 1, "battery_runtime") == "420"
    assert state(hass, sensor, 1, "status") == "good"
    assert state(hass, sensor, 1, "channel_name") == "MIC 1"
    assert float(state(hass, sensor, 1, "frequency")) == pytest.approx(470.2)
    assert state(hass, sensor, 1, "transmitter_model") == "EW-DX SKM"
    assert state(hass, sensor, 1, "battery_type") == "Battery"
    assert state(hass, sensor, 1, "rf_level") == "-55.0"
    assert state(hass, sensor, 1, "rf_quality") == "96"
    assert state(hass, sensor, 1, "antenna") == "A"
    assert state(hass, sensor, 2, "battery") == "80"
    assert state(hass, binary, 1, "transmitter") == "on"
    assert state(hass, binary, 1, "rf_problem") == "off"
    assert state(hass, binary, 1, "low_battery") == "off"
    assert state(hass, binary, 1, "muted") == "off"
    assert state(hass, sensor, None, "firmware") == "4.1.0"
    assert state(hass, sensor, None, "connection_state") == "connected"

    # The lead vocal's pack drains through the set.
    sim.set_battery(0, gauge=50, lifetime=210)
    await until(hass, sensor, 1, "battery", "50")
    assert state(hass, sensor, 1, "battery_runtime") == "210"
    assert state(hass, sensor, 1, "status") == "replace"
    sim.set_battery(0, gauge=15, lifetime=55)
    await until(hass, sensor, 1, "status", "critical")
    assert state(hass, binary, 1, "low_battery") == "on"

    # Channel 2's performer switches off between songs, and on again later.
    sim.unlink(1)
    await until(hass, binary, 2, "transmitter", "off")
    assert state(hass, sensor, 2, "status") == "tx_off"
    assert state(hass, sensor, 2, "battery") == "unknown"
    sim.link(1, SimTransmitter(type="EW_DX_SK", gauge=100, lifetime=600))
    await until(hass, sensor, 2, "battery", "100")
    assert state(hass, binary, 2, "transmitter") == "on"
    assert state(hass, sensor, 2, "status") == "good"
    assert state(hass, sensor, 2, "transmitter_model") == "EW-DX SK"

    # The performer walks behind the LED wall: RF fades.
    sim.fade_rf(1, rssi=-96.0, quality=9)
    await until(hass, binary, 2, "rf_problem", "on")
    assert state(hass, sensor, 2, "rf_level") == "-96.0"
    sim.fade_rf(1, rssi=-52.0, quality=97)
    await until(hass, binary, 2, "rf_problem", "off")

    # A scream: the device flags an audio peak.
    sim.peak(1)
    await until(hass, sensor, 2, "status", "audio_peak")

    # The engineer renames channel 1 on the receiver; it is pushed, not polled.
    sim.rename(0, "LEAD")
    await until(hass, sensor, 1, "channel_name", "LEAD")
    sim.set_mute(0, mute=True)
    await until(hass, binary, 1, "muted", "on")
    sim.set_site_name("FOHRACK")
    receiver = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, SERIAL), loaded[0].entry_id
    )
    assert receiver is not None
    await wait_for(
        lambda: (
            dr.async_get(hass).async_get(receiver.id) is not None
            and dr.async_get(hass).async_get(receiver.id).name == "FOHRACK"  # type: ignore[union-attr]
        )
    )


async def test_devices_and_unload_ends_the_session(hass: HomeAssistant, sim: Ssc2Simulator) -> None:
    entry = ssc2_entry(sim)
    await start_ssc2(hass, sim, entry)
    devices = dr.async_get(hass)
    (receiver,) = dr.async_entries_for_config_entry(devices, entry.entry_id)
    assert (receiver.manufacturer, receiver.model, receiver.serial_number) == (
        "Sennheiser",
        "EW-DX EM 2",
        SERIAL,
    )
    assert receiver.sw_version == "4.1.0"
    assert len(dr.async_child_entries_for_config_entry(devices, entry.entry_id)) == 2
    (session,) = sim.sessions
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert sim.deleted_sessions == [session]
    await wait_for(lambda: sim.active_streams == 0)


async def test_wrong_password_tries_once_then_asks(hass: HomeAssistant, sim: Ssc2Simulator) -> None:
    entry = ssc2_entry(sim, password=WRONG_PASSWORD)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    # Time passes; nothing retries the rejected password behind the user's back.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1))
    await hass.async_block_till_done()
    assert (sim.auth_attempts, sim.failed_logins) == (1, 1)
    assert not sim.locked_out


async def test_third_party_access_off_raises_a_repair_issue(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    sim.set_third_party_access(False)
    entry = ssc2_entry(sim)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    issue_id = f"sennheiser_third_party_access_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"title": "EWDXEM", "host": "127.0.0.1"}

    # The user enables Secure access in Control Cockpit; the next retry connects and the
    # issue (raised by the previous attempt's coordinator) goes away.
    sim.set_third_party_access(True)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_dropped_stream_goes_unavailable_and_recovers(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    entry = ssc2_entry(sim)
    coordinator = await start_ssc2(hass, sim, entry)
    transmitter = entity_id(hass, Platform.BINARY_SENSOR, 1, "transmitter")
    seen: list[str] = []

    def record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None:
            seen.append(new.state)

    unsub = async_track_state_change_event(hass, [transmitter], record)
    (stale,) = sim.sessions
    sim.drop_streams()
    await wait_for(lambda: STATE_UNAVAILABLE in seen and seen[-1] == "on")
    await wait_for(lambda: ssc2_streaming(coordinator, sim))
    assert sim.deleted_sessions == [stale]
    assert list(sim.sessions) != [stale]
    assert coordinator.plugin.health.reconnects >= 1
    # The new stream delivers again.
    sim.set_battery(0, gauge=44)
    await until(hass, Platform.SENSOR, 1, "battery", "44")
    unsub()
    await hass.config_entries.async_unload(entry.entry_id)


async def test_certificate_change_stops_and_reconfigure_trusts_the_new_one(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    entry = ssc2_entry(sim)
    coordinator = await start_ssc2(hass, sim, entry)
    attempts = sim.auth_attempts
    await sim.change_certificate()
    issue_id = f"certificate_changed_{entry.entry_id}"
    await wait_for(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    await until(hass, Platform.BINARY_SENSOR, 1, "transmitter", STATE_UNAVAILABLE)
    assert coordinator.last_update_success is False
    assert sim.auth_attempts == attempts  # the password never went to the new certificate
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["received"] == sim.fingerprint

    # Reconfigure: same address, the new certificate is shown and confirmed.
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    assert result["step_id"] == "reconfigure_sennheiser_ssc2_confirm"
    assert result["description_placeholders"]["fingerprint"] == sim.fingerprint
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["fingerprint"] == sim.fingerprint
    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await wait_for(lambda: ssc2_streaming(entry.runtime_data, sim))
    await hass.config_entries.async_unload(entry.entry_id)


async def test_malformed_events_are_ignored(
    hass: HomeAssistant, sim: Ssc2Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = ssc2_entry(sim)
    coordinator = await start_ssc2(hass, sim, entry)
    caplog.set_level(logging.DEBUG, "custom_components.micboard")
    sim.send_raw(b"data:{broken\n\n")
    sim.send_raw(b'data:{"/api/channel/0/signalQualityIndicator":{"value":"high"}}\n\n')
    sim.send_raw(b'data:{"/api/transmitters/0":"off"}\n\n')
    sim.set_battery(0, gauge=61)
    await until(hass, Platform.SENSOR, 1, "battery", "61")
    assert state(hass, Platform.BINARY_SENSOR, 1, "transmitter") == "on"
    assert ssc2_streaming(coordinator, sim)
    # Rejected input is logged once per connection (the health's line, an escaped excerpt)
    # and every rejected message is counted.
    assert "Dropped an event (not JSON" in caplog.text
    assert "{broken" in caplog.text
    assert coordinator.connection_health.messages_rejected == 3
    assert not [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.micboard") and record.levelno >= logging.INFO
    ]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_diagnostics_never_contain_the_password(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: Ssc2Simulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    entry, _coordinator = loaded
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    assert sim.password not in text
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"  # noqa: S105
    assert diagnostics["entry"]["data"]["fingerprint"] == sim.fingerprint
    assert diagnostics["plugin"] == "sennheiser_ssc2"
    assert diagnostics["receivers"][0]["serial"] == SERIAL
