"""Config, options and reconfigure flows.

Step ``user`` is a menu of the protocols this version speaks; each protocol's steps live in
``flows/<protocol>.py`` and ask only what that protocol needs, and every step tests the
connection before an entry exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.core import callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import probatio as vol

from .const import (
    CONF_LOW_BATTERY_MINUTES,
    CONF_LOW_BATTERY_PERCENT,
    CONF_MANUFACTURER,
    CONF_METER_INTERVAL,
    DEFAULT_METER_INTERVAL,
    DOMAIN,
    MAX_METER_INTERVAL,
    MIN_METER_INTERVAL,
)
from .coordinator import MicboardConfigEntry
from .flows.audio_technica import AudioTechnicaFlowSteps
from .flows.base import MicboardFlowBase
from .flows.demo import DemoFlowSteps
from .flows.sennheiser_ssc2 import SennheiserSsc2FlowSteps, discovered_host
from .flows.sennheiser_udp import SennheiserMcpFlowSteps, SennheiserSsc1FlowSteps
from .flows.shure import ShureFlowSteps
from .flows.shure_systemapi import ShureSystemApiFlowSteps
from .plugins.status import DEFAULT_LOW_BATTERY_MINUTES, DEFAULT_LOW_BATTERY_PERCENT

#: Protocol step classes, in menu order.
PROTOCOL_STEPS: tuple[type[MicboardFlowBase], ...] = (
    DemoFlowSteps,
    ShureFlowSteps,
    ShureSystemApiFlowSteps,
    SennheiserSsc2FlowSteps,
    SennheiserSsc1FlowSteps,
    SennheiserMcpFlowSteps,
    AudioTechnicaFlowSteps,
)


class MicboardConfigFlow(
    DemoFlowSteps,
    SennheiserSsc2FlowSteps,
    SennheiserSsc1FlowSteps,
    SennheiserMcpFlowSteps,
    AudioTechnicaFlowSteps,
    ShureFlowSteps,
    ShureSystemApiFlowSteps,
    domain=DOMAIN,
):
    """Add a rack, receiver or API server."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: MicboardConfigEntry) -> MicboardOptionsFlow:
        """Options: meter interval and low-battery thresholds."""
        return MicboardOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick what to add."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[str(steps.MENU_OPTION) for steps in PROTOCOL_STEPS],
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how an entry connects, with the form of its protocol."""
        manufacturer = self._get_reconfigure_entry().data[CONF_MANUFACTURER]
        step = getattr(self, f"async_step_reconfigure_{manufacturer}")
        return cast("ConfigFlowResult", await step())

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """Sennheiser ``_ssc`` announcements: SSCv2 (Secure mode) first, else SSC v1 (Legacy)."""
        result = await SennheiserSsc2FlowSteps.async_step_zeroconf(self, discovery_info)
        if result["type"] is FlowResultType.ABORT and result["reason"] == "ssc2_not_available":
            return await self.async_ssc1_discovered(discovered_host(discovery_info))
        return result

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Credentials were rejected: ask again with the form of the entry's protocol."""
        step = getattr(self, f"async_step_reauth_{entry_data[CONF_MANUFACTURER]}", None)
        if step is None:  # a protocol without credentials has nothing to ask
            return self.async_abort(reason="reauth_not_supported")
        return cast("ConfigFlowResult", await step())


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
