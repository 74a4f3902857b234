"""Config, discovery, reauth and reconfigure flows for EW-DX over SSCv2 (against the simulator)."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.flows.sennheiser_ssc2 import _error_key
from custom_components.micboard.flows.sennheiser_udp import SennheiserSsc1FlowSteps
from custom_components.micboard.plugins.errors import (
    AccessDisabled,
    CannotConnect,
    CertificateChanged,
    InvalidAuth,
    MicboardError,
    NeedsUserAction,
    ProtocolError,
    UnsupportedDevice,
)
from custom_components.micboard.plugins.sennheiser.ssc1.plugin import SennheiserSsc1Plugin
from custom_components.micboard.plugins.sennheiser.ssc2.client import DeviceBusy
from simulators.sennheiser.ssc2 import Ssc2Simulator
from tests.integration.entries import ssc2_entry_data
from tests.support.helpers import free_port

SERIAL = "1234567890"
WRONG_PASSWORD = "Wrong-Pass-1!"  # noqa: S105
OLD_PASSWORD = "Old-Password-1!"  # noqa: S105
FLOW = "custom_components.micboard.flows.sennheiser_ssc2"

pytestmark = pytest.mark.usefixtures("socket_enabled", "no_setup", "translated")


def existing(sim: Ssc2Simulator, **overrides: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN, title="EWDXEM", data=ssc2_entry_data(sim, **overrides), unique_id=SERIAL
    )


def address(sim: Ssc2Simulator, password: str | None = None) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": sim.port, "password": password or sim.password}


async def user_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "sennheiser_ssc2" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "sennheiser_ssc2"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sennheiser_ssc2"
    assert result["errors"] == {}
    return result["flow_id"]


def discovery(*addresses: str, preferred: str | None = None) -> ZeroconfServiceInfo:
    ips = [ip_address(item) for item in addresses]
    return ZeroconfServiceInfo(
        ip_address=ip_address(preferred) if preferred else ips[-1],
        ip_addresses=ips,
        port=45,
        hostname="EWDX-1234567890.local.",
        type="_ssc._udp.local.",
        name="EW-DX EM 2 1234567890._ssc._udp.local.",
        properties={},
    )


# -- user -----------------------------------------------------------------------------------------


async def test_user_flow_shows_the_fingerprint_before_sending_the_password(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    flow_id = await user_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sennheiser_ssc2_confirm"
    assert result["description_placeholders"] == {
        "model": "EW-DX EM 2",
        "serial": SERIAL,
        "host": "127.0.0.1",
        "fingerprint": sim.fingerprint,
    }
    assert sim.auth_attempts == 0  # identified without the password

    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "EWDXEM"
    assert result["result"].unique_id == SERIAL
    assert result["data"] == ssc2_entry_data(sim)
    assert sim.failed_logins == 0


async def test_user_flow_cannot_connect_then_recovers(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    flow_id = await user_form(hass)
    closed_port = free_port()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**address(sim), "port": closed_port}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["step_id"] == "sennheiser_ssc2_confirm"


async def test_user_flow_unsupported_device(hass: HomeAssistant, sim: Ssc2Simulator) -> None:
    sim.state.product_code = "TCCM"
    flow_id = await user_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["errors"] == {"base": "unsupported_device"}


async def test_user_flow_duplicate_aborts(hass: HomeAssistant, sim: Ssc2Simulator) -> None:
    existing(sim).add_to_hass(hass)
    flow_id = await user_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_wrong_password_is_tried_once_per_submit(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    flow_id = await user_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim, WRONG_PASSWORD))
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sennheiser_ssc2"
    assert result["errors"] == {"base": "invalid_auth"}
    assert (sim.auth_attempts, sim.failed_logins) == (1, 1)

    # The certificate was confirmed already: the corrected password goes straight through.
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sim.failed_logins == 1


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("access", "third_party_access"),
        ("busy", "device_busy"),
        ("certificate", "certificate_changed"),
    ],
)
async def test_confirm_errors(
    hass: HomeAssistant, sim: Ssc2Simulator, fault: str, error: str
) -> None:
    flow_id = await user_form(hass)
    await hass.config_entries.flow.async_configure(flow_id, address(sim))
    if fault == "access":
        sim.set_third_party_access(False)
    elif fault == "busy":
        sim.set_busy(True)
    else:
        await sim.change_certificate()
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sennheiser_ssc2_confirm"
    assert result["errors"] == {"base": error}


# -- zeroconf -------------------------------------------------------------------------------------


async def test_zeroconf_identifies_then_asks_for_the_password(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    with patch(f"{FLOW}.DISCOVERY_PORT", sim.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_ZEROCONF},
            data=discovery("169.254.10.10", "127.0.0.1"),
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "sennheiser_ssc2_discovery"
        assert result["description_placeholders"]["fingerprint"] == sim.fingerprint
        flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert flows[0]["context"]["title_placeholders"] == {"name": f"EW-DX EM 2 ({SERIAL})"}

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"password": WRONG_PASSWORD}
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"password": sim.password}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["host"] == "127.0.0.1"
    assert result["data"]["port"] == sim.port
    assert result["data"]["fingerprint"] == sim.fingerprint


async def test_zeroconf_updates_the_host_of_a_known_receiver(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    entry = existing(sim, host="192.0.2.7")
    entry.add_to_hass(hass)
    with patch(f"{FLOW}.DISCOVERY_PORT", sim.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=discovery("127.0.0.1")
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data["host"] == "127.0.0.1"


async def test_zeroconf_of_a_configured_address_contacts_nothing(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    existing(sim).add_to_hass(hass)
    with patch(f"{FLOW}.DISCOVERY_PORT", sim.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=discovery("127.0.0.1")
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert sim.connections == 0


async def test_zeroconf_of_a_device_without_sscv2(hass: HomeAssistant, sim: Ssc2Simulator) -> None:
    """Neither SSCv2 nor (the fallback) SSC v1 answers: third-party access is off."""
    closed_port = free_port()
    with (
        patch(f"{FLOW}.DISCOVERY_PORT", closed_port),
        patch.object(SennheiserSsc1FlowSteps, "DISCOVERY_PORT", free_port("udp")),
        patch.object(SennheiserSsc1Plugin, "request_timeout", 0.1),
    ):
        result = await hass.config_entries.flow.async_init(
            # No IPv4 among the addresses: the preferred one is used as it is.
            DOMAIN,
            context={"source": SOURCE_ZEROCONF},
            data=discovery("::1", preferred="127.0.0.1"),
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_third_party_access"


# -- reauth ---------------------------------------------------------------------------------------


async def test_reauth_tries_each_new_password_once(hass: HomeAssistant, sim: Ssc2Simulator) -> None:
    entry = existing(sim, password=OLD_PASSWORD)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_sennheiser_ssc2"
    assert result["description_placeholders"] == {"name": "EWDXEM", "host": "127.0.0.1"}
    assert sim.auth_attempts == 0  # opening the form tries nothing

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": WRONG_PASSWORD}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert sim.failed_logins == 1
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": sim.password}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["password"] == sim.password
    assert sim.failed_logins == 1


# -- reconfigure ----------------------------------------------------------------------------------


async def test_reconfigure_to_a_new_address(hass: HomeAssistant, sim: Ssc2Simulator) -> None:
    entry = existing(sim, host="localhost")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_sennheiser_ssc2"
    closed_port = free_port()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": closed_port}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    assert result["step_id"] == "reconfigure_sennheiser_ssc2_confirm"
    assert result["description_placeholders"]["pinned"] == sim.fingerprint
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["host"] == "127.0.0.1"


async def test_reconfigure_refuses_another_receiver(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data=ssc2_entry_data(sim), unique_id="9999999999")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"


async def test_reconfigure_confirm_error(hass: HomeAssistant, sim: Ssc2Simulator) -> None:
    entry = existing(sim)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    sim.set_busy(True)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "device_busy"}


async def test_reconfigure_with_a_stale_password_asks_for_the_current_one(
    hass: HomeAssistant, sim: Ssc2Simulator
) -> None:
    entry = existing(sim, host="localhost", password=OLD_PASSWORD)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_sennheiser_ssc2_password"
    assert result["errors"] == {}
    assert sim.failed_logins == 1  # the stored password, once
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": WRONG_PASSWORD}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": sim.password}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == ssc2_entry_data(sim)
    assert sim.failed_logins == 2


# -- error mapping --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("err", "key"),
    [
        (InvalidAuth("x"), "invalid_auth"),
        (AccessDisabled("x", host="h"), "third_party_access"),
        (CertificateChanged("x", host="h", expected="a", received="b"), "certificate_changed"),
        (NeedsUserAction("x", host="h"), "protocol_error"),
        (DeviceBusy("x"), "device_busy"),
        (UnsupportedDevice("x"), "unsupported_device"),
        (CannotConnect("x"), "cannot_connect"),
        (ProtocolError("x"), "protocol_error"),
        (MicboardError("x"), "protocol_error"),
        (RuntimeError("bug"), "unknown"),
    ],
)
def test_error_keys(err: BaseException, key: str) -> None:
    assert _error_key(err) == key
