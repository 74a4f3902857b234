"""Sennheiser EW-DX (EM 2, EM 2 Dante, EM 4 Dante) over SSCv2: HTTPS + Server-Sent Events.

A snapshot reads every resource but the meters with one GET each; live changes come from one
subscription session: ``GET /api/ssc/state/subscriptions`` opens an event stream whose first
event names the session, ``PUT …/{uuid}/add`` subscribes resources in small groups, and the
device pushes their current values and then every change as ``data:{"<path>": <body>, ...}``.
The meters' first values come from that push (a meter the push leaves out is read once).

The device documents no keep-alive, so after a few seconds of silence the plugin asks the
device whether the session still exists; a session left behind by a lost stream is deleted
before a new one is opened (devices allow only a few sessions per user).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
import logging
from typing import TYPE_CHECKING, Any, ClassVar, Final, Unpack

import aiohttp

from ...errors import (
    CannotConnect,
    ConnectionClosed,
    MicboardError,
    ProtocolError,
)
from ...model import (
    ModelUpdate,
    Receiver,
    UpdateCallback,
)
from ...net.http import (
    ABSENT,
    SessionClient,
)
from ...net.jsondata import MalformedJson, decode_json
from ...net.sse import (
    ServerSentEvent,
    SSEDecoder,
    slices,
)
from ...options import NetworkOptions
from ...plugin import NetworkPlugin, PluginArgs
from ...validate import Limits, ValueGate
from .client import (
    DEFAULT_PORT,
    REQUEST_TIMEOUT,
    DeviceBusy,
    DeviceIdentity,
    Ssc2Client,
    session_uuid_from_location,
)
from .model import (
    DEVICE_STATE,
    FIRMWARE,
    IDENTITY,
    METER_ATTRIBUTES,
    SITE,
    SSC2_LIMITS,
    TRANSMITTERS,
    ReceiverMapper,
    build_receiver,
    meter_paths,
    normalize_path,
    snapshot_paths,
    subscription_groups,
    transmitter_groups,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

_LOGGER = logging.getLogger(__name__)

#: Silence on the stream after which the plugin checks that the session still exists.
LIVENESS_AFTER_SECONDS: Final = 5.0
#: How long the device may take to send the ``open`` event of a new stream.
OPEN_TIMEOUT_SECONDS: Final = 10.0
#: Best-effort DELETE of the session when the integration unloads.
CLOSE_TIMEOUT_SECONDS: Final = 3.0
#: How long the meters' first push may take after subscribing before they are read instead.
INITIAL_PUSH_GRACE_SECONDS: Final = 2.0
#: Largest event kept (an event holds at most a few resource bodies of a 4-channel receiver,
#: a few kilobytes); a larger one is dropped and counted.
MAX_EVENT_BYTES: Final = 256 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Ssc2Options(NetworkOptions):
    """The receiver's address, its third-party password and the certificate the user trusted."""

    port: int = DEFAULT_PORT
    password: str = field(repr=False)
    fingerprint: bytes  # SHA-256 of the DER certificate


class SennheiserSsc2Plugin(NetworkPlugin[Ssc2Options]):
    """One EW-DX receiver in "Secure" third-party mode (one config entry per receiver)."""

    manufacturer_code: ClassVar[str] = "sennheiser_ssc2"
    manufacturer_name: ClassVar[str] = "Sennheiser"
    #: Identification, the password check and the reads take three rounds of requests
    #: plus their timeouts, which follow the device's round trip (up to 30 s each).
    snapshot_timeout: ClassVar[float] = 60.0
    limits: ClassVar[Limits] = SSC2_LIMITS

    def __init__(self, options: Ssc2Options, **kwargs: Unpack[PluginArgs]) -> None:
        """Keep the address, password and pinned fingerprint; nothing connects yet."""
        super().__init__(options, **kwargs)
        self.fingerprint = options.fingerprint
        self.request_timeout = REQUEST_TIMEOUT
        self.liveness_after = LIVENESS_AFTER_SECONDS
        self.open_timeout = OPEN_TIMEOUT_SECONDS
        self.identity: DeviceIdentity | None = None
        self.busy = False
        self._client = SessionClient(self.session, self._make_client)
        self._mapper: ReceiverMapper | None = None
        self._session_uuid: str | None = None
        self._dropped_reported = 0
        #: Whether the device was identified since the last stream ended (listen checks).
        self._identity_confirmed = False
        #: Meter paths subscribed on this stream whose first value has not arrived yet.
        self._awaiting_push: set[str] = set()
        self.initial_push_grace = INITIAL_PUSH_GRACE_SECONDS

    @property
    def stable_id(self) -> str:
        """The receiver's serial number (known after the first successful snapshot)."""
        if self.identity is None:
            raise ProtocolError("the device has not been identified yet")
        return self.identity.serial

    @property
    def display_name(self) -> str:
        """The device name set in Control Cockpit, else model and serial."""
        if self.identity is None:
            return f"Sennheiser {self.host}"
        receiver = self.receivers.get(self.identity.serial)
        if receiver is not None and receiver.name:
            return receiver.name
        return f"{self.identity.model} {self.identity.serial}"

    def client(self) -> Ssc2Client:
        """The device's HTTPS client (created on first use, inside the event loop)."""
        return self._client.get()

    def _make_client(self, session: aiohttp.ClientSession) -> Ssc2Client:
        return Ssc2Client(
            session,
            self.host,
            self.port,
            self.fingerprint,
            self.options.password,
            timeout=self.request_timeout,
            health=self.health,
        )

    # -- snapshot -----------------------------------------------------------------------------

    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """``{"host", "resources": {path: body}}`` -> receiver (see :func:`build_receiver`)."""
        return build_receiver(raw, ValueGate(self.limits))[0]

    async def get_devices(self) -> dict[str, Receiver]:
        """Identify (no credentials), validate the password once, then read every resource."""
        with self.health.errors_recorded():
            raw = await self._read_snapshot()
        fresh, mapper = build_receiver(raw, self.gate, self._malformed)
        _keep_meters(fresh, self.receivers.get(fresh.id))
        receivers = self.store_snapshot([fresh])
        self._mapper = ReceiverMapper(
            receivers[fresh.id], mapper.raw, gate=self.gate, on_malformed=self._malformed
        )
        self.health.connected()
        return receivers

    async def _identify(self, client: Ssc2Client) -> DeviceIdentity:
        """Who answers (public resources, no credentials), confirmed before anything else.

        On every (re)connect, before the password is sent: another serial at the address
        (a swapped or moved unit) raises :class:`DifferentDevice`, and nothing of it reaches
        the model, so the entry's devices and entities stay as they are.
        """
        self._identity_confirmed = False
        identity = await client.identify()
        self.confirm_identity(identity.serial, f"{identity.model} {identity.serial}")
        self._identity_confirmed = True
        return identity

    async def _read_snapshot(self) -> dict[str, Any]:
        client = self.client()
        identity = await self._identify(client)
        # The first authenticated request: a 401 here ends in InvalidAuth, and the client
        # refuses to send the password again.
        state = await client.get(DEVICE_STATE)
        self.busy = isinstance(state, dict) and state.get("state") == "Busy"
        if self.busy:
            raise DeviceBusy(f"{self.host} is busy (starting up or reconfiguring)")
        self.identity = identity
        # Everything else at once, bounded by the client's slots: a few round trips instead
        # of one per resource, so a slow device still sets up well within the timeout.
        paths = [FIRMWARE, SITE]
        for index in range(identity.channels):
            transmitter = f"{TRANSMITTERS}/{index}"
            paths.extend(snapshot_paths(index))
            paths.extend((transmitter, f"{transmitter}/battery", f"{transmitter}/warnings"))
        bodies = await asyncio.gather(*(client.get(path, absent_ok=True) for path in paths))
        read = dict(zip(paths, bodies, strict=True))
        resources: dict[str, Any] = {IDENTITY: identity.as_resource()}
        for path in paths:
            if read[path] is not ABSENT:
                resources[path] = read[path]
        for index in range(identity.channels):
            transmitter = f"{TRANSMITTERS}/{index}"
            # 422 on the transmitter or on its battery means "no transmitter linked".
            if read[transmitter] is ABSENT or read[f"{transmitter}/battery"] is ABSENT:
                resources[transmitter] = None
                resources.pop(f"{transmitter}/battery", None)
                resources.pop(f"{transmitter}/warnings", None)
        return {"host": self.host, "resources": resources}

    # -- push ---------------------------------------------------------------------------------

    async def listen(self, on_update: UpdateCallback) -> None:
        """Stream changes until the stream ends or goes silent and the session is gone."""
        if self._mapper is None:
            await self.get_devices()
        client = self.client()
        with self.health.errors_recorded():
            if not self._identity_confirmed:
                await self._identify(client)
            self._identity_confirmed = False  # the next listen identifies again
            await self._delete_stale_session(client)
            self.health.connecting()
            response = await client.open_stream()
            try:
                await self._stream(client, response, on_update)
            finally:
                response.close()

    async def _delete_stale_session(self, client: Ssc2Client) -> None:
        uuid = self._session_uuid
        if uuid is None:
            return
        _LOGGER.debug("Deleting stale subscription session %s on %s", uuid, self.host)
        try:
            await client.delete_session(uuid)
        except ProtocolError as err:
            # Best effort: an odd answer must not keep us from opening a new session.
            _LOGGER.debug("Could not delete stale session on %s: %s", self.host, err)
        self._session_uuid = None

    async def _stream(
        self, client: Ssc2Client, response: aiohttp.ClientResponse, on_update: UpdateCallback
    ) -> None:
        decoder = SSEDecoder(max_event=MAX_EVENT_BYTES)
        self._dropped_reported = 0
        pending: list[ServerSentEvent] = []
        uuid = await self._await_open(response, decoder, pending)
        self._session_uuid = uuid
        channels = self.identity.channels if self.identity is not None else 0
        self._awaiting_push = {path for index in range(channels) for path in meter_paths(index)}
        await self._subscribe(client, uuid)
        self.health.connected()
        self._handle_events(pending, on_update)
        fallback = asyncio.create_task(self._read_unpushed_meters(client, on_update))
        try:
            while True:
                try:
                    async with asyncio.timeout(self.liveness_after):
                        chunk = await response.content.readany()
                except TimeoutError:
                    await self._check_alive(client, uuid)
                    continue
                except (aiohttp.ClientError, OSError) as err:
                    raise ConnectionClosed(f"event stream of {self.host} broke: {err!r}") from err
                if not chunk:
                    raise ConnectionClosed(f"{self.host} ended the event stream")
                await self._feed(decoder, chunk, on_update)
        finally:
            fallback.cancel()

    async def _read_unpushed_meters(self, client: Ssc2Client, on_update: UpdateCallback) -> None:
        """Read the meters whose first push has not come (the research's advised fallback).

        The snapshot leaves the meters out because the device pushes them on subscription;
        a firmware that does not would leave them unknown until they next change, which for
        a channel without a transmitter may be never. A push that arrives while the read is
        under way wins: it is as new or newer.
        """
        await asyncio.sleep(self.initial_push_grace)
        missing = sorted(self._awaiting_push)
        if not missing:
            return
        _LOGGER.debug(
            "%s pushed no first value for %d meters; reading them", self.host, len(missing)
        )
        bodies = await asyncio.gather(
            *(client.get(path, absent_ok=True) for path in missing), return_exceptions=True
        )
        events: dict[str, Any] = {}
        for path, body in zip(missing, bodies, strict=True):
            if isinstance(body, BaseException):
                # The stream's own liveness check deals with a device that stopped answering.
                _LOGGER.debug("Could not read %s on %s: %r", path, self.host, body)
            elif body is not ABSENT and path in self._awaiting_push:
                events[path] = body
        self._awaiting_push.difference_update(missing)  # read once; later pushes still apply
        self._apply_resources(events, on_update)

    async def _feed(self, decoder: SSEDecoder, chunk: bytes, on_update: UpdateCallback) -> None:
        """Decode ``chunk`` a slice at a time, letting the event loop run in between.

        The decoder is linear, but megabytes of one-byte lines are still too much work for
        one turn of Home Assistant's loop.
        """
        for index, piece in enumerate(slices(chunk)):
            if index:
                await asyncio.sleep(0)
            self._handle_events(decoder.feed(piece), on_update)
            self._report_dropped(decoder)

    async def _await_open(
        self,
        response: aiohttp.ClientResponse,
        decoder: SSEDecoder,
        pending: list[ServerSentEvent],
    ) -> str:
        """Session UUID from the ``open`` event (or, failing that, ``Content-Location``)."""
        from_header = session_uuid_from_location(response.headers.get("Content-Location"))
        try:
            async with asyncio.timeout(self.open_timeout):
                while chunk := await response.content.readany():
                    for index, piece in enumerate(slices(chunk)):
                        if index:
                            await asyncio.sleep(0)
                        for event in decoder.feed(piece):
                            uuid = _open_event_uuid(event)
                            if uuid is not None:
                                return uuid
                            pending.append(event)
        except TimeoutError:
            if from_header is not None:
                _LOGGER.debug("No open event from %s; using Content-Location", self.host)
                return from_header
            raise ProtocolError(f"{self.host} opened a stream but named no session") from None
        except (aiohttp.ClientError, OSError) as err:
            raise ConnectionClosed(f"event stream of {self.host} broke: {err!r}") from err
        raise ConnectionClosed(f"{self.host} ended the event stream before it opened")

    async def _subscribe(self, client: Ssc2Client, uuid: str) -> None:
        """``PUT …/add`` for every group at once (the client's slots bound them).

        A refused path is dropped and the rest of its group sent again in the next round.
        """
        channels = self.identity.channels if self.identity is not None else 0
        groups = subscription_groups(channels)
        while groups:
            refusals = await asyncio.gather(*(client.add(uuid, group) for group in groups))
            retry: list[list[str]] = []
            for group, refused in zip(groups, refusals, strict=True):
                if refused is None:
                    continue
                _LOGGER.debug("%s refused the subscription of %s", self.host, refused)
                self._awaiting_push.discard(refused)  # nothing will be pushed for it
                remaining = [path for path in group if normalize_path(path) != refused]
                if len(remaining) == len(group):
                    raise ProtocolError(f"{self.host} refused {refused}, which was not requested")
                if remaining:
                    retry.append(remaining)
                if refused == TRANSMITTERS:
                    # Firmware without dynamic subscriptions: each transmitter instead.
                    retry.extend(transmitter_groups(channels))
            groups = retry

    async def _check_alive(self, client: Ssc2Client, uuid: str) -> None:
        """After silence: does the device still answer and still know our session?"""
        try:
            alive = await client.session_alive(uuid)
        except (CannotConnect, ProtocolError) as err:
            raise ConnectionClosed(f"{self.host} stopped answering: {err}") from err
        if not alive:
            self._session_uuid = None  # nothing left to delete
            raise ConnectionClosed(f"{self.host} dropped the subscription session")

    def _handle_events(self, events: Iterable[ServerSentEvent], on_update: UpdateCallback) -> None:
        for event in events:
            self.health.message()
            if event.event == "close":
                self._session_uuid = None
                raise ConnectionClosed(f"{self.host} closed the subscription session")
            if event.event == "open":
                continue
            self._apply_event(event, on_update)

    def _apply_event(self, event: ServerSentEvent, on_update: UpdateCallback) -> None:
        """Apply one ``{path: body}`` event; what is not usable is dropped and counted.

        The mapper is total (a wrong body changes nothing and is reported through
        ``on_malformed``), so nothing a device sends can end the listener; the guard
        around it is for a bug in a mapping, not for input.
        """
        try:
            data = decode_json(event.data, limit=MAX_EVENT_BYTES)
        except MalformedJson as err:
            self.health.rejected(self.host, f"an event ({err})", event.data)
            return
        if not isinstance(data, dict):
            self.health.rejected(self.host, "an event that is not an object", event.data)
            return
        if set(data) == {"path", "value"} and isinstance(data["path"], str):
            data = {data["path"]: data["value"]}  # single-resource shape seen in some clients
        if "sessionUUID" in data:
            return
        self._apply_resources(data, on_update)

    def _apply_resources(self, data: Mapping[str, Any], on_update: UpdateCallback) -> None:
        mapper = self._mapper
        if mapper is None:
            return
        receiver_id = mapper.receiver.id
        awaiting = self._awaiting_push
        for path, body in data.items():
            if awaiting:
                awaiting.discard(normalize_path(path))
            try:
                changes = mapper.apply(path, body)
            except Exception:
                # Not for input: the mapper is total on any JSON value (property-tested).
                _LOGGER.debug("Could not apply SSCv2 %s", path, exc_info=True)
                continue
            for channel, fields in changes.items():
                on_update(ModelUpdate(receiver_id, channel, frozenset(fields)))

    def _malformed(self, path: str, body: object) -> None:
        """A resource body of the wrong shape: dropped, counted, logged once per connection."""
        self.health.rejected(self.host, f"a malformed {path}", _short_repr(body))

    def _report_dropped(self, decoder: SSEDecoder) -> None:
        """Oversized lines and events the decoder threw away count as rejected messages."""
        while decoder.dropped > self._dropped_reported:
            self._dropped_reported += 1
            self.health.rejected(self.host, "an oversized line or event", b"")

    # -- other --------------------------------------------------------------------------------

    async def identify(self, receiver_id: str, channel: int | None) -> None:
        """Flash the receiver (or one channel) so the crew finds it in the rack."""
        client = self.client()
        if channel is None:
            await client.put("/api/device/identification", {"visual": True})
        else:
            await client.put(f"/api/channel/{channel - 1}/identify", {"enabled": True})

    async def close(self) -> None:
        """End the subscription session on the device and release our own HTTP session."""
        uuid, self._session_uuid = self._session_uuid, None
        client = self._client.made
        if uuid is not None and client is not None:
            try:
                await client.delete_session(uuid, time_limit=CLOSE_TIMEOUT_SECONDS)
            except MicboardError as err:
                _LOGGER.debug("Could not end the subscription session on %s: %s", self.host, err)
        await self._client.close()
        self.health.stopped()


def _keep_meters(fresh: Receiver, live: Receiver | None) -> None:
    """Carry the live meters into a snapshot that does not read them (they are pushed).

    On the first snapshot there is nothing to carry: the meters stay unknown until the
    subscription's first push, moments later.
    """
    if live is None:
        return
    for index, channel in fresh.channels.items():
        current = live.channels.get(index)
        if current is not None:
            for attribute in METER_ATTRIBUTES:
                setattr(channel, attribute, getattr(current, attribute))


def _short_repr(value: object) -> str:
    """The start of ``value``'s repr for a log line (values passed the depth bound already)."""
    if isinstance(value, dict | list):
        return f"{type(value).__name__} of {len(value)} items"
    return repr(value)[:200]


def _open_event_uuid(event: ServerSentEvent) -> str | None:
    """The session UUID if ``event`` is the stream's ``open`` event."""
    if event.event not in {"open", ""}:
        return None
    try:
        data = decode_json(event.data, limit=MAX_EVENT_BYTES)
    except MalformedJson:
        return None
    uuid = data.get("sessionUUID") if isinstance(data, dict) else None
    if isinstance(uuid, str) and uuid:
        return uuid
    path = data.get("path") if isinstance(data, dict) and event.event == "open" else None
    return session_uuid_from_location(path) if isinstance(path, str) else None
