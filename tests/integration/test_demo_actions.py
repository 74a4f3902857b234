"""micboard.set_demo_transmitter: the Demo rack's power button for tests and try-outs."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.demo_actions import SERVICE_SET_DEMO_TRANSMITTER
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from tests.integration.common import advance_time

RX2 = "demo_test_rack_rx02"


def _channel(hass: HomeAssistant, entry: MockConfigEntry, receiver: str, index: int) -> str:
    device = dr.async_get(hass).async_get_child_device_by_identifier(
        (DOMAIN, f"{receiver}-ch{index}"), entry.entry_id
    )
    assert device is not None
    return device.id


async def test_switch_off_and_on(
    hass: HomeAssistant, demo_rack: tuple[MockConfigEntry, MicboardCoordinator]
) -> None:
    entry, coordinator = demo_rack
    plugin = coordinator.plugin
    assert isinstance(plugin, DemoRackPlugin)
    guitar = _channel(hass, entry, RX2, 2)
    status = "sensor.test_rack_rx_2_channel_2_status"
    assert hass.states.get(status).state == "good"

    await hass.services.async_call(
        DOMAIN,
        SERVICE_SET_DEMO_TRANSMITTER,
        {"device_id": guitar, "power": False, "hold": 600},
        blocking=True,
    )
    plugin.advance(0.25)  # the rack's next tick
    await advance_time(hass, 0.01)
    assert hass.states.get(status).state == "tx_off"
    # It stays off for the hold time even though the simulation keeps running.
    plugin.advance(300)
    await advance_time(hass, 0.01)
    assert hass.states.get(status).state == "tx_off"

    await hass.services.async_call(
        DOMAIN, SERVICE_SET_DEMO_TRANSMITTER, {"device_id": guitar, "power": True}, blocking=True
    )
    plugin.advance(0.25)
    await advance_time(hass, 0.01)
    assert hass.states.get(status).state != "tx_off"


async def test_refuses_what_is_not_a_demo_channel(
    hass: HomeAssistant, demo_rack: tuple[MockConfigEntry, MicboardCoordinator]
) -> None:
    entry, _coordinator = demo_rack
    receiver = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, RX2), entry.entry_id)
    assert receiver is not None
    for device_id in (receiver.id, "nope"):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                SERVICE_SET_DEMO_TRANSMITTER,
                {"device_id": device_id, "power": False},
                blocking=True,
            )
        assert err.value.translation_key == "not_demo_channel"

    # A channel of an entry that is not loaded is refused too.
    channel = _channel(hass, entry, RX2, 1)
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SET_DEMO_TRANSMITTER,
            {"device_id": channel, "power": False},
            blocking=True,
        )
