"""Entities of a seeded demo rack: how they follow the rack (their shape: test_sensor.py etc.)."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.micboard.const import CONF_LOW_BATTERY_MINUTES, CONF_LOW_BATTERY_PERCENT
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from tests.integration.common import advance_time, setup_entry
from tests.integration.entries import demo_entry


@pytest.mark.usefixtures("frozen_demo")
async def test_meter_entities_disabled_by_default(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    await setup_entry(hass, demo_entry(receivers=1, channels=1))
    for key in ("rf_level", "rf_quality", "audio_level", "active_antenna"):
        entry = entity_registry.async_get(f"sensor.test_rack_rx_1_channel_1_{key}")
        assert entry is not None, key
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.test_rack_rx_1_channel_1_battery") is not None
    messages = entity_registry.async_get("sensor.test_rack_rx_1_messages_received")
    assert messages is not None
    assert messages.disabled_by is er.RegistryEntryDisabler.INTEGRATION


#: What users act on, enabled by default (README, Entities): everything else is registered
#: but disabled, so a large rack does not cost Home Assistant thousands of unused entities.
ENABLED_BY_DEFAULT = {
    "1-battery",
    "1-battery_bars",
    "1-battery_runtime",
    "1-battery_runtime_estimated",
    "1-status",
    "1-channel_name",
    "1-transmitter",
    "1-low_battery",
    "1-rf_problem",
    "1-muted",
    "connectivity",
    "identify",
    "muted",
}


@pytest.mark.usefixtures("frozen_demo")
async def test_default_entity_set_is_what_users_act_on(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entry = demo_entry(receivers=1, channels=1)
    await setup_entry(hass, entry)
    registered = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    prefix = f"{next(iter(entry.runtime_data.data))}-"
    enabled = {e.unique_id.removeprefix(prefix) for e in registered if e.disabled_by is None}
    disabled = {e.unique_id.removeprefix(prefix) for e in registered if e.disabled_by}
    assert enabled <= ENABLED_BY_DEFAULT
    assert {"1-status", "1-transmitter", "1-low_battery", "connectivity"} <= enabled
    # Readings nobody acts on stay available, disabled.
    assert {"1-frequency", "1-transmitter_model", "firmware", "connection_state"} <= disabled
    # Every enabled entity has a state; no disabled one has.
    for registry_entry in registered:
        has_state = hass.states.get(registry_entry.entity_id) is not None
        assert has_state is (registry_entry.disabled_by is None), registry_entry.entity_id


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen_demo")
async def test_scenario_battery_drains_tx_off_and_on(hass: HomeAssistant) -> None:
    """Seed 178: channel 1 of RX 1 is a Li-ion pack at 85 %."""
    entry = demo_entry(
        receivers=1,
        channels=1,
        options={CONF_LOW_BATTERY_PERCENT: 25, CONF_LOW_BATTERY_MINUTES: 30},
    )
    coordinator = await setup_entry(hass, entry)
    plugin = coordinator.plugin
    assert isinstance(plugin, DemoRackPlugin)
    sim = plugin._sim["demo_test_rack_rx01"][0]
    sim.drain_per_second = 1.0  # one percent per simulated second
    prefix = "test_rack_rx_1_channel_1"

    def state(entity: str) -> str:
        current = hass.states.get(entity)
        assert current is not None, entity
        return current.state

    assert state(f"sensor.{prefix}_battery") == "85"
    assert state(f"sensor.{prefix}_status") == "good"
    assert state(f"binary_sensor.{prefix}_battery") == STATE_OFF

    seen: list[str] = []
    for _ in range(76):
        plugin.advance(1.0)
        await advance_time(hass, 0.01)
        if not seen or seen[-1] != state(f"sensor.{prefix}_status"):
            seen.append(state(f"sensor.{prefix}_status"))
    assert seen[:3] == ["good", "replace", "critical"]
    assert int(state(f"sensor.{prefix}_battery")) <= 10
    assert state(f"binary_sensor.{prefix}_battery") == STATE_ON

    plugin.set_transmitter(1, 1, on=False, hold=30)
    plugin.advance(0.25)
    await advance_time(hass, 0.01)
    assert state(f"sensor.{prefix}_status") == "tx_off"
    assert state(f"binary_sensor.{prefix}_transmitter") == STATE_OFF
    assert state(f"sensor.{prefix}_battery_runtime") == STATE_UNKNOWN
    assert state(f"sensor.{prefix}_battery") == STATE_UNKNOWN
    assert state(f"sensor.{prefix}_transmitter_model") == STATE_UNKNOWN
    channel = plugin.receivers["demo_test_rack_rx01"].channels[1]
    assert channel.last_transmitter is not None  # the card greys the last known battery

    for _ in range(31):  # the performer swaps the pack and switches on again
        plugin.advance(1.0)
    await advance_time(hass, 0.01)
    assert state(f"binary_sensor.{prefix}_transmitter") == STATE_ON
    assert state(f"sensor.{prefix}_status") in ("good", "audio_peak")
    assert int(state(f"sensor.{prefix}_battery")) >= 95


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen_demo")
async def test_rf_fade_raises_rf_problem(hass: HomeAssistant) -> None:
    coordinator = await setup_entry(hass, demo_entry(receivers=1, channels=1))
    plugin = coordinator.plugin
    assert isinstance(plugin, DemoRackPlugin)
    sim = plugin._sim["demo_test_rack_rx01"][0]
    problem = "binary_sensor.test_rack_rx_1_channel_1_rf_problem"
    assert hass.states.get(problem).state == STATE_OFF
    sim.fade_depth, sim.fade_for = 45.0, 5.0
    plugin.advance(0.25)
    await advance_time(hass, 1.5)  # RF is a meter: written at the next meter flush
    assert hass.states.get(problem).state == STATE_ON
    assert float(hass.states.get("sensor.test_rack_rx_1_channel_1_rf_level").state) < -90
