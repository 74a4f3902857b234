"""Config, options and reconfigure flows.

Step ``user`` is a menu of the protocols this version speaks; each protocol has its own step
asking only what it needs, and every step tests the connection before an entry exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.const import CONF_NAME
from homeassistant.core import callback
from homeassistant.helpers import selector
import probatio as vol

from .const import (
    CONF_LOW_BATTERY_MINUTES,
    CONF_LOW_BATTERY_PERCENT,
    CONF_MANUFACTURER,
    CONF_METER_INTERVAL,
    DEFAULT_METER_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_METER_INTERVAL,
    MIN_METER_INTERVAL,
)
from .coordinator import MicboardConfigEntry
from .plugins import get_plugin
from .plugins.base import CannotConnect, InvalidAuth, MicboardError, UnsupportedDevice
from .plugins.demo import (
    CHANNEL_CHOICES,
    CONF_CHANNELS,
    CONF_RECEIVERS,
    MAX_RECEIVERS,
    DemoRackPlugin,
)
from .plugins.status import DEFAULT_LOW_BATTERY_MINUTES, DEFAULT_LOW_BATTERY_PERCENT

DEMO = DemoRackPlugin.manufacturer_code


def _demo_size_schema(receivers: int, channels: int) -> dict[vol.Marker, Any]:
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


def _demo_data(name: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
    return {
        CONF_MANUFACTURER: DEMO,
        CONF_NAME: name.strip(),
        CONF_RECEIVERS: int(user_input[CONF_RECEIVERS]),
        CONF_CHANNELS: int(user_input[CONF_CHANNELS]),
    }


async def probe(data: Mapping[str, Any]) -> tuple[str, str]:
    """Connect once with the entry data; return (unique id, title) or raise the plugin error."""
    plugin = get_plugin(data[CONF_MANUFACTURER])(data)
    try:
        await plugin.get_devices()
        return plugin.unique_id, plugin.title
    finally:
        await plugin.close()


class MicboardConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a rack, receiver or API server."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: MicboardConfigEntry) -> MicboardOptionsFlow:
        """Options: meter interval and low-battery thresholds."""
        return MicboardOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick what to add."""
        return self.async_show_menu(step_id="user", menu_options=[DEMO])

    async def _async_test(self, data: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
        """Probe the device; returns its unique id, or errors for the form."""
        try:
            unique_id, _title = await probe(data)
        except InvalidAuth:
            return None, {"base": "invalid_auth"}
        except UnsupportedDevice:
            return None, {"base": "unsupported_device"}
        except CannotConnect:
            return None, {"base": "cannot_connect"}
        except MicboardError:
            return None, {"base": "protocol_error"}
        except Exception:  # noqa: BLE001  any bug must end as an error on the form, not a crash
            LOGGER.exception("Unexpected error while testing the connection")
            return None, {"base": "unknown"}
        return unique_id, {}

    async def async_step_demo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A simulated rack: name and size."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _demo_data(user_input[CONF_NAME], user_input)
            unique_id, errors = await self._async_test(data)
            if unique_id is not None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=data[CONF_NAME], data=data)
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME, default="Demo rack"): selector.TextSelector(),
                **_demo_size_schema(4, 4),
            }
        )
        return self.async_show_form(
            step_id="demo",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how an entry connects, with the form of its protocol."""
        steps = {DEMO: self.async_step_reconfigure_demo}
        return await steps[self._get_reconfigure_entry().data[CONF_MANUFACTURER]]()

    async def async_step_reconfigure_demo(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Demo rack: change its size (its name is its identity)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _demo_data(entry.data[CONF_NAME], user_input)
            unique_id, errors = await self._async_test(data)
            if unique_id is not None:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self.async_update_reload_and_abort(entry, data_updates=data)
        schema = vol.Schema(
            _demo_size_schema(entry.data[CONF_RECEIVERS], entry.data[CONF_CHANNELS])
        )
        return self.async_show_form(
            step_id="reconfigure_demo",
            data_schema=schema,
            errors=errors,
            description_placeholders={"name": entry.title},
        )


class MicboardOptionsFlow(OptionsFlowWithReload):
    """Meter interval and what counts as a low battery."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Single options form; the entry reloads with the new values."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_METER_INTERVAL: float(user_input[CONF_METER_INTERVAL]),
                    CONF_LOW_BATTERY_PERCENT: int(user_input[CONF_LOW_BATTERY_PERCENT]),
                    CONF_LOW_BATTERY_MINUTES: int(user_input[CONF_LOW_BATTERY_MINUTES]),
                }
            )
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_METER_INTERVAL,
                    default=options.get(CONF_METER_INTERVAL, DEFAULT_METER_INTERVAL),
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=MIN_METER_INTERVAL,
                        max=MAX_METER_INTERVAL,
                        step=0.1,
                        unit_of_measurement="s",
                        mode=selector.NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(
                    CONF_LOW_BATTERY_PERCENT,
                    default=options.get(CONF_LOW_BATTERY_PERCENT, DEFAULT_LOW_BATTERY_PERCENT),
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(min=0, max=100, step=1, unit_of_measurement="%")
                ),
                vol.Required(
                    CONF_LOW_BATTERY_MINUTES,
                    default=options.get(CONF_LOW_BATTERY_MINUTES, DEFAULT_LOW_BATTERY_MINUTES),
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=0,
                        max=600,
                        step=5,
                        unit_of_measurement="min",
                        mode=selector.NumberSelectorMode.BOX,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
