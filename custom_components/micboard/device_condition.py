"""Device conditions on channel devices: battery below a percentage, transmitter on or off.

Like the triggers they read the live model, and they hold only on what is known: while the
entry is not loaded, the connection is down or the receiver is offline, every condition is
false (a transmitter is neither known to be on nor known to be off).
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import CONF_CONDITION, CONF_DEVICE_ID, CONF_TYPE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.helpers.condition import ConditionCheckerType
from homeassistant.helpers.typing import ConfigType, TemplateVarsType
import probatio as vol

from .automation_config import (
    Threshold,
    automation_schema,
    channel_automations,
    validate_channel_config,
)
from .automation_rules import (
    CONDITION_BATTERY_BELOW,
    CONDITION_FEATURES,
    CONDITION_PREDICATES,
    CONF_PERCENT,
    is_known,
)
from .placement import ChannelRef, resolve_channel

#: The battery condition's threshold, in percent.
PERCENT_THRESHOLD = Threshold(
    automation_type=CONDITION_BATTERY_BELOW,
    key=CONF_PERCENT,
    maximum=100,
    default=25,
    unit="%",
    mode=selector.NumberSelectorMode.SLIDER,
)
CONDITION_SCHEMA = automation_schema(
    cv.DEVICE_CONDITION_BASE_SCHEMA, CONDITION_FEATURES, PERCENT_THRESHOLD
)


async def async_validate_condition_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Check the schema and that the device is a Micboard channel."""
    return validate_channel_config(hass, CONDITION_SCHEMA, config)


async def async_get_conditions(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """Conditions of a channel device, for the features its channel reports."""
    return channel_automations(hass, device_id, CONDITION_FEATURES, {CONF_CONDITION: "device"})


async def async_get_condition_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """The battery condition asks for its threshold."""
    return PERCENT_THRESHOLD.capabilities(config)


def _holds(ref: ChannelRef, config: ConfigType) -> bool:
    channel = ref.channel
    if channel is None or not is_known(ref):
        return False
    return CONDITION_PREDICATES[config[CONF_TYPE]](channel, ref, config)


@callback
def async_condition_from_config(hass: HomeAssistant, config: ConfigType) -> ConditionCheckerType:
    """A checker that looks the channel up at check time (entries reload, devices stay)."""
    device_id = config[CONF_DEVICE_ID]

    @callback
    def check(hass: HomeAssistant, variables: TemplateVarsType = None) -> bool:
        ref = resolve_channel(hass, device_id)
        return ref is not None and _holds(ref, config)

    return check
