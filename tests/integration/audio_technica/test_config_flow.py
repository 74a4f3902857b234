"""Config flow for Audio-Technica receivers, against the simulator over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import (
    CONF_DEVICE_UID,
    CONF_MANUFACTURER,
    CONF_NOTIFY_GROUP,
    CONF_NOTIFY_PORT,
    DOMAIN,
)
from custom_components.micboard.flows.base import errors_for
from custom_components.micboard.plugins.errors import (
    CannotConnect,
    InvalidAuth,
    ProtocolError,
    UnsupportedDevice,
)
from simulators.audio_technica import AudioTechnicaSimulator
from tests.integration.common import setup_entry
from tests.integration.entries import audio_technica_entry_data
from tests.support.helpers import free_port, wait_for

pytestmark = pytest.mark.usefixtures("socket_enabled")

RX = "audio_technica_esw_r4180dan_rack_a"


@pytest.fixture
async def simulator() -> AsyncGenerator[AudioTechnicaSimulator]:
    """A 2-channel ESW receiver, notifications off (the conftest's one notifies)."""
    sim = AudioTechnicaSimulator(channels=2)
    await sim.start()
    yield sim
    await sim.close()


def form_input(sim: AudioTechnicaSimulator, **changes: Any) -> dict[str, Any]:
    """What a user types for ``sim``: notifications off (tests never bind UDP 17000)."""
    return {CONF_HOST: "127.0.0.1", CONF_PORT: sim.port, CONF_NOTIFY_PORT: 0, **changes}


async def open_step(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert "audio_technica" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "audio_technica"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "audio_technica"
    return dict(result)


async def test_add_a_receiver(hass: HomeAssistant, simulator: AudioTechnicaSimulator) -> None:
    result = await open_step(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(simulator, **{CONF_NOTIFY_GROUP: " 239.0.0.100 "})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "RACK-A"
    assert result["result"].unique_id == RX
    assert result["data"] == {
        CONF_MANUFACTURER: "audio_technica",
        CONF_HOST: "127.0.0.1",
        CONF_PORT: simulator.port,
        CONF_NOTIFY_PORT: 0,
        CONF_NOTIFY_GROUP: "239.0.0.100",
        CONF_DEVICE_UID: RX,
    }
    # The probe released the session, so the new entry could take it at once.
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert (simulator.connections, simulator.refused) == (2, 0)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_the_form_suggests_the_multicast_default(hass: HomeAssistant) -> None:
    result = await open_step(hass)
    schema = result["data_schema"].schema
    group = next(key for key in schema if key == CONF_NOTIFY_GROUP)
    assert group.description == {"suggested_value": "239.0.0.100"}


async def test_duplicate_receiver_aborts(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    MockConfigEntry(domain=DOMAIN, unique_id=RX, data={CONF_HOST: "10.0.0.9"}).add_to_hass(hass)
    result = await open_step(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(simulator)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_same_address_aborts_before_probing(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    """A receiver already served by an entry would refuse the probe; say what is wrong."""
    MockConfigEntry(
        domain=DOMAIN,
        unique_id="other",
        data=audio_technica_entry_data(simulator, **{CONF_DEVICE_UID: "x"}),
    ).add_to_hass(hass)
    result = await open_step(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(simulator)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert simulator.connections == 0


async def _submit(hass: HomeAssistant, user_input: dict[str, Any]) -> dict[str, Any]:
    result = await open_step(hass)
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"], user_input))


async def test_invalid_multicast_group(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    result = await _submit(hass, form_input(simulator, **{CONF_NOTIFY_GROUP: "192.168.1.9"}))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NOTIFY_GROUP: "invalid_multicast"}
    assert simulator.connections == 0


async def test_nothing_at_the_address(hass: HomeAssistant) -> None:
    port = free_port()
    result = await _submit(hass, {CONF_HOST: "127.0.0.1", CONF_PORT: port, CONF_NOTIFY_PORT: 0})
    assert result["errors"] == {"base": "cannot_connect"}


async def test_receiver_in_use_by_another_controller(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    _reader, other = await asyncio.open_connection("127.0.0.1", simulator.port)
    await wait_for(lambda: simulator.connected)
    result = await _submit(hass, form_input(simulator))
    assert result["errors"] == {"base": "session_in_use"}
    other.close()
    await other.wait_closed()


async def test_busy_receiver(hass: HomeAssistant, simulator: AudioTechnicaSimulator) -> None:
    simulator.busy(10)
    result = await _submit(hass, form_input(simulator))
    assert result["errors"] == {"base": "device_busy"}


async def test_not_a_wireless_receiver(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    simulator.nak_next(2, command="gmymodel")
    result = await _submit(hass, form_input(simulator))
    assert result["errors"] == {"base": "unsupported_device"}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (InvalidAuth("no"), "invalid_auth"),
        (UnsupportedDevice("no"), "unsupported_device"),
        (CannotConnect("no"), "cannot_connect"),
        (ProtocolError("no"), "protocol_error"),
        (RuntimeError("bug"), "unknown"),
    ],
)
def test_errors_for(error: Exception, expected: str) -> None:
    assert errors_for(error) == {"base": expected}


# -- reconfigure -------------------------------------------------------------------------------


async def _loaded_entry(hass: HomeAssistant, sim: AudioTechnicaSimulator) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="RACK-A",
        unique_id=RX,
        data=audio_technica_entry_data(sim, **{CONF_NOTIFY_PORT: 0, CONF_DEVICE_UID: RX}),
    )
    await setup_entry(hass, entry)
    return entry


async def test_reconfigure_a_loaded_entry_reuses_its_session(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    entry = await _loaded_entry(hass, simulator)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_audio_technica"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(simulator, **{CONF_NOTIFY_GROUP: "239.1.2.3"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_NOTIFY_GROUP] == "239.1.2.3"
    assert entry.data[CONF_DEVICE_UID] == RX
    assert simulator.refused == 0  # no second session was attempted
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_to_a_new_address(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    entry = await _loaded_entry(hass, simulator)
    moved = await AudioTechnicaSimulator(channels=2).start()  # the receiver's new address
    try:
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], form_input(moved)
        )
        assert result["reason"] == "reconfigure_successful"
        assert entry.data[CONF_PORT] == moved.port
        await hass.async_block_till_done()
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await moved.close()


async def test_reconfigure_to_another_receiver_aborts(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    entry = await _loaded_entry(hass, simulator)
    other = await AudioTechnicaSimulator(channels=2, name="OTHER").start()
    try:
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], form_input(other)
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "wrong_device"
    finally:
        await other.close()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_shows_errors(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, title="RACK-A", unique_id=RX, data=audio_technica_entry_data(simulator)
    )
    entry.add_to_hass(hass)  # not loaded: the probe connects
    simulator.stall()
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(simulator)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(simulator, **{CONF_NOTIFY_GROUP: "1.2.3.4"})
    )
    assert result["errors"] == {CONF_NOTIFY_GROUP: "invalid_multicast"}
