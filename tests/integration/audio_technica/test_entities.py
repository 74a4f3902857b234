"""Home Assistant entities for an Audio-Technica receiver, driven by the simulator over loopback.

A scripted evening: a battery drains, a transmitter is switched off, RF fades, channels are
muted, the receiver is renamed; and the faults a real network brings (NAKs, busy, garbage,
dropped connection, stall) never raise and always recover.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import CONF_DEVICE_UID, CONF_METER_INTERVAL, DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.identifiers import receiver_identifier
from simulators.audio_technica import AudioTechnicaSimulator
from tests.integration.common import setup_entry
from tests.integration.entries import audio_technica_entry_data
from tests.support.helpers import wait_for

pytestmark = pytest.mark.usefixtures("socket_enabled", "entity_registry_enabled_by_default")

RX = "audio_technica_esw_r4180dan_rack_a"


@pytest.fixture
async def loaded(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> AsyncGenerator[tuple[MockConfigEntry, MicboardCoordinator]]:
    """The receiver as a loaded config entry (unloaded at the end)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="RACK-A",
        data=audio_technica_entry_data(simulator, **{CONF_DEVICE_UID: RX}),
        options={CONF_METER_INTERVAL: 0.1},
        unique_id=RX,
    )
    coordinator = await setup_entry(hass, entry)
    coordinator.backoff.initial = 0.01
    yield entry, coordinator
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)


def state(hass: HomeAssistant, platform: str, channel: int | None, key: str) -> str:
    """State of the entity with this key (on a channel, or on the receiver)."""
    suffix = key if channel is None else f"{channel}-{key}"
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{RX}-{suffix}")
    assert entity_id is not None, f"no {platform} entity {suffix}"
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


async def until(
    hass: HomeAssistant, platform: str, channel: int | None, key: str, want: str
) -> None:
    """Wait for an entity to show ``want`` (bounded; fails with the last state seen)."""
    try:
        await wait_for(lambda: state(hass, platform, channel, key) == want)
    except TimeoutError:
        pytest.fail(f"{platform} {channel}-{key} is {state(hass, platform, channel, key)!r}")


async def test_scripted_scenario(
    hass: HomeAssistant,
    simulator: AudioTechnicaSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
) -> None:
    entry, _coordinator = loaded
    # At the start of the show.
    assert state(hass, "sensor", 1, "battery") == "93"
    assert state(hass, "sensor", 1, "battery_runtime") == "502"
    assert state(hass, "sensor", 1, "status") == "good"
    assert state(hass, "sensor", 1, "channel_name") == "Mic 1"
    assert state(hass, "sensor", 1, "rf_level") == "-60.0"
    assert state(hass, "sensor", 1, "audio_level") == "-30.0"
    assert state(hass, "binary_sensor", 1, "transmitter") == "on"
    assert state(hass, "binary_sensor", 1, "low_battery") == "off"
    assert state(hass, "binary_sensor", 1, "rf_problem") == "off"
    assert state(hass, "binary_sensor", 2, "muted") == "off"
    assert state(hass, "binary_sensor", 2, "transmitter_muted") == "off"
    assert state(hass, "binary_sensor", None, "connectivity") == "on"
    assert state(hass, "sensor", None, "firmware") == "1.2.0"
    # Only what an ESW reports has an entity.
    registry = er.async_get(hass)
    for key in ("frequency", "transmitter_model", "battery_type", "rf_quality", "antenna"):
        assert registry.async_get_entity_id("sensor", DOMAIN, f"{RX}-1-{key}") is None

    # The lead vocal's battery drains.
    simulator.drain(1, 40)
    await until(hass, "sensor", 1, "status", "replace")
    assert state(hass, "sensor", 1, "battery") == "53"
    simulator.drain(1, 30)
    await until(hass, "sensor", 1, "status", "critical")
    assert state(hass, "binary_sensor", 1, "low_battery") == "on"
    assert state(hass, "sensor", 1, "battery") == "23"

    # The performer switches the transmitter off.
    simulator.set_transmitter(1, on=False)
    await until(hass, "binary_sensor", 1, "transmitter", "off")
    assert state(hass, "sensor", 1, "status") == "tx_off"
    assert state(hass, "sensor", 1, "battery") == STATE_UNKNOWN
    await until(hass, "sensor", 1, "rf_level", STATE_UNKNOWN)

    # RF fades on channel 2 and comes back.
    simulator.set_rf(2, 1)
    await until(hass, "sensor", 2, "rf_level", "-90.0")
    simulator.set_rf(2, 6)
    await until(hass, "sensor", 2, "rf_level", "-60.0")

    # Channel 2 is muted at the receiver, then at the transmitter.
    simulator.set_mute(2, muted=True)
    await until(hass, "binary_sensor", 2, "muted", "on")
    simulator.set_tx_mute(2, muted=True)
    await until(hass, "binary_sensor", 2, "transmitter_muted", "on")

    # The receiver is renamed: the device follows, the entities stay.
    simulator.rename("STAGE-L")
    devices = dr.async_get(hass)

    def device_name() -> str | None:
        device = devices.async_get_device_by_identifier(receiver_identifier(RX), entry.entry_id)
        return None if device is None else device.name

    await wait_for(lambda: device_name() == "STAGE-L")

    # Unloading releases the receiver's only control session.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await wait_for(lambda: not simulator.connected)


async def test_protocol_faults_never_make_it_unavailable(
    hass: HomeAssistant,
    simulator: AudioTechnicaSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.nak_next(99, count=3)
    simulator.nak_next(4, count=2, command="glevelrf")
    simulator.busy(3)
    simulator.busy(2, code=92)
    simulator.inject_garbage(8)
    simulator.send_raw_notification(b"\x00\xffnot a notice\r")
    simulator.drop_replies(1)
    simulator.set_rf(1, 2)
    await until(hass, "sensor", 1, "rf_level", "-84.0")
    assert state(hass, "sensor", 1, "battery") == "93"
    assert state(hass, "binary_sensor", None, "connectivity") == "on"
    assert simulator.connections == 1
    assert not [record for record in caplog.records if record.exc_info]


async def test_dropped_connection_recovers(
    hass: HomeAssistant,
    simulator: AudioTechnicaSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _entry, coordinator = loaded
    simulator.drop_connection()
    await wait_for(lambda: simulator.connections == 2)  # reconnected by itself
    await until(hass, "binary_sensor", None, "connectivity", "on")
    simulator.set_transmitter(2, on=False)
    await until(hass, "binary_sensor", 2, "transmitter", "off")
    assert coordinator.plugin.health.reconnects >= 1
    assert not [record for record in caplog.records if record.exc_info]


async def test_stalled_receiver_goes_unavailable_then_recovers(
    hass: HomeAssistant,
    simulator: AudioTechnicaSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.stall()
    await until(hass, "sensor", 1, "battery", STATE_UNAVAILABLE)
    assert state(hass, "binary_sensor", None, "connectivity") == "off"
    assert state(hass, "sensor", None, "connection_state") == "error"
    simulator.stall(stalled=False)
    await until(hass, "sensor", 1, "battery", "93")
    await until(hass, "binary_sensor", None, "connectivity", "on")
    simulator.set_mute(1, muted=True)
    await until(hass, "binary_sensor", 1, "muted", "on")
    assert not [record for record in caplog.records if record.exc_info]


async def test_setup_retries_while_another_controller_holds_the_session(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    # Another controller is connected first.
    _reader, other = await asyncio.open_connection("127.0.0.1", simulator.port)
    await wait_for(lambda: simulator.connected)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="RACK-A",
        data=audio_technica_entry_data(simulator, **{CONF_DEVICE_UID: RX}),
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "one controller at a time" in str(entry.reason)
    assert simulator.refused == 1
    other.close()
    await other.wait_closed()
    assert await hass.config_entries.async_unload(entry.entry_id)
