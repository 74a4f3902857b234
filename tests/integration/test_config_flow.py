"""Config, options and reconfigure flows (every branch: this module must stay at 100 %)."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.micboard.const import (
    CONF_LOW_BATTERY_MINUTES,
    CONF_LOW_BATTERY_PERCENT,
    CONF_MANUFACTURER,
    CONF_METER_INTERVAL,
    DOMAIN,
)
from custom_components.micboard.plugins.errors import (
    CannotConnect,
    InvalidAuth,
    ProtocolError,
    UnsupportedDevice,
)
from tests.integration.common import setup_entry
from tests.integration.entries import demo_entry

GET_DEVICES = "custom_components.micboard.plugins.demo.plugin.DemoRackPlugin.get_devices"


async def _demo_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "demo",
        "shure_tcp",
        "shure_systemapi",
        "sennheiser_ssc2",
        "sennheiser_ssc1",
        "sennheiser_mcp",
        "audio_technica",
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "demo"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "demo"
    return str(result["flow_id"])


async def test_demo_rack_created(hass: HomeAssistant, frozen_demo: None) -> None:
    flow_id = await _demo_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: " Main stage ", "receivers": 3, "channels": "2"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Main stage"
    assert result["data"] == {
        CONF_MANUFACTURER: "demo",
        CONF_NAME: "Main stage",
        "receivers": 3,
        "channels": 2,
    }
    entry = result["result"]
    assert entry.unique_id == "demo_main_stage"
    await hass.async_block_till_done()
    assert len(entry.runtime_data.data) == 3


async def test_duplicate_rack_aborts(hass: HomeAssistant, frozen_demo: None) -> None:
    demo_entry(name="Main stage").add_to_hass(hass)
    flow_id = await _demo_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "main stage", "receivers": 1, "channels": "1"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (CannotConnect("down"), "cannot_connect"),
        (InvalidAuth("no"), "invalid_auth"),
        (UnsupportedDevice("old"), "unsupported_device"),
        (ProtocolError("garbled"), "protocol_error"),
        (RuntimeError("bug"), "unknown"),
    ],
)
async def test_errors_then_recovery(
    hass: HomeAssistant, frozen_demo: None, error: Exception, key: str
) -> None:
    flow_id = await _demo_form(hass)
    user_input = {CONF_NAME: "Rack", "receivers": 1, "channels": "4"}
    with patch(GET_DEVICES, side_effect=error):
        result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": key}
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_reconfigure_resizes_rack(hass: HomeAssistant, frozen_demo: None) -> None:
    entry = demo_entry(receivers=1, channels=1)
    await setup_entry(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_demo"
    with patch(GET_DEVICES, side_effect=CannotConnect("down")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"receivers": 2, "channels": "2"}
        )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"receivers": 2, "channels": "2"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["receivers"] == 2
    assert entry.data["channels"] == 2
    assert len(entry.runtime_data.data) == 2


async def test_options_flow(hass: HomeAssistant, frozen_demo: None) -> None:
    entry = demo_entry()
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_METER_INTERVAL: 0.5, CONF_LOW_BATTERY_PERCENT: 30, CONF_LOW_BATTERY_MINUTES: 45},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {
        CONF_METER_INTERVAL: 0.5,
        CONF_LOW_BATTERY_PERCENT: 30,
        CONF_LOW_BATTERY_MINUTES: 45,
    }
    coordinator = entry.runtime_data  # reloaded with the new options
    assert coordinator.meter_interval == 0.5
    assert coordinator.plugin.meter_interval == 0.5
    assert coordinator.low_battery_percent == 30
    assert coordinator.low_battery_minutes == 45


async def test_reauth_of_a_protocol_without_credentials_aborts(
    hass: HomeAssistant, frozen_demo: None
) -> None:
    entry = demo_entry()
    await setup_entry(hass, entry)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_not_supported"
