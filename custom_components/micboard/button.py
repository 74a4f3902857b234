"""Buttons: identify a receiver (make it flash) so the crew finds it in the rack."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.button.const import ButtonDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import MicboardConfigEntry, MicboardCoordinator
from .entity import MicboardEntity, MicboardEntityDescription, setup_dynamic_entities
from .plugins.errors import (
    MicboardError,
    NotSupported,
)
from .plugins.model import (
    Channel,
    Receiver,
)

#: Pressing a button sends one request; several at once are fine.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MicboardButtonDescription(MicboardEntityDescription, ButtonEntityDescription):
    """A receiver button: woken with status changes, available while the receiver is reachable."""


IDENTIFY = MicboardButtonDescription(
    key="identify",
    device_class=ButtonDeviceClass.IDENTIFY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MicboardConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """An identify button for every receiver whose plugin can identify it."""
    await setup_dynamic_entities(
        entry,
        async_add_entities,
        lambda coordinator, receiver: (
            (IdentifyButton(coordinator, IDENTIFY, receiver.id),)
            if coordinator.plugin.can_identify(receiver.id)
            else ()
        ),
        _no_channel_buttons,
    )


def _no_channel_buttons(
    coordinator: MicboardCoordinator, receiver: Receiver, channel: Channel
) -> tuple[()]:
    """Identify is per receiver: the System API and most receivers flash the whole unit."""
    return ()


class IdentifyButton(MicboardEntity, ButtonEntity):
    """Asks the plugin to identify the receiver; works with any plugin that can."""

    entity_description: MicboardButtonDescription

    async def async_press(self) -> None:
        """Flash the receiver; errors are shown to the user, not swallowed."""
        receiver = self.receiver
        title = (receiver.name if receiver else None) or self.receiver_id
        try:
            await self.coordinator.plugin.identify(self.receiver_id, None)
        except NotSupported as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="identify_not_supported",
                translation_placeholders={"title": title},
            ) from err
        except MicboardError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="identify_failed",
                translation_placeholders={"title": title, "error": str(err)},
            ) from err
