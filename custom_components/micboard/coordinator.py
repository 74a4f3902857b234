"""One coordinator per config entry: the model, and the small parts that serve it.

The coordinator owns the plugin and the live model (``data``: receivers by id) and maps a
full resync's errors onto Home Assistant's. The rest is delegated, one job per part:

- ``listeners.Listeners``: who to wake (listener contexts, structure listeners, observers);
- ``delivery.CoalescingDelivery``: when to wake them (status batched, meters per interval);
- ``status_evaluation.StatusEvaluator``: each channel's derived status, deadlines included;
- ``runtime_estimates.RuntimeEstimates``: runtime learnt for transmitters that report none;
- ``devices.EntryDevices``: the registry devices and the structure check;
- ``connection.ConnectionLifecycle``: listen, back off, reconnect, close.

The public API (``handle_update``, ``async_add_listener`` with a context, ``register_devices``,
``start``, ``async_close`` …) stays here, so entities, the hub and tests talk to one object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .connection import Backoff, ConnectionLifecycle
from .const import (
    CONF_KNOWN_DEVICES,
    CONF_LOW_BATTERY_MINUTES,
    CONF_LOW_BATTERY_PERCENT,
    CONF_METER_INTERVAL,
    DEFAULT_METER_INTERVAL,
    DOMAIN,
    LOGGER,
)
from .delivery import CoalescingDelivery, UpdateDelivery
from .devices import EntryDevices
from .entry_data import known_devices
from .handover import ReferralOffers
from .listeners import ListenerContext, Listeners, ModelObserver
from .plugins.errors import (
    DifferentDevice,
    InvalidAuth,
    MicboardError,
    NeedsUserAction,
    UnsupportedDevice,
)
from .plugins.health import ConnectionHealth
from .plugins.model import Channel, ModelUpdate, Receiver
from .plugins.plugin import ManufacturerPlugin
from .plugins.status import DEFAULT_LOW_BATTERY_MINUTES, DEFAULT_LOW_BATTERY_PERCENT, StatusTracker
from .repairs import EntryRepairs
from .runtime_estimates import RuntimeEstimates
from .status_evaluation import StatusEvaluator

type MicboardConfigEntry = ConfigEntry[MicboardCoordinator]

#: Benchmark seam, ``None`` in production (``benchmarks/naive.py`` installs one): told for every
#: entity notification whether the entity's state changed, it answers whether to write it.
type WriteHook = Callable[[bool], bool]

#: A first connection (set-up, a resync) gives up after this long at the latest. A dead device
#: fails much sooner (nothing accepts the connection, or nothing valid comes back within the
#: plugin's first-answer timeout); this bound is for a live but slow one (2 s per request
#: still sets up). A plugin may ask for longer: a server that fronts many devices.
REFRESH_TIMEOUT_SECONDS: Final = 30.0
#: While a repair issue is open, retry this rarely (the user has to act on the device).
REPAIR_RETRY_SECONDS: Final = 300


class MicboardCoordinator(DataUpdateCoordinator[dict[str, Receiver]]):
    """Owns one plugin and its model; its parts deliver updates, keep devices and connect."""

    config_entry: MicboardConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: MicboardConfigEntry, plugin: ManufacturerPlugin[Any]
    ) -> None:
        """Set up coordination for ``plugin``; nothing connects until the first refresh."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(seconds=plugin.resync_interval),
        )
        self.plugin = plugin
        options = entry.options
        self.meter_interval = float(options.get(CONF_METER_INTERVAL, DEFAULT_METER_INTERVAL))
        self.low_battery_percent = int(
            options.get(CONF_LOW_BATTERY_PERCENT, DEFAULT_LOW_BATTERY_PERCENT)
        )
        self.low_battery_minutes = int(
            options.get(CONF_LOW_BATTERY_MINUTES, DEFAULT_LOW_BATTERY_MINUTES)
        )
        self.tracker = StatusTracker()
        self.backoff = Backoff()
        self.repairs = EntryRepairs(hass, entry)
        self.write_hook: WriteHook | None = None
        self.listeners = Listeners(self)
        self.status = StatusEvaluator(self)
        self.runtime = RuntimeEstimates(self)
        self.devices = EntryDevices(self)
        self.delivery: UpdateDelivery = CoalescingDelivery(self)
        self.connection = ConnectionLifecycle(self)
        self._referral_offers = ReferralOffers(hass)

    # -- data ---------------------------------------------------------------------------------

    async def _async_update_data(self) -> dict[str, Receiver]:
        """Full resync from the plugin, mapping its errors onto Home Assistant's."""
        try:
            async with asyncio.timeout(max(REFRESH_TIMEOUT_SECONDS, self.plugin.snapshot_timeout)):
                receivers = await self.plugin.get_devices()
        except InvalidAuth as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except NeedsUserAction as err:
            self.repairs.raise_for(err)
            if not err.retry:
                raise ConfigEntryError(
                    translation_domain=DOMAIN,
                    translation_key="repair_needed",
                    translation_placeholders={"error": str(err)},
                ) from err
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="repair_needed",
                translation_placeholders={"error": str(err)},
                retry_after=REPAIR_RETRY_SECONDS,
            ) from err
        except UnsupportedDevice as err:
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="unsupported_device",
                translation_placeholders={"error": str(err)},
            ) from err
        except DifferentDevice as err:
            self.repairs.raise_for(err)
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="different_device",
                translation_placeholders={"host": err.host, "found": err.found},
            ) from err
        except (MicboardError, TimeoutError) as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err) or type(err).__name__},
            ) from err
        self.repairs.clear()
        self._after_snapshot(receivers)
        return receivers

    def _after_snapshot(self, receivers: dict[str, Receiver]) -> None:
        # Also from check_structure on later snapshots; offering twice is a dict lookup.
        self._referral_offers.offer(self.plugin.referrals)
        self._remember_inventory()
        self.status.evaluate_snapshot(receivers)
        if self.data is not None:
            self.check_structure(receivers)

    def _remember_inventory(self) -> None:
        """Keep what the plugin needs to recognise its installation after a restart.

        Written only when it changed (a device added or removed on a System API server),
        so a snapshot every minute does not rewrite the entry every minute.
        """
        inventory = self.plugin.inventory
        entry = self.config_entry
        if inventory is None or set(known_devices(entry.data)) == inventory:
            return
        self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_KNOWN_DEVICES: sorted(inventory)}
        )

    def receiver(self, receiver_id: str) -> Receiver | None:
        """The live receiver, if the model has it."""
        return (self.data or {}).get(receiver_id)

    def channel(self, receiver_id: str, index: int) -> Channel | None:
        """The live channel, if the model has it."""
        receiver = (self.data or {}).get(receiver_id)
        return None if receiver is None else receiver.channels.get(index)

    def health_for(self, receiver_id: str) -> ConnectionHealth:
        """Health of the connection that serves ``receiver_id`` (entities, diagnostics)."""
        return self.plugin.health_for(receiver_id)

    @property
    def connection_health(self) -> ConnectionHealth:
        """Health of the entry's own connection: the one the listener loop runs."""
        return self.plugin.health

    # -- listeners ------------------------------------------------------------------------------

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Also index the listener by (receiver, channel, kind) for targeted wake-ups."""
        remove = super().async_add_listener(update_callback, context)
        if context is None:
            return remove
        listener_context: ListenerContext = context
        unindex = self.listeners.index(update_callback, listener_context)

        @callback
        def remove_listener() -> None:
            remove()
            unindex()

        return remove_listener

    @callback
    def async_add_structure_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when receivers or channels appear (dynamic devices)."""
        return self.listeners.add_structure(listener)

    @callback
    def async_add_observer(self, observer: ModelObserver) -> CALLBACK_TYPE:
        """Let ``observer`` follow every model update and listener wake-up of this entry."""
        return self.listeners.add_observer(observer)

    @callback
    def handle_update(self, update: ModelUpdate) -> None:
        """Hand one plugin update to the observers and the delivery (called per message)."""
        if self.listeners.observers:
            self.listeners.model_updated(update)
        self.delivery.deliver(update)

    def check_structure(self, receivers: dict[str, Receiver]) -> None:
        """Add devices/entities for receivers (or features) that appeared, drop what is gone.

        Also offers the plugin's referrals (devices another protocol monitors better), which
        plugins report with the same structure update.
        """
        self._referral_offers.offer(self.plugin.referrals)
        gone = self.devices.sync_structure(receivers)
        if gone is None:
            return
        for receiver_id, index in gone:
            if index is not None:
                self.status.forget((receiver_id, index))
                self.runtime.forget((receiver_id, index))
        self.listeners.structure_changed()

    # -- devices ------------------------------------------------------------------------------

    def register_devices(self) -> None:
        """Create receiver devices (channel child devices need their parent to exist)."""
        self.devices.register()

    def receiver_device_id(self, receiver_id: str) -> str:
        """Registry id of a receiver device (registered by :meth:`register_devices`)."""
        return self.devices.receiver_device_id(receiver_id)

    def remove_stale_devices(self) -> None:
        """Remove registry devices of this entry that the model no longer has."""
        self.devices.remove_stale()

    # -- connection lifecycle -------------------------------------------------------------------

    @callback
    def start(self) -> None:
        """Start the push listener in the background (after the first refresh succeeded)."""
        self.delivery.start()  # entities were just written at set-up
        self.runtime.start()
        self.connection.start()

    async def async_close(self) -> None:
        """Stop timers and the listener and let the plugin release the device."""
        if self.connection.closed:
            return
        self.delivery.close()
        self.status.close()
        self.runtime.close()
        await self.connection.close()

    async def async_shutdown(self) -> None:
        """Called on unload (registered by the base class) and on Home Assistant stop."""
        await self.async_close()
        await super().async_shutdown()
