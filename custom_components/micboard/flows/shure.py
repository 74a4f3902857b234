"""Config-flow steps for Shure receivers (command strings on port 2202).

The user gives a host (and a port, 2202 unless a NAT says otherwise); the device is connected
to and identified before anything is stored, so the entry records what answered: its family's
transport (TCP, or UDP for UHF-R) and its receiver id. SLP discovery arrives here too, as an
``integration_discovery`` flow that is probed the same way before it is offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.helpers.typing import DiscoveryInfoType
import probatio as vol

from ..const import CONF_MANUFACTURER, CONF_RECEIVER_ID, CONF_TRANSPORT, LOGGER
from ..plugins.errors import (
    CannotConnect,
    MicboardError,
    UnsupportedDevice,
)
from ..plugins.shure.commands.identify import (
    NotShureReceiver,
    is_host_derived,
)
from ..plugins.shure.commands.plugin import (
    DEFAULT_PORT,
    ShureCommandsOptions,
    ShureCommandsPlugin,
)
from .base import MicboardFlowBase, address_fields

SHURE = ShureCommandsPlugin.manufacturer_code
STEP_CONFIRM = f"discovery_confirm_{SHURE}"


@dataclass(frozen=True, slots=True)
class ShureFound:
    """A probed device: what the entry will store."""

    unique_id: str
    title: str
    model: str
    data: dict[str, Any]


async def probe_shure(host: str, port: int) -> ShureFound:
    """Connect, identify and disconnect (no metering is started)."""
    plugin = ShureCommandsPlugin(ShureCommandsOptions(host=host, port=port))
    try:
        identity = await plugin.probe()
    finally:
        await plugin.close()
    return ShureFound(
        unique_id=identity.unique_id,
        title=plugin.display_name,
        model=identity.model,
        data={
            CONF_MANUFACTURER: SHURE,
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_TRANSPORT: identity.dialect.transport,
            CONF_RECEIVER_ID: identity.unique_id,
        },
    )


def _schema(host: str | None = None, port: int = DEFAULT_PORT) -> vol.Schema:
    return vol.Schema(address_fields(host, port))


class ShureFlowSteps(MicboardFlowBase):
    """A Shure receiver: added by address or discovered over SLP."""

    MENU_OPTION: ClassVar[str | None] = SHURE
    _shure_found: ShureFound | None = None

    async def _async_probe_shure(
        self, user_input: Mapping[str, Any]
    ) -> tuple[ShureFound | None, dict[str, str]]:
        """Probe; on failure the form error that says what is wrong."""
        host = str(user_input[CONF_HOST]).strip()
        port = int(user_input.get(CONF_PORT) or DEFAULT_PORT)
        try:
            return await probe_shure(host, port), {}
        except NotShureReceiver:
            error = "not_shure_receiver"
        except UnsupportedDevice:
            error = "unsupported_device"
        except CannotConnect:
            error = "cannot_connect"
        except MicboardError:
            error = "protocol_error"
        except Exception:  # noqa: BLE001  a bug must end as a form error, not a crash
            LOGGER.exception("Unexpected error while probing a Shure device")
            error = "unknown"
        return None, {"base": error}

    async def async_step_shure_tcp(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Address of the receiver; the model and protocol are detected."""
        errors: dict[str, str] = {}
        if user_input is not None:
            found, errors = await self._async_probe_shure(user_input)
            if found is not None:
                await self.async_set_unique_id(found.unique_id)
                self._abort_if_unique_id_configured(
                    updates={CONF_HOST: found.data[CONF_HOST], CONF_PORT: found.data[CONF_PORT]}
                )
                return self.async_create_entry(title=found.title, data=found.data)
        return self.async_show_form(
            step_id=SHURE,
            data_schema=self.add_suggested_values_to_schema(_schema(), user_input),
            errors=errors,
        )

    async def async_step_reconfigure_shure_tcp(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the entry to a new address; it must still be the same device."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            found, errors = await self._async_probe_shure(user_input)
            if found is not None:
                updates = {key: found.data[key] for key in (CONF_HOST, CONF_PORT, CONF_TRANSPORT)}
                current = entry.unique_id or ""
                if is_host_derived(current) and is_host_derived(found.unique_id):
                    # A device without a device id (UHF-R) is known by model@address: moving
                    # it changes that id, so only the model has to match.
                    if current.split("@")[0] != found.unique_id.split("@")[0]:
                        return self.async_abort(reason="wrong_device")
                    return self.async_update_reload_and_abort(
                        entry, unique_id=found.unique_id, data_updates=updates
                    )
                await self.async_set_unique_id(found.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self.async_update_reload_and_abort(entry, data_updates=updates)
        return self.async_show_form(
            step_id=f"reconfigure_{SHURE}",
            data_schema=_schema(
                entry.data[CONF_HOST], int(entry.data.get(CONF_PORT, DEFAULT_PORT))
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def async_step_integration_discovery(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
        """An SLP announcement: probe the device before offering it."""
        if discovery_info.get(CONF_MANUFACTURER) != SHURE:
            return await super().async_step_integration_discovery(discovery_info)
        host = str(discovery_info[CONF_HOST])
        self._async_abort_entries_match({CONF_HOST: host})
        found, errors = await self._async_probe_shure(discovery_info)
        if found is None:
            return self.async_abort(reason=errors["base"])
        await self.async_set_unique_id(found.unique_id)
        self._abort_if_unique_id_configured(
            updates={CONF_HOST: found.data[CONF_HOST], CONF_PORT: found.data[CONF_PORT]}
        )
        self._shure_found = found
        self.context["title_placeholders"] = {"name": found.title}
        return await self.async_step_discovery_confirm_shure_tcp()

    async def async_step_discovery_confirm_shure_tcp(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before adding a discovered receiver."""
        found = self._shure_found
        if found is None:
            return self.async_abort(reason="cannot_connect")
        if user_input is not None:
            return self.async_create_entry(title=found.title, data=found.data)
        self._set_confirm_only()
        return self.async_show_form(
            step_id=STEP_CONFIRM,
            description_placeholders={
                "name": found.title,
                "model": found.model,
                "host": str(found.data[CONF_HOST]),
            },
        )
