"""Config-flow steps for the Sennheiser UDP protocols: SSC v1 (UDP 45) and ew G3/G4 MCP.

Both ask only for the address and port (prefilled with the protocol's default) and test the
connection before an entry exists. SSC v1 devices are identified by serial, so re-adding a
device that moved to a new address updates the existing entry, and reconfiguration refuses
a different device. MCP reports no serial: its entry keeps the identity it was created with
(``device_id``), and an address already used by another entry is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.const import CONF_DEVICE_ID, CONF_HOST, CONF_PORT
import probatio as vol

from ..const import CONF_MANUFACTURER
from ..plugins.sennheiser.mcp.plugin import (
    DEFAULT_PORT as MCP_PORT,
    SennheiserMcpPlugin,
    device_id_for,
)
from ..plugins.sennheiser.ssc1.plugin import (
    DEFAULT_PORT as SSC1_PORT,
    SennheiserSsc1Plugin,
)
from .base import MicboardFlowBase, address_fields

SSC1 = SennheiserSsc1Plugin.manufacturer_code
MCP = SennheiserMcpPlugin.manufacturer_code


def _schema(host: str | None, port: int) -> vol.Schema:
    return vol.Schema(address_fields(host, port))


def _address(user_input: Mapping[str, Any]) -> dict[str, Any]:
    return {CONF_HOST: str(user_input[CONF_HOST]).strip(), CONF_PORT: int(user_input[CONF_PORT])}


class _SennheiserUdpFlow(MicboardFlowBase):
    """Shared helpers (parameters passed explicitly: both subclasses end up in one class)."""

    def _address_in_use(self, address: Mapping[str, Any], exclude: str | None = None) -> bool:
        return any(
            entry.entry_id != exclude
            and entry.data.get(CONF_HOST) == address[CONF_HOST]
            and entry.data.get(CONF_PORT) == address[CONF_PORT]
            for entry in self._async_current_entries(include_ignore=False)
        )

    def _form(
        self,
        step_id: str,
        default_port: int,
        user_input: Mapping[str, Any] | None,
        errors: dict[str, str],
        entry: ConfigEntry | None = None,
    ) -> ConfigFlowResult:
        host = entry.data.get(CONF_HOST) if entry is not None else None
        port = int(entry.data.get(CONF_PORT, default_port)) if entry is not None else default_port
        schema = self.add_suggested_values_to_schema(_schema(host, port), user_input)
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "default_port": str(default_port),
                "name": entry.title if entry is not None else "",
            },
        )


class SennheiserSsc1FlowSteps(_SennheiserUdpFlow):
    """EW-DX in Legacy mode (and older firmware), SpeechLine DW: SSC v1 on UDP 45."""

    MENU_OPTION: ClassVar[str | None] = SSC1
    #: Port a discovered device is probed on (the protocol's; tests point it at a simulator).
    DISCOVERY_PORT: ClassVar[int] = SSC1_PORT
    _ssc1_discovered: tuple[str, dict[str, Any]] | None = None

    async def async_ssc1_discovered(self, host: str) -> ConfigFlowResult:
        """An ``_ssc`` announcement that did not answer SSCv2: try SSC v1 (Legacy mode).

        Called by the zeroconf step once HTTPS failed, so an EW-DX with third-party access
        set to Legacy is offered with the protocol it actually speaks.
        """
        address = {CONF_HOST: host, CONF_PORT: self.DISCOVERY_PORT}
        data = {CONF_MANUFACTURER: SSC1, **address}
        unique_id, title, _errors = await self.async_test_connection(data)
        if unique_id is None:
            return self.async_abort(reason="no_third_party_access")
        await self.async_set_unique_id(unique_id)
        self._abort_if_unique_id_configured(updates=address)
        self._ssc1_discovered = (title or host, data)
        self.context["title_placeholders"] = {"name": title or host}
        return await self.async_step_sennheiser_ssc1_discovery()

    async def async_step_sennheiser_ssc1_discovery(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm a discovered SSC v1 receiver (it has no password to ask for)."""
        assert self._ssc1_discovered is not None  # noqa: S101  set by async_ssc1_discovered
        title, data = self._ssc1_discovered
        if user_input is not None:
            return self.async_create_entry(title=title, data=data)
        self._set_confirm_only()
        return self.async_show_form(
            step_id="sennheiser_ssc1_discovery",
            description_placeholders={"name": title, "host": str(data[CONF_HOST])},
        )

    async def async_step_sennheiser_ssc1(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Address and port of the receiver."""
        errors: dict[str, str] = {}
        if user_input is not None:
            address = _address(user_input)
            if self._address_in_use(address):
                return self.async_abort(reason="already_configured")
            data = {CONF_MANUFACTURER: SSC1, **address}
            unique_id, title, errors = await self.async_test_connection(data)
            if unique_id is not None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_configured(updates=address)
                return self.async_create_entry(title=title or address[CONF_HOST], data=data)
        return self._form("sennheiser_ssc1", SSC1_PORT, user_input, errors)

    async def async_step_reconfigure_sennheiser_ssc1(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New address of the same receiver (checked by serial)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            address = _address(user_input)
            unique_id, _title, errors = await self.async_test_connection(
                {CONF_MANUFACTURER: SSC1, **address}
            )
            if unique_id is not None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self.async_update_reload_and_abort(entry, data_updates=address)
        return self._form("reconfigure_sennheiser_ssc1", SSC1_PORT, user_input, errors, entry)


class SennheiserMcpFlowSteps(_SennheiserUdpFlow):
    """ew G3/G4 300-500 receivers: MCP on UDP 53212."""

    MENU_OPTION: ClassVar[str | None] = MCP

    async def async_step_sennheiser_mcp(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Address and port of the receiver."""
        errors: dict[str, str] = {}
        if user_input is not None:
            address = _address(user_input)
            if self._address_in_use(address):
                return self.async_abort(reason="already_configured")
            device_id = device_id_for(address[CONF_HOST], address[CONF_PORT])
            data = {CONF_MANUFACTURER: MCP, **address, CONF_DEVICE_ID: device_id}
            unique_id, title, errors = await self.async_test_connection(data)
            if unique_id is not None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=title or address[CONF_HOST], data=data)
        return self._form("sennheiser_mcp", MCP_PORT, user_input, errors)

    async def async_step_reconfigure_sennheiser_mcp(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New address; the entry keeps its identity (MCP has no serial to compare)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            address = _address(user_input)
            if self._address_in_use(address, exclude=entry.entry_id):
                return self.async_abort(reason="already_configured")
            unique_id, _title, errors = await self.async_test_connection({**entry.data, **address})
            if unique_id is not None:
                return self.async_update_reload_and_abort(entry, data_updates=address)
        return self._form("reconfigure_sennheiser_mcp", MCP_PORT, user_input, errors, entry)
