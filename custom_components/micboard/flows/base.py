"""What every protocol's config-flow steps share: address fields, probing a device, form errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import aiohttp
from homeassistant.config_entries import ConfigFlow
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import probatio as vol

from ..const import LOGGER
from ..entry_data import create_plugin
from ..plugins.errors import (
    AccessDisabled,
    CannotConnect,
    CertificateChanged,
    InvalidAuth,
    MicboardError,
    UnsupportedDevice,
)


def address_fields(host: str | None, port: int) -> dict[vol.Marker, Any]:
    """Host and port fields (host pre-filled when known), as every network protocol asks."""
    return {
        vol.Required(CONF_HOST, default=host or vol.UNDEFINED): selector.TextSelector(),
        vol.Required(CONF_PORT, default=port): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=1, max=65535, step=1, mode=selector.NumberSelectorMode.BOX
            )
        ),
    }


#: A password or API key field (shown masked).
SECRET_SELECTOR = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)


def form_errors(error: str | None) -> dict[str, str]:
    """A form's ``errors`` for one base error key (or none)."""
    return {"base": error} if error else {}


async def probe(data: Mapping[str, Any], session: aiohttp.ClientSession) -> tuple[str, str]:
    """Connect once with the entry data; return (unique id, title) or raise the plugin error."""
    plugin = create_plugin(data, session=session)
    try:
        await plugin.get_devices()
        return plugin.stable_id, plugin.display_name
    finally:
        await plugin.close()


def error_key(err: BaseException) -> str:
    """Form error key for a failed probe; protocol steps handle their own cases first."""
    if isinstance(err, InvalidAuth):
        return "invalid_auth"
    if isinstance(err, CertificateChanged):
        return "certificate_changed"
    if isinstance(err, AccessDisabled):
        return "third_party_access"
    if isinstance(err, UnsupportedDevice):
        return "unsupported_device"
    if isinstance(err, CannotConnect):
        return "cannot_connect"
    if isinstance(err, MicboardError):
        return "protocol_error"
    LOGGER.exception("Unexpected error while testing the connection", exc_info=err)
    return "unknown"


def errors_for(err: BaseException) -> dict[str, str]:
    """Form errors for a failed probe."""
    return form_errors(error_key(err))


class MicboardFlowBase(ConfigFlow):
    """Base of the protocol step classes; not registered for a domain itself."""

    #: The step this class adds to the "what do you want to add" menu.
    MENU_OPTION: ClassVar[str | None] = None

    async def async_test_connection(
        self, data: Mapping[str, Any]
    ) -> tuple[str | None, str | None, dict[str, str]]:
        """Probe the device: (unique id, title, no errors), or (None, None, form errors)."""
        try:
            unique_id, title = await probe(data, async_get_clientsession(self.hass))
        except Exception as err:  # noqa: BLE001  any bug must end as an error on the form
            return None, None, errors_for(err)
        return unique_id, title, {}
