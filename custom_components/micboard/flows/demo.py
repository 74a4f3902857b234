"""Config-flow steps for the Demo rack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.helpers import selector
import probatio as vol

from ..const import CONF_CHANNELS, CONF_MANUFACTURER, CONF_RECEIVERS
from ..plugins.demo.plugin import (
    CHANNEL_CHOICES,
    MAX_RECEIVERS,
    DemoRackPlugin,
)
from .base import MicboardFlowBase

DEMO = DemoRackPlugin.manufacturer_code


def _size_schema(receivers: int, channels: int) -> dict[vol.Marker, Any]:
    return {
        vol.Required(CONF_RECEIVERS, default=receivers): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=1, max=MAX_RECEIVERS, step=1, mode=selector.NumberSelectorMode.BOX
            )
        ),
        vol.Required(CONF_CHANNELS, default=str(channels)): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=[str(choice) for choice in CHANNEL_CHOICES],
                translation_key=CONF_CHANNELS,
            )
        ),
    }


def _data(name: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
    return {
        CONF_MANUFACTURER: DEMO,
        CONF_NAME: name.strip(),
        CONF_RECEIVERS: int(user_input[CONF_RECEIVERS]),
        CONF_CHANNELS: int(user_input[CONF_CHANNELS]),
    }


class DemoFlowSteps(MicboardFlowBase):
    """A simulated rack: its name is its identity, its size can be changed later."""

    MENU_OPTION: ClassVar[str | None] = DEMO

    async def async_step_demo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Name and size of the rack."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _data(user_input[CONF_NAME], user_input)
            unique_id, title, errors = await self.async_test_connection(data)
            if unique_id is not None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=title or data[CONF_NAME], data=data)
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME, default="Demo rack"): selector.TextSelector(),
                **_size_schema(4, 4),
            }
        )
        return self.async_show_form(
            step_id="demo",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def async_step_reconfigure_demo(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the size of the rack."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _data(entry.data[CONF_NAME], user_input)
            unique_id, _title, errors = await self.async_test_connection(data)
            if unique_id is not None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self.async_update_reload_and_abort(entry, data_updates=data)
        return self.async_show_form(
            step_id="reconfigure_demo",
            data_schema=vol.Schema(
                _size_schema(entry.data[CONF_RECEIVERS], entry.data[CONF_CHANNELS])
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )
