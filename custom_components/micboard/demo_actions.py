"""``micboard.set_demo_transmitter``: switch a simulated transmitter off or on from outside.

The Demo rack switches transmitters off and on by itself, at random. To try an automation, a
dashboard or the end-to-end test, people need to make it happen on purpose, as a performer
would: this action is that power button. It only drives the simulation through its public
``set_transmitter``; the change shows at the rack's next tick (a quarter of a second).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio as vol

from .const import ATTR_DEVICE_ID, DOMAIN
from .placement import resolve_channel
from .plugins.demo.plugin import DemoRackPlugin

SERVICE_SET_DEMO_TRANSMITTER = "set_demo_transmitter"
ATTR_POWER = "power"
ATTR_HOLD = "hold"
#: How long (simulated seconds, which run in real time) a transmitter switched off stays off
#: before the simulation may switch it on again by itself.
DEFAULT_HOLD_SECONDS = 120.0
MAX_HOLD_SECONDS = 3600.0

SET_DEMO_TRANSMITTER_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required(ATTR_POWER): cv.boolean,
        vol.Optional(ATTR_HOLD, default=DEFAULT_HOLD_SECONDS): vol.All(
            vol.Coerce(float), vol.Range(min=1.0, max=MAX_HOLD_SECONDS)
        ),
    }
)


async def _async_set_demo_transmitter(call: ServiceCall) -> None:
    device_id: str = call.data[ATTR_DEVICE_ID]
    ref = resolve_channel(call.hass, device_id)
    plugin = ref.coordinator.plugin if ref is not None else None
    if ref is None or not isinstance(plugin, DemoRackPlugin):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_demo_channel",
            translation_placeholders={"device_id": device_id},
        )
    number = next(
        n for n in range(1, plugin.receiver_count + 1) if plugin.receiver_id(n) == ref.receiver_id
    )
    plugin.set_transmitter(number, ref.index, on=call.data[ATTR_POWER], hold=call.data[ATTR_HOLD])


@callback
def async_setup_demo_actions(hass: HomeAssistant) -> None:
    """Register ``micboard.set_demo_transmitter``."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_DEMO_TRANSMITTER,
        _async_set_demo_transmitter,
        schema=SET_DEMO_TRANSMITTER_SCHEMA,
    )
