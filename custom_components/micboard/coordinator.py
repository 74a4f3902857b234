"""One coordinator per config entry: connection lifecycle, push listener and write coalescing.

Receivers meter up to 10 times a second per channel. Writing every message to the state
machine would flood the recorder, so updates are split by kind: status changes (battery, link,
names, warnings) reach entities within a few milliseconds, meter values at most once per
``meter_interval``, and every entity writes only when its own value changed. Listener contexts
are indexed by (receiver, channel, kind) so one message wakes only the entities it concerns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import random
import time
from typing import Any, Final, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .channel_names import async_rename_channel_devices
from .const import (
    BACKOFF_INITIAL_SECONDS,
    BACKOFF_MAX_SECONDS,
    BACKOFF_RESET_AFTER_SECONDS,
    CONF_LOW_BATTERY_MINUTES,
    CONF_LOW_BATTERY_PERCENT,
    CONF_METER_INTERVAL,
    DEFAULT_METER_INTERVAL,
    DOMAIN,
    LOGGER,
    STATUS_BATCH_SECONDS,
)
from .handover import ReferralOffers
from .plugins.base import (
    METER_FIELDS,
    STRUCTURE_FIELD,
    ConnectionClosed,
    Feature,
    InvalidAuth,
    ManufacturerPlugin,
    MicboardError,
    ModelUpdate,
    Receiver,
    RepairNeeded,
    UnsupportedDevice,
)
from .plugins.status import DEFAULT_LOW_BATTERY_MINUTES, DEFAULT_LOW_BATTERY_PERCENT, StatusTracker

type MicboardConfigEntry = ConfigEntry[MicboardCoordinator]

#: Listener kinds. Status listeners wake at once, meter listeners once per meter interval,
#: health listeners (connection state, counters) with either.
KIND_STATUS: Final = "status"
KIND_METER: Final = "meter"
KIND_HEALTH: Final = "health"

type ChannelKey = tuple[str, int | None]
#: What entities depend on: which receivers and channels exist, with which features.
type StructureKey = tuple[ChannelKey, frozenset[Feature]]


class ModelObserver(Protocol):
    """Follows the live model without entities (the dashboard websocket, device triggers).

    See ``live.py``. Observers are only attached while they have someone to serve, so the
    push path costs one empty-list test when nobody watches.
    """

    def model_updated(self, coordinator: MicboardCoordinator, update: ModelUpdate) -> None:
        """A plugin changed the model (per message, before any coalescing)."""

    def model_notified(
        self, coordinator: MicboardCoordinator, receiver_id: str, channel: int | None, kind: str
    ) -> None:
        """The coordinator woke the listeners of (receiver, channel, kind), status derived."""


#: Context an entity registers with: receiver id, channel (None: receiver level), kinds.
type ListenerContext = tuple[str, int | None, frozenset[str]]

#: A first connection (set-up, a resync) gives up after this long, so Home Assistant
#: start-up never waits long on a dead device (a plugin may ask for longer: a server that
#: fronts many devices).
REFRESH_TIMEOUT_SECONDS: Final = 10.0
#: While a repair issue is open, retry this rarely (the user has to act on the device).
REPAIR_RETRY_SECONDS: Final = 300


def receiver_identifier(receiver_id: str) -> tuple[str, str]:
    """Device-registry identifier of a receiver."""
    return (DOMAIN, receiver_id)


def channel_identifier(receiver_id: str, channel: int) -> tuple[str, str]:
    """Device-registry identifier of a channel (a child device of its receiver)."""
    return (DOMAIN, f"{receiver_id}-ch{channel}")


def parse_channel_identifier(identifier: tuple[str, str]) -> tuple[str, int] | None:
    """(receiver id, channel) of a :func:`channel_identifier`; None for any other identifier."""
    domain, value = identifier
    receiver_id, separator, index = value.rpartition("-ch")
    if domain != DOMAIN or not separator or not index.isdigit():
        return None
    return receiver_id, int(index)


class Backoff:
    """Exponential reconnect delay with jitter, so many entries do not retry in lockstep."""

    def __init__(
        self,
        initial: float = BACKOFF_INITIAL_SECONDS,
        maximum: float = BACKOFF_MAX_SECONDS,
        rng: random.Random | None = None,
    ) -> None:
        """Start at ``initial`` seconds; never wait more than ``maximum``."""
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0
        self._rng = rng or random.Random()  # noqa: S311  jitter, not security

    def next_delay(self) -> float:
        """Delay before the next attempt: doubles each time, +/-20 % jitter, capped."""
        base = min(self.maximum, self.initial * 2.0**self.attempt)
        self.attempt += 1
        return min(self.maximum, base * self._rng.uniform(0.8, 1.2))

    def reset(self) -> None:
        """Start over after a connection that held."""
        self.attempt = 0


class MicboardCoordinator(DataUpdateCoordinator[dict[str, Receiver]]):
    """Owns one plugin, its connection and the coalescing of its updates into entity writes."""

    config_entry: MicboardConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: MicboardConfigEntry, plugin: ManufacturerPlugin
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
        self.write_count = 0  # entity state writes; the benchmark and tests read it
        #: False only for the benchmark's "naive" baseline: every update is handed to the
        #: entities at once and every entity writes on every notification, to measure what
        #: coalescing and write-on-change save.
        self.coalesce = True
        self._context_listeners: dict[tuple[str, int | None, str], list[CALLBACK_TYPE]] = {}
        self._structure_listeners: list[Callable[[], None]] = []
        self._observers: list[ModelObserver] = []
        self._status_dirty: set[ChannelKey] = set()
        self._online_changed: set[str] = set()
        self._meter_dirty: set[ChannelKey] = set()
        self._status_handle: asyncio.TimerHandle | None = None
        self._meter_handle: asyncio.TimerHandle | None = None
        self._deadline_handles: dict[tuple[str, int], tuple[float, asyncio.TimerHandle]] = {}
        self._last_meter_flush = 0.0
        self._known_structure: set[StructureKey] = set()
        self._referral_offers = ReferralOffers(hass)
        self._listen_task: asyncio.Task[None] | None = None
        self._closed = False
        self._repairs: set[str] = set()
        self._device_ids: dict[str, str] = {}

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
        except RepairNeeded as err:
            self._raise_repair(err)
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
        except (MicboardError, TimeoutError) as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err) or type(err).__name__},
            ) from err
        self._clear_repairs()
        self._after_snapshot(receivers)
        return receivers

    # -- repairs --------------------------------------------------------------------------------

    def _issue_id(self, issue_key: str) -> str:
        return f"{issue_key}_{self.config_entry.entry_id}"

    def _raise_repair(self, err: RepairNeeded) -> None:
        """Show the user what to fix; remembered so success can clear it."""
        self._repairs.add(err.issue_key)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(err.issue_key),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=err.issue_key,
            translation_placeholders={"title": self.config_entry.title, **err.placeholders},
        )

    def _clear_repairs(self) -> None:
        """Drop this entry's issues, also those raised before a reload or a setup retry.

        A retried setup or a reconfigure builds a new coordinator, which would otherwise
        never learn of (and never clear) the issue its predecessor raised.
        """
        suffix = f"_{self.config_entry.entry_id}"
        for domain, issue_id in list(ir.async_get(self.hass).issues):
            if domain == DOMAIN and issue_id.endswith(suffix):
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        self._repairs.clear()

    def _after_snapshot(self, receivers: dict[str, Receiver]) -> None:
        # Also from _check_structure on later snapshots; offering twice is a dict lookup.
        self._referral_offers.offer(self.plugin.referrals)
        now = time.monotonic()
        for receiver_id, receiver in receivers.items():
            for index, channel in receiver.channels.items():
                key = (receiver_id, index)
                self.tracker.evaluate(key, channel, now, receiver_online=receiver.online)
                self._schedule_deadline(key, now)
        if self.data is not None:
            self._check_structure(receivers)

    # -- listeners ------------------------------------------------------------------------------

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Also index the listener by (receiver, channel, kind) for targeted wake-ups."""
        remove = super().async_add_listener(update_callback, context)
        if context is None:
            return remove
        receiver_id, channel, kinds = context
        keys = [(receiver_id, channel, kind) for kind in kinds]
        for key in keys:
            self._context_listeners.setdefault(key, []).append(update_callback)

        @callback
        def remove_listener() -> None:
            remove()
            for key in keys:
                listeners = self._context_listeners.get(key)
                if listeners is not None and update_callback in listeners:
                    listeners.remove(update_callback)

        return remove_listener

    @callback
    def async_add_structure_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when receivers or channels appear (dynamic devices)."""
        self._structure_listeners.append(listener)
        return lambda: self._structure_listeners.remove(listener)

    @callback
    def async_add_observer(self, observer: ModelObserver) -> CALLBACK_TYPE:
        """Let ``observer`` follow every model update and listener wake-up of this entry."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def _notify(self, receiver_id: str, channel: int | None, kind: str) -> None:
        for listener in self._context_listeners.get((receiver_id, channel, kind), ()):
            listener()
        if self._observers:
            for observer in self._observers:
                observer.model_notified(self, receiver_id, channel, kind)

    def _notify_health(self) -> None:
        for receiver_id in self.data or {}:
            self._notify(receiver_id, None, KIND_HEALTH)

    # -- push path (hot) ------------------------------------------------------------------------

    @callback
    def handle_update(self, update: ModelUpdate) -> None:
        """Route one plugin update to the status or meter queue (called per message)."""
        if self._observers:
            self._tell_observers(update)
        changed = update.fields
        key = (update.receiver_id, update.channel)
        if not self.coalesce:
            self._deliver_now(update)
            return
        if not changed.isdisjoint(METER_FIELDS):
            self._meter_dirty.add(key)
            if "audio_clipping" in changed and update.channel is not None:
                self._note_clip(update.receiver_id, update.channel)
            if self._meter_handle is None:
                delay = max(0.0, self._last_meter_flush + self.meter_interval - time.monotonic())
                self._meter_handle = self.hass.loop.call_later(delay, self._flush_meters)
        if not changed <= METER_FIELDS:
            self._status_dirty.add(key)
            if STRUCTURE_FIELD in changed:
                self._status_dirty.add((update.receiver_id, None))
            if update.channel is None and "online" in changed:
                # Every entity of the receiver changes availability, meters included.
                self._online_changed.add(update.receiver_id)
            if self._status_handle is None:
                self._status_handle = self.hass.loop.call_later(
                    STATUS_BATCH_SECONDS, self._flush_status
                )

    def _tell_observers(self, update: ModelUpdate) -> None:
        for observer in self._observers:
            observer.model_updated(self, update)

    def _deliver_now(self, update: ModelUpdate) -> None:
        """Naive delivery (benchmark baseline): no batching, no interval, all kinds at once."""
        if STRUCTURE_FIELD in update.fields:
            self._check_structure(self.data)
        if update.channel is None and "online" in update.fields:
            self._online_changed.add(update.receiver_id)
            self._flush_online(time.monotonic())
        if update.channel is not None:
            if "audio_clipping" in update.fields:
                self._note_clip(update.receiver_id, update.channel)
            self._evaluate(update.receiver_id, update.channel, time.monotonic())
            self._notify(update.receiver_id, update.channel, KIND_METER)
        self._notify(update.receiver_id, update.channel, KIND_STATUS)
        self._notify(update.receiver_id, None, KIND_HEALTH)

    def _note_clip(self, receiver_id: str, index: int) -> None:
        receiver = (self.data or {}).get(receiver_id)
        channel = receiver.channels.get(index) if receiver else None
        if channel is not None and channel.audio_clipping:
            self.tracker.note_clip((receiver_id, index), time.monotonic())

    @callback
    def _flush_status(self) -> None:
        self._status_handle = None
        dirty, self._status_dirty = self._status_dirty, set()
        if any(key[1] is None for key in dirty):
            self._check_structure(self.data)
        now = time.monotonic()
        for receiver_id, index in dirty:
            if index is not None:
                self._evaluate(receiver_id, index, now)
            else:
                self._update_receiver_device(receiver_id)
            self._notify(receiver_id, index, KIND_STATUS)
        self._flush_online(now)
        self._notify_health()

    def _flush_online(self, now: float) -> None:
        """A receiver went on- or offline: re-evaluate and wake all of its channels."""
        if not self._online_changed:
            return
        changed, self._online_changed = self._online_changed, set()
        for receiver_id in changed:
            receiver = (self.data or {}).get(receiver_id)
            for index in receiver.channels if receiver else ():
                self._evaluate(receiver_id, index, now)
                self._notify(receiver_id, index, KIND_STATUS)
                self._notify(receiver_id, index, KIND_METER)

    @callback
    def _flush_meters(self) -> None:
        self._meter_handle = None
        self._last_meter_flush = now = time.monotonic()
        dirty, self._meter_dirty = self._meter_dirty, set()
        for receiver_id, index in dirty:
            if index is not None and self._evaluate(receiver_id, index, now):
                self._notify(receiver_id, index, KIND_STATUS)
            self._notify(receiver_id, index, KIND_METER)
        self._notify_health()

    def _evaluate(self, receiver_id: str, index: int, now: float) -> bool:
        receiver = (self.data or {}).get(receiver_id)
        channel = receiver.channels.get(index) if receiver else None
        if receiver is None or channel is None:
            return False
        key = (receiver_id, index)
        changed = self.tracker.evaluate(key, channel, now, receiver_online=receiver.online)
        self._schedule_deadline(key, now)
        return changed

    def _schedule_deadline(self, key: tuple[str, int], now: float) -> None:
        """Re-check a status that will change with time alone (peak hold, battery memory)."""
        deadline = self.tracker.deadline(key, now)
        scheduled = self._deadline_handles.get(key)
        if scheduled is not None:
            if scheduled[0] == deadline:
                return
            scheduled[1].cancel()
            del self._deadline_handles[key]
        if deadline is not None and not self._closed:
            handle = self.hass.loop.call_later(deadline - now, self._on_deadline, key)
            self._deadline_handles[key] = (deadline, handle)

    @callback
    def _on_deadline(self, key: tuple[str, int]) -> None:
        self._deadline_handles.pop(key, None)
        if self._evaluate(key[0], key[1], time.monotonic()):
            self._notify(key[0], key[1], KIND_STATUS)

    # -- devices ------------------------------------------------------------------------------

    def register_devices(self) -> None:
        """Create receiver devices (channel child devices need their parent to exist)."""
        registry = dr.async_get(self.hass)
        for receiver in (self.data or {}).values():
            device = registry.async_get_or_create(
                config_entry_id=self.config_entry.entry_id,
                identifiers={receiver_identifier(receiver.id)},
                manufacturer=receiver.manufacturer,
                model=receiver.model,
                name=receiver.name or receiver.id,
                serial_number=receiver.serial,
                sw_version=receiver.firmware,
                configuration_url=receiver.configuration_url,
            )
            self._device_ids[receiver.id] = device.id
        self._known_structure = self._structure(self.data or {})

    def receiver_device_id(self, receiver_id: str) -> str:
        """Registry id of a receiver device (registered by :meth:`register_devices`).

        Every channel entity asks for it when it is created; a dict lookup instead of a
        registry search per entity keeps set-up of a large rack fast.
        """
        device_id = self._device_ids.get(receiver_id)
        if device_id is None:
            device_id = dr.async_get_device_id_by_identifier(
                self.hass,
                receiver_identifier(receiver_id),
                config_entry_id=self.config_entry.entry_id,
            )
            self._device_ids[receiver_id] = device_id
        return device_id

    def _update_receiver_device(self, receiver_id: str) -> None:
        receiver = (self.data or {}).get(receiver_id)
        registry = dr.async_get(self.hass)
        device = registry.async_get_device_by_identifier(
            receiver_identifier(receiver_id), self.config_entry.entry_id
        )
        if receiver is None or device is None:
            return
        name = receiver.name or receiver.id
        if (device.name, device.sw_version, device.model) != (
            name,
            receiver.firmware,
            receiver.model,
        ):
            registry.async_update_device(
                device.id, name=name, sw_version=receiver.firmware, model=receiver.model
            )
            # Channel devices are named after their receiver ("RX-A Channel 1").
            async_rename_channel_devices(self.hass, self.config_entry.entry_id, device.id, name)

    @staticmethod
    def _structure(receivers: dict[str, Receiver]) -> set[StructureKey]:
        keys: set[StructureKey] = set()
        for receiver_id, receiver in receivers.items():
            keys.add(((receiver_id, None), receiver.features))
            keys.update(
                ((receiver_id, index), channel.features)
                for index, channel in receiver.channels.items()
            )
        return keys

    def _check_structure(self, receivers: dict[str, Receiver]) -> None:
        """Add devices/entities for receivers (or features) that appeared, drop what is gone.

        Also offers the plugin's referrals (devices another protocol monitors better), which
        plugins report with the same structure update.
        """
        self._referral_offers.offer(self.plugin.referrals)
        current = self._structure(receivers)
        if current == self._known_structure:
            return
        gone = {key for key, _ in self._known_structure} - {key for key, _ in current}
        self.register_devices()
        self.remove_stale_devices()
        for receiver_id, index in gone:
            if index is not None:
                self.tracker.forget((receiver_id, index))
        for listener in list(self._structure_listeners):
            listener()

    def remove_stale_devices(self) -> None:
        """Remove registry devices of this entry that the model no longer has."""
        registry = dr.async_get(self.hass)
        wanted = {receiver_identifier(rid) for rid in self.data or {}}
        wanted.update(
            channel_identifier(rid, index)
            for rid, receiver in (self.data or {}).items()
            for index in receiver.channels
        )
        entry_id = self.config_entry.entry_id
        devices: list[dr.DeviceEntry | dr.ChildDeviceEntry] = [
            *dr.async_child_entries_for_config_entry(registry, entry_id),
            *dr.async_entries_for_config_entry(registry, entry_id),
        ]
        for device in devices:
            if device.identifiers.isdisjoint(wanted):
                LOGGER.debug("Removing stale device %s", device.name)
                registry.async_remove_device(device.id)
                self._device_ids = {
                    rid: did for rid, did in self._device_ids.items() if did != device.id
                }

    # -- connection lifecycle -------------------------------------------------------------------

    @callback
    def start(self) -> None:
        """Start the push listener in the background (after the first refresh succeeded)."""
        self._last_meter_flush = time.monotonic()  # entities were just written at set-up
        self._listen_task = self.config_entry.async_create_background_task(
            self.hass, self._listen_loop(), f"{DOMAIN}-listen-{self.config_entry.entry_id}"
        )

        async def _on_stop(_event: Event) -> None:
            await self.async_close()

        self.config_entry.async_on_unload(
            self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _on_stop)
        )

    async def _listen_loop(self) -> None:
        """Listen; on loss go unavailable, back off, resync, listen again."""
        while True:
            started = time.monotonic()
            error: BaseException
            try:
                await self.plugin.listen(self.handle_update)
                error = ConnectionClosed("connection closed by the device")
            except InvalidAuth as err:
                self._connection_lost(err)
                self.config_entry.async_start_reauth_if_available(self.hass)
                return
            except RepairNeeded as err:
                self._raise_repair(err)
                error = err
                if not err.retry:
                    self._connection_lost(err)
                    return
            except MicboardError as err:
                error = err
            except Exception as err:  # noqa: BLE001  a plugin bug must not end monitoring
                LOGGER.exception(
                    "Unexpected error in the %s listener", self.plugin.manufacturer_name
                )
                error = err
            if self._closed:
                return
            self._connection_lost(error)
            if time.monotonic() - started >= BACKOFF_RESET_AFTER_SECONDS:
                self.backoff.reset()
            if not await self._reconnect():
                return

    async def _reconnect(self) -> bool:
        """Retry with backoff until a resync works; False if we must stop (auth, shutdown)."""
        while not self._closed:
            await asyncio.sleep(self.backoff.next_delay())
            self.plugin.health.reconnects += 1
            await self.async_refresh()
            if self.last_update_success:
                return True
            if isinstance(self.last_exception, (ConfigEntryAuthFailed, ConfigEntryError)):
                return False  # reauth already started, or only the user can fix it
        return False

    def _connection_lost(self, error: BaseException) -> None:
        self.plugin.health.disconnected(error)
        self.async_set_update_error(
            UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="connection_lost",
                translation_placeholders={"error": str(error) or type(error).__name__},
            )
        )
        self._notify_health()

    async def async_close(self) -> None:
        """Stop timers and the listener and let the plugin release the device."""
        if self._closed:
            return
        self._closed = True
        for handle in (
            self._status_handle,
            self._meter_handle,
            *(scheduled[1] for scheduled in self._deadline_handles.values()),
        ):
            if handle is not None:
                handle.cancel()
        self._deadline_handles.clear()
        if self._listen_task is not None:
            self._listen_task.cancel()
        try:
            await self.plugin.close()
        except MicboardError as err:
            LOGGER.debug("Error while closing %s: %s", self.plugin.manufacturer_name, err)

    async def async_shutdown(self) -> None:
        """Called on unload (registered by the base class) and on Home Assistant stop."""
        await self.async_close()
        await super().async_shutdown()
