"""Config-flow steps for a Shure System API server.

The server's certificate is self-signed, so the first contact only reads it (and checks,
without the key, that the server asks for one the way the System API does); the user then
confirms its SHA-256 fingerprint, and only then is the API key sent, pinned to that
certificate, once per submit. The certificate is also the server's identity (the unique id):
it is what the server presents whatever its address. When a reconfigured address shows another
certificate, a server that accepts this entry's key is the same installation (the key is
generated per installation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import probatio as vol

from ..const import CONF_FINGERPRINT, CONF_MANUFACTURER
from ..entry_data import shure_systemapi_options
from ..plugins.net.tls import (
    format_fingerprint,
)
from ..plugins.shure.systemapi.client import (
    DEFAULT_PORT,
    NotSystemApi,
    probe_server,
)
from ..plugins.shure.systemapi.plugin import ShureSystemApiPlugin, server_id
from .base import SECRET_SELECTOR, MicboardFlowBase, address_fields, error_key, form_errors

SYSTEMAPI = ShureSystemApiPlugin.manufacturer_code


@dataclass(frozen=True, slots=True)
class _Server:
    """A server whose certificate was read (and which asks for a key)."""

    host: str
    port: int
    fingerprint: bytes

    @property
    def fingerprint_text(self) -> str:
        return format_fingerprint(self.fingerprint)

    @property
    def unique_id(self) -> str:
        return server_id(self.fingerprint)

    def data(self, api_key: str) -> dict[str, Any]:
        return {
            CONF_MANUFACTURER: SYSTEMAPI,
            CONF_HOST: self.host,
            CONF_PORT: self.port,
            CONF_API_KEY: api_key,
            CONF_FINGERPRINT: self.fingerprint_text,
        }


def _error_key(err: BaseException) -> str:
    """Form error for a plugin error: this protocol's cases, then the common ones."""
    if isinstance(err, NotSystemApi):
        return "not_systemapi"
    return error_key(err)


class ShureSystemApiFlowSteps(MicboardFlowBase):
    """A Shure System API server: address, API key, certificate."""

    MENU_OPTION: ClassVar[str | None] = SYSTEMAPI

    _sapi_server: _Server | None = None
    _sapi_key: str = ""
    #: A fingerprint the user already confirmed in this flow (not asked twice on a retry).
    _sapi_trusted: bytes | None = None

    # -- shared helpers (prefixed: the protocol step classes are combined into one flow) ----

    async def _sapi_probe(self, user_input: Mapping[str, Any]) -> tuple[_Server | None, str | None]:
        """Certificate of the server at the address given, sending no key."""
        host, port = str(user_input[CONF_HOST]).strip(), int(user_input[CONF_PORT])
        try:
            fingerprint = await probe_server(async_get_clientsession(self.hass), host, port)
        except Exception as err:  # noqa: BLE001  every failure becomes a form error
            return None, _error_key(err)
        return _Server(host, port, fingerprint), None

    async def _sapi_validate(self, data: Mapping[str, Any]) -> str | None:
        """One pinned request with the key (the device list); the form error, if any."""
        plugin = ShureSystemApiPlugin(
            shure_systemapi_options(data), session=async_get_clientsession(self.hass)
        )
        try:
            await plugin.client().list_devices()
        except Exception as err:  # noqa: BLE001  every failure becomes a form error
            return _error_key(err)
        finally:
            await plugin.close()
        return None

    def _sapi_placeholders(self, server: _Server) -> dict[str, str]:
        return {
            "host": server.host,
            "port": str(server.port),
            "fingerprint": server.fingerprint_text,
        }

    def _sapi_user_form(
        self, user_input: Mapping[str, Any] | None, error: str | None
    ) -> ConfigFlowResult:
        schema = vol.Schema(
            {**address_fields(None, DEFAULT_PORT), vol.Required(CONF_API_KEY): SECRET_SELECTOR}
        )
        suggested = {k: v for k, v in (user_input or {}).items() if k != CONF_API_KEY}
        return self.async_show_form(
            step_id=SYSTEMAPI,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=form_errors(error),
        )

    # -- user ---------------------------------------------------------------------------------

    async def async_step_shure_systemapi(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Address and API key; the certificate is read without the key first."""
        if user_input is None:
            return self._sapi_user_form(None, None)
        server, error = await self._sapi_probe(user_input)
        if server is None:
            return self._sapi_user_form(user_input, error)
        await self.async_set_unique_id(server.unique_id)
        self._abort_if_unique_id_configured()
        self._sapi_server = server
        self._sapi_key = str(user_input[CONF_API_KEY]).strip()
        if server.fingerprint == self._sapi_trusted:
            return await self.async_step_shure_systemapi_confirm({})
        return await self.async_step_shure_systemapi_confirm()

    async def async_step_shure_systemapi_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the certificate fingerprint; on confirmation, try the key once."""
        server = self._sapi_server
        assert server is not None  # noqa: S101  set by the step before
        error: str | None = None
        if user_input is not None:
            self._sapi_trusted = server.fingerprint
            data = server.data(self._sapi_key)
            error = await self._sapi_validate(data)
            if error is None:
                return self.async_create_entry(
                    title=ShureSystemApiPlugin(shure_systemapi_options(data)).display_name,
                    data=data,
                )
            if error == "invalid_auth":
                return self._sapi_user_form({CONF_HOST: server.host, CONF_PORT: server.port}, error)
        return self.async_show_form(
            step_id=f"{SYSTEMAPI}_confirm",
            description_placeholders=self._sapi_placeholders(server),
            errors=form_errors(error),
        )

    # -- reauth -------------------------------------------------------------------------------

    async def async_step_reauth_shure_systemapi(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The server rejected the key: ask for the current one, try it once per submit."""
        entry = self._get_reauth_entry()
        error: str | None = None
        if user_input is not None:
            api_key = str(user_input[CONF_API_KEY]).strip()
            error = await self._sapi_validate({**entry.data, CONF_API_KEY: api_key})
            if error is None:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_API_KEY: api_key}
                )
        return self.async_show_form(
            step_id=f"reauth_{SYSTEMAPI}",
            data_schema=vol.Schema({vol.Required(CONF_API_KEY): SECRET_SELECTOR}),
            description_placeholders={"name": entry.title, "host": str(entry.data[CONF_HOST])},
            errors=form_errors(error),
        )

    # -- reconfigure --------------------------------------------------------------------------

    async def async_step_reconfigure_shure_systemapi(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New address for the same server; a new certificate is confirmed next."""
        entry = self._get_reconfigure_entry()
        error: str | None = None
        if user_input is not None:
            server, error = await self._sapi_probe(user_input)
            if server is not None:
                self._sapi_server = server
                if server.unique_id != entry.unique_id:
                    return await self.async_step_reconfigure_shure_systemapi_confirm()
                # The pinned certificate answered: the same server, at a new address.
                data = server.data(str(entry.data[CONF_API_KEY]))
                error = await self._sapi_validate(data)
                if error is None:
                    return self.async_update_reload_and_abort(entry, data_updates=data)
                if error == "invalid_auth":
                    return await self.async_step_reconfigure_shure_systemapi_key()
        return self.async_show_form(
            step_id=f"reconfigure_{SYSTEMAPI}",
            data_schema=vol.Schema(
                address_fields(str(entry.data[CONF_HOST]), int(entry.data[CONF_PORT]))
            ),
            description_placeholders={"name": entry.title},
            errors=form_errors(error),
        )

    async def async_step_reconfigure_shure_systemapi_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Another certificate than the pinned one: confirm it; the stored key must work."""
        entry = self._get_reconfigure_entry()
        server = self._sapi_server
        assert server is not None  # noqa: S101  set by the step before
        error: str | None = None
        if user_input is not None:
            await self.async_set_unique_id(server.unique_id)
            self._abort_if_unique_id_configured()
            data = server.data(str(entry.data[CONF_API_KEY]))
            error = await self._sapi_validate(data)
            if error is None:
                return self.async_update_reload_and_abort(
                    entry, unique_id=server.unique_id, data_updates=data
                )
            if error == "invalid_auth":
                return self.async_abort(reason="systemapi_wrong_server")
        return self.async_show_form(
            step_id=f"reconfigure_{SYSTEMAPI}_confirm",
            description_placeholders={
                **self._sapi_placeholders(server),
                "pinned": str(entry.data.get(CONF_FINGERPRINT, "")),
            },
            errors=form_errors(error),
        )

    async def async_step_reconfigure_shure_systemapi_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The pinned certificate answered but the stored key did not work: ask for it."""
        entry = self._get_reconfigure_entry()
        server = self._sapi_server
        assert server is not None  # noqa: S101  set by the address step
        error: str | None = None
        if user_input is not None:
            data = server.data(str(user_input[CONF_API_KEY]).strip())
            error = await self._sapi_validate(data)
            if error is None:
                return self.async_update_reload_and_abort(entry, data_updates=data)
        return self.async_show_form(
            step_id=f"reconfigure_{SYSTEMAPI}_key",
            data_schema=vol.Schema({vol.Required(CONF_API_KEY): SECRET_SELECTOR}),
            description_placeholders={"name": entry.title, "host": server.host},
            errors=form_errors(error),
        )
