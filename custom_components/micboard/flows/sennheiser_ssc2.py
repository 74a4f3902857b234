"""Config-flow steps for Sennheiser EW-DX over SSCv2.

The device's certificate is self-signed, so the user is shown its SHA-256 fingerprint and
confirms it before the password is ever sent (trust on first use): the first contact only
reads the certificate and the public identity, and every request after it is pinned to that
fingerprint. The password is then checked with exactly one authenticated attempt per submit,
because an EW-DX locks out a client that keeps trying a wrong one.
"""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import IPv4Address
from typing import Any, ClassVar

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import probatio as vol

from ..const import CONF_FINGERPRINT, CONF_MANUFACTURER
from ..entry_data import ssc2_options
from ..plugins.sennheiser.ssc2.client import (
    DEFAULT_PORT,
    DeviceBusy,
    DeviceIdentity,
    probe_device,
)
from ..plugins.sennheiser.ssc2.plugin import SennheiserSsc2Plugin
from .base import SECRET_SELECTOR, MicboardFlowBase, address_fields, error_key, form_errors

SSC2 = SennheiserSsc2Plugin.manufacturer_code
#: Where a discovered receiver's API is: the ``_ssc`` announcement carries the port of SSC v1
#: (UDP 45), not that of the HTTPS API.
DISCOVERY_PORT = DEFAULT_PORT


def _error_key(err: BaseException) -> str:
    """Form error for a plugin error: this protocol's cases, then the common ones."""
    if isinstance(err, DeviceBusy):
        return "device_busy"
    return error_key(err)


def discovered_host(info: ZeroconfServiceInfo) -> str:
    """Prefer a routable IPv4 address; HTTPS to a link-local IPv6 address needs a scope."""
    for address in info.ip_addresses:
        if isinstance(address, IPv4Address) and not address.is_link_local:
            return str(address)
    return str(info.ip_address)


class SennheiserSsc2FlowSteps(MicboardFlowBase):
    """EW-DX receivers in "Secure" third-party mode: address, password, certificate."""

    MENU_OPTION: ClassVar[str | None] = SSC2

    _ssc2_identity: DeviceIdentity | None = None
    _ssc2_password: str = ""
    #: A fingerprint the user already confirmed in this flow (not asked twice on a retry).
    _ssc2_trusted: bytes | None = None

    # -- shared helpers (prefixed: the protocol step classes are combined into one flow) ----

    async def _ssc2_probe(self, host: str, port: int) -> tuple[DeviceIdentity | None, str | None]:
        """Certificate and public identity, sending no credentials."""
        try:
            return await probe_device(async_get_clientsession(self.hass), host, port), None
        except Exception as err:  # noqa: BLE001  every failure becomes a form error
            return None, _error_key(err)

    async def _ssc2_validate(self, data: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """One connection with the password, pinned to the fingerprint: (title, error)."""
        plugin = SennheiserSsc2Plugin(
            ssc2_options(data), session=async_get_clientsession(self.hass)
        )
        try:
            await plugin.get_devices()
        except Exception as err:  # noqa: BLE001  every failure becomes a form error
            return None, _error_key(err)
        finally:
            await plugin.close()
        return plugin.display_name, None

    def _ssc2_data(self, identity: DeviceIdentity, password: str) -> dict[str, Any]:
        return {
            CONF_MANUFACTURER: SSC2,
            CONF_HOST: identity.host,
            CONF_PORT: identity.port,
            CONF_PASSWORD: password,
            CONF_FINGERPRINT: identity.fingerprint_text,
        }

    def _ssc2_placeholders(self, identity: DeviceIdentity) -> dict[str, str]:
        return {
            "model": identity.model,
            "serial": identity.serial,
            "host": identity.host,
            "fingerprint": identity.fingerprint_text,
        }

    def _ssc2_user_form(
        self, user_input: Mapping[str, Any] | None, error: str | None
    ) -> ConfigFlowResult:
        schema = vol.Schema(
            {
                **address_fields(None, DEFAULT_PORT),
                vol.Required(CONF_PASSWORD): SECRET_SELECTOR,
            }
        )
        suggested = {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD}
        return self.async_show_form(
            step_id=SSC2,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=form_errors(error),
        )

    # -- user ---------------------------------------------------------------------------------

    async def async_step_sennheiser_ssc2(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Address and password; the device is identified without the password first."""
        if user_input is None:
            return self._ssc2_user_form(None, None)
        identity, error = await self._ssc2_probe(
            str(user_input[CONF_HOST]).strip(), int(user_input[CONF_PORT])
        )
        if identity is None:
            return self._ssc2_user_form(user_input, error)
        await self.async_set_unique_id(identity.serial)
        self._abort_if_unique_id_configured()
        self._ssc2_identity = identity
        self._ssc2_password = str(user_input[CONF_PASSWORD])
        if identity.fingerprint == self._ssc2_trusted:
            return await self.async_step_sennheiser_ssc2_confirm({})
        return await self.async_step_sennheiser_ssc2_confirm()

    async def async_step_sennheiser_ssc2_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the certificate fingerprint; on confirmation, check the password once."""
        identity = self._ssc2_identity
        assert identity is not None  # noqa: S101  set by the step before
        error: str | None = None
        if user_input is not None:
            self._ssc2_trusted = identity.fingerprint
            data = self._ssc2_data(identity, self._ssc2_password)
            title, error = await self._ssc2_validate(data)
            if error is None:
                return self.async_create_entry(title=title or identity.serial, data=data)
            if error == "invalid_auth":
                return self._ssc2_user_form(
                    {CONF_HOST: identity.host, CONF_PORT: identity.port}, error
                )
        return self.async_show_form(
            step_id=f"{SSC2}_confirm",
            description_placeholders=self._ssc2_placeholders(identity),
            errors=form_errors(error),
        )

    # -- zeroconf -----------------------------------------------------------------------------

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """An ``_ssc._udp``/``_ssc._tcp`` announcement: identify it before offering it."""
        host = discovered_host(discovery_info)
        # A receiver already configured at this address is not contacted at all.
        self._async_abort_entries_match({CONF_HOST: host})
        identity, _error = await self._ssc2_probe(host, DISCOVERY_PORT)
        if identity is None:
            return self.async_abort(reason="ssc2_not_available")
        await self.async_set_unique_id(identity.serial)
        self._abort_if_unique_id_configured(updates={CONF_HOST: host})
        self._ssc2_identity = identity
        self.context["title_placeholders"] = {"name": f"{identity.model} ({identity.serial})"}
        return await self.async_step_sennheiser_ssc2_discovery()

    async def async_step_sennheiser_ssc2_discovery(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A discovered receiver: confirm its certificate and enter its password."""
        identity = self._ssc2_identity
        assert identity is not None  # noqa: S101  set by the zeroconf step
        error: str | None = None
        if user_input is not None:
            data = self._ssc2_data(identity, str(user_input[CONF_PASSWORD]))
            title, error = await self._ssc2_validate(data)
            if error is None:
                return self.async_create_entry(title=title or identity.serial, data=data)
        return self.async_show_form(
            step_id=f"{SSC2}_discovery",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): SECRET_SELECTOR}),
            description_placeholders=self._ssc2_placeholders(identity),
            errors=form_errors(error),
        )

    # -- reauth -------------------------------------------------------------------------------

    async def async_step_reauth_sennheiser_ssc2(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The device rejected the password: ask for the new one, try it once per submit."""
        entry = self._get_reauth_entry()
        error: str | None = None
        if user_input is not None:
            password = str(user_input[CONF_PASSWORD])
            _title, error = await self._ssc2_validate({**entry.data, CONF_PASSWORD: password})
            if error is None:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_PASSWORD: password}
                )
        return self.async_show_form(
            step_id=f"reauth_{SSC2}",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): SECRET_SELECTOR}),
            description_placeholders={"name": entry.title, "host": str(entry.data[CONF_HOST])},
            errors=form_errors(error),
        )

    # -- reconfigure --------------------------------------------------------------------------

    async def async_step_reconfigure_sennheiser_ssc2(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New address (and, after a reset, a new certificate) for the same receiver."""
        entry = self._get_reconfigure_entry()
        error: str | None = None
        if user_input is not None:
            identity, error = await self._ssc2_probe(
                str(user_input[CONF_HOST]).strip(), int(user_input[CONF_PORT])
            )
            if identity is not None:
                await self.async_set_unique_id(identity.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                self._ssc2_identity = identity
                return await self.async_step_reconfigure_sennheiser_ssc2_confirm()
        return self.async_show_form(
            step_id=f"reconfigure_{SSC2}",
            data_schema=vol.Schema(
                address_fields(str(entry.data[CONF_HOST]), int(entry.data[CONF_PORT]))
            ),
            description_placeholders={"name": entry.title},
            errors=form_errors(error),
        )

    async def async_step_reconfigure_sennheiser_ssc2_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the certificate now presented (compared with the pinned one)."""
        entry = self._get_reconfigure_entry()
        identity = self._ssc2_identity
        assert identity is not None  # noqa: S101  set by the step before
        error: str | None = None
        if user_input is not None:
            updates = {
                CONF_HOST: identity.host,
                CONF_PORT: identity.port,
                CONF_FINGERPRINT: identity.fingerprint_text,
            }
            _title, error = await self._ssc2_validate({**entry.data, **updates})
            if error is None:
                return self.async_update_reload_and_abort(entry, data_updates=updates)
            if error == "invalid_auth":
                # Address and certificate are verified; only the stored password is stale.
                # Ask for the current one here rather than trying the old one again.
                return await self.async_step_reconfigure_sennheiser_ssc2_password()
        return self.async_show_form(
            step_id=f"reconfigure_{SSC2}_confirm",
            description_placeholders={
                **self._ssc2_placeholders(identity),
                "pinned": str(entry.data.get(CONF_FINGERPRINT, "")),
            },
            errors=form_errors(error),
        )

    async def async_step_reconfigure_sennheiser_ssc2_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The stored password was rejected during reconfiguration: ask for the current one."""
        entry = self._get_reconfigure_entry()
        identity = self._ssc2_identity
        assert identity is not None  # noqa: S101  set by the address step
        error: str | None = None
        if user_input is not None:
            data = self._ssc2_data(identity, str(user_input[CONF_PASSWORD]))
            _title, error = await self._ssc2_validate(data)
            if error is None:
                return self.async_update_reload_and_abort(entry, data_updates=data)
        return self.async_show_form(
            step_id=f"reconfigure_{SSC2}_password",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): SECRET_SELECTOR}),
            description_placeholders={"name": entry.title, "host": identity.host},
            errors=form_errors(error),
        )
