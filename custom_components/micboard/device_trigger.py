"""Device triggers on channel devices: battery, runtime, transmitter, RF and audio clipping.

Triggers are evaluated on the live model through the hub (``live.py``), not on entity states:
they work with the meter entities disabled (the default) and see RF and clips at the device's
rate. Level triggers fire on the edge from "no" to "yes" (a battery that *becomes* low), and
only on what is known: while the receiver is offline or the connection is down nothing fires,
and the first thing learnt after a trigger is attached sets the baseline rather than firing.
Audio clipping fires when a channel starts clipping after at least the peak-hold time
(10 s) without a clip, so a singer who keeps clipping raises one alert, not dozens.

Triggers survive a reload of their entry: they belong to the hub, keyed by device id, and the
hub follows the entry's new coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
import time
from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, selector
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.hass_dict import HassKey
import probatio as vol

from .automation_config import (
    Threshold,
    automation_schema,
    channel_automations,
    validate_channel_config,
)
from .automation_rules import (
    CONF_MINUTES,
    TRIGGER_AUDIO_CLIPPING,
    TRIGGER_FEATURES,
    TRIGGER_PREDICATES,
    TRIGGER_RUNTIME_BELOW,
    channel_variables,
    is_known,
)
from .const import DOMAIN
from .coordinator import MicboardCoordinator
from .live import get_live
from .placement import ChannelRef, channel_device, micboard_channel_device, resolve_channel
from .plugins.model import ModelUpdate
from .plugins.status import AUDIO_PEAK_HOLD_SECONDS

WATCHER_KEY: HassKey[TriggerWatcher] = HassKey(f"{DOMAIN}_trigger_watcher")

#: The runtime trigger's threshold, in minutes (a day at most).
RUNTIME_THRESHOLD = Threshold(
    automation_type=TRIGGER_RUNTIME_BELOW,
    key=CONF_MINUTES,
    maximum=1440,
    default=30,
    unit="min",
    mode=selector.NumberSelectorMode.BOX,
)
TRIGGER_SCHEMA = automation_schema(DEVICE_TRIGGER_BASE_SCHEMA, TRIGGER_FEATURES, RUNTIME_THRESHOLD)


async def async_validate_trigger_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Check the schema and that the device is a Micboard channel."""
    return validate_channel_config(hass, TRIGGER_SCHEMA, config)


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """Triggers of a channel device, for the features its channel reports.

    When the entry is not loaded the features are unknown, so every trigger is offered.
    """
    return channel_automations(hass, device_id, TRIGGER_FEATURES, {CONF_PLATFORM: "device"})


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """The runtime trigger asks for its threshold."""
    return RUNTIME_THRESHOLD.capabilities(config)


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Watch the channel behind ``device_id`` until the automation is turned off."""
    device = micboard_channel_device(hass, config[CONF_DEVICE_ID])
    entry_id = device.config_entry_id if device is not None else ""
    trigger = AttachedTrigger(
        hass=hass,
        device_id=config[CONF_DEVICE_ID],
        entry_id=entry_id,
        config=dict(config),
        job=HassJob(action, f"micboard device trigger {config[CONF_TYPE]}"),
        trigger_data=dict(trigger_info["trigger_data"]),
    )
    if (ref := resolve_channel(hass, trigger.device_id)) is not None and is_known(ref):
        trigger.set_baseline(ref)
    watcher = hass.data.get(WATCHER_KEY)
    if watcher is None:
        watcher = hass.data[WATCHER_KEY] = TriggerWatcher(hass)
    return watcher.attach(trigger)


@dataclass(slots=True)
class AttachedTrigger:
    """One trigger of one automation, with the edge state it needs."""

    hass: HomeAssistant
    device_id: str
    entry_id: str
    config: dict[str, Any]
    job: HassJob[..., Any]
    trigger_data: dict[str, Any]
    last: bool | None = None  # None until the first known evaluation
    last_clip: float = field(default=-math.inf)

    @property
    def trigger_type(self) -> str:
        """One of the trigger types."""
        return str(self.config[CONF_TYPE])

    def set_baseline(self, ref: ChannelRef) -> None:
        """Learn the current state without firing."""
        predicate = TRIGGER_PREDICATES.get(self.trigger_type)
        if predicate is not None and ref.channel is not None:
            self.last = predicate(ref.channel, ref, self.config)

    def evaluate(self, ref: ChannelRef) -> None:
        """Fire if the level condition just became true."""
        predicate = TRIGGER_PREDICATES.get(self.trigger_type)
        channel = ref.channel
        if predicate is None or channel is None:
            return
        value = predicate(channel, ref, self.config)
        previous, self.last = self.last, value
        if value and previous is False:
            self.fire(ref)

    def clip(self, ref: ChannelRef, now: float) -> None:
        """A clip: fire unless the channel was already clipping within the hold time."""
        previous, self.last_clip = self.last_clip, now
        if now - previous >= AUDIO_PEAK_HOLD_SECONDS:
            self.fire(ref)

    def fire(self, ref: ChannelRef) -> None:
        """Run the automation with the channel's variables."""
        variables = channel_variables(ref)
        trigger = {
            **self.trigger_data,
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: self.device_id,
            CONF_TYPE: self.trigger_type,
            **({CONF_MINUTES: self.config[CONF_MINUTES]} if CONF_MINUTES in self.config else {}),
            **variables,
            "description": f"{variables['channel_name']}: {self.trigger_type.replace('_', ' ')}",
        }
        self.hass.async_run_hass_job(self.job, {"trigger": trigger})


class TriggerWatcher:
    """Evaluates every attached trigger against the live model (a client of the hub)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """No triggers yet; the hub is joined with the first one."""
        self.hass = hass
        self._by_entry: dict[str, dict[str, list[AttachedTrigger]]] = {}
        self._unsub_hub: CALLBACK_TYPE | None = None

    @property
    def trigger_count(self) -> int:
        """Attached triggers (tests and diagnostics)."""
        return sum(len(t) for devices in self._by_entry.values() for t in devices.values())

    @callback
    def attach(self, trigger: AttachedTrigger) -> CALLBACK_TYPE:
        """Start evaluating ``trigger``; the returned callback detaches it."""
        triggers = self._by_entry.setdefault(trigger.entry_id, {}).setdefault(trigger.device_id, [])
        triggers.append(trigger)
        if self._unsub_hub is None:
            self._unsub_hub = get_live(self.hass).async_add_client(self)

        @callback
        def detach() -> None:
            triggers.remove(trigger)
            devices = self._by_entry[trigger.entry_id]
            if not triggers:
                del devices[trigger.device_id]
            if not devices:
                del self._by_entry[trigger.entry_id]
            if not self._by_entry and self._unsub_hub is not None:
                self._unsub_hub()
                self._unsub_hub = None

        return detach

    def _triggers(
        self, coordinator: MicboardCoordinator, receiver_id: str, index: int
    ) -> tuple[ChannelRef, list[AttachedTrigger]] | None:
        entry_id = coordinator.config_entry.entry_id
        devices = self._by_entry.get(entry_id)
        if not devices:
            return None
        device = channel_device(dr.async_get(self.hass), entry_id, receiver_id, index)
        if device is None or device.id not in devices:
            return None
        ref = ChannelRef(coordinator, receiver_id, index)
        return (ref, devices[device.id]) if is_known(ref) else None

    def _evaluate(self, coordinator: MicboardCoordinator, receiver_id: str, index: int) -> None:
        found = self._triggers(coordinator, receiver_id, index)
        if found is not None:
            ref, triggers = found
            for trigger in list(triggers):
                trigger.evaluate(ref)

    # -- LiveClient ---------------------------------------------------------------------------

    @callback
    def model_updated(self, coordinator: MicboardCoordinator, update: ModelUpdate) -> None:
        """Catch clips as they happen (they may last less than a meter interval)."""
        if update.channel is None or "audio_clipping" not in update.fields:
            return
        found = self._triggers(coordinator, update.receiver_id, update.channel)
        if found is None:
            return
        ref, triggers = found
        if ref.channel is None or not ref.channel.audio_clipping:
            return
        now = time.monotonic()
        for trigger in list(triggers):
            if trigger.trigger_type == TRIGGER_AUDIO_CLIPPING:
                trigger.clip(ref, now)

    @callback
    def model_notified(
        self, coordinator: MicboardCoordinator, receiver_id: str, channel: int | None, kind: str
    ) -> None:
        """Re-evaluate a channel after its status or meters were flushed."""
        receiver = (coordinator.data or {}).get(receiver_id)
        if receiver is None:
            return
        indexes = receiver.channels if channel is None else (channel,)
        for index in indexes:
            self._evaluate(coordinator, receiver_id, index)

    @callback
    def entry_refreshed(self, coordinator: MicboardCoordinator) -> None:
        """After a resync, everything may have changed."""
        if coordinator.config_entry.entry_id not in self._by_entry:
            return
        for receiver_id, receiver in (coordinator.data or {}).items():
            for index in receiver.channels:
                self._evaluate(coordinator, receiver_id, index)

    @callback
    def structure_changed(self, coordinator: MicboardCoordinator) -> None:
        """Nothing to do: a new channel is evaluated at its first flush, a gone one never."""

    @callback
    def entries_changed(self) -> None:
        """Nothing to do: triggers are keyed by device, and the hub follows reloads."""

    @callback
    def registry_changed(self) -> None:
        """Nothing to do: device ids do not change when devices move."""
