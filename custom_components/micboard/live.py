"""The live model, fanned out to dashboards and device triggers without the state machine.

Meters change up to ten times a second per channel; entities only see them once per meter
interval, and the recorder must never see them at that rate. Dashboard subscriptions
(``websocket_api.py``) and device triggers (``device_trigger.py``) therefore read the
coordinators' in-memory model directly, through this hub.

The hub follows config entries as they load, reload and unload, and observes a coordinator
only while at least one client is attached, so with no dashboard open and no device trigger
in use the push path pays nothing but an empty-list test.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Protocol

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    label_registry as lr,
)
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .coordinator import MicboardCoordinator
from .listeners import KIND_HEALTH, ModelObserver
from .plugins.model import ModelUpdate

LIVE_KEY: HassKey[LiveHub] = HassKey(f"{DOMAIN}_live")


class LiveClient(ModelObserver, Protocol):
    """A consumer of the live model (one websocket subscription, or the trigger watcher).

    The hub relays the coordinators' ``model_updated`` (per device message: the hot path)
    and ``model_notified`` (status and meter flushes; never health wake-ups).
    """

    def structure_changed(self, coordinator: MicboardCoordinator) -> None:
        """Receivers, channels or their features appeared or went (the coordinator's check)."""

    def entry_refreshed(self, coordinator: MicboardCoordinator) -> None:
        """A full resync finished or the connection failed: everything may have changed."""

    def entries_changed(self) -> None:
        """An entry was loaded or unloaded (a reload replaces its coordinator)."""

    def registry_changed(self) -> None:
        """Devices, areas or labels changed: placements may have changed."""


class LiveHub:
    """Tracks the loaded coordinators and relays their changes to the attached clients."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the hub; :meth:`async_start` begins following entries."""
        self.hass = hass
        self.coordinators: dict[str, MicboardCoordinator] = {}
        self._clients: list[LiveClient] = []
        self._detach: dict[str, list[CALLBACK_TYPE]] = {}
        self._registry_unsubs: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow Micboard entries from now on (entries already loaded included)."""
        for entry in self.hass.config_entries.async_entries(DOMAIN):
            self._entry_changed(ConfigEntryChange.UPDATED, entry)
        return async_dispatcher_connect(self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._entry_changed)

    # -- clients ------------------------------------------------------------------------------

    @callback
    def async_add_client(self, client: LiveClient) -> CALLBACK_TYPE:
        """Attach a client; the first one makes the hub observe every coordinator."""
        self._clients.append(client)
        if len(self._clients) == 1:
            for coordinator in self.coordinators.values():
                self._observe(coordinator)
            self._follow_registries()

        @callback
        def remove() -> None:
            self._clients.remove(client)
            if not self._clients:
                for entry_id in list(self._detach):
                    self._unobserve(entry_id)
                for unsub in self._registry_unsubs:
                    unsub()
                self._registry_unsubs.clear()

        return remove

    @property
    def observing(self) -> bool:
        """Whether any coordinator is observed (only while clients are attached)."""
        return bool(self._detach)

    # -- entries ------------------------------------------------------------------------------

    @callback
    def _entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if entry.domain != DOMAIN:
            return
        entry_id = entry.entry_id
        current = self.coordinators.get(entry_id)
        if entry.state is ConfigEntryState.LOADED and change is not ConfigEntryChange.REMOVED:
            coordinator: MicboardCoordinator = entry.runtime_data
            if coordinator is current:
                return  # title or options changed; the model did not
            self._forget(entry_id)
            self.coordinators[entry_id] = coordinator
            if self._clients:
                self._observe(coordinator)
        elif current is not None:
            self._forget(entry_id)
        elif change is ConfigEntryChange.UPDATED:
            return  # an entry that was not loaded changed state without loading
        # Loaded, unloaded, added or removed: the set of entries a client sees changed.
        for client in list(self._clients):
            client.entries_changed()

    def _forget(self, entry_id: str) -> None:
        self.coordinators.pop(entry_id, None)
        self._unobserve(entry_id)

    def _observe(self, coordinator: MicboardCoordinator) -> None:
        entry_id = coordinator.config_entry.entry_id
        self._detach[entry_id] = [
            coordinator.async_add_observer(self),
            coordinator.async_add_listener(partial(self._refreshed, coordinator)),
            coordinator.async_add_structure_listener(partial(self._structure_changed, coordinator)),
        ]

    def _unobserve(self, entry_id: str) -> None:
        for unsub in self._detach.pop(entry_id, ()):
            unsub()

    def _follow_registries(self) -> None:
        bus = self.hass.bus
        self._registry_unsubs = [
            bus.async_listen(
                dr.EVENT_DEVICE_REGISTRY_UPDATED,
                self._registry_event,
                event_filter=self._is_ours_or_gone,
            ),
            bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, self._registry_event),
            bus.async_listen(lr.EVENT_LABEL_REGISTRY_UPDATED, self._registry_event),
            bus.async_listen(
                er.EVENT_ENTITY_REGISTRY_UPDATED,
                self._registry_event,
                event_filter=self._is_our_entity_id_change,
            ),
        ]

    @callback
    def _is_ours_or_gone(self, event_data: dr.EventDeviceRegistryUpdatedData) -> bool:
        """A device of a loaded Micboard entry, or one removed (it may have been ours)."""
        device = dr.async_get(self.hass).async_get(event_data["device_id"])
        return device is None or device.config_entry_id in self.coordinators

    @callback
    def _is_our_entity_id_change(self, event_data: er.EventEntityRegistryUpdatedData) -> bool:
        """One of our entities created, removed or given another entity id.

        Clients show the channel's status entity (a tap opens it), so only its id matters;
        every other entity edit (icons, names, hidden…) is ignored here.
        """
        if event_data["action"] == "update" and "old_entity_id" not in event_data:
            return False
        entry = er.async_get(self.hass).async_get(event_data["entity_id"])
        return entry is None or entry.platform == DOMAIN

    @callback
    def _registry_event(self, _event: Event[Any]) -> None:
        for client in list(self._clients):
            client.registry_changed()

    # -- ModelObserver (called by the coordinators) --------------------------------------------

    @callback
    def model_updated(self, coordinator: MicboardCoordinator, update: ModelUpdate) -> None:
        """Relay a raw model update."""
        for client in self._clients:
            client.model_updated(coordinator, update)

    @callback
    def model_notified(
        self, coordinator: MicboardCoordinator, receiver_id: str, channel: int | None, kind: str
    ) -> None:
        """Relay a status or meter flush; health wake-ups carry nothing for clients."""
        if kind == KIND_HEALTH:
            return
        for client in self._clients:
            client.model_notified(coordinator, receiver_id, channel, kind)

    @callback
    def _refreshed(self, coordinator: MicboardCoordinator) -> None:
        for client in list(self._clients):
            client.entry_refreshed(coordinator)

    @callback
    def _structure_changed(self, coordinator: MicboardCoordinator) -> None:
        for client in list(self._clients):
            client.structure_changed(coordinator)


@callback
def async_setup_live(hass: HomeAssistant) -> LiveHub:
    """Create the hub once (from ``async_setup``) and start following entries."""
    hub = LiveHub(hass)
    hass.data[LIVE_KEY] = hub
    hub.async_start()
    return hub


def get_live(hass: HomeAssistant) -> LiveHub:
    """The hub created in ``async_setup``."""
    return hass.data[LIVE_KEY]
