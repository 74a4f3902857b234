"""Resolving channel devices to the live model, and placements."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.automation_rules import battery_percent
from custom_components.micboard.const import DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.placement import area_name, label_name, resolve_channel
from custom_components.micboard.plugins.model import Transmitter

RX1 = "demo_test_rack_rx01"


async def test_resolve_channel(
    hass: HomeAssistant, demo_rack: tuple[MockConfigEntry, MicboardCoordinator]
) -> None:
    entry, coordinator = demo_rack
    registry = dr.async_get(hass)
    channel = registry.async_get_child_device_by_identifier((DOMAIN, f"{RX1}-ch2"), entry.entry_id)
    assert channel is not None
    ref = resolve_channel(hass, channel.id)
    assert ref is not None
    assert (ref.coordinator, ref.receiver_id, ref.index) == (coordinator, RX1, 2)
    assert ref.channel is coordinator.data[RX1].channels[2]

    # Identifiers of other integrations, or of no channel, are not channels.
    registry.async_update_child_device(
        channel.id,
        new_identifiers={("other", f"{RX1}-ch2"), (DOMAIN, "not-a-channel"), (DOMAIN, "x-chA")},
    )
    assert resolve_channel(hass, channel.id) is None
    # A channel the model no longer has resolves to nothing.
    registry.async_update_child_device(channel.id, new_identifiers={(DOMAIN, f"{RX1}-ch9")})
    assert resolve_channel(hass, channel.id) is None
    # A receiver is not a channel.
    receiver = registry.async_get_device_by_identifier((DOMAIN, RX1), entry.entry_id)
    assert receiver is not None
    assert resolve_channel(hass, receiver.id) is None


async def test_names(hass: HomeAssistant) -> None:
    assert area_name(hass, None) is None
    assert area_name(hass, "gone") is None
    assert label_name(hass, "gone") == "gone"


def test_battery_percent_estimate() -> None:
    assert battery_percent(None) is None
    assert battery_percent(Transmitter(battery_percent=37, battery_bars=2)) == 37
    assert battery_percent(Transmitter(battery_bars=3)) == 60
    assert battery_percent(Transmitter()) is None
