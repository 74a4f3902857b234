"""Device conditions on channel devices: battery below a percentage, transmitter on or off.

Like the triggers they read the live model, and they hold only on what is known: while the
entry is not loaded, the connection is down or the receiver is offline, every condition is
false (a transmitter is neither known to be on nor known to be off).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.const import CONF_CONDITION, CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.helpers.condition import ConditionCheckerType
from homeassistant.helpers.typing import ConfigType, TemplateVarsType
import probatio as vol

from .automation_rules import (
    CONDITION_BATTERY_BELOW,
    CONDITION_FEATURES,
    CONDITION_TRANSMITTER_OFF,
    CONDITION_TRANSMITTER_ON,
    CONF_PERCENT,
    battery_percent,
    is_known,
)
from .const import DOMAIN
from .placement import ChannelRef, micboard_channel_device, resolve_channel

DEFAULT_PERCENT = 25


def _require_percent(config: ConfigType) -> ConfigType:
    if config[CONF_TYPE] == CONDITION_BATTERY_BELOW and CONF_PERCENT not in config:
        raise vol.Invalid("is_battery_below needs percent")
    return config


CONDITION_SCHEMA = vol.All(
    cv.DEVICE_CONDITION_BASE_SCHEMA.extend(
        {
            vol.Required(CONF_TYPE): vol.In(list(CONDITION_FEATURES)),
            vol.Optional(CONF_PERCENT): vol.All(vol.Coerce(int), vol.Range(min=1, max=100)),
        }
    ),
    _require_percent,
)


async def async_validate_condition_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Check the schema and that the device is a Micboard channel."""
    config = CONDITION_SCHEMA(config)
    if micboard_channel_device(hass, config[CONF_DEVICE_ID]) is None:
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} is not a Micboard channel"
        )
    return config


async def async_get_conditions(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """Conditions of a channel device, for the features its channel reports."""
    if micboard_channel_device(hass, device_id) is None:
        return []
    ref = resolve_channel(hass, device_id)
    features = ref.channel.features if ref is not None and ref.channel is not None else None
    return [
        {
            CONF_CONDITION: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: condition_type,
        }
        for condition_type, needs in CONDITION_FEATURES.items()
        if features is None or not needs.isdisjoint(features)
    ]


async def async_get_condition_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """The battery condition asks for its threshold."""
    if config[CONF_TYPE] != CONDITION_BATTERY_BELOW:
        return {}
    return {
        "extra_fields": vol.Schema(
            {
                vol.Required(CONF_PERCENT, default=DEFAULT_PERCENT): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=1,
                        max=100,
                        step=1,
                        unit_of_measurement="%",
                        mode=selector.NumberSelectorMode.SLIDER,
                    )
                )
            }
        )
    }


def _holds(ref: ChannelRef, config: ConfigType) -> bool:
    channel = ref.channel
    if channel is None or not is_known(ref):
        return False
    condition_type = config[CONF_TYPE]
    if condition_type == CONDITION_TRANSMITTER_ON:
        return channel.transmitter is not None
    if condition_type == CONDITION_TRANSMITTER_OFF:
        return channel.transmitter is None
    percent = battery_percent(channel.transmitter)
    return percent is not None and percent < config[CONF_PERCENT]


@callback
def async_condition_from_config(hass: HomeAssistant, config: ConfigType) -> ConditionCheckerType:
    """A checker that looks the channel up at check time (entries reload, devices stay)."""
    device_id = config[CONF_DEVICE_ID]

    @callback
    def check(hass: HomeAssistant, variables: TemplateVarsType = None) -> bool:
        ref = resolve_channel(hass, device_id)
        return ref is not None and _holds(ref, config)

    return check
