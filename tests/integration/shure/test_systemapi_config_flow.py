"""Config, reauth and reconfigure flows for a Shure System API server (against the simulator)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.flows.shure_systemapi import _error_key
from custom_components.micboard.plugins.errors import (
    CannotConnect,
    CertificateChanged,
    InvalidAuth,
    MicboardError,
    NeedsUserAction,
    ProtocolError,
    UnsupportedDevice,
)
from custom_components.micboard.plugins.net.tls import parse_fingerprint
from custom_components.micboard.plugins.shure.systemapi.client import NotSystemApi
from custom_components.micboard.plugins.shure.systemapi.plugin import server_id
from simulators.shure.systemapi import SystemApiSimulator
from tests.integration.entries import systemapi_entry_data
from tests.support.helpers import free_port
from tests.support.systemapi import running_simulator

pytestmark = pytest.mark.usefixtures("socket_enabled", "no_setup", "translated")

NEW_KEY = "regenerated-shared-secret"


@pytest.fixture
async def sim() -> AsyncGenerator[SystemApiSimulator]:
    async with running_simulator(devices=3) as simulator:
        yield simulator


def uid(sim: SystemApiSimulator) -> str:
    return server_id(parse_fingerprint(sim.fingerprint))


def existing(sim: SystemApiSimulator, **overrides: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Shure System API 127.0.0.1",
        data=systemapi_entry_data(sim, **overrides),
        unique_id=uid(sim),
    )


def address(sim: SystemApiSimulator, api_key: str | None = None) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": sim.port, "api_key": api_key or sim.api_key}


async def user_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "shure_systemapi" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "shure_systemapi"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "shure_systemapi"
    assert result["errors"] == {}
    return str(result["flow_id"])


# -- user -----------------------------------------------------------------------------------------


async def test_user_flow_shows_the_fingerprint_before_sending_the_key(
    hass: HomeAssistant, sim: SystemApiSimulator
) -> None:
    flow_id = await user_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "shure_systemapi_confirm"
    assert result["description_placeholders"] == {
        "host": "127.0.0.1",
        "port": str(sim.port),
        "fingerprint": sim.fingerprint,
    }
    # Only the keyless probe went out so far.
    assert (sim.missing_key_requests, sim.bad_key_requests, len(sim.requests)) == (1, 0, 1)

    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Shure System API 127.0.0.1"
    assert result["result"].unique_id == uid(sim)
    assert result["data"] == systemapi_entry_data(sim)


async def test_user_flow_cannot_connect_then_recovers(
    hass: HomeAssistant, sim: SystemApiSimulator
) -> None:
    flow_id = await user_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**address(sim), "port": free_port()}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["step_id"] == "shure_systemapi_confirm"


async def test_user_flow_refuses_another_https_server(
    hass: HomeAssistant, sim: SystemApiSimulator
) -> None:
    sim.require_key = False
    sim.override("GET", "/api/v1/devices", 404, {"title": "Not found"})
    flow_id = await user_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["errors"] == {"base": "not_systemapi"}


async def test_user_flow_duplicate_aborts(hass: HomeAssistant, sim: SystemApiSimulator) -> None:
    existing(sim).add_to_hass(hass)
    flow_id = await user_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_wrong_key_is_sent_once_per_submit(
    hass: HomeAssistant, sim: SystemApiSimulator
) -> None:
    flow_id = await user_form(hass)
    await hass.config_entries.flow.async_configure(flow_id, address(sim, "wrong-key"))
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "shure_systemapi"
    assert result["errors"] == {"base": "invalid_auth"}
    assert sim.bad_key_requests == 1

    # The certificate was confirmed already: the corrected key goes straight through.
    result = await hass.config_entries.flow.async_configure(flow_id, address(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sim.bad_key_requests == 1


@pytest.mark.parametrize(
    ("fault", "error"), [("certificate", "certificate_changed"), ("500", "protocol_error")]
)
async def test_confirm_errors(
    hass: HomeAssistant, sim: SystemApiSimulator, fault: str, error: str
) -> None:
    flow_id = await user_form(hass)
    await hass.config_entries.flow.async_configure(flow_id, address(sim))
    if fault == "certificate":
        await sim.change_certificate()
    else:
        sim.override("GET", "/api/v1/devices", 500)
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "shure_systemapi_confirm"
    assert result["errors"] == {"base": error}


# -- reauth ---------------------------------------------------------------------------------------


async def test_reauth_tries_each_new_key_once(hass: HomeAssistant, sim: SystemApiSimulator) -> None:
    entry = existing(sim, api_key="old-key")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_shure_systemapi"
    assert result["description_placeholders"] == {
        "name": "Shure System API 127.0.0.1",
        "host": "127.0.0.1",
    }
    assert sim.requests == []  # opening the form tries nothing

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"api_key": "nope"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": f" {sim.api_key} "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["api_key"] == sim.api_key
    assert sim.bad_key_requests == 1


# -- reconfigure ----------------------------------------------------------------------------------


async def test_reconfigure_to_a_new_address(hass: HomeAssistant, sim: SystemApiSimulator) -> None:
    entry = existing(sim, host="localhost")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_shure_systemapi"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": free_port()}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    # The pinned certificate answers at the new address: no confirmation needed.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == systemapi_entry_data(sim)


async def test_reconfigure_with_a_stale_key_asks_for_the_current_one(
    hass: HomeAssistant, sim: SystemApiSimulator
) -> None:
    entry = existing(sim, host="localhost", api_key="old-key")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_shure_systemapi_key"
    assert result["errors"] == {}
    assert sim.bad_key_requests == 1  # the stored key, once
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"api_key": "nope"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": sim.api_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == systemapi_entry_data(sim)
    assert sim.bad_key_requests == 2


async def test_reconfigure_same_certificate_other_error(
    hass: HomeAssistant, sim: SystemApiSimulator
) -> None:
    entry = existing(sim)
    entry.add_to_hass(hass)
    # The keyless probe still gets its 401 (overrides come after the key check).
    sim.override("GET", "/api/v1/devices", 503)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    assert result["step_id"] == "reconfigure_shure_systemapi"
    assert result["errors"] == {"base": "protocol_error"}


async def test_reconfigure_to_a_new_certificate(
    hass: HomeAssistant, sim: SystemApiSimulator
) -> None:
    entry = existing(sim)
    entry.add_to_hass(hass)
    pinned = sim.fingerprint
    await sim.change_certificate()
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    assert result["step_id"] == "reconfigure_shure_systemapi_confirm"
    assert result["description_placeholders"] == {
        "host": "127.0.0.1",
        "port": str(sim.port),
        "fingerprint": sim.fingerprint,
        "pinned": pinned,
    }
    sim.override("GET", "/api/v1/devices", 500, times=1)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "protocol_error"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["fingerprint"] == sim.fingerprint
    assert entry.unique_id == uid(sim)


async def test_reconfigure_to_a_server_that_refuses_the_key(
    hass: HomeAssistant, sim: SystemApiSimulator
) -> None:
    entry = existing(sim)
    entry.add_to_hass(hass)
    await sim.change_certificate()
    sim.api_key = NEW_KEY
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "systemapi_wrong_server"
    assert entry.data["fingerprint"] != sim.fingerprint


async def test_reconfigure_onto_another_entrys_server(
    hass: HomeAssistant, sim: SystemApiSimulator
) -> None:
    async with running_simulator() as other:
        entry = existing(other)
        entry.add_to_hass(hass)
        existing(sim).add_to_hass(hass)
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"host": "127.0.0.1", "port": sim.port}
        )
        assert result["step_id"] == "reconfigure_shure_systemapi_confirm"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# -- error mapping --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("err", "key"),
    [
        (InvalidAuth("x"), "invalid_auth"),
        (CertificateChanged("x", host="h", expected="a", received="b"), "certificate_changed"),
        (NeedsUserAction("x", host="h"), "protocol_error"),
        (NotSystemApi("x"), "not_systemapi"),
        (UnsupportedDevice("x"), "unsupported_device"),
        (CannotConnect("x"), "cannot_connect"),
        (ProtocolError("x"), "protocol_error"),
        (MicboardError("x"), "protocol_error"),
        (RuntimeError("bug"), "unknown"),
    ],
)
def test_error_keys(err: BaseException, key: str) -> None:
    assert _error_key(err) == key
