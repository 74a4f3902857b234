"""Shure System API server (HTTPS REST + WebSocket events), on loopback.

What a client meets on a real server, as far as the public facts tell
(``shared/research/shure.md`` §1): a self-signed certificate (a new one per start), the
``x-api-key`` check with a 401 problem+json body, a 400 for ``Content-Type: application/json``
on an empty body, ``/api/v1/devices`` paged Relay-style (``first`` / ``after``), the device and
audio-channel resources, subscriptions (``POST …/subscription/{transportId}`` → 204, 404 for an
unknown transport) and a WebSocket whose first message is ``{transportId}`` followed by
``{envelope, body}`` events.

Tests drive it through the Python API (devices going on and offline, names, mute, batteries
charging, faults: dropped sockets, a stall, slow answers, canned 500s, garbage frames, a new
key or certificate) and read its counters; ``python -m simulators systemapi`` runs it
standalone with packs charging and activity moving.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
from dataclasses import dataclass, field
import json
import logging
import random
from typing import Any, Final
from urllib.parse import unquote
import uuid as uuid_module

from aiohttp import WSMsgType, web

from ..kind import SimulatorKind
from ..net.https_server import HttpsDevice
from .systemapi_state import (
    ACTIVITY_LEVELS,
    BATTERY_STATES,
    ROSTER,
    DeviceFactory,
    SimBattery,
    SimChannel,
    SimDevice,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_API_KEY: Final = "micboard-sim-shared-secret"
WEBSOCKET_PATH: Final = "/api/v1/subscriptions/websocket/create"
EMPTY_BODY_ERROR: Final = "Body cannot be empty when content-type is set to 'application/json'"
DEVICE_EVENTS: Final = {
    "name": "DEVICE_NAME",
    "identify": "DEVICE_IDENTIFY",
    "audio-mute": "DEVICE_AUDIO_MUTE",
    "battery-level": "DEVICE_BATTERY_LEVEL",
    "battery-health": "DEVICE_BATTERY_HEALTH",
}
CHANNEL_EVENTS: Final = {
    "name": "AUDIO_CHANNEL_NAME",
    "mute": "AUDIO_CHANNEL_MUTE",
    "gain": "AUDIO_CHANNEL_GAIN",
    "activity": "AUDIO_CHANNEL_ACTIVITY",
}
STATE_CHANGE: Final = "DEVICE_STATE_CHANGE"

type Answer = tuple[int, Any]


@dataclass(frozen=True, slots=True)
class Frame:
    """A raw WebSocket frame (control frames, or text that is not UTF-8)."""

    opcode: WSMsgType
    payload: bytes = b""


@dataclass(slots=True, eq=False)
class SimTransport:
    """One event WebSocket and what was subscribed on it."""

    id: str
    ws: web.WebSocketResponse
    request: web.BaseRequest
    subscriptions: set[str] = field(default_factory=set)
    queue: asyncio.Queue[str | bytes | Frame | None] = field(default_factory=asyncio.Queue)


@dataclass(slots=True)
class Override:
    """A canned answer for matching requests (fault injection)."""

    method: str
    prefix: str
    status: int
    body: Any
    remaining: int | None  # None: until cleared
    delay: float = 0.0  # seconds before answering (longer than the client waits: a timeout)


def _problem(status: int, title: str) -> web.Response:
    body = {
        "type": "",
        "title": title,
        "status": status,
        "detail": "",
        "instance": "",
        "traceId": uuid_module.uuid4().hex,
    }
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/problem+json"
    )


def _cursor(device_id: str) -> str:
    return base64.b64encode(json.dumps({"f": "D", "a": device_id}).encode()).decode()


class SystemApiSimulator(HttpsDevice):
    """A simulated System API server with a few devices behind it."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = DEFAULT_API_KEY,
        devices: int = 0,
        page_size: int = 50,
        list_shape: str = "edges",
        address_prefix: str = "192.0.2.",
    ) -> None:
        """Describe the server; ``devices`` adds that many from the roster. Nothing listens yet.

        ``list_shape`` is ``edges`` (Relay pages, the spec), ``array`` or ``items`` (shapes
        other documents show; a client must accept all three).
        """
        super().__init__(host, port, "Shure SystemAPI")
        self.api_key = api_key
        self.page_size = page_size
        self.list_shape = list_shape
        self.factory = DeviceFactory(address_prefix)
        self.devices: dict[str, SimDevice] = {}
        self.transports: dict[str, SimTransport] = {}
        self.transport_ids: list[str] = []  # every transport ever opened, in order
        self.subscription_log: dict[str, set[str]] = {}  # per transport, kept after it closes
        self.requests: list[tuple[str, str, int]] = []
        self.bad_key_requests = 0
        self.missing_key_requests = 0
        self.content_type_violations = 0
        self.delay = 0.0  # seconds before every REST answer
        #: False: a server that serves without a key (not the System API's behaviour).
        self.require_key = True
        #: Frames a new socket gets before ``{transportId}``, and whether that comes at all.
        self.socket_preamble: list[str | bytes] = []
        self.announce_transport = True
        #: An HTTP status to refuse the socket handshake with (None: upgrade).
        self.socket_refusal: int | None = None
        self.pongs_received = 0
        self._overrides: list[Override] = []
        for number in range(devices):
            self.add_device(ROSTER[number % len(ROSTER)])

    # -- lifecycle ------------------------------------------------------------------------------

    def _end_streams(self) -> None:
        for transport in list(self.transports.values()):
            transport.queue.put_nowait(None)

    def _forget_state_of_a_reboot(self) -> None:
        """A restarted server knows no transport (and no subscription) of before."""
        self.transports.clear()

    @property
    def url(self) -> str:
        """Base URL of the API."""
        return f"https://{self.host}:{self.port}/api/v1"

    def describe(self) -> list[str]:
        """What the command line prints once listening."""
        return [
            f"Shure System API simulator listening on {self.url}",
            f"{len(self.devices)} devices: "
            + ", ".join(f"{d.model} {d.name}" for d in self.devices.values()),
            f"certificate SHA-256 fingerprint {self.fingerprint}",
            f"API key (x-api-key) {self.api_key}",
        ]

    # -- HTTP -----------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        await self._running.wait()  # a stalled server answers nothing
        if request.path == WEBSOCKET_PATH:
            # The verified client sends no key on the handshake; the server binds the socket
            # to the key-carrying subscriptions instead.
            response: web.StreamResponse = await handler(request)
            self.requests.append((request.method, request.path, response.status))
            return response
        if self.delay:
            await asyncio.sleep(self.delay)
        response = await self._check(request) or await handler(request)
        self.requests.append((request.method, request.path, response.status))
        return response

    async def _check(self, request: web.Request) -> web.StreamResponse | None:
        key = request.headers.get("x-api-key")
        if key is None:
            self.missing_key_requests += 1
            if self.require_key:
                return _problem(401, "Request Unauthorized.")
        elif key != self.api_key:
            self.bad_key_requests += 1
            return _problem(401, "Request Unauthorized.")
        raw = await request.read()
        json_declared = request.content_type == "application/json"
        if "Content-Type" in request.headers and json_declared and not raw:
            self.content_type_violations += 1
            return _problem(400, EMPTY_BODY_ERROR)
        for item in self._overrides:
            if item.remaining != 0 and (
                item.method == request.method and request.path.startswith(item.prefix)
            ):
                if item.remaining is not None:
                    item.remaining -= 1
                if item.delay:
                    await asyncio.sleep(item.delay)
                if isinstance(item.body, bytes):
                    return web.Response(status=item.status, body=item.body)
                return web.json_response(item.body, status=item.status)
        return None

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.path == WEBSOCKET_PATH:
            return await self._websocket(request)
        raw_path = request.raw_path.split("?", 1)[0].rstrip("/")
        if not raw_path.startswith("/api/v1/"):
            return _problem(404, "Not found")
        segments = [unquote(part) for part in raw_path[len("/api/v1/") :].split("/")]
        body = await _json_body(request)
        status, payload = self._route(request.method, segments, request.query, body)
        if payload is None:
            return web.Response(status=status)
        if status >= 400:  # noqa: PLR2004
            return _problem(status, str(payload))
        return web.json_response(payload, status=status)

    def _route(self, method: str, seg: list[str], query: Any, body: Any) -> Answer:
        if seg[0] != "devices":
            return 404, "Not found"
        if len(seg) == 1:
            return (200, self._device_list(query)) if method == "GET" else (405, "Method")
        if len(seg) == 3 and seg[1] == "subscription":  # noqa: PLR2004
            return self._subscription(method, seg[2], STATE_CHANGE)
        device = self.devices.get(seg[1])
        if device is None:
            return 404, "Device not found"
        rest = seg[2:]
        if not rest:
            return (200, device.node()) if method == "GET" else (405, "Method")
        if rest[0] == "audio-channels":
            return self._channel_route(method, device, rest[1:], body)
        return self._device_route(method, device, rest, body)

    def _device_route(self, method: str, device: SimDevice, rest: list[str], body: Any) -> Answer:
        prop, tail = rest[0], rest[1:]
        if len(tail) == 2 and tail[0] == "subscription":  # noqa: PLR2004
            event = DEVICE_EVENTS.get(prop)
            key = f"{device.device_id}:{event}"
            return self._subscription(method, tail[1], key) if event else (404, "Not subscribable")
        if prop == "capabilities" and method == "GET":
            return 200, list(device.capabilities)
        if prop not in device.capabilities and prop != "capabilities":
            return 405, "Capability not supported"
        if prop == "identify":
            return self._identify(method, device, tail)
        if tail:
            return 404, "Not found"
        if method == "GET":
            return 200, self._device_body(device, prop)
        if method == "PATCH":
            return self._patch_device(device, prop, body)
        return 405, "Method"

    def _patch_device(self, device: SimDevice, prop: str, body: Any) -> Answer:
        value = body.get("name" if prop == "name" else "muted") if isinstance(body, dict) else None
        if prop == "name" and isinstance(value, str):
            self.rename(device.device_id, value)
            return 204, None
        if prop == "audio-mute" and isinstance(value, bool):
            self.set_mute(device.device_id, muted=value)
            return 204, None
        return 400, "Bad request"

    def _identify(self, method: str, device: SimDevice, tail: list[str]) -> Answer:
        if method == "GET" and not tail:
            return 200, {"identifying": device.identifying}
        if method == "POST" and tail in (["start"], ["stop"]):
            device.identifying = tail == ["start"]
            self._device_event(device, "identify")
            return 204, None
        return 405, "Method"

    def _device_body(self, device: SimDevice, prop: str) -> Any:
        if prop == "name":
            return {"name": device.name}
        if prop == "audio-mute":
            return {"muted": device.audio_mute}
        battery = device.battery
        if prop in {"battery-level", "battery-health"} and battery is not None:
            return battery.level_body() if prop == "battery-level" else battery.health_body()
        return {}

    def _channel_route(self, method: str, device: SimDevice, rest: list[str], body: Any) -> Answer:
        if "audio-channels" not in device.capabilities:
            return 405, "Capability not supported"
        if not rest:
            listing = [channel.listing() for channel in device.channels]
            return (200, listing) if method == "GET" else (405, "Method")
        channel = device.channel(rest[0])
        if channel is None:
            return 404, "Channel not found"
        prop, tail = (rest[1], rest[2:]) if len(rest) > 1 else ("", [])
        if len(tail) == 2 and tail[0] == "subscription":  # noqa: PLR2004
            event = CHANNEL_EVENTS.get(prop)
            key = f"{device.device_id}:{channel.id}:{event}"
            return self._subscription(method, tail[1], key) if event else (404, "Not subscribable")
        if prop not in channel.capabilities:
            return 404, "Not found"
        if prop == "gain" and tail == ["description"] and method == "GET":
            return 200, {"constraints": {"gain": {"range": {"min": -20, "max": 16, "step": 1}}}}
        if tail:
            return 404, "Not found"
        if method == "GET":
            return 200, _channel_body(channel, prop)
        return self._patch_channel(device, channel, prop, body) if method == "PATCH" else (405, "")

    def _patch_channel(
        self, device: SimDevice, channel: SimChannel, prop: str, body: Any
    ) -> Answer:
        field_name = {"name": "name", "mute": "muted", "gain": "gain"}.get(prop, "")
        value = body.get(field_name) if isinstance(body, dict) else None
        if prop == "name" and isinstance(value, str):
            channel.name = value
        elif prop == "mute" and isinstance(value, bool):
            channel.muted = value
        elif prop == "gain" and isinstance(value, int | float) and not isinstance(value, bool):
            channel.gain = float(value)
        else:
            return 400, "Bad request"
        self._channel_event(device, channel, prop)
        return 204, None

    def _device_list(self, query: Any) -> Any:
        nodes = [device.node() for device in self.devices.values()]
        if self.list_shape == "array":
            return nodes
        if self.list_shape == "items":
            return {"items": nodes}
        ids = list(self.devices)
        start = 0
        after = query.get("after")
        if after:
            start = next(
                (position + 1 for position, ident in enumerate(ids) if _cursor(ident) == after),
                len(ids),
            )
        try:
            first = max(1, int(query.get("first", self.page_size)))
        except ValueError:
            first = self.page_size
        page = ids[start : start + first]
        edges = [{"cursor": _cursor(ident), "node": self.devices[ident].node()} for ident in page]
        return {
            "pageInfo": {
                "hasNextPage": start + first < len(ids),
                "hasPreviousPage": start > 0,
                "startCursor": edges[0]["cursor"] if edges else "",
                "endCursor": edges[-1]["cursor"] if edges else "",
            },
            "edges": edges,
        }

    def _subscription(self, method: str, transport_id: str, key: str) -> Answer:
        transport = self.transports.get(transport_id)
        if transport is None:
            return 404, "Unknown transportId"
        if method == "POST":
            transport.subscriptions.add(key)
            self.subscription_log.setdefault(transport_id, set()).add(key)
            return 204, None
        if method == "DELETE":
            transport.subscriptions.discard(key)
            return 204, None
        return 405, "Method"

    # -- WebSocket ------------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if self.socket_refusal is not None:
            return _problem(self.socket_refusal, "Refused")
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        transport = SimTransport(str(uuid_module.uuid4()), ws, request)
        self.transports[transport.id] = transport
        self.transport_ids.append(transport.id)
        self.subscription_log[transport.id] = set()
        for frame in self.socket_preamble:
            transport.queue.put_nowait(frame)
        if self.announce_transport:
            transport.queue.put_nowait(json.dumps({"transportId": transport.id}))
        writer = asyncio.get_running_loop().create_task(self._write(transport))
        try:
            while True:
                message = await ws.receive()
                if message.type is WSMsgType.PING:
                    if self._running.is_set():  # a stalled server answers no ping
                        await ws.pong(message.data)
                    continue
                if message.type is WSMsgType.PONG:
                    self.pongs_received += 1
                    continue
                if message.type in {WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED}:
                    break
                if message.type is WSMsgType.ERROR:
                    break
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            self.transports.pop(transport.id, None)
            await ws.close()
        return ws

    async def _write(self, transport: SimTransport) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            while (item := await transport.queue.get()) is not None:
                await self._running.wait()
                if isinstance(item, Frame):
                    await transport.ws.send_frame(item.payload, item.opcode)
                elif isinstance(item, bytes):
                    await transport.ws.send_bytes(item)
                else:
                    await transport.ws.send_str(item)
        await transport.ws.close()

    def _publish(self, key: str, envelope: dict[str, Any], body: Any) -> None:
        text = json.dumps({"envelope": envelope, "body": body})
        for transport in self.transports.values():
            if key in transport.subscriptions:
                transport.queue.put_nowait(text)

    def _device_event(self, device: SimDevice, prop: str) -> None:
        event = DEVICE_EVENTS[prop]
        self._publish(
            f"{device.device_id}:{event}",
            {"eventName": event, "deviceId": device.device_id},
            self._device_body(device, prop),
        )

    def _channel_event(self, device: SimDevice, channel: SimChannel, prop: str) -> None:
        event = CHANNEL_EVENTS[prop]
        self._publish(
            f"{device.device_id}:{channel.id}:{event}",
            {"eventName": event, "deviceId": device.device_id, "audioChannelId": channel.id},
            _channel_body(channel, prop),
        )

    def _state_event(self, device: SimDevice) -> None:
        self._publish(
            STATE_CHANGE,
            {"eventName": STATE_CHANGE, "deviceId": device.device_id},
            device.node(),
        )

    # -- what happens on the network -----------------------------------------------------------

    def add_device(self, model: str, **kwargs: Any) -> SimDevice:
        """A device appears (announced with a state change, as a real server does)."""
        device = self.factory.create(model, **kwargs)
        self.devices[device.device_id] = device
        self._state_event(device)
        return device

    def remove_device(self, device_id: str) -> None:
        """Forget a device entirely (removed from the server's discovery list)."""
        self.devices.pop(device_id, None)

    def set_state(self, device_id: str, state: str, *, compatibility: str | None = None) -> None:
        """ONLINE, OFFLINE or DISCOVERED (a power cycle is OFFLINE then ONLINE)."""
        device = self.devices[device_id]
        device.state = state
        if compatibility is not None:
            device.compatibility = compatibility
        self._state_event(device)

    def set_capabilities(self, device_id: str, capabilities: tuple[str, ...]) -> None:
        """Change capabilities (firmware update) without an event: only a re-read sees it."""
        self.devices[device_id].capabilities = capabilities

    def rename(self, device_id: str, name: str) -> None:
        """The device name, as Designer or Wireless Workbench would set it."""
        device = self.devices[device_id]
        device.name = name
        self._device_event(device, "name")

    def set_mute(self, device_id: str, *, muted: bool) -> None:
        """Mute of the whole device (``audio-mute``)."""
        device = self.devices[device_id]
        device.audio_mute = muted
        self._device_event(device, "audio-mute")

    def set_channel(
        self,
        device_id: str,
        index: int,
        *,
        name: str | None = None,
        muted: bool | None = None,
        gain: float | None = None,
        activity: str | None = None,
    ) -> None:
        """Change an audio channel (0-based index); one event per changed property."""
        device = self.devices[device_id]
        channel = device.channels[index]
        for prop, value in (("name", name), ("mute", muted), ("gain", gain)):
            if value is not None:
                setattr(channel, {"mute": "muted"}.get(prop, prop), value)
                self._channel_event(device, channel, prop)
        if activity is not None:
            if activity not in ACTIVITY_LEVELS:
                raise ValueError(activity)
            channel.activity = activity
            self._channel_event(device, channel, "activity")

    def set_battery(
        self,
        device_id: str,
        *,
        percentage: float | None = None,
        state: str | None = None,
        minutes: float | None = None,
    ) -> None:
        """Battery level of a pack; sends ``DEVICE_BATTERY_LEVEL``."""
        battery = self._battery(device_id)
        if state is not None:
            if state not in BATTERY_STATES:
                raise ValueError(state)
            battery.state = state
        if percentage is not None:
            battery.percentage = min(100.0, max(0.0, percentage))
        if minutes is not None:
            battery.minutes = minutes
        self._device_event(self.devices[device_id], "battery-level")

    def set_battery_health(self, device_id: str, *, health: int, cycles: int) -> None:
        """Health and cycle count of a pack; sends ``DEVICE_BATTERY_HEALTH``."""
        battery = self._battery(device_id)
        battery.health, battery.cycles = health, cycles
        self._device_event(self.devices[device_id], "battery-health")

    def charge(self, device_id: str, step: float = 10.0) -> None:
        """A docked pack charges by ``step`` percent (full at 100, about 1.5 min per %)."""
        battery = self._battery(device_id)
        level = min(100.0, battery.percentage + step)
        if level >= 100:  # noqa: PLR2004
            self.set_battery(device_id, percentage=100, state="FULL")
        else:
            self.set_battery(
                device_id, percentage=level, state="CHARGING", minutes=(100 - level) * 1.5
            )

    def _battery(self, device_id: str) -> SimBattery:
        battery = self.devices[device_id].battery
        if battery is None:
            raise ValueError(f"{device_id} has no battery")
        return battery

    # -- faults ---------------------------------------------------------------------------------

    def set_api_key(self, api_key: str, *, restart: bool = True) -> None:
        """A new shared secret; by default the service restarts (sockets drop) to apply it."""
        self.api_key = api_key
        if restart:
            self.drop_sockets()

    def drop_sockets(self) -> None:
        """Cut every event socket without a close frame (network loss, service restart)."""
        for transport in list(self.transports.values()):
            socket = transport.request.transport
            if socket is not None:
                socket.close()

    def stall(self) -> None:
        """Hang: no answers, no events, no pongs until :meth:`resume`."""
        self._running.clear()

    def resume(self) -> None:
        """Answer again after :meth:`stall`."""
        self._running.set()

    def send_raw(self, frame: str | bytes | Frame) -> None:
        """Write a raw frame to every event socket (garbage, odd shapes, control frames)."""
        for transport in self.transports.values():
            transport.queue.put_nowait(frame)

    def ping_clients(self) -> None:
        """Ping every client (a server checking that its clients are alive)."""
        self.send_raw(Frame(WSMsgType.PING, b"alive?"))

    def keepalive(self) -> None:
        """An unsolicited pong, the keep-alive ASP.NET Core servers send."""
        self.send_raw(Frame(WSMsgType.PONG))

    def override(
        self,
        method: str,
        prefix: str,
        status: int,
        body: Any = None,
        *,
        times: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer requests whose path starts with ``prefix`` with ``status`` (after the key).

        ``delay`` holds the answer back that long (longer than the client waits: a timeout).
        """
        payload = body if body is not None else {"title": "Internal error", "status": status}
        self._overrides.append(Override(method, prefix, status, payload, times, delay))

    def clear_overrides(self) -> None:
        """Back to the normal answers."""
        self._overrides.clear()

    def subscriptions_of(self, transport_id: str) -> set[str]:
        """What a transport subscribed (also after it closed)."""
        return set(self.subscription_log.get(transport_id, set()))

    # -- standalone animation -------------------------------------------------------------------

    def animate(self, period: float = 1.0, seed: int | None = None) -> None:
        """Charge packs, drain others, move activity (a dev instance; tests leave it off)."""
        self._animation = asyncio.get_running_loop().create_task(self._animate(period, seed))

    async def _animate(self, period: float, seed: int | None) -> None:
        rng = random.Random(seed)
        tick = 0
        while True:
            await asyncio.sleep(period)
            tick += 1
            for device in list(self.devices.values()):
                if device.state != "ONLINE":
                    continue
                battery = device.battery
                if battery is not None and tick % 10 == 0:
                    if battery.state in {"CHARGING", "EMPTY"}:
                        self.charge(device.device_id, 1.0)
                    elif battery.state == "DISCHARGING" and battery.percentage > 0:
                        level = battery.percentage - 1
                        self.set_battery(device.device_id, percentage=level, minutes=level * 4.5)
                if tick % 5 == 0:  # the real server pushes activity every 5 s
                    for channel in device.channels:
                        if "activity" in channel.capabilities:
                            channel.activity = rng.choices(ACTIVITY_LEVELS, (5, 10, 1))[0]
                            self._channel_event(device, channel, "activity")


def _channel_body(channel: SimChannel, prop: str) -> dict[str, Any]:
    if prop == "name":
        return {"name": channel.name}
    if prop == "mute":
        return {"muted": channel.muted}
    if prop == "gain":
        return {"gain": channel.gain}
    return {"audioLevel": channel.activity}


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--api-key``, ``--devices`` and ``--still``."""
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="shared secret (x-api-key)")
    parser.add_argument(
        "--devices", type=int, default=len(ROSTER), help="how many devices (a mix of models)"
    )
    parser.add_argument(
        "--still", action="store_true", help="do not charge packs or move activity by themselves"
    )


async def start(args: argparse.Namespace) -> SystemApiSimulator:
    """Start from command-line arguments."""
    simulator = await SystemApiSimulator(
        host=args.host, port=args.port, api_key=args.api_key, devices=args.devices
    ).start()
    for device in simulator.devices.values():
        if device.model == "ULXD6" and device.battery is not None:
            device.battery.state, device.battery.percentage = "CHARGING", 35.0
    if not args.still:
        simulator.animate()
    return simulator


KIND = SimulatorKind(
    name="systemapi",
    help="Shure System API server (HTTPS + WebSocket) with a mix of devices",
    add_arguments=add_arguments,
    start=start,
)
