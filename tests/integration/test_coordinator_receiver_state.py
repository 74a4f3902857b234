"""Receiver-level changes any multi-device plugin reports: online state and new features."""

from __future__ import annotations

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from benchmarks.naive import install_naive
from custom_components.micboard.const import DOMAIN
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from custom_components.micboard.plugins.model import (
    STRUCTURE_FIELD,
    Feature,
    ModelUpdate,
)
from tests.integration.common import advance_time, setup_entry
from tests.integration.entries import demo_entry

RX1 = "demo_test_rack_rx01"
STATUS = "sensor.test_rack_rx_1_channel_1_status"
AUDIO = "sensor.test_rack_rx_1_channel_1_audio_level"


@pytest.mark.parametrize("coalesce", [True, False])
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen_demo")
async def test_receiver_going_offline_wakes_every_channel_entity(
    hass: HomeAssistant, coalesce: bool
) -> None:
    coordinator = await setup_entry(hass, demo_entry(receivers=1, channels=1))
    if not coalesce:
        install_naive(coordinator)  # the benchmark's baseline wakes them as well
    plugin = coordinator.plugin
    assert isinstance(plugin, DemoRackPlugin)
    assert hass.states.get(AUDIO).state != STATE_UNAVAILABLE
    plugin.receivers[RX1].online = False
    coordinator.handle_update(ModelUpdate(RX1, None, frozenset({"online"})))
    await advance_time(hass, 0.1)
    # Meter entities too, although no meter field changed.
    assert hass.states.get(AUDIO).state == STATE_UNAVAILABLE
    assert hass.states.get(STATUS).state == STATE_UNAVAILABLE
    assert plugin.receivers[RX1].channels[1].status.value == "rx_offline"
    plugin.receivers[RX1].online = True
    coordinator.handle_update(ModelUpdate(RX1, None, frozenset({"online"})))
    await advance_time(hass, 0.1)
    assert hass.states.get(STATUS).state not in {STATE_UNAVAILABLE, "rx_offline"}


@pytest.mark.usefixtures("frozen_demo")
async def test_features_that_appear_add_their_entities(hass: HomeAssistant) -> None:
    coordinator = await setup_entry(hass, demo_entry(receivers=1, channels=1))
    plugin = coordinator.plugin
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("binary_sensor", DOMAIN, f"{RX1}-muted") is None
    receiver = plugin.receivers[RX1]
    receiver.features = frozenset({Feature.MUTE})
    receiver.muted = True
    coordinator.handle_update(ModelUpdate(RX1, None, frozenset({"features", STRUCTURE_FIELD})))
    await advance_time(hass, 0.1)
    entity_id = registry.async_get_entity_id("binary_sensor", DOMAIN, f"{RX1}-muted")
    assert entity_id is not None
    assert hass.states.get(entity_id).state == "on"
    # The demo cannot identify: no button, whatever the features say.
    assert registry.async_get_entity_id("button", DOMAIN, f"{RX1}-identify") is None
