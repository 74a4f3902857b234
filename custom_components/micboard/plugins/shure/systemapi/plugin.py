"""Shure System API (the Windows "SystemAPI Server"): REST snapshot + WebSocket events.

One config entry is one server, which fronts many devices. What the API carries
(``shared/research/shure.md`` §1): inventory and online state, names, mute, identify, audio
channel names, mute, gain and coarse activity, and battery level and health of devices that
report their own (packs in chargers). It carries **no RF and no receiver-side battery**: the
receivers it knows that speak command strings (ULX-D, QLX-D, SLX-D, Axient Digital, UHF-R,
PSM1000) are not modelled here at all but handed over as referrals, so each one is
monitored by its own protocol and Home Assistant never holds two devices for one receiver.

Snapshot: ``GET /v1/devices`` (paged), then per online device the resources its capabilities
name, a few requests at a time. The device list is read every minute (capabilities are not
pushed); device resources are read again only for devices that are new, came online or changed
capabilities, and all of them every ten minutes and after every reconnect.

Events: a WebSocket to ``/v1/subscriptions/websocket/create`` answers ``{transportId}``; every
resource is then subscribed with a bodyless ``POST …/subscription/{transportId}``, and changes
arrive as ``{envelope, body}``. A new socket means a new transport and a full re-subscribe;
ping/pong heartbeats turn a dead socket into :class:`ConnectionClosed`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
import contextlib
from dataclasses import dataclass, field
import logging
import time
from typing import Any, ClassVar, Final, Unpack, cast

import aiohttp

from ...errors import (
    CannotConnect,
    ConnectionClosed,
    DifferentDevice,
    InvalidAuth,
    MicboardError,
    NeedsUserAction,
    NotSupported,
    ProtocolError,
)
from ...health import ConnectionHealth
from ...model import (
    STRUCTURE_FIELD,
    Feature,
    ModelUpdate,
    Receiver,
    UpdateCallback,
    merge_receiver,
)
from ...net.http import (
    ABSENT,
    SessionClient,
)
from ...net.jsondata import MalformedJson, decode_json
from ...net.tls import (
    format_fingerprint,
)
from ...options import NetworkOptions
from ...plugin import NetworkPlugin, PluginArgs
from ...validate import Limits, ValueGate
from .client import (
    DEFAULT_PORT,
    DEVICES,
    REQUEST_TIMEOUT,
    SystemApiClient,
    segment,
)
from .model import (
    AUDIO_CHANNELS,
    CHANNEL_RESOURCES,
    DEVICE_RESOURCES,
    IDENTIFY,
    SYSTEMAPI_LIMITS,
    RawDevice,
    apply_event,
    build_receiver,
    node_device_id,
    raw_device,
    referral_for,
)

_LOGGER = logging.getLogger(__name__)

#: Silence on the event socket after which it is pinged; no answer within half of it ends
#: the session. (Activity is pushed every 5 s where a device has audio channels.)
HEARTBEAT_SECONDS: Final = 20.0
#: How long the server may take to name the transport of a new socket.
OPEN_TIMEOUT_SECONDS: Final = 10.0
#: Every device's resources are read again this often, even while events flow.
FULL_READ_SECONDS: Final = 600.0
#: How long an identify lasts before it is stopped.
IDENTIFY_SECONDS: Final = 30.0
#: Largest event frame applied (events carry one small resource body); a larger frame is
#: dropped and counted. Frames beyond the socket's own limit end the socket (aiohttp).
MAX_EVENT_BYTES: Final = 256 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ShureSystemApiOptions(NetworkOptions):
    """The server's address, its API key and the SHA-256 of the certificate the user trusted.

    ``known_devices`` are the device ids the server listed last time (the integration keeps
    them with its entry): after a restart they are what a new device list is compared with,
    so a wholly different server is recognised before any of its devices replace the old.
    """

    port: int = DEFAULT_PORT
    api_key: str = field(repr=False)
    fingerprint: bytes
    known_devices: frozenset[str] = frozenset()


class ShureSystemApiPlugin(NetworkPlugin[ShureSystemApiOptions]):
    """Every device of one Shure System API server (one config entry per server)."""

    manufacturer_code: ClassVar[str] = "shure_systemapi"
    manufacturer_name: ClassVar[str] = "Shure"
    limits: ClassVar[Limits] = SYSTEMAPI_LIMITS
    #: The device list (capabilities, state, firmware) is not all pushed: read it every minute.
    resync_interval: ClassVar[float] = 60.0
    #: A big installation is hundreds of small requests to a Windows service.
    snapshot_timeout: ClassVar[float] = 60.0

    def __init__(self, options: ShureSystemApiOptions, **kwargs: Unpack[PluginArgs]) -> None:
        """Keep the address, API key and pinned fingerprint; nothing connects yet."""
        super().__init__(options, **kwargs)
        self.fingerprint = options.fingerprint
        self.request_timeout = REQUEST_TIMEOUT
        self.heartbeat = HEARTBEAT_SECONDS
        self.open_timeout = OPEN_TIMEOUT_SECONDS
        self.full_read_seconds = FULL_READ_SECONDS
        self.identify_seconds = IDENTIFY_SECONDS
        self.transport_id: str | None = None
        self.transports_opened = 0
        self.devices: dict[str, RawDevice] = {}
        self._subscribed: set[str] = set()
        self._last_full_read: float | None = None
        self._client = SessionClient(self.session, self._make_client)
        self._identify_stops: dict[str, asyncio.Task[None]] = {}

    @property
    def stable_id(self) -> str:
        """The server's certificate: the one thing it presents that no address change alters."""
        return server_id(self.fingerprint)

    @property
    def display_name(self) -> str:
        """The server and its address (it reports no name of its own)."""
        return f"Shure System API {self.host}"

    def client(self) -> SystemApiClient:
        """The server's client (created on first use, inside the event loop)."""
        return self._client.get()

    def _make_client(self, session: aiohttp.ClientSession) -> SystemApiClient:
        return SystemApiClient(
            session,
            self.host,
            self.port,
            self.fingerprint,
            self.options.api_key,
            timeout=self.request_timeout,
            health=self.health,
        )

    @property
    def inventory(self) -> frozenset[str]:
        """Ids of every device the server listed in the last snapshot (kept across restarts)."""
        return frozenset(self.devices)

    # -- snapshot -------------------------------------------------------------------------------

    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """``{"node", "resources", "audio_channels"}`` -> receiver as the model would hold it.

        The parsers hand on any number; the value gate decides what is in range (see
        :func:`raw_device`).
        """
        return ValueGate(self.limits).receiver(build_receiver(raw_device(raw)))

    async def get_devices(self) -> dict[str, Receiver]:
        """Read the device list (and device resources where due); return the model."""
        with self.health.errors_recorded():
            await self._read_server()
        self.health.connected()  # the server answers (again, after a failed resync)
        return self.receivers

    async def _read_server(self) -> None:
        client = self.client()
        # The certificate is pinned, so the server is the one the entry was made for.
        self.confirm_identity(self.stable_id, self.display_name)
        nodes = await client.list_devices()
        self._confirm_inventory(nodes)
        now = time.monotonic()
        full = self._last_full_read is None or now - self._last_full_read >= self.full_read_seconds
        due: list[RawDevice] = []
        present: set[str] = set()
        for node in nodes:
            device_id = node_device_id(node)
            if device_id is None:
                _LOGGER.debug("Ignoring a device node without a device id: %.200r", node)
                continue
            present.add(device_id)
            device = self.devices.get(device_id)
            if device is None:
                device = self.devices[device_id] = RawDevice(device_id, node)
                changed = True
            else:
                changed = not device.online or device.capabilities != _capabilities(node)
                device.node = node
            if device.online and not device.handed_over and (full or changed):
                due.append(device)
        for gone in set(self.devices) - present:
            del self.devices[gone]
        await _all(self._read_device(client, device) for device in due)
        if full:
            self._last_full_read = now
        self._store_model()
        if (transport := self.transport_id) is not None:
            await self._subscribe(client, transport, self._subscription_paths())

    def _confirm_inventory(self, nodes: list[dict[str, Any]]) -> None:
        """Never let a list that shares nothing with the known devices replace them.

        A server that restarted may list no devices for a while; a reinstalled one (its new
        certificate confirmed by the user) may list other devices. Neither may delete the
        entry's devices and entities: an empty list is "not ready yet", a list of only
        unknown devices is :class:`DifferentDevice` (the user decides in the repair).
        """
        known = self.inventory or self.options.known_devices
        if not known:
            return  # first contact: whatever the server lists is the installation
        listed = {device_id for node in nodes if (device_id := node_device_id(node))}
        if not listed:
            raise CannotConnect(f"{self.host} lists no devices (starting up?)")
        if listed.isdisjoint(known):
            raise DifferentDevice(
                f"{self.host} now lists none of the devices it served",
                host=self.host,
                expected=self.stable_id,
                found=self.stable_id,
                found_name=f"{len(listed)} other devices",
            )

    async def _read_device(self, client: SystemApiClient, device: RawDevice) -> None:
        """Every resource the device's capabilities name; a failing one keeps its old value."""
        caps = device.capabilities
        base = f"{DEVICES}/{segment(device.device_id)}"
        reads: list[Awaitable[None]] = [
            self._read_into(client, f"{base}/{name}", device.values, name)
            for name in DEVICE_RESOURCES
            if name in caps
        ]
        if AUDIO_CHANNELS in caps:
            reads.append(self._read_channels(client, device, base))
        await _all(reads)

    async def _read_channels(self, client: SystemApiClient, device: RawDevice, base: str) -> None:
        listing: dict[str, Any] = {}
        await self._read_into(client, f"{base}/{AUDIO_CHANNELS}", listing, AUDIO_CHANNELS)
        if AUDIO_CHANNELS in listing:
            device.set_channels(listing[AUDIO_CHANNELS])
        await _all(
            self._read_into(
                client,
                f"{base}/{AUDIO_CHANNELS}/{segment(channel.id)}/{name}",
                channel.values,
                name,
            )
            for channel in device.channels.values()
            for name in CHANNEL_RESOURCES
            if name in channel.capabilities
        )

    async def _read_into(
        self, client: SystemApiClient, path: str, target: dict[str, Any], key: str
    ) -> None:
        try:
            body = await client.get(path, absent_ok=True)
        except ProtocolError as err:
            # One odd resource (a 500 for one device, a wrong body) must not stop the rest;
            # a rejected key, a changed certificate or a lost server (not ProtocolErrors) do.
            _LOGGER.debug("Keeping the last value of %s: %s", path, err)
            return
        if body is ABSENT:
            target.pop(key, None)
        else:
            target[key] = body

    def _store_model(self) -> None:
        """Rebuild the model and the referrals from the raw state (snapshot path)."""
        fresh = [
            build_receiver(device) for device in self.devices.values() if not device.handed_over
        ]
        self.store_snapshot(fresh)
        self.referrals = {
            device_id: referral
            for device_id, device in self.devices.items()
            if (referral := referral_for(device)) is not None
        }

    # -- subscriptions --------------------------------------------------------------------------

    def _subscription_paths(self) -> list[str]:
        """Every resource to watch: device state changes, then each modelled device's own."""
        paths = [DEVICES]
        for device in self.devices.values():
            if not device.handed_over:
                paths.extend(_device_paths(device))
        return paths

    async def _subscribe(self, client: SystemApiClient, transport: str, paths: list[str]) -> None:
        """Subscribe what this transport does not have yet; any 2xx is success."""
        new = [path for path in paths if path not in self._subscribed]
        self._subscribed.update(new)
        results = await asyncio.gather(
            *(client.subscribe(path, transport) for path in new), return_exceptions=True
        )
        # A request that failed outright (auth, certificate, timeout) ends the snapshot and
        # is tried again by the next one; a resource the server refuses (a non-2xx answer)
        # is only skipped.
        self._subscribed.difference_update(
            path
            for path, result in zip(new, results, strict=True)
            if isinstance(result, BaseException)
        )
        _raise_first_error(results)
        for path, status in zip(new, cast("list[int]", results), strict=True):
            if 200 <= status < 300:  # noqa: PLR2004  the 2xx range
                continue
            if path == DEVICES:
                raise ConnectionClosed(
                    f"{self.host} refused the device subscription ({status}): the transport is gone"
                )
            _LOGGER.debug("Subscribing %s answered %s", path, status)

    # -- events ---------------------------------------------------------------------------------

    async def listen(self, on_update: UpdateCallback) -> None:
        """Open a transport, subscribe everything, apply events until the socket ends."""
        if self._last_full_read is None:
            await self.get_devices()
        client = self.client()
        with self.health.errors_recorded():
            self.health.connecting()
            socket = await client.open_events()
            try:
                await self._session(client, socket, on_update)
            finally:
                self.transport_id = None
                self._subscribed.clear()
                # Events may have been missed: the next snapshot reads everything again.
                self._last_full_read = None
                await socket.close()

    async def _session(
        self,
        client: SystemApiClient,
        socket: aiohttp.ClientWebSocketResponse,
        on_update: UpdateCallback,
    ) -> None:
        transport = await self._await_transport(socket)
        self.transport_id = transport
        self.transports_opened += 1
        _LOGGER.debug("Event transport %s on %s", transport, self.host)
        await self._subscribe(client, transport, self._subscription_paths())
        self.health.connected()
        while True:
            text = await self._next_text(socket)
            if text is None:
                continue
            self.health.message()
            outcome = self._apply_text(text)
            if outcome is None:
                continue
            device_id, refresh = outcome
            if refresh:
                await self._refresh_device(client, transport, device_id)
            self._update_device(device_id, on_update)

    async def _next_text(self, socket: aiohttp.ClientWebSocketResponse) -> str | None:
        """The next data frame's text (``None`` for one to skip), proving liveness by ping.

        After ``heartbeat`` seconds of silence the server is pinged; any frame within half
        that (its pong included) proves it alive, none ends the session.
        """
        try:
            message = await socket.receive(timeout=self.heartbeat)
        except TimeoutError:
            # A ping that cannot be sent leaves a closed socket, which the receive reports.
            with contextlib.suppress(aiohttp.ClientError, OSError):
                await socket.ping()
            try:
                message = await socket.receive(timeout=self.heartbeat / 2)
            except TimeoutError:
                raise ConnectionClosed(f"{self.host} did not answer a ping") from None
        if message.type is aiohttp.WSMsgType.PING:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                await socket.pong(message.data)
            return None
        return _text_of(message, self.health, self.host)

    async def _await_transport(self, socket: aiohttp.ClientWebSocketResponse) -> str:
        """The ``{transportId}`` the server sends first; anything before it is dropped."""
        try:
            async with asyncio.timeout(self.open_timeout):
                while True:
                    text = await self._next_text(socket)
                    if text is None:
                        continue
                    transport = _transport_id(text)
                    if transport is not None:
                        return transport
                    _LOGGER.debug("Ignoring %.200r before the transport id", text)
        except TimeoutError:
            raise ProtocolError(
                f"{self.host} opened the event socket but named no transport"
            ) from None

    def _apply_text(self, text: str) -> tuple[str, bool] | None:
        """Store one event; (device id, whether to read it afresh), or None if unusable.

        A frame that is not JSON (or too large, or nested too deeply) is dropped and
        counted; :func:`apply_event` is total, so nothing in a frame ends the listener.
        """
        try:
            message = decode_json(text, limit=MAX_EVENT_BYTES)
        except MalformedJson as err:
            self.health.rejected(self.host, f"an event ({err})", text)
            return None
        outcome = apply_event(self.devices, message)  # total: bad input gives None
        if outcome is None:
            if _transport_of(message) is None:
                self.health.rejected(self.host, "an event of no known shape", text)
            return None
        return outcome.device_id, outcome.refresh

    async def _refresh_device(
        self, client: SystemApiClient, transport: str, device_id: str
    ) -> None:
        """A device came online or changed capabilities: read and subscribe its resources."""
        device = self.devices.get(device_id)
        if device is None or device.handed_over:
            return
        await self._read_device(client, device)
        await self._subscribe(client, transport, _device_paths(device))

    def _update_device(self, device_id: str, on_update: UpdateCallback) -> None:
        """Bring one device's model (or referral) up to date and report what changed."""
        device = self.devices.get(device_id)
        referral = referral_for(device) if device is not None else None
        referral_changed = referral != self.referrals.get(device_id)
        if referral is None:
            self.referrals.pop(device_id, None)
        else:
            self.referrals[device_id] = referral
        live = self.receivers.get(device_id)
        if device is None or device.handed_over:
            if live is not None:
                del self.receivers[device_id]
            if live is not None or referral_changed:
                on_update(ModelUpdate(device_id, None, frozenset({STRUCTURE_FIELD})))
            return
        fresh = self.gate.receiver(build_receiver(device), live)
        if live is None:
            self.receivers[device_id] = fresh
            on_update(ModelUpdate(device_id, None, frozenset({STRUCTURE_FIELD})))
            return
        for channel, changed in merge_receiver(live, fresh).items():
            on_update(ModelUpdate(device_id, channel, frozenset(changed)))

    # -- other ----------------------------------------------------------------------------------

    def can_identify(self, receiver_id: str) -> bool:
        """Only devices with the ``identify`` capability can flash."""
        receiver = self.receivers.get(receiver_id)
        return receiver is not None and Feature.IDENTIFY in receiver.features

    async def identify(self, receiver_id: str, channel: int | None) -> None:
        """Flash the device (the API identifies devices, not channels) for a while."""
        device = self.devices.get(receiver_id)
        if device is None or IDENTIFY not in device.capabilities:
            raise NotSupported(f"{receiver_id} cannot identify itself over the System API")
        base = f"{DEVICES}/{segment(receiver_id)}/{IDENTIFY}"
        await self.client().post(f"{base}/start")
        previous = self._identify_stops.pop(receiver_id, None)
        if previous is not None:
            previous.cancel()
        self._identify_stops[receiver_id] = asyncio.get_running_loop().create_task(
            self._stop_identify(receiver_id, f"{base}/stop")
        )

    async def _stop_identify(self, receiver_id: str, path: str) -> None:
        await asyncio.sleep(self.identify_seconds)
        self._identify_stops.pop(receiver_id, None)
        try:
            await self.client().post(path)
        except MicboardError as err:
            _LOGGER.debug("Could not stop identifying %s: %s", receiver_id, err)

    def diagnostics(self) -> dict[str, Any]:
        """Server, transport and every device as the server describes it (no key)."""
        return {
            "server": {
                "host": self.host,
                "port": self.port,
                "fingerprint": format_fingerprint(self.fingerprint),
            },
            "transport_id": self.transport_id,
            "transports_opened": self.transports_opened,
            "subscriptions": len(self._subscribed),
            "devices": [_device_summary(device) for device in self.devices.values()],
            "referrals": {
                device_id: {"host": item.host, "port": item.port, "model": item.model}
                for device_id, item in self.referrals.items()
            },
        }

    async def close(self) -> None:
        """Stop pending identify timers and release our own HTTP session, if any."""
        self.health.stopped()
        for task in self._identify_stops.values():
            task.cancel()
        self._identify_stops.clear()
        await self._client.close()


def server_id(fingerprint: bytes) -> str:
    """Entry unique id of the server whose certificate has this SHA-256 fingerprint."""
    return f"systemapi-{fingerprint.hex()}"


def _capabilities(node: dict[str, Any]) -> frozenset[str]:
    return RawDevice("", node).capabilities


def _device_paths(device: RawDevice) -> list[str]:
    """Subscribable resources of one device, as its capabilities allow."""
    base = f"{DEVICES}/{segment(device.device_id)}"
    caps = device.capabilities
    paths = [f"{base}/{name}" for name in DEVICE_RESOURCES if name in caps]
    paths.extend(
        f"{base}/{AUDIO_CHANNELS}/{segment(channel.id)}/{name}"
        for channel in device.channels.values()
        for name in CHANNEL_RESOURCES
        if name in channel.capabilities
    )
    return paths


def _device_summary(device: RawDevice) -> dict[str, Any]:
    node = device.node
    return {
        "device_id": device.device_id,
        "model": device.model,
        "state": device.state,
        "compatibility": node.get("compatibility"),
        "address": device.address,
        "capabilities": sorted(device.capabilities),
        "handed_over": device.handed_over,
        "audio_channels": len(device.channels),
    }


def _transport_id(text: str) -> str | None:
    try:
        message = decode_json(text, limit=MAX_EVENT_BYTES)
    except MalformedJson:
        return None
    return _transport_of(message)


def _transport_of(message: object) -> str | None:
    value = message.get("transportId") if isinstance(message, dict) else None
    return value if isinstance(value, str) and value else None


def _text_of(message: aiohttp.WSMessage, health: ConnectionHealth, host: str) -> str | None:
    """The text of a data frame; ``None`` for one to skip; ConnectionClosed at the end."""
    if message.type is aiohttp.WSMsgType.TEXT:
        return str(message.data)
    if message.type is aiohttp.WSMsgType.BINARY:
        try:
            return bytes(message.data).decode("utf-8")
        except UnicodeDecodeError:
            health.rejected(host, "a binary frame that is not UTF-8", bytes(message.data))
            return None
    if message.type is aiohttp.WSMsgType.ERROR:
        raise ConnectionClosed(f"event socket of {host} failed: {message.data!r}")
    if message.type in {
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSING,
        aiohttp.WSMsgType.CLOSED,
    }:
        raise ConnectionClosed(f"{host} closed the event socket")
    return None  # a PONG: the socket is alive, nothing to apply


async def _all(awaitables: Iterable[Awaitable[None]]) -> None:
    """Run all (bounded by the client's slots); then raise the most serious error, if any."""
    _raise_first_error(await asyncio.gather(*awaitables, return_exceptions=True))


def _raise_first_error(results: Iterable[object]) -> None:
    """Raise the most serious of the errors among ``results``: auth first, then the rest."""
    errors = [result for result in results if isinstance(result, BaseException)]
    if errors:
        raise min(errors, key=_severity)


def _severity(error: BaseException) -> int:
    for rank, kind in enumerate((InvalidAuth, NeedsUserAction, CannotConnect)):
        if isinstance(error, kind):
            return rank
    return 3


__all__ = ["ShureSystemApiPlugin", "server_id"]
