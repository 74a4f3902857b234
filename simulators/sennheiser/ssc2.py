"""Sennheiser EW-DX receiver speaking SSCv2 (HTTPS + Server-Sent Events), on loopback.

What a client meets on real hardware, as far as the public specs and clients tell
(``shared/research/sennheiser_and_others.md`` §1): a self-signed certificate (a new one per
start), HTTP Basic auth as user ``api`` with a lockout after repeated bad logins, 403 while
third-party access is off, the EW-DX resource map with 0-based ids and 422 for a missing
transmitter, and subscription sessions: ``event:open`` first, the current value of every newly
subscribed resource pushed on ``/add``, change events keyed by ``/api/...`` paths, ``null``
when a transmitter unlinks, 400 ``{"path":…,"error":404}`` for an unknown path, 422 for an
unknown session and ``event:close`` when one is deleted.

Tests drive it through the Python API (battery, link, RF, peaks, names, faults) and read its
counters (authentication attempts, sessions deleted); ``python -m simulators sennheiser
--protocol ssc2`` runs it standalone with slowly moving meters and batteries.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
from dataclasses import dataclass, field
import json
import logging
import random
import re
from typing import Any, Final
import uuid as uuid_module

from aiohttp import web

from simulators.sennheiser.ssc2_state import (
    TRANSMITTERS,
    DeviceState,
    NotFound,
    SimTransmitter,
    Unprocessable,
)

from ..net.https_server import HttpsDevice

_LOGGER = logging.getLogger(__name__)

DEFAULT_PASSWORD: Final = "Micboard-Sim-1!"  # noqa: S105  meets the EW-DX password rules
USERNAME: Final = "api"
SUBSCRIPTIONS: Final = "/api/ssc/state/subscriptions"
#: Consecutive bad logins after which the device refuses everyone (until :meth:`unlock`).
DEFAULT_LOCKOUT_AFTER: Final = 5
#: Requests that need no credentials (``security: []`` in the OpenAPI file).
PUBLIC: Final = frozenset(
    {
        ("GET", "/api/ssc/version"),
        ("GET", "/api/device/identity"),
        ("GET", "/api/device/identification"),
        ("PUT", "/api/device/identification"),
    }
)


@dataclass(slots=True, eq=False)
class SimSession:
    """A subscription session: its paths and the stream it writes to."""

    uuid: str
    paths: set[str] = field(default_factory=set)
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    request: web.BaseRequest | None = None  # the open stream, while a client reads it

    def covers(self, path: str) -> bool:
        """Subscribed directly, or through the dynamic ``/api/transmitters`` resource."""
        return path in self.paths or (
            TRANSMITTERS in self.paths and path.startswith(f"{TRANSMITTERS}/")
        )


_CHANNEL_PUT: Final = re.compile(r"^/api/channel/(\d+)(?:/(\w+))?$")


@dataclass(slots=True)
class Override:
    """A canned answer for matching requests (fault injection beyond the built-in faults)."""

    method: str
    prefix: str
    status: int
    body: bytes
    remaining: int | None  # None: until cleared


def _normalize(path: object) -> str | None:
    """Subscription bodies may omit the ``/api`` prefix (the spec's own examples do)."""
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    path = path.rstrip("/")
    return path if path.startswith("/api/") else f"/api{path}"


def _event(data: dict[str, Any], *, name: str | None = None, space: bool = False) -> bytes:
    sep = ": " if space else ":"
    head = f"event{sep}{name}\n" if name else ""
    return f"{head}data{sep}{json.dumps(data, separators=(',', ':'))}\n\n".encode()


class Ssc2Simulator(HttpsDevice):
    """One simulated EW-DX receiver on an HTTPS port."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        channels: int = 4,
        password: str = DEFAULT_PASSWORD,
        serial: str = "1234567890",
        lockout_after: int = DEFAULT_LOCKOUT_AFTER,
        content_location_path: bool = False,
        space_after_colon: bool = False,
    ) -> None:
        """Describe the device; nothing listens until :meth:`start`.

        ``content_location_path`` sends the full session path in ``Content-Location`` (one
        simulator does) instead of the bare UUID; ``space_after_colon`` writes ``data: `` with
        a space. Both forms occur and a client must accept either.
        """
        super().__init__(host, port, f"EWDX {serial}")
        self.password = password
        self.lockout_after = lockout_after
        self.content_location_path = content_location_path
        self.space_after_colon = space_after_colon
        self.state = DeviceState.create(channels, serial)
        self.third_party_access = True
        self.auth_attempts = 0  # requests that carried credentials
        self.failed_logins = 0
        self.locked_out = False
        self.requests: list[tuple[str, str, int]] = []
        #: Seconds before every answer (a slow device or network); requests answered at once.
        self.delay = 0.0
        self.in_flight = 0  # requests being answered now (open streams not counted)
        self.max_in_flight = 0
        self.sessions: dict[str, SimSession] = {}
        self.deleted_sessions: list[str] = []
        self._consecutive_failures = 0
        self._orphans: list[SimSession] = []
        self._overrides: list[Override] = []
        #: Stream framing knobs: raw bytes before the ``open`` event, whether ``open`` and
        #: ``Content-Location`` are sent at all (real devices send both).
        self.stream_preamble = b""
        self.send_open_event = True
        self.send_content_location = True
        #: Whether ``/add`` pushes the current value of what it subscribed (the spec says it
        #: does; off plays a firmware that only pushes later changes).
        self.push_initial_values = True

    # -- lifecycle ------------------------------------------------------------------------------

    def _end_streams(self) -> None:
        for session in [*self.sessions.values(), *self._orphans]:
            session.queue.put_nowait(None)

    def _forget_state_of_a_reboot(self) -> None:
        """A rebooted EW-DX knows no subscription session of before."""
        self.sessions.clear()
        self._orphans.clear()

    @property
    def url(self) -> str:
        """Base URL."""
        return f"https://{self.host}:{self.port}"

    def describe(self) -> list[str]:
        """What the command line prints once listening."""
        return [
            f"Sennheiser {self.state.product} (SSCv2) simulator listening on {self.url}",
            f"serial {self.state.serial}, {len(self.state.channels)} channels",
            f"certificate SHA-256 fingerprint {self.fingerprint}",
            f"user {USERNAME}, password {self.password}",
        ]

    # -- HTTP -----------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        await self._running.wait()  # a stalled device answers nothing
        stream = request.path.rstrip("/") == SUBSCRIPTIONS  # open for long: not "in flight"
        self.in_flight += not stream
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)  # a slow device or network, per request
            response: web.StreamResponse
            denied = self._check_auth(request) or self._overridden(request)
            response = denied if denied is not None else await handler(request)
        finally:
            self.in_flight -= not stream
        self.requests.append((request.method, request.path, response.status))
        return response

    def _check_auth(self, request: web.Request) -> web.Response | None:
        if (request.method, request.path) in PUBLIC or request.path.startswith(
            "/api/device/licenseAgreements/"
        ):
            return None
        header = request.headers.get("Authorization")
        if header is None:
            return _unauthorized()
        self.auth_attempts += 1
        if not self.third_party_access:
            return web.Response(status=403)
        if self.locked_out or not self._credentials_ok(header):
            self.failed_logins += 1
            self._consecutive_failures += 1
            if self._consecutive_failures >= self.lockout_after:
                self.locked_out = True
            return _unauthorized()
        self._consecutive_failures = 0
        return None

    def _overridden(self, request: web.Request) -> web.Response | None:
        for item in self._overrides:
            if item.remaining != 0 and (
                item.method == request.method and request.path.startswith(item.prefix)
            ):
                if item.remaining is not None:
                    item.remaining -= 1
                return web.Response(
                    status=item.status, body=item.body, content_type="application/json"
                )
        return None

    def _credentials_ok(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except binascii.Error, UnicodeDecodeError:
            return False
        return user == USERNAME and password == self.password

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path, method = request.path.rstrip("/") or "/", request.method
        if path == SUBSCRIPTIONS:
            if method != "GET":
                return web.Response(status=405)
            return await self._open_stream(request)
        if path.startswith(f"{SUBSCRIPTIONS}/"):
            return await self._session_request(request, path[len(SUBSCRIPTIONS) + 1 :])
        if method == "GET":
            try:
                return web.json_response(self.state.get(path))
            except NotFound:
                return web.Response(status=404)
            except Unprocessable as err:
                return web.Response(status=422, text=str(err))
        if method == "PUT":
            return await self._put(request, path)
        return web.Response(status=405)

    async def _put(self, request: web.Request, path: str) -> web.Response:
        body = await _json_body(request)
        if path == "/api/device/identification":
            if not isinstance(body, dict) or not isinstance(body.get("visual"), bool):
                return web.Response(status=400)
            self.state.identifying = body["visual"]
            self._notify([path])
            return web.json_response(body)
        if match := _CHANNEL_PUT.match(path):
            return self._put_channel(int(match.group(1)), match.group(2), body)
        return web.Response(status=405 if self.state.is_resource(path) else 404)

    def _put_channel(self, index: int, sub: str | None, body: Any) -> web.Response:
        try:
            channel = self.state.channel(index)
            if sub == "identify":
                if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
                    return web.Response(status=400)
                channel.identifying = body["enabled"]
                self._notify([f"/api/channel/{index}/identify"])
                return web.json_response(body)
            if sub is not None:
                return web.Response(status=405)
            self.state.put_channel(index, body)
        except NotFound:
            return web.Response(status=404)
        except ValueError:
            return web.Response(status=400)
        except Unprocessable:
            return web.Response(status=422)
        self._notify([f"/api/channel/{index}"])
        return web.json_response(self.state.get(f"/api/channel/{index}"))

    # -- subscriptions --------------------------------------------------------------------------

    async def _open_stream(self, request: web.Request) -> web.StreamResponse:
        session = SimSession(str(uuid_module.uuid4()), request=request)
        self.sessions[session.uuid] = session
        location = f"{SUBSCRIPTIONS}/{session.uuid}"
        headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        if self.send_content_location:
            headers["Content-Location"] = location if self.content_location_path else session.uuid
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        opened = {"path": location, "sessionUUID": session.uuid}
        try:
            if self.stream_preamble:
                await response.write(self.stream_preamble)
            if self.send_open_event:
                await response.write(_event(opened, name="open", space=self.space_after_colon))
            while (item := await session.queue.get()) is not None:
                await self._running.wait()
                await response.write(item)
        except ConnectionError, RuntimeError:
            pass  # the client went away; the session stays until deleted (as on hardware)
        finally:
            session.request = None
        return response

    async def _session_request(self, request: web.Request, rest: str) -> web.Response:
        uuid, _, action = rest.partition("/")
        session = self.sessions.get(uuid)
        method = request.method
        if session is None:
            return web.Response(status=422)
        if method == "GET" and not action:
            return web.json_response(sorted(session.paths))
        if method == "DELETE" and not action:
            del self.sessions[uuid]
            self.deleted_sessions.append(uuid)
            session.queue.put_nowait(
                _event({"sessionUUID": uuid}, name="close", space=self.space_after_colon)
            )
            session.queue.put_nowait(None)
            return web.Response(status=200)
        if method != "PUT" or action not in {"", "add", "remove"}:
            return web.Response(status=405)
        body = await _json_body(request)
        if not isinstance(body, list):
            return web.Response(status=400)
        paths: list[str] = []
        for item in body:
            path = _normalize(item)
            if path is None or not self.state.is_resource(path):
                return web.json_response({"path": item, "error": 404}, status=400)
            paths.append(path)
        if action == "remove":
            session.paths.difference_update(paths)
            return web.Response(status=200)
        new = [path for path in paths if path not in session.paths]
        if not action:
            session.paths.clear()
        session.paths.update(paths)
        self._push_initial(session, new)
        return web.Response(status=200)

    def _push_initial(self, session: SimSession, paths: list[str]) -> None:
        """The device sends the current value of every newly subscribed resource at once."""
        if not self.push_initial_values:
            return
        data: dict[str, Any] = {}
        for path in paths:
            if path == TRANSMITTERS:
                for index, channel in enumerate(self.state.channels):
                    if channel.tx is not None:
                        for sub in self.state.transmitter_paths(index):
                            data[sub] = self.state.get(sub)
                continue
            try:
                data[path] = self.state.get(path)
            except Unprocessable:
                continue
        if data and session.request is not None:
            session.queue.put_nowait(_event(data, space=self.space_after_colon))

    def _notify(self, paths: list[str], nulls: frozenset[str] = frozenset()) -> None:
        """Send one event per session with the current body of each changed resource."""
        for session in self.sessions.values():
            if session.request is None:
                continue  # a stale session: nobody reads it
            data: dict[str, Any] = {}
            for path in paths:
                if not session.covers(path):
                    continue
                if path in nulls:
                    data[path] = None
                    continue
                with contextlib.suppress(Unprocessable, NotFound):
                    data[path] = self.state.get(path)
            if data:
                session.queue.put_nowait(_event(data, space=self.space_after_colon))

    # -- what a performer, an engineer or a fault does -----------------------------------------

    def set_battery(
        self,
        index: int,
        *,
        gauge: int | None = None,
        lifetime: int | None = None,
        battery_type: str | None = None,
    ) -> None:
        """Change the battery reading of the transmitter on channel ``index`` (0-based)."""
        tx = self._tx(index)
        tx.gauge = tx.gauge if gauge is None else gauge
        tx.lifetime = tx.lifetime if lifetime is None else lifetime
        tx.battery_type = tx.battery_type if battery_type is None else battery_type
        self._notify([f"{TRANSMITTERS}/{index}/battery"])

    def unlink(self, index: int) -> None:
        """Switch the transmitter off: ``null`` on the stream, ``NoLink`` in the warnings."""
        channel = self.state.channel(index)
        if channel.tx is None:
            return
        channel.tx = None
        paths = self.state.transmitter_paths(index)
        self._notify([*paths, f"/api/channel/{index}/warnings"], nulls=frozenset(paths))

    def link(self, index: int, transmitter: SimTransmitter | None = None) -> None:
        """Switch a transmitter on: it announces itself (``{}``), then sends its details."""
        channel = self.state.channel(index)
        tx = transmitter or SimTransmitter(name=channel.name)
        tx.announcing = True
        channel.tx = tx
        self._notify([f"{TRANSMITTERS}/{index}"])
        tx.announcing = False
        self._notify([*self.state.transmitter_paths(index), f"/api/channel/{index}/warnings"])

    def set_transmitter_mute(self, index: int, mute: bool) -> None:
        """The transmitter's own mute switch."""
        self._tx(index).mute = mute
        self._notify([f"{TRANSMITTERS}/{index}"])

    def fade_rf(self, index: int, rssi: float, quality: int) -> None:
        """Change RF level (dBm) and quality (%); weak RF raises ``LowSignal``."""
        channel = self.state.channel(index)
        channel.rssi, channel.quality = rssi, quality
        base = f"/api/channel/{index}"
        self._notify(
            [
                f"{base}/signalStrengthIndicator",
                f"{base}/signalQualityIndicator",
                f"{base}/warnings",
            ]
        )

    def set_diversity(self, index: int, antenna: int) -> None:
        """Active antenna: 0 none, 1 A, 2 B."""
        self.state.channel(index).diversity = antenna
        self._notify([f"/api/channel/{index}/diversityIndicator"])

    def peak(self, index: int, on: bool = True) -> None:
        """Audio overload: level at full scale and ``AfPeak`` in the warnings, or back down."""
        channel = self.state.channel(index)
        channel.peak = on
        channel.level = -0.5 if on else -42.0
        if channel.tx is not None:
            channel.tx.warnings = {"AfPeak"} if on else set()
        base = f"/api/channel/{index}"
        self._notify([f"{base}/level", f"{base}/warnings", f"{TRANSMITTERS}/{index}/warnings"])

    def set_level(self, index: int, level: float) -> None:
        """Audio level in dBFS."""
        self.state.channel(index).level = level
        self._notify([f"/api/channel/{index}/level"])

    def set_warning(self, index: int, warning: str, on: bool = True) -> None:
        """Raise or clear a channel warning the simulation does not derive (Aes256Error...)."""
        channel = self.state.channel(index)
        if on:
            channel.extra_warnings.add(warning)
        else:
            channel.extra_warnings.discard(warning)
        self._notify([f"/api/channel/{index}/warnings"])

    def rename(self, index: int, name: str) -> None:
        """Rename a channel as Control Cockpit or the front panel would."""
        channel = self.state.channel(index)
        channel.name = name
        channel.event_counter += 1
        self._notify([f"/api/channel/{index}"])

    def set_mute(self, index: int, mute: bool) -> None:
        """Receiver output mute."""
        channel = self.state.channel(index)
        channel.mute = mute
        channel.event_counter += 1
        self._notify([f"/api/channel/{index}"])

    def set_frequency(self, index: int, khz: int) -> None:
        """Tune a channel (kHz)."""
        self.state.channel(index).frequency_khz = khz
        self._notify([f"/api/rf/channels/{index}"])

    def set_site_name(self, name: str) -> None:
        """The device name set in Control Cockpit."""
        self.state.site_name = name
        self._notify(["/api/device/site"])

    def set_busy(self, busy: bool) -> None:
        """``Busy`` device state (start-up, link-density change, restart)."""
        self.state.busy = busy
        self._notify(["/api/device/state"])

    def set_third_party_access(self, enabled: bool) -> None:
        """Control Cockpit's "3rd party media control access"; off answers 403."""
        self.third_party_access = enabled

    def unlock(self) -> None:
        """Re-adopt the device in Control Cockpit: clears a lockout."""
        self.locked_out = False
        self._consecutive_failures = 0

    def drop_streams(self) -> None:
        """Cut every open event stream without ``event:close``; sessions stay (stale)."""
        for session in self.sessions.values():
            request = session.request
            if request is not None and request.transport is not None:
                request.transport.close()

    def override(
        self,
        method: str,
        prefix: str,
        status: int,
        body: bytes | str = b"",
        *,
        times: int | None = None,
    ) -> None:
        """Answer requests whose path starts with ``prefix`` with ``status`` and ``body``.

        Applied after authentication, so 401/403 keep their meaning; ``times`` limits how
        many requests it answers.
        """
        raw = body.encode() if isinstance(body, str) else body
        self._overrides.append(Override(method, prefix, status, raw, times))

    def clear_overrides(self) -> None:
        """Back to the normal answers."""
        self._overrides.clear()

    def finish_streams(self) -> None:
        """End every open stream cleanly without ``event:close`` (the session stays)."""
        for session in self.sessions.values():
            if session.request is not None:
                session.queue.put_nowait(None)

    def end_sessions(self) -> None:
        """End every session from the device side (``event:close``), as a restart would."""
        for uuid in list(self.sessions):
            session = self.sessions.pop(uuid)
            session.queue.put_nowait(
                _event({"sessionUUID": uuid}, name="close", space=self.space_after_colon)
            )
            session.queue.put_nowait(None)

    def forget_sessions(self) -> None:
        """Lose every session silently, as a device that dropped its state would.

        Streams stay open but nothing arrives on them, and the session answers 422.
        """
        self._orphans.extend(self.sessions.values())
        self.sessions.clear()

    def stall(self) -> None:
        """Hang: streams stop and requests get no answer until :meth:`resume`."""
        self._running.clear()

    def resume(self) -> None:
        """Answer again after :meth:`stall`."""
        self._running.set()

    def send_raw(self, data: bytes) -> None:
        """Write raw bytes to every open stream (garbage, odd framing, oversized lines)."""
        for session in self.sessions.values():
            if session.request is not None:
                session.queue.put_nowait(data)

    @property
    def active_streams(self) -> int:
        """Sessions with a client currently reading their stream."""
        return sum(1 for session in self.sessions.values() if session.request is not None)

    def _tx(self, index: int) -> SimTransmitter:
        tx = self.state.channel(index).tx
        if tx is None:
            raise ValueError(f"no transmitter on channel {index}")
        return tx

    # -- standalone animation -------------------------------------------------------------------

    def animate(self, period: float = 0.5, seed: int | None = None) -> None:
        """Move meters and drain batteries (for a dev instance; tests leave it off)."""
        self._animation = asyncio.get_running_loop().create_task(self._animate(period, seed))

    async def _animate(self, period: float, seed: int | None) -> None:
        rng = random.Random(seed)
        tick = 0
        while True:
            await asyncio.sleep(period)
            tick += 1
            for index, channel in enumerate(self.state.channels):
                if channel.tx is None:
                    continue
                channel.rssi = round(min(-30.0, max(-100.0, channel.rssi + rng.gauss(0, 2))), 1)
                channel.quality = max(0, min(100, channel.quality + rng.randint(-3, 3)))
                channel.level = round(rng.uniform(-60.0, -12.0), 1)
                base = f"/api/channel/{index}"
                self._notify(
                    [
                        f"{base}/signalStrengthIndicator",
                        f"{base}/signalQualityIndicator",
                        f"{base}/level",
                    ]
                )
                if tick % 60 == 0 and channel.tx.gauge > 0:
                    self.set_battery(
                        index,
                        gauge=channel.tx.gauge - 1,
                        lifetime=max(0, channel.tx.lifetime - 6),
                    )


def _unauthorized() -> web.Response:
    return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="api"'})


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.text())
    except ValueError:
        return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the SSCv2 simulator (``--channels``/``--password`` are shared)."""
    parser.add_argument("--serial", default="1234567890", help="serial number to report")
    parser.add_argument(
        "--still", action="store_true", help="do not move meters and batteries by themselves"
    )


async def start(args: argparse.Namespace) -> Ssc2Simulator:
    """Start from command-line arguments."""
    simulator = await Ssc2Simulator(
        host=args.host,
        port=args.port,
        channels=args.channels or 4,
        password=args.password or DEFAULT_PASSWORD,
        serial=args.serial,
    ).start()
    if not args.still:
        simulator.animate()
    return simulator
