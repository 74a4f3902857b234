"""Status-change notifications on UDP, shared by every Audio-Technica plugin in the process.

Receivers send them to port 17000 by default (System 20 PRO multicasts them to 239.0.0.100 by
default; ESW sends them to a configurable address). Every receiver of a site sends to the same
port, so one socket per (address, port, group) serves all plugins in the process and hands
each datagram to the plugin whose receiver sent it (matched by source IP). Binding or joining
the group can fail (port taken, no multicast route, a container network): that is logged and
the plugin keeps working from polling alone, which is why notifications only ever speed
things up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import ipaddress
import logging
import socket
import struct

from .protocol import MAX_LINE_BYTES, Answer, decode, parse_line

_LOGGER = logging.getLogger(__name__)

DEFAULT_NOTIFY_PORT = 17000
DEFAULT_NOTIFY_GROUP = "239.0.0.100"
#: Where the notification socket binds; tests use loopback.
DEFAULT_NOTIFY_BIND = "0.0.0.0"  # noqa: S104  the receivers are on the LAN

type NotificationCallback = Callable[[Answer], None]
#: Told about a line from the subscribed sender that is not a notification (reason, line).
type RejectCallback = Callable[[str, str], None]
type SubscriberKey = tuple[str, int, str]


def is_multicast(address: str) -> bool:
    """True for an IPv4 multicast address (224.0.0.0/4)."""
    try:
        return ipaddress.IPv4Address(address).is_multicast
    except ValueError:
        return False


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, hub: _SharedSocket) -> None:
        self._hub = hub

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self._hub.dispatch(data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("Notification socket error: %s", exc)


@dataclass(slots=True)
class _SharedSocket:
    """One bound socket and the plugins listening through it."""

    subscribers: dict[str, list[NotificationCallback]] = field(default_factory=dict)
    rejectors: dict[str, list[RejectCallback]] = field(default_factory=dict)
    transport: asyncio.DatagramTransport | None = None

    def dispatch(self, data: bytes, sender: str) -> None:
        """Hand a datagram's lines to its receiver's plugins; garbage goes to their rejectors.

        A datagram is at most 64 KB and split once, so its cost is linear and bounded.
        """
        callbacks = self.subscribers.get(sender)
        if not callbacks:
            return
        for raw in data.split(b"\r"):
            line = decode(raw[: MAX_LINE_BYTES + 1])
            if not line:
                continue
            message = parse_line(line) if len(raw) <= MAX_LINE_BYTES else None
            if not isinstance(message, Answer):
                for reject in list(self.rejectors.get(sender, ())):
                    reject("a notification that is not a message", line)
                continue
            for callback in list(callbacks):
                callback(message)


_SOCKETS: dict[SubscriberKey, _SharedSocket] = {}


def _make_socket(bind: str, port: int, group: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        if group:
            # Other listeners on this host may want the group too; for
            # unicast, sharing the port would split the datagrams, so a clash is reported.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((bind, port))
        if group:
            membership = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(bind))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setblocking(False)  # noqa: FBT003  socket API
    except OSError:
        sock.close()
        raise
    return sock


class NotificationSubscription:
    """A plugin's interest in one receiver's notifications; :meth:`close` ends it."""

    def __init__(
        self,
        key: SubscriberKey,
        sender: str,
        callback: NotificationCallback,
        rejected: RejectCallback | None = None,
    ) -> None:
        """Use :func:`subscribe` rather than this."""
        self._key = key
        self._sender = sender
        self._callback: NotificationCallback | None = callback
        self._rejected = rejected

    def close(self) -> None:
        """Stop delivering; the socket closes with its last subscriber. Safe to call twice."""
        callback, self._callback = self._callback, None
        shared = _SOCKETS.get(self._key)
        if callback is None or shared is None:
            return
        callbacks = shared.subscribers.get(self._sender, [])
        if callback in callbacks:
            callbacks.remove(callback)
        if not callbacks:
            shared.subscribers.pop(self._sender, None)
        rejectors = shared.rejectors.get(self._sender, [])
        if self._rejected in rejectors:
            rejectors.remove(self._rejected)
        if not rejectors:
            shared.rejectors.pop(self._sender, None)
        if not shared.subscribers:
            del _SOCKETS[self._key]
            if shared.transport is not None:
                shared.transport.close()


async def subscribe(
    sender: str,
    callback: NotificationCallback,
    *,
    port: int,
    group: str = "",
    bind: str = "",
    rejected: RejectCallback | None = None,
) -> NotificationSubscription | None:
    """Deliver notifications from ``sender`` (an IP) to ``callback``.

    ``group`` joins a multicast group (empty: unicast only). Returns ``None`` when the
    socket cannot be set up; the reason is logged once per call at warning level, since the
    user can act on it (free the port, route multicast) and monitoring goes on by polling.
    """
    bind = bind or DEFAULT_NOTIFY_BIND
    key = (bind, port, group)
    shared = _SOCKETS.get(key)
    if shared is None:
        try:
            sock = _make_socket(bind, port, group)
        except OSError as err:
            _LOGGER.warning(
                "Cannot listen for Audio-Technica notifications on UDP %s:%s%s (%s); "
                "status changes will arrive by polling only",
                bind,
                port,
                f" group {group}" if group else "",
                err,
            )
            return None
        # Registered before the await, so a concurrent subscriber shares it.
        created = _SOCKETS[key] = _SharedSocket()
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Protocol(created), sock=sock
            )
        except BaseException:
            # Cancelled (the listener stopped meanwhile) or failed: leave no empty entry
            # behind, or the next subscriber would share a socket that was never opened.
            if _SOCKETS.get(key) is created and not created.subscribers:
                del _SOCKETS[key]
            sock.close()
            raise
        shared = created
        shared.transport = transport
        # A subscriber that came and went during the await may have unregistered it.
        if _SOCKETS.setdefault(key, shared) is not shared:  # pragma: no cover  (race)
            transport.close()
            shared = _SOCKETS[key]
    shared.subscribers.setdefault(sender, []).append(callback)
    if rejected is not None:
        shared.rejectors.setdefault(sender, []).append(rejected)
    return NotificationSubscription(key, sender, callback, rejected)
