"""``micboard/subscribe``: the live channel model for dashboards, straight from memory.

Protocol (all messages are events of the subscription):

- ``snapshot``: every matching entry, receiver and channel, plus area and label names. Sent
  first, and again whenever the set of channels or their placement changes (an entry loads or
  reloads, a receiver appears, a device moves to another area or is renamed in Home Assistant,
  a status entity gets another entity id).
- ``delta``: complete records of what changed in status (battery, transmitter, names,
  derived status, availability), sent as soon as the coordinator has derived the status.
- ``meters``: RF, audio and antenna values at the client's ``meter_rate`` (Hz, at most
  :data:`MAX_METER_RATE`; 0 turns them off). Meters never pass through the state machine.

Memory per subscription is bounded by the number of channels whatever the client's speed:
pending work is a set of channel keys, read from the live model when the timer fires, so a
hundred meter messages for one channel between two sends become one record. Home Assistant's
own send queue is bounded and drops a client that stops reading.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
import math
from typing import Any, Final

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    label_registry as lr,
)
from homeassistant.util import slugify
import probatio as vol

from .const import DOMAIN
from .coordinator import MicboardCoordinator
from .listeners import KIND_STATUS
from .live import get_live
from .live_payload import (
    ChannelRefKey,
    ReceiverRefKey,
    channel_key,
    channel_record,
    entry_protocol,
    entry_record,
    meter_values,
    receiver_record,
)
from .pictures import async_setup_pictures
from .placement import (
    Placement,
    area_name,
    channel_placement,
    label_name,
    micboard_entry,
    receiver_device,
)
from .plugins import PLUGINS
from .plugins.model import (
    METER_FIELDS,
    Channel,
    ModelUpdate,
)

COMMAND: Final = "micboard/subscribe"
#: The fastest meter rate a client may ask for (Hz); faster requests are capped to it.
MAX_METER_RATE: Final = 10.0
DEFAULT_METER_RATE: Final = 5.0
#: Registry edits come in bursts (a device moved, then renamed); placements are recomputed once.
REGISTRY_SETTLE_SECONDS: Final = 0.2
ERR_INVALID_FILTER: Final = "invalid_filter"

FILTER_KEYS: Final = ("config_entry_id", "device_id", "area_id", "label_id", "manufacturer")


def manufacturer_filter_values() -> dict[str, frozenset[str]]:
    """What ``manufacturer`` accepts, and the protocols (plugin codes) each value stands for.

    A brand (the slug of the manufacturer's name: ``shure``, ``sennheiser``,
    ``audio_technica``, ``demo_rack``) stands for all of its protocols; a protocol code
    (``shure_tcp``, ``sennheiser_ssc2``…) for itself.
    """
    values: dict[str, set[str]] = {}
    for code, plugin in PLUGINS.items():
        values.setdefault(slugify(plugin.manufacturer_name), set()).add(code)
        values.setdefault(code, set()).add(code)
    return {value: frozenset(codes) for value, codes in values.items()}


class InvalidFilterError(ValueError):
    """A filter the subscription cannot honour; the message is shown to the user as is."""


@dataclass(frozen=True, slots=True)
class ChannelFilter:
    """Which channels a subscription wants: AND across kinds, OR within a kind.

    ``device_ids`` holds receiver or channel devices: a receiver stands for all its channels.
    """

    entry_ids: frozenset[str] | None = None
    device_ids: frozenset[str] | None = None
    device_entry_ids: frozenset[str] | None = None  # entries owning ``device_ids``
    area_ids: frozenset[str] | None = None
    label_ids: frozenset[str] | None = None
    protocols: frozenset[str] | None = None  # plugin codes, from the ``manufacturer`` filter

    def allows_entry(self, entry_id: str, protocol: str | None = None) -> bool:
        """Whether channels of this entry (set up with ``protocol``) can match at all."""
        return (
            (self.entry_ids is None or entry_id in self.entry_ids)
            and (self.device_entry_ids is None or entry_id in self.device_entry_ids)
            and (self.protocols is None or protocol in self.protocols)
        )

    def matches(self, entry_id: str, protocol: str | None, placement: Placement) -> bool:
        """Whether one channel, placed as it is, is wanted."""
        if not self.allows_entry(entry_id, protocol):
            return False
        if self.device_ids is not None and (
            placement.device_id not in self.device_ids
            and placement.receiver_device_id not in self.device_ids
        ):
            return False
        if self.area_ids is not None and placement.area_id not in self.area_ids:
            return False
        return self.label_ids is None or not placement.labels.isdisjoint(self.label_ids)


def _ids(key: str, value: object) -> frozenset[str] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidFilterError(f"Filter '{key}' takes an id or a list of ids.")
    return frozenset(value) or None  # an empty list means "no filter", as in the card editor


def parse_filter(hass: HomeAssistant, raw: Mapping[str, Any]) -> ChannelFilter:
    """Validate a client's filter against the registries and say exactly what is wrong."""
    unknown = sorted(set(raw) - set(FILTER_KEYS))
    if unknown:
        raise InvalidFilterError(
            f"Unknown filter '{unknown[0]}'. Supported filters: {', '.join(FILTER_KEYS)}."
        )
    values = {key: _ids(key, raw[key]) for key in FILTER_KEYS if key in raw}
    protocols = _protocols(values.get("manufacturer"))
    entry_ids = values.get("config_entry_id")
    for entry_id in sorted(entry_ids or ()):
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise InvalidFilterError(f"'{entry_id}' is not a Micboard config entry.")
    device_ids = values.get("device_id")
    device_entry_ids: set[str] = set()
    devices = dr.async_get(hass)
    for device_id in sorted(device_ids or ()):
        entry = micboard_entry(hass, devices.async_get(device_id))
        if entry is None:
            raise InvalidFilterError(f"'{device_id}' is not a Micboard receiver or channel device.")
        device_entry_ids.add(entry.entry_id)
    areas = ar.async_get(hass)
    for area_id in sorted(values.get("area_id") or ()):
        if areas.async_get_area(area_id) is None:
            raise InvalidFilterError(f"Unknown area '{area_id}'.")
    labels = lr.async_get(hass)
    for label_id in sorted(values.get("label_id") or ()):
        if labels.async_get_label(label_id) is None:
            raise InvalidFilterError(f"Unknown label '{label_id}'.")
    return ChannelFilter(
        entry_ids=entry_ids,
        device_ids=device_ids,
        device_entry_ids=frozenset(device_entry_ids) if device_ids else None,
        area_ids=values.get("area_id"),
        label_ids=values.get("label_id"),
        protocols=protocols,
    )


def _protocols(manufacturers: frozenset[str] | None) -> frozenset[str] | None:
    """The plugin codes a ``manufacturer`` filter stands for."""
    if manufacturers is None:
        return None
    known = manufacturer_filter_values()
    protocols: set[str] = set()
    for value in sorted(manufacturers):
        if value not in known:
            raise InvalidFilterError(
                f"Unknown manufacturer '{value}'. Use a brand or a protocol: "
                f"{', '.join(sorted(known))}."
            )
        protocols |= known[value]
    return frozenset(protocols)


def _meter_rate(value: Any) -> float:
    """Hz from 0 up; anything faster than the cap is capped, not refused."""
    rate = vol.Coerce(float)(value)
    if math.isnan(rate) or rate < 0:
        raise vol.Invalid("meter_rate must be a number of Hz, 0 or more")
    return min(rate, MAX_METER_RATE)


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the commands (once, from ``async_setup``)."""
    async_register_command(hass, ws_subscribe)
    async_setup_pictures(hass)


@websocket_command(
    {
        vol.Required("type"): COMMAND,
        vol.Optional("filter", default={}): dict,
        vol.Optional("meter_rate", default=DEFAULT_METER_RATE): _meter_rate,
    }
)
@callback
def ws_subscribe(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Validate, acknowledge, then stream: snapshot first, deltas after."""
    try:
        channel_filter = parse_filter(hass, msg["filter"])
    except InvalidFilterError as err:
        connection.send_error(msg["id"], ERR_INVALID_FILTER, str(err))
        return
    subscription = Subscription(hass, connection, msg["id"], channel_filter, msg["meter_rate"])
    connection.subscriptions[msg["id"]] = subscription.stop
    connection.send_result(msg["id"])
    subscription.start()


class Subscription:
    """One client's view of the live model; a :class:`~.live.LiveClient` of the hub."""

    def __init__(
        self,
        hass: HomeAssistant,
        connection: ActiveConnection,
        msg_id: int,
        channel_filter: ChannelFilter,
        meter_rate: float,
    ) -> None:
        """Prepare; nothing is sent before :meth:`start`."""
        self.hass = hass
        self.connection = connection
        self.msg_id = msg_id
        self.filter = channel_filter
        self.meter_rate = meter_rate
        self._interval = 1.0 / meter_rate if meter_rate > 0 else None
        self._hub = get_live(hass)
        self._loop = hass.loop
        self._unsub: CALLBACK_TYPE | None = None
        self._matched: dict[ChannelRefKey, Placement] = {}
        self._shown_receivers: set[ReceiverRefKey] = set()  # those with matching channels
        self._names: tuple[dict[str, str | None], dict[str, str]] = ({}, {})
        self._pending_entries: set[str] = set()
        self._pending_receivers: set[ReceiverRefKey] = set()
        self._pending_channels: set[ChannelRefKey] = set()
        self._pending_meters: set[ChannelRefKey] = set()
        self._sent_meters: dict[ChannelRefKey, dict[str, Any]] = {}
        self._status_handle: asyncio.Handle | None = None
        self._meter_handle: asyncio.TimerHandle | None = None
        self._registry_handle: asyncio.TimerHandle | None = None
        self._snapshot_handle: asyncio.Handle | None = None
        self._last_meter_send = -math.inf
        self.messages_sent: Counter[str] = Counter()  # by message type

    # -- lifecycle ----------------------------------------------------------------------------

    @callback
    def start(self) -> None:
        """Send the snapshot and start following the hub."""
        self._rebuild()
        self._send_snapshot()
        self._unsub = self._hub.async_add_client(self)

    @callback
    def stop(self) -> None:
        """Unsubscribe (client request or connection closed): release everything."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        for handle in (
            self._status_handle,
            self._meter_handle,
            self._registry_handle,
            self._snapshot_handle,
        ):
            if handle is not None:
                handle.cancel()
        self._status_handle = self._meter_handle = None
        self._registry_handle = self._snapshot_handle = None
        for pending in (
            self._pending_entries,
            self._pending_receivers,
            self._pending_channels,
            self._pending_meters,
        ):
            pending.clear()
        self._sent_meters.clear()

    @property
    def pending_size(self) -> int:
        """Records waiting to be sent (bounded by the number of matching channels)."""
        return (
            len(self._pending_entries)
            + len(self._pending_receivers)
            + len(self._pending_channels)
            + len(self._pending_meters)
        )

    # -- what matches -------------------------------------------------------------------------

    def _allows(self, entry: ConfigEntry) -> bool:
        """Whether the filter lets this entry's channels through at all."""
        return self.filter.allows_entry(entry.entry_id, entry_protocol(entry))

    def _rebuild(self) -> None:
        """Recompute matching channels and their placement from the model and registries."""
        registry = dr.async_get(self.hass)
        entities = er.async_get(self.hass)
        matched: dict[ChannelRefKey, Placement] = {}
        for entry_id, coordinator in self._hub.coordinators.items():
            protocol = entry_protocol(coordinator.config_entry)
            if not self.filter.allows_entry(entry_id, protocol):
                continue
            for receiver_id, receiver in (coordinator.data or {}).items():
                for index in receiver.channels:
                    placement = channel_placement(registry, entry_id, receiver_id, index, entities)
                    if self.filter.matches(entry_id, protocol, placement):
                        matched[(entry_id, receiver_id, index)] = placement
        self._matched = matched
        self._shown_receivers = {(ref[0], ref[1]) for ref in matched}
        self._names = self._registry_names()
        self._sent_meters = {ref: v for ref, v in self._sent_meters.items() if ref in matched}

    def _registry_names(self) -> tuple[dict[str, str | None], dict[str, str]]:
        areas = {p.area_id for p in self._matched.values() if p.area_id is not None}
        labels = {label for p in self._matched.values() for label in p.labels}
        return (
            {area_id: area_name(self.hass, area_id) for area_id in sorted(areas)},
            {label_id: label_name(self.hass, label_id) for label_id in sorted(labels)},
        )

    # -- LiveClient ---------------------------------------------------------------------------

    @callback
    def model_updated(self, coordinator: MicboardCoordinator, update: ModelUpdate) -> None:
        """Note a channel whose meters moved; the meter timer sends it at the client's rate."""
        if self._interval is None or update.channel is None:
            return
        if update.fields.isdisjoint(METER_FIELDS):
            return
        ref = (coordinator.config_entry.entry_id, update.receiver_id, update.channel)
        if ref not in self._matched:
            return
        self._pending_meters.add(ref)
        if self._meter_handle is None:
            delay = max(0.0, self._last_meter_send + self._interval - self._loop.time())
            self._meter_handle = self._loop.call_later(delay, self._send_meters)

    @callback
    def model_notified(
        self, coordinator: MicboardCoordinator, receiver_id: str, channel: int | None, kind: str
    ) -> None:
        """Queue a status record once the coordinator derived the status."""
        if kind != KIND_STATUS:
            return  # meters are followed at the client's own rate in model_updated
        entry_id = coordinator.config_entry.entry_id
        if channel is None:
            if (entry_id, receiver_id) in self._shown_receivers:
                self._pending_receivers.add((entry_id, receiver_id))
                self._schedule_status()
            return
        ref = (entry_id, receiver_id, channel)
        if ref in self._matched:
            self._pending_channels.add(ref)
            self._schedule_status()

    @callback
    def entry_refreshed(self, coordinator: MicboardCoordinator) -> None:
        """After a resync or a connection failure, resend the whole entry.

        A resync that changed receivers or channels has already asked for a snapshot
        (:meth:`structure_changed`), which replaces these records.
        """
        entry_id = coordinator.config_entry.entry_id
        if not self._allows(coordinator.config_entry):
            return
        self._pending_entries.add(entry_id)
        self._pending_receivers.update(key for key in self._shown_receivers if key[0] == entry_id)
        self._pending_channels.update(ref for ref in self._matched if ref[0] == entry_id)
        self._schedule_status()

    @callback
    def structure_changed(self, coordinator: MicboardCoordinator) -> None:
        """Receivers or channels came or went: start over with a snapshot."""
        if self._allows(coordinator.config_entry):
            self._schedule_snapshot()

    @callback
    def entries_changed(self) -> None:
        """An entry loaded, unloaded or reloaded: start over with a snapshot."""
        self._schedule_snapshot()

    @callback
    def registry_changed(self) -> None:
        """Recompute placements once the registry edits settle; resend only if they moved."""
        if self._registry_handle is not None:
            self._registry_handle.cancel()
        self._registry_handle = self._loop.call_later(
            REGISTRY_SETTLE_SECONDS, self._registry_settled
        )

    @callback
    def _registry_settled(self) -> None:
        self._registry_handle = None
        before = (self._matched, self._names)
        self._rebuild()
        if (self._matched, self._names) != before:
            self._send_snapshot()

    # -- sending ------------------------------------------------------------------------------

    def _send(self, payload: dict[str, Any]) -> None:
        self.messages_sent[payload["type"]] += 1
        self.connection.send_message(event_message(self.msg_id, payload))

    def _schedule_snapshot(self) -> None:
        if self._snapshot_handle is None:
            self._snapshot_handle = self._loop.call_soon(self._resnapshot)

    @callback
    def _resnapshot(self) -> None:
        self._snapshot_handle = None
        self._rebuild()
        self._send_snapshot()

    def _schedule_status(self) -> None:
        # One message per coordinator flush: the flush notifies channel by channel in one go.
        if self._status_handle is None:
            self._status_handle = self._loop.call_soon(self._send_status)

    def _send_snapshot(self) -> None:
        """Everything that matches; replaces whatever the client had."""
        self._pending_entries.clear()
        self._pending_receivers.clear()
        self._pending_channels.clear()
        self._pending_meters.clear()
        if self._status_handle is not None:
            self._status_handle.cancel()
            self._status_handle = None
        entries = [
            entry_record(entry, self._hub.coordinators.get(entry.entry_id))
            for entry in sorted(
                self.hass.config_entries.async_entries(DOMAIN), key=lambda e: e.title.casefold()
            )
            if self._allows(entry)
        ]
        receiver_refs = sorted(self._shown_receivers, key=self._sort_key)
        areas, labels = self._names
        self._send(
            {
                "type": "snapshot",
                "meter_rate": self.meter_rate,
                "entries": entries,
                "receivers": [r for ref in receiver_refs if (r := self._receiver(ref))],
                "channels": [
                    c
                    for ref in sorted(self._matched, key=self._sort_key)
                    if (c := self._channel(ref))
                ],
                "areas": areas,
                "labels": labels,
            }
        )
        self._sent_meters = {
            ref: meter_values(channel)
            for ref in self._matched
            if (channel := self._live_channel(ref)) is not None
        }

    def _sort_key(self, ref: ReceiverRefKey | ChannelRefKey) -> tuple[Any, ...]:
        """Entries by title, receivers by name, channels by index: the order of the rack."""
        coordinator = self._hub.coordinators.get(ref[0])
        receiver = coordinator.receiver(ref[1]) if coordinator else None
        title = coordinator.config_entry.title.casefold() if coordinator else ""
        name = (receiver.name or receiver.id).casefold() if receiver else ref[1]
        return (title, name, ref[1], *ref[2:])

    @callback
    def _send_status(self) -> None:
        self._status_handle = None
        payload: dict[str, Any] = {"type": "delta"}
        if self._pending_entries:
            entries = [
                entry_record(entry, self._hub.coordinators.get(entry_id))
                for entry_id in sorted(self._pending_entries)
                if (entry := self.hass.config_entries.async_get_entry(entry_id)) is not None
            ]
            payload["entries"] = entries
        if self._pending_receivers:
            payload["receivers"] = [
                r for ref in sorted(self._pending_receivers) if (r := self._receiver(ref))
            ]
        if self._pending_channels:
            payload["channels"] = [
                c for ref in sorted(self._pending_channels) if (c := self._channel(ref))
            ]
            for ref in self._pending_channels:
                if (channel := self._live_channel(ref)) is not None:
                    self._sent_meters[ref] = meter_values(channel)
        self._pending_entries.clear()
        self._pending_receivers.clear()
        self._pending_channels.clear()
        if len(payload) > 1:
            self._send(payload)

    @callback
    def _send_meters(self) -> None:
        self._meter_handle = None
        self._last_meter_send = self._loop.time()
        records: list[dict[str, Any]] = []
        for ref in self._pending_meters:
            channel = self._live_channel(ref)
            if channel is None or ref not in self._matched:
                continue
            values = meter_values(channel)
            if self._sent_meters.get(ref) == values:
                continue  # moved and came back between two sends
            self._sent_meters[ref] = values
            records.append({"key": channel_key(ref), **values})
        self._pending_meters.clear()
        if records:
            records.sort(key=lambda record: record["key"])
            self._send({"type": "meters", "channels": records})

    # -- records ------------------------------------------------------------------------------

    def _live_channel(self, ref: ChannelRefKey) -> Channel | None:
        coordinator = self._hub.coordinators.get(ref[0])
        return coordinator.channel(ref[1], ref[2]) if coordinator else None

    def _receiver(self, ref: ReceiverRefKey) -> dict[str, Any] | None:
        coordinator = self._hub.coordinators.get(ref[0])
        receiver = coordinator.receiver(ref[1]) if coordinator else None
        if receiver is None:
            return None
        device = receiver_device(dr.async_get(self.hass), ref[0], ref[1])
        return receiver_record(
            ref[0],
            receiver,
            device.id if device else None,
            device.area_id if device else None,
            device.name_by_user if device else None,
        )

    def _channel(self, ref: ChannelRefKey) -> dict[str, Any] | None:
        coordinator = self._hub.coordinators.get(ref[0])
        channel = self._live_channel(ref)
        placement = self._matched.get(ref)
        if coordinator is None or channel is None or placement is None:
            return None
        return channel_record(ref, channel, placement, coordinator)
