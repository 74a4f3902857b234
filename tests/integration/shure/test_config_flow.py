"""Config flow for Shure receivers: add, errors, duplicates, reconfigure, discovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.config_flow import MicboardConfigFlow
from custom_components.micboard.const import CONF_MANUFACTURER, DOMAIN
from custom_components.micboard.plugins.errors import ProtocolError
from tests.integration.entries import shure_entry
from tests.support.shure import QUICK_SILENCE, receiver_id, running_simulator

SHURE = "shure_tcp"


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert SHURE in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": SHURE}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == SHURE
    return result["flow_id"]


@pytest.mark.parametrize(("family", "transport"), [("ulxd", "tcp"), ("uhfr", "udp")])
async def test_add_receiver(hass: HomeAssistant, family: str, transport: str) -> None:
    async with running_simulator(family) as sim:
        flow_id = await _start(hass)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"host": f" {sim.host} ", "port": sim.port}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        rid = receiver_id(sim)
        assert result["result"].unique_id == rid
        assert result["data"] == {
            CONF_MANUFACTURER: SHURE,
            "host": sim.host,
            "port": sim.port,
            "transport": transport,
            "receiver_id": rid,
        }
        expected = "SIM-RX1 (ULXD4Q)" if family == "ulxd" else f"UR4D {sim.host} (UR4D)"
        assert result["title"] == expected
        # The probe (the first client) identified the device without starting metering.
        await hass.async_block_till_done()
        probe = sim.received[0].client
        probe_commands = [item.text for item in sim.received if item.client == probe]
        assert "GET DEVICE_ID" in probe_commands or "GET MODEL_NAME" in probe_commands
        assert not any("METER" in text for text in probe_commands)
        assert await hass.config_entries.async_unload(result["result"].entry_id)


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """Accepts TCP and says nothing (an SLX-D with network control off)."""
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(1024):
                pass

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in writers:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_errors_then_success(hass: HomeAssistant, silent_port: int) -> None:
    flow_id = await _start(hass)
    async with running_simulator("ad") as sim:
        closed = sim.port
        await sim.set_refusing(refusing=True)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"host": sim.host, "port": closed}
        )
        assert result["errors"] == {"base": "cannot_connect"}

        with patch(
            "custom_components.micboard.plugins.shure.commands.plugin.DEFAULT_TIMING", QUICK_SILENCE
        ):
            result = await hass.config_entries.flow.async_configure(
                flow_id, {"host": "127.0.0.1", "port": silent_port}
            )
        assert result["errors"] == {"base": "not_shure_receiver"}

        await sim.set_refusing(refusing=False)
        sim.device.model = "MXA910-A"
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"host": sim.host, "port": sim.port}
        )
        assert result["errors"] == {"base": "unsupported_device"}

        with patch(
            "custom_components.micboard.flows.shure.probe_shure",
            side_effect=ProtocolError("odd"),
        ):
            result = await hass.config_entries.flow.async_configure(
                flow_id, {"host": sim.host, "port": sim.port}
            )
        assert result["errors"] == {"base": "protocol_error"}
        with patch(
            "custom_components.micboard.flows.shure.probe_shure", side_effect=RuntimeError("bug")
        ):
            result = await hass.config_entries.flow.async_configure(
                flow_id, {"host": sim.host, "port": sim.port}
            )
        assert result["errors"] == {"base": "unknown"}

        sim.device.model = "AD4Q-A"
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"host": sim.host, "port": sim.port}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_duplicate_updates_the_address(hass: HomeAssistant) -> None:
    async with running_simulator("slxd") as sim:
        entry = shure_entry(sim, port=1)  # known device, stale port
        entry.add_to_hass(hass)
        flow_id = await _start(hass)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"host": sim.host, "port": sim.port}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        assert entry.data["port"] == sim.port
        await hass.async_block_till_done()
        await hass.config_entries.async_unload(entry.entry_id)


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"reconfigure_{SHURE}"
    return str(result["flow_id"])


async def test_reconfigure_moves_the_same_device(hass: HomeAssistant) -> None:
    async with running_simulator("qlxd") as sim:
        entry = shure_entry(sim, port=1, host="127.0.0.9")
        entry.add_to_hass(hass)
        flow_id = await _reconfigure(hass, entry)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"host": sim.host, "port": 1}
        )
        assert result["errors"] == {"base": "cannot_connect"}
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"host": sim.host, "port": sim.port}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert entry.data["host"] == sim.host
        assert entry.data["port"] == sim.port
        assert entry.data["receiver_id"] == receiver_id(sim)
        await hass.async_block_till_done()
        await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_refuses_another_device(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd", 1, device_id="OTHER") as sim:
        entry = MockConfigEntry(
            domain=DOMAIN,
            data={CONF_MANUFACTURER: SHURE, "host": "127.0.0.9", "port": 2202},
            unique_id="shure-MINE",
        )
        entry.add_to_hass(hass)
        flow_id = await _reconfigure(hass, entry)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"host": sim.host, "port": sim.port}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "wrong_device"
        assert entry.data["host"] == "127.0.0.9"


@pytest.mark.parametrize(("model", "reason"), [("UR4D", "reconfigure_successful"),
                                                ("UR4S", "wrong_device")])  # fmt: skip
async def test_reconfigure_uhfr_without_device_id(
    hass: HomeAssistant, model: str, reason: str
) -> None:
    async with running_simulator("uhfr", 2) as sim:
        old = f"shure-{model}@127.0.0.2"
        entry = MockConfigEntry(
            domain=DOMAIN,
            data={CONF_MANUFACTURER: SHURE, "host": "127.0.0.2", "port": 2202,
                  "transport": "udp", "receiver_id": old},
            unique_id=old,
        )  # fmt: skip
        entry.add_to_hass(hass)
        flow_id = await _reconfigure(hass, entry)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"host": sim.host, "port": sim.port}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == reason
        if reason == "reconfigure_successful":
            assert entry.unique_id == f"shure-UR4D@{sim.host}"
            assert entry.data["receiver_id"] == old  # entities keep their ids
            await hass.async_block_till_done()
            await hass.config_entries.async_unload(entry.entry_id)


# -- discovery ----------------------------------------------------------------------------------


def _discovery(host: str, port: int) -> dict[str, object]:
    return {
        CONF_MANUFACTURER: SHURE,
        "host": host,
        "port": port,
        "dcid": "0407257E-FD5A-11E3-A21F-0015C5F3F612",
        "model": "ULXD4Q",
    }


async def test_discovery_is_probed_then_confirmed(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd") as sim:
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data=_discovery(sim.host, sim.port),
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == f"discovery_confirm_{SHURE}"
        assert result["description_placeholders"] == {
            "name": "SIM-RX1 (ULXD4Q)",
            "model": "ULXD4Q",
            "host": sim.host,
        }
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["result"].unique_id == "shure-SIM-RX1"
        await hass.async_block_till_done()
        assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_discovery_of_a_known_address_does_not_probe(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd", 1) as sim:
        shure_entry(sim).add_to_hass(hass)
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data=_discovery(sim.host, sim.port),
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        assert sim.connections == 0


@pytest.mark.usefixtures("second_loopback")
async def test_discovery_updates_a_moved_device(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd", 1, host="127.0.0.2") as sim:
        entry = shure_entry(sim, host="127.0.0.1")  # configured at its old address
        entry.add_to_hass(hass)
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data=_discovery("127.0.0.2", sim.port),
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        assert entry.data["host"] == "127.0.0.2"
        await hass.async_block_till_done()
        await hass.config_entries.async_unload(entry.entry_id)


async def test_discovery_of_an_unreachable_device_aborts(hass: HomeAssistant) -> None:
    async with running_simulator("ad") as sim:
        sim.device.model = "ANX4"
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data=_discovery(sim.host, sim.port),
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "unsupported_device"


async def test_discovery_for_another_protocol_is_passed_on(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_MANUFACTURER: "someone_else", "host": "127.0.0.1"},
    )
    # Not ours: the base class handles it (the protocol menu).
    assert result["type"] is FlowResultType.MENU


async def test_confirm_without_a_probe_aborts(hass: HomeAssistant) -> None:
    flow = MicboardConfigFlow()
    flow.hass = hass
    result = await flow.async_step_discovery_confirm_shure_tcp()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
