"""System information: is every Micboard link up, and when did each device last speak?

Settings → System → Repairs → ⋮ → System information is where a user (or whoever helps them
in an issue) looks first. It gets one line per manufacturer ("Shure receivers: 12/12
connected") and one per config entry, keyed by the entry's title: protocol, connection state,
receivers connected, reconnects and the time since the last protocol message. Everything is
read from the live plugin objects, so the page shows what the integration sees now, without
waiting for a refresh. The page is often pasted into public issues: it shows no entry data
(hosts, credentials), only the title the user gave the entry and, for an entry that is not
running, the reason Home Assistant already shows on it.
"""

from __future__ import annotations

from dataclasses import dataclass
import time
from typing import Any

from homeassistant.components.system_health import SystemHealthRegistration
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import slugify

from .const import CONF_MANUFACTURER, DOMAIN
from .coordinator import MicboardConfigEntry
from .plugins import UnknownPluginError, get_plugin
from .plugins.health import ConnectionState

#: Where the section's "Manage" link leads: the integration's page.
MANAGE_URL = f"/config/integrations/integration/{DOMAIN}"
#: Translated keys (``system_health.info.*``); the per-entry keys are the entries' titles.
KEY_ENTRIES = "entries"
KEY_RECEIVERS_PREFIX = "receivers_"


@callback
def async_register(hass: HomeAssistant, register: SystemHealthRegistration) -> None:
    """Register the info callback (Home Assistant calls this for the system_health platform)."""
    register.async_register_info(system_health_info, MANAGE_URL)


def manufacturer_key(manufacturer_name: str) -> str:
    """Info key of a manufacturer's summary line, e.g. ``receivers_audio_technica``."""
    return KEY_RECEIVERS_PREFIX + slugify(manufacturer_name)


def ago(seconds: float) -> str:
    """Short English age of the last message: ``4 s ago``, ``12 min ago``, ``3 h ago``."""
    seconds = max(0.0, seconds)
    if seconds < 60:  # noqa: PLR2004  one minute
        return f"{int(seconds)} s ago"
    if seconds < 3600:  # noqa: PLR2004  one hour
        return f"{int(seconds // 60)} min ago"
    return f"{int(seconds // 3600)} h ago"


@dataclass(slots=True)
class _Tally:
    """Receivers of one manufacturer: how many, how many connected, entries not running."""

    receivers: int = 0
    connected: int = 0
    not_loaded: int = 0

    def text(self) -> str:
        line = f"{self.connected}/{self.receivers} connected"
        if self.not_loaded:
            entries = "entry" if self.not_loaded == 1 else "entries"
            line += f", {self.not_loaded} {entries} not loaded"
        return line


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """Per manufacturer and per entry: what each connection is doing right now."""
    entries: list[MicboardConfigEntry] = sorted(
        hass.config_entries.async_entries(DOMAIN), key=lambda entry: entry.title.casefold()
    )
    now = time.time()
    tallies: dict[str, _Tally] = {}
    per_entry: list[tuple[str, str]] = []
    loaded = 0
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            loaded += 1
            line = _loaded_line(entry, now, tallies)
        else:
            line = _not_loaded_line(entry, tallies)
        per_entry.append((entry.title, line))

    info: dict[str, Any] = {KEY_ENTRIES: f"{loaded}/{len(entries)} loaded"}
    for name in sorted(tallies, key=str.casefold):
        info[manufacturer_key(name)] = tallies[name].text()
    for title, line in per_entry:
        key = title
        number = 2
        while key in info:  # two entries with one title, or a title equal to a fixed key
            key = f"{title} ({number})"
            number += 1
        info[key] = line
    return info


def _loaded_line(entry: MicboardConfigEntry, now: float, tallies: dict[str, _Tally]) -> str:
    """``shure_tcp: connected, 2/2 receivers connected, 0 reconnects, last message 1 s ago``."""
    coordinator = entry.runtime_data
    plugin = coordinator.plugin
    health = coordinator.connection_health
    receivers = coordinator.data or {}
    connected = sum(
        1
        for receiver_id, receiver in receivers.items()
        if receiver.online
        and coordinator.health_for(receiver_id).state is ConnectionState.CONNECTED
    )
    tally = tallies.setdefault(plugin.manufacturer_name, _Tally())
    tally.receivers += len(receivers)
    tally.connected += connected
    last = "never" if health.last_message_at is None else ago(now - health.last_message_at)
    return (
        f"{plugin.manufacturer_code}: {health.state.value}, "
        f"{connected}/{len(receivers)} receivers connected, "
        f"{health.reconnects} reconnects, last message {last}"
    )


def _not_loaded_line(entry: MicboardConfigEntry, tallies: dict[str, _Tally]) -> str:
    """``shure_tcp: setup_retry (why)``: an entry that is not running has no live data."""
    code = str(entry.data.get(CONF_MANUFACTURER, "unknown"))
    try:
        manufacturer: str | None = get_plugin(code).manufacturer_name
    except UnknownPluginError:
        manufacturer = None
    if manufacturer is not None:
        tallies.setdefault(manufacturer, _Tally()).not_loaded += 1
    state = "disabled" if entry.disabled_by is not None else entry.state.value
    return f"{code}: {state}" + (f" ({entry.reason})" if entry.reason else "")
