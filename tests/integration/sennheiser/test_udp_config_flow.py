"""Config flow steps for SSC v1 and MCP, against the simulators over loopback UDP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from ipaddress import ip_address
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard import entry_data
from custom_components.micboard.const import CONF_MANUFACTURER, DOMAIN
from custom_components.micboard.flows.sennheiser_udp import SennheiserSsc1FlowSteps
from custom_components.micboard.plugins.sennheiser.mcp.plugin import SennheiserMcpPlugin
from custom_components.micboard.plugins.sennheiser.ssc1.plugin import SennheiserSsc1Plugin
from simulators.sennheiser.mcp import McpSimulator
from simulators.sennheiser.ssc1 import Ssc1Simulator
from tests.support.helpers import free_port

pytestmark = pytest.mark.usefixtures("socket_enabled", "fast_udp")


@pytest.fixture
def fast_udp(monkeypatch: pytest.MonkeyPatch) -> int:
    """Short timeouts, and MCP replies on a free port instead of 53212."""
    for plugin in (SennheiserSsc1Plugin, SennheiserMcpPlugin):
        monkeypatch.setattr(plugin, "request_timeout", 0.2)
        monkeypatch.setattr(plugin, "request_attempts", 2)
    port = free_port("udp")
    monkeypatch.setattr(entry_data, "MCP_LOCAL_PORT", port)  # what an entry without one gets
    return port


@pytest.fixture
async def ssc1() -> AsyncIterator[Ssc1Simulator]:
    simulator = await Ssc1Simulator(channels=2, name="EWDX-A").start()
    yield simulator
    await simulator.close()


@pytest.fixture
async def mcp(fast_udp: int) -> AsyncIterator[McpSimulator]:
    simulator = await McpSimulator(reply_port=fast_udp).start()
    yield simulator
    await simulator.close()


async def _open_step(hass: HomeAssistant, step: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert step in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    return dict(result)


async def test_ssc1_add_entry(hass: HomeAssistant, ssc1: Ssc1Simulator) -> None:
    form = await _open_step(hass, "sennheiser_ssc1")
    schema = form["data_schema"].schema
    assert next(key.default() for key in schema if key == CONF_PORT) == 45
    host, port = ssc1.address
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: f" {host} ", CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "EWDX-A (1234567890)"
    assert result["data"] == {
        CONF_MANUFACTURER: "sennheiser_ssc1",
        CONF_HOST: host,
        CONF_PORT: port,
    }
    assert result["result"].unique_id == "1234567890"


async def test_ssc1_errors_then_success(hass: HomeAssistant, ssc1: Ssc1Simulator) -> None:
    form = await _open_step(hass, "sennheiser_ssc1")
    host, port = ssc1.address
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: free_port("udp")}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    ssc1.remove_addresses(("device", "identity", "serial"))
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["errors"] == {"base": "unsupported_device"}


async def test_ssc1_known_address_aborts(hass: HomeAssistant, ssc1: Ssc1Simulator) -> None:
    host, port = ssc1.address
    MockConfigEntry(
        domain=DOMAIN,
        unique_id="other",
        data={CONF_MANUFACTURER: "sennheiser_ssc1", CONF_HOST: host, CONF_PORT: port},
    ).add_to_hass(hass)
    form = await _open_step(hass, "sennheiser_ssc1")
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_ssc1_same_serial_at_new_address_updates_entry(
    hass: HomeAssistant, ssc1: Ssc1Simulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="1234567890",
        data={CONF_MANUFACTURER: "sennheiser_ssc1", CONF_HOST: "192.0.2.9", CONF_PORT: 45},
    )
    entry.add_to_hass(hass)
    form = await _open_step(hass, "sennheiser_ssc1")
    host, port = ssc1.address
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert (entry.data[CONF_HOST], entry.data[CONF_PORT]) == (host, port)


async def test_ssc1_reconfigure(hass: HomeAssistant, ssc1: Ssc1Simulator) -> None:
    host, port = ssc1.address
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EWDX-A",
        unique_id="1234567890",
        data={CONF_MANUFACTURER: "sennheiser_ssc1", CONF_HOST: "192.0.2.9", CONF_PORT: 45},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_sennheiser_ssc1"
    assert result["description_placeholders"]["name"] == "EWDX-A"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: free_port("udp")}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert (entry.data[CONF_HOST], entry.data[CONF_PORT]) == (host, port)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_ssc1_reconfigure_to_another_device(hass: HomeAssistant, ssc1: Ssc1Simulator) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="999",
        data={CONF_MANUFACTURER: "sennheiser_ssc1", CONF_HOST: "192.0.2.9", CONF_PORT: 45},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    host, port = ssc1.address
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"
    assert entry.data[CONF_HOST] == "192.0.2.9"


async def test_mcp_add_entry(hass: HomeAssistant, mcp: McpSimulator) -> None:
    form = await _open_step(hass, "sennheiser_mcp")
    schema = form["data_schema"].schema
    assert next(key.default() for key in schema if key == CONF_PORT) == 53212
    host, port = mcp.address
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"ew EM {host}"
    assert result["data"] == {
        CONF_MANUFACTURER: "sennheiser_mcp",
        CONF_HOST: host,
        CONF_PORT: port,
        "device_id": f"{host}:{port}",
    }
    assert result["result"].unique_id == f"{host}:{port}"


async def test_mcp_errors(hass: HomeAssistant, mcp: McpSimulator) -> None:
    form = await _open_step(hass, "sennheiser_mcp")
    mcp.in_ear = True
    host, port = mcp.address
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["errors"] == {"base": "unsupported_device"}


async def test_mcp_device_without_firmware_command(hass: HomeAssistant, mcp: McpSimulator) -> None:
    form = await _open_step(hass, "sennheiser_mcp")
    mcp.unknown_commands = {"FirmwareRevision"}
    host, port = mcp.address
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["errors"] == {"base": "protocol_error"}


async def test_mcp_duplicates(hass: HomeAssistant, mcp: McpSimulator) -> None:
    host, port = mcp.address
    # An entry created at this address and later moved elsewhere keeps its identity.
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"{host}:{port}",
        data={
            CONF_MANUFACTURER: "sennheiser_mcp",
            CONF_HOST: "192.0.2.30",
            CONF_PORT: 53212,
            "device_id": f"{host}:{port}",
        },
    ).add_to_hass(hass)
    form = await _open_step(hass, "sennheiser_mcp")
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    form = await _open_step(hass, "sennheiser_mcp")
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_HOST: "192.0.2.30", CONF_PORT: 53212}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_mcp_reconfigure(hass: HomeAssistant, mcp: McpSimulator) -> None:
    host, port = mcp.address
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="ew EM 192.0.2.30",
        unique_id="192.0.2.30:53212",
        data={
            CONF_MANUFACTURER: "sennheiser_mcp",
            CONF_HOST: "192.0.2.30",
            CONF_PORT: 53212,
            "device_id": "192.0.2.30:53212",
        },
    )
    entry.add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN,
        unique_id="192.0.2.31:53212",
        data={CONF_MANUFACTURER: "sennheiser_mcp", CONF_HOST: "192.0.2.31", CONF_PORT: 53212},
    ).add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_sennheiser_mcp"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "192.0.2.31", CONF_PORT: 53212}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: free_port("udp")}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result.get("errors") is None, result.get("errors")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert (entry.data[CONF_HOST], entry.data[CONF_PORT]) == (host, port)
    assert entry.unique_id == entry.data["device_id"] == "192.0.2.30:53212"
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_zeroconf_falls_back_to_ssc1(hass: HomeAssistant, ssc1: Ssc1Simulator) -> None:
    """An EW-DX in Legacy mode announces _ssc but has no HTTPS: it is offered over SSC v1."""
    host, port = ssc1.address
    no_https = free_port()
    info = ZeroconfServiceInfo(
        ip_address=ip_address(host),
        ip_addresses=[ip_address(host)],
        port=45,
        hostname="EWDX-A.local.",
        type="_ssc._udp.local.",
        name="EWDX-A._ssc._udp.local.",
        properties={},
    )
    with (
        patch("custom_components.micboard.flows.sennheiser_ssc2.DISCOVERY_PORT", no_https),
        patch.object(SennheiserSsc1FlowSteps, "DISCOVERY_PORT", port),
    ):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "sennheiser_ssc1_discovery"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_MANUFACTURER: "sennheiser_ssc1",
        CONF_HOST: host,
        CONF_PORT: port,
    }
    await hass.async_block_till_done()
    # Announced again later: already configured, nothing new offered.
    with (
        patch("custom_components.micboard.flows.sennheiser_ssc2.DISCOVERY_PORT", no_https),
        patch.object(SennheiserSsc1FlowSteps, "DISCOVERY_PORT", port),
    ):
        again = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
        )
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"
