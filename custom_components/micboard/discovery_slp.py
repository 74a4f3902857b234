"""Shure discovery: listen for SLP announcements and offer each new receiver as a config flow.

Home Assistant has no SLP discovery of its own, so the integration listens on 8427/udp for
the multicast Attribute Replies Shure devices send (group 239.255.254.253). The listener starts
with the integration (``async_setup``: as soon as any Micboard entry exists) and stops with Home
Assistant. It only hands the sender's address to an ``integration_discovery`` flow; the flow
connects to port 2202 and identifies the device before offering it, and a known device seen at
a new address gets its entry's host updated. If the port cannot be bound (another program owns
it without SO_REUSEADDR, no multicast route...) discovery is simply off: it never stops
Home Assistant or an entry from starting.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import os
import socket
import time
from typing import Final

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_HOST, CONF_PORT, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import discovery_flow
from homeassistant.util.hass_dict import HassKey

from .const import CONF_MANUFACTURER, DOMAIN, LOGGER
from .plugins.shure.commands.plugin import (
    DEFAULT_PORT,
    ShureCommandsPlugin,
)
from .plugins.shure.slp import (
    SLP_GROUP,
    SLP_PORT,
    parse_announcement,
)


def autostart_from(setting: str | None) -> bool:
    """``MICBOARD_SLP_DISCOVERY``: on unless it says off (``off``, ``0``, ``no``, ``false``)."""
    return (setting or "on").strip().lower() not in {"off", "0", "no", "false"}


#: Whether ``async_setup`` starts the listener. Tests switch it off and start their own; the
#: development scripts set ``MICBOARD_SLP_DISCOVERY=off`` so a test machine joins no multicast
#: group on a real network.
SLP_AUTOSTART = autostart_from(os.environ.get("MICBOARD_SLP_DISCOVERY"))
#: A device announces often; it is offered again at most this often per address.
ANNOUNCE_COOLDOWN_SECONDS: Final = 600.0
#: Addresses remembered for the cooldown (a busy network must not grow memory).
MAX_REMEMBERED: Final = 1024
DISCOVERY_KEY_DCID: Final = "dcid"
DISCOVERY_KEY_MODEL: Final = "model"

DATA_SLP: HassKey[SlpListener] = HassKey(f"{DOMAIN}_slp")


@dataclass(frozen=True, slots=True)
class SlpSettings:
    """Where to listen; tests use loopback, unicast, and their simulator's port."""

    bind_host: str = ""
    port: int = SLP_PORT
    group: str | None = SLP_GROUP
    device_port: int = DEFAULT_PORT


DEFAULT_SETTINGS = SlpSettings()


class SlpListener(asyncio.DatagramProtocol):
    """Receives SLP datagrams and starts discovery flows for Shure devices."""

    def __init__(self, hass: HomeAssistant, settings: SlpSettings = DEFAULT_SETTINGS) -> None:
        """Nothing is bound until :meth:`async_start`."""
        self.hass = hass
        self.settings = settings
        self.port: int | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._seen: dict[tuple[str, str], float] = {}

    async def async_start(self, interfaces: list[str] | None = None) -> bool:
        """Bind (and join the group on each interface); False if discovery cannot run."""
        settings = self.settings
        try:
            sock = _open_socket(settings, interfaces or ["0.0.0.0"])  # noqa: S104  multicast needs any
        except OSError as err:
            LOGGER.info(
                "Shure discovery is off: cannot listen for SLP on port %s (%s)", settings.port, err
            )
            return False
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=sock)
        self._transport = transport
        self.port = sock.getsockname()[1]
        LOGGER.debug("Listening for Shure SLP announcements on port %s", self.port)
        return True

    @callback
    def async_stop(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        """An announcement: offer the device unless it is known or was offered recently."""
        announcement = parse_announcement(data)
        host = str(addr[0])
        if announcement is None:
            LOGGER.debug("Ignoring an SLP datagram from %s without a Shure DCID", host)
            return
        now = time.monotonic()
        key = (host, announcement.dcid)
        if now - self._seen.get(key, -ANNOUNCE_COOLDOWN_SECONDS) < ANNOUNCE_COOLDOWN_SECONDS:
            return
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen.clear()
        self._seen[key] = now
        if any(
            entry.data.get(CONF_HOST) == host
            for entry in self.hass.config_entries.async_entries(DOMAIN)
        ):
            return  # already monitored at this address; probing it again would open a 2nd session
        LOGGER.debug("Shure device %s (%s) announced itself", host, announcement.model_hint)
        discovery_flow.async_create_flow(
            self.hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                CONF_MANUFACTURER: ShureCommandsPlugin.manufacturer_code,
                CONF_HOST: host,
                CONF_PORT: self.settings.device_port,
                DISCOVERY_KEY_DCID: announcement.dcid,
                DISCOVERY_KEY_MODEL: announcement.model_hint,
            },
        )


def _open_socket(settings: SlpSettings, interfaces: list[str]) -> socket.socket:
    """A non-blocking UDP socket bound to the SLP port that shares it with other listeners."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):  # pragma: no branch  (not on Windows)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((settings.bind_host, settings.port))
        if settings.group is not None:
            _join(sock, settings.group, interfaces)
        sock.setblocking(False)  # noqa: FBT003  socket API
    except OSError:
        sock.close()
        raise
    return sock


def _join(sock: socket.socket, group: str, interfaces: list[str]) -> None:
    """Join ``group`` on every interface that allows it; OSError if none does."""
    joined = 0
    for address in interfaces:
        membership = socket.inet_aton(group) + socket.inet_aton(address)
        try:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            joined += 1
        except OSError as err:
            LOGGER.debug("Cannot join %s on %s: %s", group, address, err)
    if not joined:
        raise OSError(f"could not join {group} on any interface")


async def _ipv4_interfaces(hass: HomeAssistant) -> list[str]:
    """Addresses of the enabled IPv4 adapters, so devices on every network are heard."""
    try:
        from homeassistant.components import network  # noqa: PLC0415  optional dependency

        adapters = await network.async_get_adapters(hass)
    except Exception:  # noqa: BLE001  the network integration is optional here
        return ["0.0.0.0"]  # noqa: S104  the default interface
    addresses = [
        address["address"]
        for adapter in adapters
        if adapter["enabled"]
        for address in adapter["ipv4"]
    ]
    return addresses or ["0.0.0.0"]  # noqa: S104


async def async_setup_slp_discovery(hass: HomeAssistant) -> SlpListener | None:
    """Start the listener once per Home Assistant run (from ``async_setup``)."""
    if not SLP_AUTOSTART or DATA_SLP in hass.data:
        return hass.data.get(DATA_SLP)
    listener = SlpListener(hass, DEFAULT_SETTINGS)
    interfaces = await _ipv4_interfaces(hass) if DEFAULT_SETTINGS.group else None
    if not await listener.async_start(interfaces):
        return None
    hass.data[DATA_SLP] = listener

    @callback
    def _stop(_event: Event) -> None:
        listener.async_stop()
        hass.data.pop(DATA_SLP, None)

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop)
    return listener
