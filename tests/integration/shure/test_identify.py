"""The micboard.identify action on Shure receivers."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.identifiers import channel_identifier, receiver_identifier
from tests.integration.entries import setup_shure
from tests.support.helpers import wait_for
from tests.support.shure import receiver_id, running_simulator


def _device_id(hass: HomeAssistant, entry_id: str, identifier: tuple[str, str]) -> str:
    registry = dr.async_get(hass)
    device = registry.async_get_device_by_identifier(
        identifier, entry_id
    ) or registry.async_get_child_device_by_identifier(identifier, entry_id)
    assert device is not None
    return device.id


async def test_identify_receiver_and_channel(hass: HomeAssistant) -> None:
    async with running_simulator("ad") as sim:
        entry, _ = await setup_shure(hass, sim)
        rid = receiver_id(sim)
        receiver = _device_id(hass, entry.entry_id, receiver_identifier(rid))
        channel = _device_id(hass, entry.entry_id, channel_identifier(rid, 2))
        await hass.services.async_call(DOMAIN, "identify", {"device_id": channel}, blocking=True)
        await sim.wait_for(lambda: "SET 2 FLASH ON" in sim.commands())
        await hass.services.async_call(DOMAIN, "identify", {"device_id": receiver}, blocking=True)
        await sim.wait_for(lambda: "SET FLASH ON" in sim.commands())
        await hass.services.async_call(
            DOMAIN, "identify", {"config_entry_id": entry.entry_id}, blocking=True
        )
        await sim.wait_for(lambda: sim.commands().count("SET FLASH ON") == 2)
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_identify_button_only_where_the_family_can_flash(hass: HomeAssistant) -> None:
    for family, expected in (("ad", True), ("qlxd", False)):
        async with running_simulator(family) as sim:
            entry, _ = await setup_shure(hass, sim)
            buttons = [
                item
                for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
                if item.domain == "button"
            ]
            assert bool(buttons) is expected, family
            if expected:
                await hass.services.async_call(
                    "button", "press", {"entity_id": buttons[0].entity_id}, blocking=True
                )
                await sim.wait_for(lambda: "SET FLASH ON" in sim.commands())
            assert await hass.config_entries.async_unload(entry.entry_id)


async def test_identify_not_supported(hass: HomeAssistant) -> None:
    async with running_simulator("qlxd") as sim:
        entry, _ = await setup_shure(hass, sim)
        with pytest.raises(HomeAssistantError) as raised:
            await hass.services.async_call(
                DOMAIN, "identify", {"config_entry_id": entry.entry_id}, blocking=True
            )
        assert raised.value.translation_key == "identify_not_supported"
        assert not isinstance(raised.value, ServiceValidationError)
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_identify_while_disconnected(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd", 1) as sim:
        entry, coordinator = await setup_shure(hass, sim)
        await sim.set_refusing(refusing=True)
        await sim.drop_connections()
        await wait_for(lambda: not coordinator.last_update_success)
        with pytest.raises(HomeAssistantError) as raised:
            await hass.services.async_call(
                DOMAIN, "identify", {"config_entry_id": entry.entry_id}, blocking=True
            )
        assert raised.value.translation_key == "identify_failed"
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_identify_bad_targets(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd", 1) as sim:
        entry, _ = await setup_shure(hass, sim)
        with pytest.raises(ServiceValidationError):
            await hass.services.async_call(
                DOMAIN, "identify", {"device_id": "no-such-device"}, blocking=True
            )
        stray = dr.async_get(hass).async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={(DOMAIN, "not-in-the-model")}
        )
        with pytest.raises(ServiceValidationError) as raised:
            await hass.services.async_call(
                DOMAIN, "identify", {"device_id": stray.id}, blocking=True
            )
        assert raised.value.translation_key == "device_not_found"
        assert await hass.config_entries.async_unload(entry.entry_id)
