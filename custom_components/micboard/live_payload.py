"""What the dashboard websocket sends: plain JSON records of entries, receivers and channels.

Keys are opaque strings that stay unique across entries (``<entry>/<receiver>`` and
``<entry>/<receiver>/<channel>``). A channel record is complete, so a status delta replaces it;
a meter record carries only the fields that move at metering speed.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState

from .const import CONF_MANUFACTURER
from .coordinator import MicboardCoordinator
from .placement import Placement
from .plugins import PLUGINS
from .plugins.model import (
    Channel,
    Receiver,
    Transmitter,
)
from .plugins.status import has_rf_problem, is_low_battery

type ChannelRefKey = tuple[str, str, int]  # entry id, receiver id, channel index
type ReceiverRefKey = tuple[str, str]  # entry id, receiver id

_TRANSMITTER_FIELDS = tuple(item.name for item in fields(Transmitter))


def channel_key(ref: ChannelRefKey) -> str:
    """Opaque, stable key of a channel for the client."""
    return f"{ref[0]}/{ref[1]}/{ref[2]}"


def receiver_key(ref: ReceiverRefKey) -> str:
    """Opaque, stable key of a receiver for the client."""
    return f"{ref[0]}/{ref[1]}"


def entry_protocol(entry: ConfigEntry) -> str:
    """The plugin code an entry was set up with (``shure_tcp``, ``demo``…)."""
    return str(entry.data.get(CONF_MANUFACTURER, ""))


def entry_manufacturer(entry: ConfigEntry) -> str:
    """The brand behind an entry's protocol, also while the entry is not loaded."""
    plugin = PLUGINS.get(entry_protocol(entry))
    return plugin.manufacturer_name if plugin is not None else entry_protocol(entry)


def entry_record(entry: ConfigEntry, coordinator: MicboardCoordinator | None) -> dict[str, Any]:
    """An entry, whether its data is live (loaded and the last refresh worked), and its link.

    ``manufacturer`` and ``connection`` feed the card's health footer: an entry that is not
    loaded has no receivers in the stream, but still counts for its brand.
    """
    loaded = coordinator is not None and entry.state is ConfigEntryState.LOADED
    return {
        "entry_id": entry.entry_id,
        "title": entry.title,
        "state": entry.state.value,
        "available": bool(loaded and coordinator is not None and coordinator.last_update_success),
        "manufacturer": entry_manufacturer(entry),
        "protocol": entry_protocol(entry),
        "connection": coordinator.plugin.health.state.value
        if loaded and coordinator is not None
        else None,
    }


def receiver_record(
    entry_id: str,
    receiver: Receiver,
    device_id: str | None,
    area_id: str | None,
    name_by_user: str | None = None,
) -> dict[str, Any]:
    """A receiver as the card shows it (group header, offline state, layout rows)."""
    return {
        "key": receiver_key((entry_id, receiver.id)),
        "entry_id": entry_id,
        "id": receiver.id,
        "name": receiver.name or receiver.id,
        "device_name": name_by_user,
        "manufacturer": receiver.manufacturer,
        "model": receiver.model,
        "online": receiver.online,
        "device_id": device_id,
        "area_id": area_id,
    }


def _transmitter(transmitter: Transmitter | None) -> dict[str, Any] | None:
    if transmitter is None:
        return None
    return {name: getattr(transmitter, name) for name in _TRANSMITTER_FIELDS}


def meter_values(channel: Channel) -> dict[str, Any]:
    """The fields that change at metering speed (and what is derived from them)."""
    return {
        "audio_level": channel.audio_level,
        "audio_peak": channel.audio_peak,
        "audio_clipping": channel.audio_clipping,
        "rf_level": channel.rf_level,
        "rf_levels": list(channel.rf_levels),
        "rf_quality": channel.rf_quality,
        "antenna": channel.antenna,
        "rf_problem": has_rf_problem(channel),
    }


def channel_record(
    ref: ChannelRefKey,
    channel: Channel,
    placement: Placement,
    coordinator: MicboardCoordinator,
) -> dict[str, Any]:
    """Everything the card can show for one channel."""
    return {
        "key": channel_key(ref),
        "entry_id": ref[0],
        "receiver_key": receiver_key((ref[0], ref[1])),
        "receiver_id": ref[1],
        "index": channel.index,
        "device_id": placement.device_id,
        "area_id": placement.area_id,
        "labels": sorted(placement.labels),
        "features": sorted(channel.features),
        "name": channel.name,
        # The channel device's name as renamed in Home Assistant: the card shows it large.
        "device_name": placement.name_by_user,
        "status_entity_id": placement.status_entity_id,
        "status": channel.status.value,
        "frequency_mhz": channel.frequency_mhz,
        "transmitter": _transmitter(channel.transmitter),
        "last_transmitter": _transmitter(channel.last_transmitter),
        "low_battery": is_low_battery(
            channel.transmitter, coordinator.low_battery_percent, coordinator.low_battery_minutes
        ),
        "muted": channel.muted,
        "interference": channel.interference,
        "rf_warning": channel.rf_warning,
        "encryption_warning": channel.encryption_warning,
        **coordinator.runtime.payload(ref[1], ref[2]),
        **meter_values(channel),
    }
