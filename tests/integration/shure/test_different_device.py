"""Another receiver at the entry's address: nothing of it is taken or lost; the user decides.

The Shure simulator plays the swap: its device id changes (a like-for-like unit with another
id, or the original renamed) and it drops the connection, so the entry reconnects to "another"
receiver. A second simulator plays the original receiver at a new address.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.micboard.const import CONF_RECEIVER_ID, DOMAIN
from custom_components.micboard.identifiers import channel_identifier, receiver_identifier
from tests.integration.common import (
    entity_id,
    repair_step,
    start_different_device_fix,
    state,
)
from tests.integration.entries import setup_shure
from tests.support.helpers import wait_for
from tests.support.shure import receiver_id, running_simulator

NEW_ID = "SIM-RX9"


async def _swap(sim: object, device_id: str) -> None:
    """The unit at the address is now another one (and the old connection drops)."""
    sim.set_device_id(device_id)  # type: ignore[attr-defined]
    await sim.drop_connections()  # type: ignore[attr-defined]


def _issue(hass: HomeAssistant, entry_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"different_device_{entry_id}")


async def test_a_swapped_unit_is_never_adopted(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd", 2) as sim:
        entry, coordinator = await setup_shure(hass, sim)
        rid = receiver_id(sim)
        status = f"{rid}-1-status"
        await wait_for(lambda: state(hass, "sensor", status) == "good")
        devices = dr.async_get(hass)
        before = {d.id for d in dr.async_entries_for_config_entry(devices, entry.entry_id)}

        await _swap(sim, NEW_ID)
        await wait_for(lambda: _issue(hass, entry.entry_id) is not None)
        issue = _issue(hass, entry.entry_id)
        assert issue.is_fixable
        assert issue.translation_placeholders["found"] == NEW_ID  # what the unit calls itself
        assert issue.data == {"entry_id": entry.entry_id, "found": f"shure-{NEW_ID}"}
        assert state(hass, "sensor", status) == STATE_UNAVAILABLE
        # Nothing of the other unit reached the model; nothing of the old one was deleted.
        assert list(coordinator.data) == [rid]
        assert {d.id for d in dr.async_entries_for_config_entry(devices, entry.entry_id)} == (
            before
        )
        assert devices.async_get_child_device_by_identifier(
            channel_identifier(rid, 1), entry.entry_id
        )
        # It stopped: no more attempts at the other unit.
        attempts = coordinator.connection_health.reconnect_attempts
        connections = sim.connections
        await hass.async_block_till_done()
        assert coordinator.connection_health.reconnect_attempts == attempts
        assert sim.connections == connections


async def test_accepting_the_replacement_keeps_entities_names_and_areas(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    async with running_simulator("ulxd", 2) as sim:
        entry, _coordinator = await setup_shure(hass, sim)
        old = receiver_id(sim)
        await wait_for(lambda: state(hass, "sensor", f"{old}-1-status") == "good")
        battery = entity_id(hass, "sensor", f"{old}-1-battery")
        devices = dr.async_get(hass)
        channel = devices.async_get_child_device_by_identifier(
            channel_identifier(old, 1), entry.entry_id
        )
        stage = ar.async_get(hass).async_create("Stage")
        devices.async_update_child_device(channel.id, area_id=stage.id, name_by_user="Lead Vox")

        await _swap(sim, NEW_ID)
        await wait_for(lambda: _issue(hass, entry.entry_id) is not None)
        flow = await start_different_device_fix(hass, hass_client, entry.entry_id)
        assert flow["type"] == FlowResultType.MENU
        assert flow["menu_options"] == ["new_address", "accept_replacement"]
        flow = await repair_step(
            hass_client, flow["flow_id"], {"next_step_id": "accept_replacement"}
        )
        assert flow["step_id"] == "accept_replacement"
        flow = await repair_step(hass_client, flow["flow_id"], {})
        assert flow["type"] == FlowResultType.CREATE_ENTRY

        new = f"shure-{NEW_ID}"
        await wait_for(lambda: entry.state is ConfigEntryState.LOADED)
        await wait_for(lambda: state(hass, "sensor", f"{new}-1-status") == "good")
        assert entry.unique_id == new
        assert entry.data[CONF_RECEIVER_ID] == new
        assert _issue(hass, entry.entry_id) is None
        # The same entity, re-keyed: its id, and the channel device's name and area, stay.
        assert entity_id(hass, "sensor", f"{new}-1-battery") == battery
        assert er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{old}-1-battery") is None
        moved = devices.async_get_child_device_by_identifier(
            channel_identifier(new, 1), entry.entry_id
        )
        assert moved.id == channel.id
        assert (moved.area_id, moved.name_by_user) == (stage.id, "Lead Vox")
        assert (
            devices.async_get_device_by_identifier(receiver_identifier(old), entry.entry_id) is None
        )


async def test_the_original_receiver_at_a_new_address(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    async with running_simulator("ulxd", 2) as sim:
        entry, _coordinator = await setup_shure(hass, sim)
        rid = receiver_id(sim)
        await wait_for(lambda: state(hass, "sensor", f"{rid}-1-status") == "good")
        await _swap(sim, NEW_ID)
        await wait_for(lambda: _issue(hass, entry.entry_id) is not None)
        flow = await start_different_device_fix(hass, hass_client, entry.entry_id)
        flow = await repair_step(hass_client, flow["flow_id"], {"next_step_id": "new_address"})
        assert flow["step_id"] == "new_address"

        # The same other unit again: refused.
        flow = await repair_step(hass_client, flow["flow_id"], {"host": sim.host, "port": sim.port})
        assert flow["errors"] == {"base": "still_different"}
        async with running_simulator("ulxd", 2) as original:  # SIM-RX1, elsewhere
            async with running_simulator("ulxd", 2) as placeholder:
                nowhere = placeholder.port
            flow = await repair_step(
                hass_client, flow["flow_id"], {"host": "127.0.0.1", "port": nowhere}
            )
            assert flow["errors"] == {"base": "cannot_connect"}
            flow = await repair_step(
                hass_client, flow["flow_id"], {"host": original.host, "port": original.port}
            )
            assert flow["type"] == FlowResultType.CREATE_ENTRY
            assert entry.data["port"] == original.port
            assert entry.unique_id == rid
            await wait_for(lambda: entry.state is ConfigEntryState.LOADED)
            await wait_for(lambda: state(hass, "sensor", f"{rid}-1-status") == "good")
            assert _issue(hass, entry.entry_id) is None


async def test_the_swap_found_at_set_up_is_refused_too(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd", 2) as sim:
        entry, _coordinator = await setup_shure(hass, sim)
        rid = receiver_id(sim)  # what the entry was made for
        assert await hass.config_entries.async_unload(entry.entry_id)
        sim.set_device_id(NEW_ID)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.SETUP_ERROR
        assert _issue(hass, entry.entry_id) is not None
        assert dr.async_get(hass).async_get_device_by_identifier(
            receiver_identifier(rid), entry.entry_id
        )
