"""Estimated runtime in Home Assistant: the sensor, its feed, the trigger and the card's fields.

Seed 178, 1x2 rack: RX1/2 "Pastor" is an alkaline pack at 4 bars, which reports no percent and
no runtime, so its runtime is learnt. The estimators' clock is replaced so on-air time can pass
without waiting: readings are fed by the coordinator as in production.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import automation
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from custom_components.micboard.plugins.errors import CannotConnect
from custom_components.micboard.runtime_estimates import REFRESH_SECONDS
from tests.integration.common import advance_time, setup_entry
from tests.integration.entries import demo_entry

RX1 = "demo_test_rack_rx01"
ESTIMATE = "sensor.test_rack_rx_1_channel_2_battery_runtime_estimated"
MINUTE = 60.0

type Rack = tuple[MockConfigEntry, MicboardCoordinator]


class Clock:
    """On-air time for the estimators, moved by the test."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.now = hass.loop.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def rack(hass: HomeAssistant, frozen_demo: None) -> tuple[Rack, Clock]:
    entry = demo_entry(receivers=1, channels=2)
    coordinator = await setup_entry(hass, entry)
    clock = Clock(hass)
    coordinator.runtime.clock = clock
    return (entry, coordinator), clock


def _plugin(coordinator: MicboardCoordinator) -> DemoRackPlugin:
    assert isinstance(coordinator.plugin, DemoRackPlugin)
    return coordinator.plugin


async def _battery(hass: HomeAssistant, coordinator: MicboardCoordinator, percent: float) -> None:
    """Set Pastor's pack and let the status flush run."""
    _plugin(coordinator)._sim[RX1][1].battery = percent
    _plugin(coordinator).advance(0.25)
    await advance_time(hass, 0.1)


async def _learn_two_bars(hass: HomeAssistant, coordinator: MicboardCoordinator, clock: Clock):
    """4 → 3 bars, then 30 on-air minutes later → 2 bars: a bar per 30 min, 60 min left."""
    await _battery(hass, coordinator, 59.0)
    clock.now += 30 * MINUTE
    await _battery(hass, coordinator, 39.0)


def _attributes(hass: HomeAssistant) -> dict[str, Any]:
    state = hass.states.get(ESTIMATE)
    assert state is not None
    return {key: state.attributes.get(key) for key in ("confidence", "source", "step_changes")}


async def test_sensor_learns_from_bar_changes(
    hass: HomeAssistant, rack: tuple[Rack, Clock]
) -> None:
    (_entry, coordinator), clock = rack
    state = hass.states.get(ESTIMATE)
    assert state is not None
    assert state.state == STATE_UNKNOWN  # only bounded so far: not shown
    assert state.attributes["unit_of_measurement"] == "min"
    assert _attributes(hass) == {"confidence": "low", "source": "bars", "step_changes": 0}
    # Li-ion channel 1 reports its own runtime: no estimate there.
    assert hass.states.get("sensor.test_rack_rx_1_channel_1_battery_runtime_estimated") is None
    assert not coordinator.runtime.estimated(RX1, 1)

    await _learn_two_bars(hass, coordinator, clock)
    state = hass.states.get(ESTIMATE)
    assert state.state == "60"
    assert state.attributes["learned_minutes"] == 30
    assert _attributes(hass) == {"confidence": "medium", "source": "bars", "step_changes": 2}

    # On-air time passes without a reading: the minute timer brings the figure down.
    clock.now += 10 * MINUTE
    await advance_time(hass, REFRESH_SECONDS)
    assert hass.states.get(ESTIMATE).state == "50"
    await advance_time(hass, REFRESH_SECONDS)  # nothing changed: nothing written
    assert hass.states.get(ESTIMATE).state == "50"

    # Off: unknown like the other battery sensors, and no on-air time passes.
    _plugin(coordinator).set_transmitter(1, 2, on=False)
    await _battery(hass, coordinator, 39.0)
    assert hass.states.get(ESTIMATE).state == STATE_UNKNOWN
    clock.now += 5 * MINUTE  # a short break (the Demo rack's packs last 6 minutes at least)
    payload = coordinator.runtime.payload(RX1, 2)
    assert payload == {
        "runtime_estimated": True,
        "runtime_estimate_minutes": 50,
        "runtime_estimate_confidence": "medium",
    }
    _plugin(coordinator).set_transmitter(1, 2, on=True)
    await _battery(hass, coordinator, 39.0)
    assert hass.states.get(ESTIMATE).state == "50"


async def test_connection_loss_keeps_the_anchor_unless_a_change_was_missed(
    hass: HomeAssistant, rack: tuple[Rack, Clock]
) -> None:
    (_entry, coordinator), clock = rack
    await _learn_two_bars(hass, coordinator, clock)
    # Lost and back at the same bar: nothing was missed.
    coordinator.async_set_update_error(CannotConnect("blip"))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.last_update_success
    assert _attributes(hass)["step_changes"] == 2
    assert hass.states.get(ESTIMATE).state == "60"
    # Lost while a bar went: when is unknown, so the rate is kept and the anchor dropped.
    coordinator.async_set_update_error(CannotConnect("long outage"))
    clock.now += 20 * MINUTE
    _plugin(coordinator)._sim[RX1][1].battery = 19.0  # 1 bar, unseen
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert _attributes(hass) == {"confidence": "medium", "source": "bars", "step_changes": 0}
    assert hass.states.get(ESTIMATE).state == "15"  # middle of the last bar at 150 min a pack


async def test_runtime_below_uses_the_estimate(
    hass: HomeAssistant, rack: tuple[Rack, Clock]
) -> None:
    (entry, coordinator), clock = rack
    calls: list[ServiceCall] = async_mock_service(hass, "test", "automation")
    device = dr.async_get(hass).async_get_child_device_by_identifier(
        (DOMAIN, f"{RX1}-ch2"), entry.entry_id
    )
    assert device is not None
    fields = ("runtime_minutes", "runtime_estimated", "runtime_confidence", "description")
    config = {
        "alias": "runtime",
        "triggers": [
            {
                "trigger": "device",
                "domain": DOMAIN,
                "device_id": device.id,
                "type": "runtime_below",
                "minutes": 55,
            }
        ],
        "actions": [
            {
                "action": "test.automation",
                "data": {field: f"{{{{ trigger.{field} }}}}" for field in fields},
            }
        ],
    }
    assert await async_setup_component(hass, automation.DOMAIN, {automation.DOMAIN: [config]})
    await hass.async_block_till_done()
    await _learn_two_bars(hass, coordinator, clock)
    assert calls == []  # 60 minutes left
    clock.now += 6 * MINUTE
    await advance_time(hass, REFRESH_SECONDS)
    assert len(calls) == 1
    assert calls[0].data == {
        "runtime_minutes": 54,
        "runtime_estimated": True,
        "runtime_confidence": "medium",
        "description": "Pastor: runtime below",
    }


async def test_card_records_carry_the_estimate(
    hass: HomeAssistant, rack: tuple[Rack, Clock], hass_ws_client: WebSocketGenerator
) -> None:
    (_entry, coordinator), clock = rack
    await _learn_two_bars(hass, coordinator, clock)
    client = await hass_ws_client(hass)
    await client.send_json({"id": 1, "type": "micboard/subscribe", "meter_rate": 0})
    assert (await client.receive_json())["success"]
    snapshot = (await client.receive_json())["event"]
    records = {record["index"]: record for record in snapshot["channels"]}
    assert records[2]["runtime_estimated"] is True
    assert records[2]["runtime_estimate_minutes"] == 60
    assert records[2]["runtime_estimate_confidence"] == "medium"
    assert records[1]["runtime_estimated"] is False
    assert records[1]["runtime_estimate_minutes"] is None
    # The minute timer sends the new figure as a delta.
    clock.now += 5 * MINUTE
    await advance_time(hass, REFRESH_SECONDS)
    delta = (await client.receive_json())["event"]
    assert delta["type"] == "delta"
    assert [(c["index"], c["runtime_estimate_minutes"]) for c in delta["channels"]] == [(2, 55)]


async def test_a_channel_that_gains_a_runtime_drops_its_estimate(
    hass: HomeAssistant, rack: tuple[Rack, Clock]
) -> None:
    (_entry, coordinator), _clock = rack
    channel = coordinator.data[RX1].channels[2]
    coordinator.runtime.observe((RX1, 2), channel, online=True)
    assert coordinator.runtime.estimated(RX1, 2)
    features = channel.features
    channel.features = features | {"battery_runtime"}  # type: ignore[operator]
    coordinator.runtime.channel_changed(RX1, 2)
    assert not coordinator.runtime.estimated(RX1, 2)
    assert coordinator.runtime.estimate(RX1, 2) is None
    coordinator.runtime.channel_changed("gone", 1)  # a receiver that left: nothing to do
