"""Config-flow steps for Audio-Technica networked wireless receivers (ESW, System 20 PRO).

One receiver per entry: its address, the control port (17200, fixed on the hardware but
configurable for simulators and NAT), and where its status notifications arrive. The step
connects before the entry exists; the unique id is the one the plugin derives from the
receiver's model and device name, pinned in the entry data so a later rename keeps the
entities (see ``plugins/audio_technica/plugin.py``).

Method names here are prefixed by the protocol: the config flow class inherits from every
protocol's step class, so a generic name would override another protocol's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import probatio as vol

from ..const import CONF_DEVICE_UID, CONF_MANUFACTURER, CONF_NOTIFY_GROUP, CONF_NOTIFY_PORT
from ..plugins.audio_technica import (
    DEFAULT_PORT,
    AudioTechnicaPlugin,
    DeviceBusy,
    SessionInUse,
)
from ..plugins.audio_technica.notifications import (
    DEFAULT_NOTIFY_GROUP,
    DEFAULT_NOTIFY_PORT,
    is_multicast,
)
from .base import MicboardFlowBase, errors_for, probe

AUDIO_TECHNICA = AudioTechnicaPlugin.manufacturer_code
MAX_PORT = 65535


def _port_selector(minimum: int) -> selector.NumberSelector:
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=minimum, max=MAX_PORT, step=1, mode=selector.NumberSelectorMode.BOX
        )
    )


SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): selector.TextSelector(),
        vol.Required(CONF_PORT, default=DEFAULT_PORT): _port_selector(1),
        vol.Required(CONF_NOTIFY_PORT, default=DEFAULT_NOTIFY_PORT): _port_selector(0),
        # Optional without a default, so clearing it really means "no multicast group".
        vol.Optional(CONF_NOTIFY_GROUP): selector.TextSelector(),
    }
)


def _data(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Entry data from the form, or the field errors."""
    group = str(user_input.get(CONF_NOTIFY_GROUP) or "").strip()
    if group and not is_multicast(group):
        return {}, {CONF_NOTIFY_GROUP: "invalid_multicast"}
    return {
        CONF_MANUFACTURER: AUDIO_TECHNICA,
        CONF_HOST: str(user_input[CONF_HOST]).strip(),
        CONF_PORT: int(user_input[CONF_PORT]),
        CONF_NOTIFY_PORT: int(user_input[CONF_NOTIFY_PORT]),
        CONF_NOTIFY_GROUP: group,
    }, {}


def _running_plugin(
    entry: ConfigEntry | None, data: Mapping[str, Any]
) -> AudioTechnicaPlugin | None:
    """The plugin of a loaded entry that talks to the same address, if any."""
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return None
    if (entry.data[CONF_HOST], entry.data[CONF_PORT]) != (data[CONF_HOST], data[CONF_PORT]):
        return None
    plugin = entry.runtime_data.plugin
    return plugin if isinstance(plugin, AudioTechnicaPlugin) else None


class AudioTechnicaFlowSteps(MicboardFlowBase):
    """An ESW or System 20 PRO receiver, identified by its model and device name."""

    MENU_OPTION: ClassVar[str | None] = AUDIO_TECHNICA

    async def _audio_technica_probe(
        self, user_input: Mapping[str, Any], entry: ConfigEntry | None = None
    ) -> tuple[dict[str, Any], str | None, str | None, dict[str, str]]:
        """Validate and connect: (data, unique id, title, errors).

        A loaded ``entry`` already holding the receiver's only session at the same address
        answers for it; a second connection would be refused.
        """
        data, errors = _data(user_input)
        if errors:
            return data, None, None, errors
        running = _running_plugin(entry, data)
        if running is not None and running.device_identity is not None:
            return data, running.device_identity, running.display_name, {}
        try:
            unique_id, title = await probe(data, async_get_clientsession(self.hass))
        except SessionInUse:
            return data, None, None, {"base": "session_in_use"}
        except DeviceBusy:
            return data, None, None, {"base": "device_busy"}
        except Exception as err:  # noqa: BLE001  every failure becomes a form error
            return data, None, None, errors_for(err)
        return data, unique_id, title, {}

    async def async_step_audio_technica(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Address of the receiver and where its notifications arrive."""
        errors: dict[str, str] = {}
        if user_input is not None:
            # The receiver serves one controller: an entry already connected to this address
            # would make the probe fail with "in use" rather than say what is wrong.
            self._async_abort_entries_match(
                {
                    CONF_MANUFACTURER: AUDIO_TECHNICA,
                    CONF_HOST: str(user_input[CONF_HOST]).strip(),
                    CONF_PORT: int(user_input[CONF_PORT]),
                }
            )
            data, unique_id, title, errors = await self._audio_technica_probe(user_input)
            if unique_id is not None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=title or data[CONF_HOST], data={**data, CONF_DEVICE_UID: unique_id}
                )
        return self.async_show_form(
            step_id="audio_technica",
            data_schema=self.add_suggested_values_to_schema(
                SCHEMA, user_input or {CONF_NOTIFY_GROUP: DEFAULT_NOTIFY_GROUP}
            ),
            errors=errors,
        )

    async def async_step_reconfigure_audio_technica(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New address or notification settings for the same receiver."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, unique_id, _title, errors = await self._audio_technica_probe(user_input, entry)
            if unique_id is not None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self.async_update_reload_and_abort(entry, data_updates=data)
        return self.async_show_form(
            step_id="reconfigure_audio_technica",
            data_schema=self.add_suggested_values_to_schema(SCHEMA, user_input or entry.data),
            errors=errors,
            description_placeholders={"name": entry.title},
        )
