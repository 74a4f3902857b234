"""Device triggers and conditions on channel devices (child devices), on the seeded demo rack.

The 2x2 rack with seed 178 starts as: RX1/1 "Lead Vox" LION 85 % 454 min, RX1/2 "Pastor"
alkaline 4 bars, RX2/1 "Worship Leader" switched off, RX2/2 "Guitar" LION 83 %.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.micboard import device_condition, device_trigger
from custom_components.micboard.const import DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from custom_components.micboard.plugins.errors import CannotConnect
from custom_components.micboard.plugins.model import ModelUpdate
from tests.integration.common import advance_time, setup_entry
from tests.integration.entries import demo_entry
from tests.support import REPO_ROOT

RX1 = "demo_test_rack_rx01"
RX2 = "demo_test_rack_rx02"
ALL_TRIGGERS = [
    "battery_low",
    "battery_critical",
    "runtime_below",
    "transmitter_off",
    "transmitter_on",
    "rf_lost",
    "audio_clipping",
]

type Rack = tuple[MockConfigEntry, MicboardCoordinator]


def _plugin(coordinator: MicboardCoordinator) -> DemoRackPlugin:
    assert isinstance(coordinator.plugin, DemoRackPlugin)
    return coordinator.plugin


def _device(hass: HomeAssistant, entry: MockConfigEntry, receiver: str, index: int) -> str:
    device = dr.async_get(hass).async_get_child_device_by_identifier(
        (DOMAIN, f"{receiver}-ch{index}"), entry.entry_id
    )
    assert device is not None
    return device.id


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    return async_mock_service(hass, "test", "automation")


async def _automations(hass: HomeAssistant, *items: dict[str, Any]) -> None:
    """Automations that record their trigger's variables through test.automation."""
    configs = [
        {
            "alias": f"a{number}",
            "triggers": [item["trigger"]],
            "conditions": item.get("conditions", []),
            "actions": [
                {
                    "action": "test.automation",
                    "data": {
                        "alias": f"a{number}",
                        "type": "{{ trigger.type }}",
                        "channel_name": "{{ trigger.channel_name }}",
                        "receiver": "{{ trigger.receiver }}",
                        "battery_percent": "{{ trigger.battery_percent }}",
                        "runtime_minutes": "{{ trigger.runtime_minutes }}",
                        "description": "{{ trigger.description }}",
                    },
                }
            ],
        }
        for number, item in enumerate(items)
    ]
    assert await async_setup_component(hass, automation.DOMAIN, {automation.DOMAIN: configs})
    await hass.async_block_till_done()


def _trigger(device_id: str, trigger_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "trigger": "device",
        "domain": DOMAIN,
        "device_id": device_id,
        "type": trigger_type,
        **extra,
    }


async def _step(
    hass: HomeAssistant, coordinator: MicboardCoordinator, seconds: float = 1.1
) -> None:
    """One simulation step, then let status (and, with 1.1 s, meter) flushes run."""
    _plugin(coordinator).advance(0.25)
    await advance_time(hass, seconds)


# -- listing --------------------------------------------------------------------------------


async def test_triggers_and_conditions_are_listed_for_channel_devices(
    hass: HomeAssistant, demo_rack: Rack, hass_ws_client: WebSocketGenerator
) -> None:
    entry, _coordinator = demo_rack
    assert await async_setup_component(hass, "device_automation", {})
    client = await hass_ws_client(hass)
    channel = _device(hass, entry, RX1, 1)

    await client.send_json(
        {"id": 1, "type": "device_automation/trigger/list", "device_id": channel}
    )
    response = await client.receive_json()
    assert response["success"]
    ours = [t["type"] for t in response["result"] if t["domain"] == DOMAIN]
    assert ours == ALL_TRIGGERS

    await client.send_json(
        {"id": 2, "type": "device_automation/condition/list", "device_id": channel}
    )
    response = await client.receive_json()
    ours = [c["type"] for c in response["result"] if c["domain"] == DOMAIN]
    assert ours == ["is_battery_below", "is_transmitter_on", "is_transmitter_off"]

    await client.send_json(
        {
            "id": 3,
            "type": "device_automation/trigger/capabilities",
            "trigger": _trigger(channel, "runtime_below"),
        }
    )
    response = await client.receive_json()
    fields = response["result"]["extra_fields"]
    assert [field["name"] for field in fields] == ["minutes"]
    assert fields[0]["default"] == 30

    await client.send_json(
        {
            "id": 4,
            "type": "device_automation/condition/capabilities",
            "condition": {
                "condition": "device",
                "domain": DOMAIN,
                "device_id": channel,
                "type": "is_battery_below",
            },
        }
    )
    response = await client.receive_json()
    assert [field["name"] for field in response["result"]["extra_fields"]] == ["percent"]


async def test_nothing_is_listed_for_receivers_or_other_devices(
    hass: HomeAssistant, demo_rack: Rack
) -> None:
    entry, _coordinator = demo_rack
    receiver = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, RX1), entry.entry_id)
    assert receiver is not None
    assert await device_trigger.async_get_triggers(hass, receiver.id) == []
    assert await device_condition.async_get_conditions(hass, receiver.id) == []
    assert (
        await device_trigger.async_get_trigger_capabilities(hass, {"type": "transmitter_off"}) == {}
    )
    assert (
        await device_condition.async_get_condition_capabilities(hass, {"type": "is_transmitter_on"})
        == {}
    )


async def test_all_triggers_are_offered_while_the_entry_is_unloaded(
    hass: HomeAssistant, demo_rack: Rack
) -> None:
    entry, _coordinator = demo_rack
    channel = _device(hass, entry, RX1, 1)
    assert await hass.config_entries.async_unload(entry.entry_id)
    triggers = await device_trigger.async_get_triggers(hass, channel)
    assert [t["type"] for t in triggers] == ALL_TRIGGERS
    conditions = await device_condition.async_get_conditions(hass, channel)
    assert len(conditions) == 3


# -- triggers -------------------------------------------------------------------------------


async def test_transmitter_off_and_on(
    hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]
) -> None:
    entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    lead_vox = _device(hass, entry, RX1, 1)
    await _automations(
        hass,
        {"trigger": _trigger(lead_vox, "transmitter_off")},
        {"trigger": _trigger(lead_vox, "transmitter_on")},
        {"trigger": _trigger(_device(hass, entry, RX1, 2), "transmitter_off")},
    )
    await _step(hass, coordinator)
    assert calls == []  # nothing changed yet: the baseline does not fire

    plugin.set_transmitter(1, 1, on=False)
    await _step(hass, coordinator)
    last = coordinator.data[RX1].channels[1].last_transmitter
    assert last is not None
    assert [c.data for c in calls] == [
        {
            "alias": "a0",
            "type": "transmitter_off",
            "channel_name": "Lead Vox",
            "receiver": "Test rack RX 1",
            "battery_percent": 85,  # the last known battery of a transmitter that is off
            "runtime_minutes": last.runtime_minutes,
            "description": "Lead Vox: transmitter off",
        }
    ]
    await _step(hass, coordinator)
    assert len(calls) == 1  # still off: no second alert

    plugin.set_transmitter(1, 1, on=True)
    await _step(hass, coordinator)
    assert [c.data["alias"] for c in calls] == ["a0", "a1"]
    assert calls[1].data["type"] == "transmitter_on"


async def test_battery_low_and_critical(
    hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]
) -> None:
    entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    lead_vox = _device(hass, entry, RX1, 1)
    guitar = _device(hass, entry, RX2, 2)
    await _automations(
        hass,
        {"trigger": _trigger(lead_vox, "battery_low")},
        {"trigger": _trigger(lead_vox, "battery_critical")},
        {"trigger": _trigger(guitar, "battery_low")},
    )
    sims = plugin._sim
    # 50 %: neither low (25 %) nor critical (2 bars); 540 min pack -> 270 min runtime.
    sims[RX1][0].battery = 50.0
    await _step(hass, coordinator)
    assert calls == []

    sims[RX1][0].battery = 22.0  # 22 % <= 25 %: low; ceil(22 / 20) = 2 bars: critical
    await _step(hass, coordinator)
    assert sorted(c.data["type"] for c in calls) == ["battery_critical", "battery_low"]
    low = next(c for c in calls if c.data["type"] == "battery_low")
    assert low.data["battery_percent"] == 22
    assert low.data["channel_name"] == "Lead Vox"

    # A fresh pack and a drop again fires again; the other channel never fired.
    sims[RX1][0].battery = 100.0
    await _step(hass, coordinator)
    sims[RX1][0].battery = 20.0
    await _step(hass, coordinator)
    assert [c.data["alias"] for c in calls].count("a0") == 2
    assert all(c.data["alias"] != "a2" for c in calls)


async def test_runtime_below(
    hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]
) -> None:
    entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    await _automations(
        hass,
        {"trigger": _trigger(_device(hass, entry, RX1, 1), "runtime_below", minutes=120)},
    )
    plugin._sim[RX1][0].battery = 30.0  # 162 min: above 120
    await _step(hass, coordinator)
    assert calls == []
    plugin._sim[RX1][0].battery = 20.0  # about 108 min
    await _step(hass, coordinator)
    assert len(calls) == 1
    transmitter = coordinator.data[RX1].channels[1].transmitter
    assert transmitter is not None
    assert calls[0].data["runtime_minutes"] == transmitter.runtime_minutes < 120


async def test_rf_lost(hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]) -> None:
    entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    await _automations(hass, {"trigger": _trigger(_device(hass, entry, RX1, 1), "rf_lost")})
    # A transmitter switched off is not an RF loss.
    plugin.set_transmitter(1, 1, on=False)
    await _step(hass, coordinator)
    plugin.set_transmitter(1, 1, on=True)
    await _step(hass, coordinator)
    assert calls == []

    plugin._sim[RX1][0].rf_base = -104.0  # far below -90 dBm while the transmitter is on
    await _step(hass, coordinator)
    assert len(calls) == 1
    assert calls[0].data["type"] == "rf_lost"


async def test_audio_clipping_fires_once_per_clipping_spell(
    hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]
) -> None:
    entry, coordinator = demo_rack
    await _automations(hass, {"trigger": _trigger(_device(hass, entry, RX1, 2), "audio_clipping")})
    channel = coordinator.data[RX1].channels[2]
    clip = ModelUpdate(RX1, 2, frozenset({"audio_clipping", "audio_peak"}))

    def set_clip(value: bool) -> None:
        channel.audio_clipping = value
        coordinator.handle_update(clip)

    now = 1000.0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(device_trigger.time, "monotonic", lambda: now)
        set_clip(False)  # the end of a clip is not a clip
        await hass.async_block_till_done()
        assert calls == []
        set_clip(True)
        set_clip(False)
        now += 3.0
        set_clip(True)  # within the 10 s hold: the same spell
        await hass.async_block_till_done()
        assert len(calls) == 1
        assert calls[0].data["channel_name"] == "Pastor"
        now += 11.0
        set_clip(True)
        await hass.async_block_till_done()
        assert len(calls) == 2


async def test_nothing_fires_while_the_rack_is_unreachable(
    hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]
) -> None:
    entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    lead_vox = _device(hass, entry, RX1, 1)
    await _automations(hass, {"trigger": _trigger(lead_vox, "transmitter_off")})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coordinator.backoff, "next_delay", lambda: 3600.0)
        plugin.inject_fault(CannotConnect("cable pulled"))
        await hass.async_block_till_done()
        assert not coordinator.last_update_success
        # The model still changes underneath (a plugin that keeps reporting): no alert.
        plugin.set_transmitter(1, 1, on=False)
        plugin.advance(0.25)
        coordinator.handle_update(ModelUpdate(RX1, 1, frozenset({"transmitter"})))
        await advance_time(hass, 0.01)
        assert calls == []
        # Back online with the transmitter off: now it is known, and it fires.
        plugin.inject_fault(None)
        await advance_time(hass, 3601)
    assert coordinator.last_update_success
    assert [c.data["type"] for c in calls] == ["transmitter_off"]


async def test_triggers_survive_a_reload(
    hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]
) -> None:
    entry, _coordinator = demo_rack
    await _automations(hass, {"trigger": _trigger(_device(hass, entry, RX1, 1), "transmitter_off")})
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data
    _plugin(coordinator).set_transmitter(1, 1, on=False)
    await _step(hass, coordinator)
    assert len(calls) == 1


async def test_turning_automations_off_detaches_from_the_model(
    hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]
) -> None:
    entry, coordinator = demo_rack
    await _automations(hass, {"trigger": _trigger(_device(hass, entry, RX1, 1), "transmitter_off")})
    assert coordinator.listeners.observers  # the hub observes while a trigger is attached
    watcher = hass.data[device_trigger.WATCHER_KEY]
    assert watcher.trigger_count == 1
    await hass.services.async_call(
        automation.DOMAIN, "turn_off", {"entity_id": "automation.a0"}, blocking=True
    )
    assert watcher.trigger_count == 0
    assert coordinator.listeners.observers == []
    _plugin(coordinator).set_transmitter(1, 1, on=False)
    await _step(hass, coordinator)
    assert calls == []


async def test_invalid_trigger_configs_are_refused(
    hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]
) -> None:
    entry, _coordinator = demo_rack
    receiver = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, RX1), entry.entry_id)
    assert receiver is not None
    await _automations(
        hass,
        {"trigger": _trigger(_device(hass, entry, RX1, 1), "runtime_below")},  # no minutes
        {"trigger": _trigger(receiver.id, "transmitter_off")},  # not a channel
        {"trigger": _trigger(_device(hass, entry, RX1, 1), "explode")},
        {"trigger": _trigger(_device(hass, entry, RX1, 1), "runtime_below", minutes=5)},
    )
    states = [hass.states.get(f"automation.a{number}") for number in range(4)]
    assert [state.state if state else None for state in states] == [
        STATE_UNAVAILABLE,
        STATE_UNAVAILABLE,
        STATE_UNAVAILABLE,
        STATE_ON,
    ]


# -- conditions -----------------------------------------------------------------------------


def _condition(device_id: str, condition_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "condition": "device",
        "domain": DOMAIN,
        "device_id": device_id,
        "type": condition_type,
        **extra,
    }


async def test_conditions(hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]) -> None:
    entry, coordinator = demo_rack
    lead_vox = _device(hass, entry, RX1, 1)  # on, 85 %
    pastor = _device(hass, entry, RX1, 2)  # on, alkaline, 4 bars = about 80 %
    worship = _device(hass, entry, RX2, 1)  # off
    event = {"trigger": "event", "event_type": "check"}
    await _automations(
        hass,
        {"trigger": event, "conditions": [_condition(lead_vox, "is_transmitter_on")]},
        {"trigger": event, "conditions": [_condition(worship, "is_transmitter_on")]},
        {"trigger": event, "conditions": [_condition(worship, "is_transmitter_off")]},
        {"trigger": event, "conditions": [_condition(lead_vox, "is_transmitter_off")]},
        {
            "trigger": event,
            "conditions": [_condition(lead_vox, "is_battery_below", percent=90)],
        },
        {
            "trigger": event,
            "conditions": [_condition(lead_vox, "is_battery_below", percent=50)],
        },
        {"trigger": event, "conditions": [_condition(pastor, "is_battery_below", percent=81)]},
        {"trigger": event, "conditions": [_condition(pastor, "is_battery_below", percent=80)]},
        {"trigger": event, "conditions": [_condition(worship, "is_battery_below", percent=100)]},
    )
    hass.bus.async_fire("check")
    await hass.async_block_till_done()
    assert sorted(c.data["alias"] for c in calls) == ["a0", "a2", "a4", "a6"]

    # Unreachable: nothing is known, so no condition holds.
    calls.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coordinator.backoff, "next_delay", lambda: 3600.0)
        _plugin(coordinator).inject_fault(CannotConnect("cable pulled"))
        await hass.async_block_till_done()
        hass.bus.async_fire("check")
        await hass.async_block_till_done()
        assert calls == []
        _plugin(coordinator).inject_fault(None)
        await advance_time(hass, 3601)

    # Unloaded: the same.
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.bus.async_fire("check")
    await hass.async_block_till_done()
    assert calls == []


async def test_invalid_condition_configs_are_refused(
    hass: HomeAssistant, demo_rack: Rack, calls: list[ServiceCall]
) -> None:
    entry, _coordinator = demo_rack
    receiver = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, RX1), entry.entry_id)
    assert receiver is not None
    event = {"trigger": "event", "event_type": "check"}
    lead_vox = _device(hass, entry, RX1, 1)
    await _automations(
        hass,
        {"trigger": event, "conditions": [_condition(lead_vox, "is_battery_below")]},
        {"trigger": event, "conditions": [_condition(receiver.id, "is_transmitter_on")]},
        {"trigger": event, "conditions": [_condition(lead_vox, "is_transmitter_on")]},
    )
    states = [hass.states.get(f"automation.a{number}") for number in range(3)]
    assert [state.state if state else None for state in states] == [
        STATE_UNAVAILABLE,
        STATE_UNAVAILABLE,
        STATE_ON,
    ]
    hass.bus.async_fire("check")
    await hass.async_block_till_done()
    assert [c.data["alias"] for c in calls] == ["a2"]


async def test_device_automation_type_names_match_translations() -> None:
    """Every trigger and condition type has its text in translations/en.json."""
    import json  # noqa: PLC0415

    strings = json.loads(
        (REPO_ROOT / "custom_components/micboard/translations/en.json").read_text()
    )["device_automation"]
    assert sorted(strings["trigger_type"]) == sorted(ALL_TRIGGERS)
    assert sorted(strings["condition_type"]) == [
        "is_battery_below",
        "is_transmitter_off",
        "is_transmitter_on",
    ]
    assert sorted(strings["extra_fields"]) == ["minutes", "percent"]
    assert DeviceAutomationType.TRIGGER.value.section == "device_trigger"


async def test_second_rack_channels_are_independent(
    hass: HomeAssistant, frozen_demo: None, calls: list[ServiceCall]
) -> None:
    first = demo_entry()
    first_co = await setup_entry(hass, first)
    second = demo_entry(name="Other rack", receivers=1, channels=1, seed=178)
    second_co = await setup_entry(hass, second)
    await _automations(
        hass,
        {"trigger": _trigger(_device(hass, second, "demo_other_rack_rx01", 1), "transmitter_off")},
    )
    _plugin(first_co).set_transmitter(1, 1, on=False)
    await _step(hass, first_co)
    assert calls == []
    _plugin(second_co).set_transmitter(1, 1, on=False)
    await _step(hass, second_co)
    assert len(calls) == 1
