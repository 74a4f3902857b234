"""Sennheiser EW-DX (EM 2, EM 2 Dante, EM 4 Dante) over SSCv2: HTTPS + Server-Sent Events.

A snapshot reads every resource with one GET each; live changes come from one subscription
session: ``GET /api/ssc/state/subscriptions`` opens an event stream whose first event names
the session, ``PUT …/{uuid}/add`` subscribes resources in small groups, and the device pushes
their current values and then every change as ``data:{"<path>": <body>, ...}``.

The device documents no keep-alive, so after a few seconds of silence the plugin asks the
device whether the session still exists; a session left behind by a lost stream is deleted
before a new one is opened (devices allow only a few sessions per user).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
import json
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
from ...net.sse import (
    ServerSentEvent,
    SSEDecoder,
)
from ...options import NetworkOptions
from ...plugin import NetworkPlugin, PluginArgs
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
    SITE,
    TRANSMITTERS,
    ReceiverMapper,
    build_receiver,
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
        )

    # -- snapshot -----------------------------------------------------------------------------

    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """``{"host", "resources": {path: body}}`` -> receiver (see :func:`build_receiver`)."""
        return build_receiver(raw)[0]

    async def get_devices(self) -> dict[str, Receiver]:
        """Identify (no credentials), validate the password once, then read every resource."""
        with self.health.errors_recorded():
            raw = await self._read_snapshot()
        fresh, mapper = build_receiver(raw)
        receivers = self.store_snapshot([fresh])
        self._mapper = ReceiverMapper(receivers[fresh.id], mapper.raw, self.gate)
        self.health.connected()
        return receivers

    async def _read_snapshot(self) -> dict[str, Any]:
        client = self.client()
        identity = await client.identify()
        # The first authenticated request: a 401 here ends in InvalidAuth, and the client
        # refuses to send the password again.
        state = await client.get(DEVICE_STATE)
        self.busy = isinstance(state, dict) and state.get("state") == "Busy"
        if self.busy:
            raise DeviceBusy(f"{self.host} is busy (starting up or reconfiguring)")
        self.identity = identity
        resources: dict[str, Any] = {IDENTITY: identity.as_resource()}
        for path in (FIRMWARE, SITE):
            await self._read(client, path, resources)
        for index in range(identity.channels):
            for path in snapshot_paths(index):
                await self._read(client, path, resources)
            transmitter = f"{TRANSMITTERS}/{index}"
            # 422 on the transmitter or on its battery means "no transmitter linked".
            if await self._read(client, transmitter, resources) and await self._read(
                client, f"{transmitter}/battery", resources
            ):
                await self._read(client, f"{transmitter}/warnings", resources)
            else:
                resources[transmitter] = None
        return {"host": self.host, "resources": resources}

    async def _read(self, client: Ssc2Client, path: str, resources: dict[str, Any]) -> bool:
        body = await client.get(path, absent_ok=True)
        if body is ABSENT:
            return False
        resources[path] = body
        return True

    # -- push ---------------------------------------------------------------------------------

    async def listen(self, on_update: UpdateCallback) -> None:
        """Stream changes until the stream ends or goes silent and the session is gone."""
        if self._mapper is None:
            await self.get_devices()
        client = self.client()
        with self.health.errors_recorded():
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
        decoder = SSEDecoder()
        pending: list[ServerSentEvent] = []
        uuid = await self._await_open(response, decoder, pending)
        self._session_uuid = uuid
        await self._subscribe(client, uuid)
        self.health.connected()
        self._handle_events(pending, on_update)
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
            self._handle_events(decoder.feed(chunk), on_update)
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
                    for event in decoder.feed(chunk):
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
        """``PUT …/add`` group by group; a refused path is dropped and its group retried."""
        channels = self.identity.channels if self.identity is not None else 0
        groups = subscription_groups(channels)
        while groups:
            group = groups.pop(0)
            refused = await client.add(uuid, group)
            if refused is None:
                continue
            _LOGGER.debug("%s refused the subscription of %s", self.host, refused)
            remaining = [path for path in group if normalize_path(path) != refused]
            if len(remaining) == len(group):
                raise ProtocolError(f"{self.host} refused {refused}, which was not requested")
            if remaining:
                groups.insert(0, remaining)
            if refused == TRANSMITTERS:
                # Firmware without dynamic subscriptions: subscribe each transmitter instead.
                groups.extend(transmitter_groups(channels))

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
        """Apply one ``{path: body}`` event; malformed input is logged and dropped."""
        try:
            data = json.loads(event.data)
        except ValueError:
            _LOGGER.debug("Ignoring malformed SSCv2 event from %s: %.200r", self.host, event.data)
            return
        if not isinstance(data, dict):
            _LOGGER.debug("Ignoring SSCv2 event that is not an object: %.200r", event.data)
            return
        if set(data) == {"path", "value"} and isinstance(data["path"], str):
            data = {data["path"]: data["value"]}  # single-resource shape seen in some clients
        mapper = self._mapper
        if mapper is None or "sessionUUID" in data:
            return
        receiver_id = mapper.receiver.id
        for path, body in data.items():
            try:
                changes = mapper.apply(path, body)
            except Exception:  # a bad value must never end monitoring
                _LOGGER.debug("Could not apply SSCv2 %s: %.200r", path, body, exc_info=True)
                continue
            for channel, fields in changes.items():
                on_update(ModelUpdate(receiver_id, channel, frozenset(fields)))

    def _report_dropped(self, decoder: SSEDecoder) -> None:
        if decoder.dropped > self._dropped_reported:
            _LOGGER.debug("Dropped %d oversized SSE lines from %s", decoder.dropped, self.host)
            self._dropped_reported = decoder.dropped

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


def _open_event_uuid(event: ServerSentEvent) -> str | None:
    """The session UUID if ``event`` is the stream's ``open`` event."""
    if event.event not in {"open", ""}:
        return None
    try:
        data = json.loads(event.data)
    except ValueError:
        return None
    uuid = data.get("sessionUUID") if isinstance(data, dict) else None
    if isinstance(uuid, str) and uuid:
        return uuid
    path = data.get("path") if isinstance(data, dict) and event.event == "open" else None
    return session_uuid_from_location(path) if isinstance(path, str) else None
