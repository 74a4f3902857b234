"""Channel devices are named after their receiver; entity ids and user names never change."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.micboard.channel_names import (
    async_rename_channel_devices,
    channel_device_name,
    channel_object_id,
)
from custom_components.micboard.const import DOMAIN
from custom_components.micboard.plugins.model import ModelUpdate
from tests.integration.common import advance_time, setup_entry
from tests.integration.entries import demo_entry

RX1 = "demo_test_rack_rx01"


def _child(hass: HomeAssistant, entry_id: str, identifier: str) -> dr.ChildDeviceEntry:
    device = dr.async_get(hass).async_get_child_device_by_identifier((DOMAIN, identifier), entry_id)
    assert device is not None
    return device


async def test_new_rack_names_channels_after_their_receiver(
    hass: HomeAssistant, frozen_demo: None
) -> None:
    entry = demo_entry(receivers=2, channels=2)
    await setup_entry(hass, entry)
    assert _child(hass, entry.entry_id, f"{RX1}-ch1").name == "Test rack RX 1 Channel 1"
    assert (
        _child(hass, entry.entry_id, "demo_test_rack_rx02-ch2").name == "Test rack RX 2 Channel 2"
    )
    # Entity ids are what they always were: no receiver name twice.
    status = hass.states.get("sensor.test_rack_rx_1_channel_1_status")
    assert status is not None
    assert status.attributes["friendly_name"] == "Test rack RX 1 Channel 1 Status"
    assert hass.states.get("binary_sensor.test_rack_rx_2_channel_2_transmitter") is not None
    registry = er.async_get(hass)
    assert not [
        e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if "rx_1_test_rack" in e.entity_id or "rx_2_test_rack" in e.entity_id
    ]


async def test_existing_installation_keeps_entity_ids_and_user_names(
    hass: HomeAssistant, frozen_demo: None
) -> None:
    """A registry from an earlier version: channel devices named "Channel N"."""
    entry = demo_entry(receivers=1, channels=2)
    entry.add_to_hass(hass)
    devices = dr.async_get(hass)
    receiver = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, RX1)}, name="Test rack RX 1"
    )
    ch1 = devices.async_get_or_create_child(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, f"{RX1}-ch1")},
        parent_device_id=receiver.id,
        name="Channel 1",
    )
    ch2 = devices.async_get_or_create_child(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, f"{RX1}-ch2")},
        parent_device_id=receiver.id,
        name="Channel 2",
    )
    devices.async_update_child_device(ch2.id, name_by_user="Lead vocal")
    entities = er.async_get(hass)
    old = entities.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{RX1}-1-status",
        config_entry=entry,
        device_id=ch1.id,
        suggested_object_id="old_channel_1_status",
    )
    assert old.entity_id == "sensor.old_channel_1_status"

    await setup_entry(hass, entry)

    assert _child(hass, entry.entry_id, f"{RX1}-ch1").name == "Test rack RX 1 Channel 1"
    renamed = _child(hass, entry.entry_id, f"{RX1}-ch2")
    assert renamed.name == "Test rack RX 1 Channel 2"  # the integration's name migrates
    assert renamed.name_by_user == "Lead vocal"  # the user's name stays
    assert renamed.id == ch2.id
    assert entities.async_get_entity_id("sensor", DOMAIN, f"{RX1}-1-status") == (
        "sensor.old_channel_1_status"
    )
    assert hass.states.get("sensor.old_channel_1_status") is not None


async def test_receiver_rename_renames_its_channels(hass: HomeAssistant, frozen_demo: None) -> None:
    entry = demo_entry(receivers=2, channels=2)
    coordinator = await setup_entry(hass, entry)
    devices = dr.async_get(hass)
    devices.async_update_child_device(
        _child(hass, entry.entry_id, f"{RX1}-ch2").id, name_by_user="Lead vocal"
    )
    coordinator.data[RX1].name = "Stage left"
    coordinator.handle_update(ModelUpdate(RX1, None, frozenset({"name"})))
    await advance_time(hass, 0.01)

    assert _child(hass, entry.entry_id, f"{RX1}-ch1").name == "Stage left Channel 1"
    second = _child(hass, entry.entry_id, f"{RX1}-ch2")
    assert (second.name, second.name_by_user) == ("Stage left Channel 2", "Lead vocal")
    # The other receiver's channels are left alone, and entity ids do not move.
    assert (
        _child(hass, entry.entry_id, "demo_test_rack_rx02-ch1").name == "Test rack RX 2 Channel 1"
    )
    assert hass.states.get("sensor.test_rack_rx_1_channel_1_status") is not None


async def test_channel_names_in_german(hass: HomeAssistant, frozen_demo: None) -> None:
    hass.config.language = "de"
    entry = demo_entry(receivers=1, channels=1)
    await setup_entry(hass, entry)
    assert _child(hass, entry.entry_id, f"{RX1}-ch1").name == "Test rack RX 1 Kanal 1"
    assert channel_device_name(hass, "RX-A", 3) == "RX-A Kanal 3"
    assert hass.states.get("sensor.test_rack_rx_1_kanal_1_status") is not None


async def test_name_helpers_without_translations(hass: HomeAssistant) -> None:
    """Before any entry loaded the translations, the English pattern is used."""
    assert channel_device_name(hass, "RX-A", 2) == "RX-A Channel 2"
    assert channel_object_id("RX-A Channel 2", "RF level") == "rx_a_channel_2_rf_level"
    assert channel_object_id("RX-A Channel 2", None) == "rx_a_channel_2"


async def test_rename_skips_what_is_not_a_channel(hass: HomeAssistant, frozen_demo: None) -> None:
    entry = demo_entry(receivers=1, channels=1)
    await setup_entry(hass, entry)
    devices = dr.async_get(hass)
    parent = devices.async_get_device_by_identifier((DOMAIN, RX1), entry.entry_id)
    assert parent is not None
    other = devices.async_get_or_create_child(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "not-a-channel")},
        parent_device_id=parent.id,
        name="Something else",
    )
    for _ in range(2):  # the second time every name is already right
        async_rename_channel_devices(hass, entry.entry_id, parent.id, "RX-A")
    assert _child(hass, entry.entry_id, f"{RX1}-ch1").name == "RX-A Channel 1"
    assert _child(hass, entry.entry_id, "not-a-channel").name == other.name


async def test_a_translation_with_other_placeholders_falls_back(hass: HomeAssistant) -> None:
    with patch(
        "custom_components.micboard.channel_names.translation.async_get_cached_translations",
        return_value={"component.micboard.device.channel.name": "{receiver} Kanal {nummer}"},
    ):
        assert channel_device_name(hass, "RX-A", 2) == "RX-A Channel 2"
