"""What device triggers and conditions share: their config, the device check, the listing.

Both are offered on channel devices only, listed by the features the channel reports (all
of them while the entry is not loaded), and validated the same way: a type, and for one type
a number (runtime minutes, battery percent) that the frontend asks for with a number field.
Each platform describes that number once (:class:`Threshold`); its schema, its check and its
form follow from the description, so a trigger and a condition cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
from homeassistant.helpers.typing import ConfigType
import probatio as vol

from .const import DOMAIN
from .placement import micboard_channel_device, resolve_channel
from .plugins.model import Feature

type ConfigSchema = Callable[[ConfigType], ConfigType]


@dataclass(frozen=True, kw_only=True)
class Threshold:
    """The number one trigger or condition type asks for: field, range, unit, default, form."""

    automation_type: str
    key: str
    maximum: int
    default: int
    unit: str
    mode: selector.NumberSelectorMode
    minimum: int = 1

    def require(self, config: ConfigType) -> ConfigType:
        """Reject a config of this type that lacks its number (the schema has it optional)."""
        if config[CONF_TYPE] == self.automation_type and self.key not in config:
            raise vol.Invalid(f"{self.automation_type} needs {self.key}")
        return config

    def capabilities(self, config: ConfigType) -> dict[str, vol.Schema]:
        """The form that asks for the number; nothing for the other types."""
        if config[CONF_TYPE] != self.automation_type:
            return {}
        field = selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=self.minimum,
                max=self.maximum,
                step=1,
                unit_of_measurement=self.unit,
                mode=self.mode,
            )
        )
        return {"extra_fields": vol.Schema({vol.Required(self.key, default=self.default): field})}


def automation_schema(base: vol.Schema, types: Iterable[str], threshold: Threshold) -> ConfigSchema:
    """``base`` with one of ``types`` and the number of ``threshold`` (required for its type)."""
    number = vol.All(vol.Coerce(int), vol.Range(min=threshold.minimum, max=threshold.maximum))
    extended = base.extend(
        {vol.Required(CONF_TYPE): vol.In(list(types)), vol.Optional(threshold.key): number}
    )
    schema: ConfigSchema = vol.All(extended, threshold.require)
    return schema


def validate_channel_config(
    hass: HomeAssistant, schema: ConfigSchema, config: ConfigType
) -> ConfigType:
    """Check ``config`` against ``schema`` and that its device is a Micboard channel."""
    config = schema(config)
    if micboard_channel_device(hass, config[CONF_DEVICE_ID]) is None:
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} is not a Micboard channel"
        )
    return config


def channel_automations(
    hass: HomeAssistant,
    device_id: str,
    features_by_type: Mapping[str, frozenset[Feature]],
    kind: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The triggers or conditions (``kind``) a device offers, in listing order.

    Only channel devices offer any; a type is offered when the channel reports one of the
    features it needs, and every type while the entry is not loaded (features unknown).
    """
    if micboard_channel_device(hass, device_id) is None:
        return []
    ref = resolve_channel(hass, device_id)
    features = ref.channel.features if ref is not None and ref.channel is not None else None
    return [
        {**kind, CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: automation_type}
        for automation_type, needs in features_by_type.items()
        if features is None or not needs.isdisjoint(features)
    ]
