"""Audio-Technica networked wireless (ESW, System 20 PRO): one receiver per config entry.

How it talks to the receiver:

- **One TCP session** (port 17200), opened on the first snapshot and kept until ``close()``:
  an ESW receiver serves one controller at a time, so the snapshot, the poll loop and the
  resyncs all share it. A receiver that drops a new connection at once is reported as
  :class:`SessionInUse` (another controller holds the session).
- **Notifications** (UDP 17000, multicast 239.0.0.100 by default on System 20 PRO) push
  status changes as they happen; they are matched to this receiver by source address.
- **Polling** covers what the device does not push and is the safety net for what it does:
  RF/AF meters every meter interval (never faster than :data:`MIN_METER_POLL_SECONDS`), link,
  battery and mute every :data:`STATUS_POLL_SECONDS`, names and transmitter details every
  :data:`CONFIG_POLL_SECONDS` (and soon after a transmitter links).
- **Channels and features** are discovered, not assumed: channels are probed until the
  receiver answers "parameter error", and a command the receiver calls invalid (NAK 2) is
  dropped, so only what the model really reports gets an entity.
- **Busy** (NAK 90/92/93) pauses polling for :data:`BUSY_PAUSE_SECONDS`; it never ends the
  session. Two unanswered commands in a row do: ``listen()`` raises :class:`ConnectionClosed`
  and the coordinator reconnects with backoff.

Identity: the protocol exposes no serial number in the public material (research §5), so
the unique id is built from ``gmymodel`` and ``gmyname`` when the entry is created and then
pinned in the entry data (``device_uid``): renaming the receiver later renames the device in
Home Assistant but keeps its entities.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
import logging
import re
from typing import Any, ClassVar, Unpack

from ..errors import (
    CannotConnect,
    ConnectionClosed,
    DifferentDevice,
    MicboardError,
    UnsupportedDevice,
)
from ..model import (
    STRUCTURE_FIELD,
    ModelUpdate,
    Receiver,
    UpdateCallback,
)
from ..options import NetworkOptions
from ..plugin import NetworkPlugin, PluginArgs
from ..validate import MAX_TEXT_LENGTH, clean_text
from . import values
from .errors import (
    CommandNotSupported,
    DeviceBusy,
    NakError,
    ParameterRejected,
    ReplyTimeout,
)
from .notifications import (
    DEFAULT_NOTIFY_GROUP,
    DEFAULT_NOTIFY_PORT,
    NotificationSubscription,
    subscribe,
)
from .protocol import Ack, Answer
from .session import Session

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 17200
#: Highest channel number probed (ESW receivers have up to 8, System 20 PRO 4).
MAX_CHANNELS = 8
MIN_METER_POLL_SECONDS = 0.5
STATUS_POLL_SECONDS = 5.0
CONFIG_POLL_SECONDS = 60.0
#: After a transmitter links, re-read its model, name and battery type this soon.
CONFIG_AFTER_LINK_SECONDS = 1.0
#: Unanswered commands in a row that mean the session is dead.
MAX_MISSED_REPLIES = 2
BUSY_RETRIES = 3
BUSY_RETRY_DELAY = 0.5
BUSY_PAUSE_SECONDS = 2.0
#: A snapshot stops reading channel values after this long (the poll loop goes on at once):
#: at 2 s per request, device info and channel discovery alone take about 22 s of the
#: 30 s a set-up may take.
SNAPSHOT_BUDGET_SECONDS = 12.0

#: Commands tried, in order, to find out whether a channel number exists.
_PROBE_COMMANDS = (
    values.BATTERY_TX,
    values.TX_STATUS,
    values.STATUS_MUTE,
    values.CHANNEL_NAME,
    values.RF_LEVEL,
)
_DEVICE_FIELDS = {
    values.GET_MODEL: "model",
    values.GET_NAME: "name",
    values.GET_VERSION: "firmware",
}


def device_uid(model: str | None, name: str | None) -> str:
    """Unique id from what the receiver says about itself: model and device name."""

    def slug(text: str | None) -> str:
        return re.sub(r"[^a-z0-9]+", "_", (text or "").lower()).strip("_")

    return "_".join(part for part in ("audio_technica", slug(model), slug(name)) if part)


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioTechnicaOptions(NetworkOptions):
    """The control port, and where status notifications arrive (port 0: none)."""

    port: int = DEFAULT_PORT
    notify_port: int = DEFAULT_NOTIFY_PORT
    #: Multicast group of the notifications; empty = unicast.
    notify_group: str = DEFAULT_NOTIFY_GROUP
    #: Address the notification socket binds to; empty = every interface.
    notify_bind: str = ""
    #: The id pinned when the device was first identified (see the module docstring).
    device_uid: str | None = None


class AudioTechnicaPlugin(NetworkPlugin[AudioTechnicaOptions]):
    """One Audio-Technica ESW or System 20 PRO receiver."""

    manufacturer_code: ClassVar[str] = "audio_technica"
    manufacturer_name: ClassVar[str] = "Audio-Technica"

    def __init__(self, options: AudioTechnicaOptions, **kwargs: Unpack[PluginArgs]) -> None:
        """Keep the address and notification settings; nothing connects yet."""
        super().__init__(options, **kwargs)
        self.notify_port = options.notify_port
        self.notify_group = options.notify_group
        self.notify_bind = options.notify_bind
        self.reply_timeout: float | None = None  # None: the session's default
        self._session: Session | None = None
        self._connect_lock = asyncio.Lock()
        self._info: dict[str, str | None] = {"model": None, "name": None, "firmware": None}
        self._receiver_id: str | None = None
        self._channel_count: int | None = None
        self._unsupported: set[str] = set()
        self._state: dict[int, dict[str, tuple[str, ...]]] = {}
        #: When a notification last set (channel, command): older poll answers must not undo it.
        self._notified_at: dict[tuple[int, str], float] = {}
        self._missed = 0
        self._subscription: NotificationSubscription | None = None
        self._on_update: UpdateCallback | None = None
        self._config_due: float | None = None
        #: Whether the receiver on the current session was confirmed as the expected one;
        #: until then nothing it sends is applied.
        self._confirmed = False

    # -- identity -------------------------------------------------------------------------

    @property
    def stable_id(self) -> str:
        """The pinned id, else model + name as read from the receiver."""
        if stored := self.options.device_uid:
            return stored
        return self.device_identity or device_uid(None, f"{self.host}_{self.port}")

    @property
    def device_identity(self) -> str | None:
        """Id from what the receiver says now (model + name); None before the first snapshot.

        Reconfiguring a loaded entry compares this instead of opening a second session,
        which the receiver would refuse.
        """
        if self._info["model"] is None:
            return None
        return device_uid(self._info["model"], self._info["name"])

    @property
    def display_name(self) -> str:
        """The receiver's own name, else its model, else its address."""
        return self._info["name"] or self._info["model"] or self.host

    # -- session ----------------------------------------------------------------------------

    async def _ensure_session(self) -> Session:
        async with self._connect_lock:
            if self._session is not None and self._session.is_open:
                return self._session
            await self._drop_session()
            self.health.connecting()
            session = Session(
                self.host,
                self.port,
                on_notification=self._handle_notification,
                on_message=self.health.message,
                on_rejected=self._on_rejected,
            )
            if self.reply_timeout is not None:
                session.reply_timeout = self.reply_timeout
            self._confirmed = False
            await session.open()
            self._session = session
            self._missed = 0
            return session

    def _on_rejected(self, reason: str, line: str) -> None:
        """Input that is not a message: counted, the first per connection logged (escaped)."""
        self.health.rejected(self.host, reason, line)

    async def _drop_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _query(self, command: str, channel: int | None = None) -> tuple[str, ...] | None:
        """Ask once; the parameters (channel number removed), or ``None`` if unanswered.

        A NAK raises its :class:`NakError`; losing the session, or the second unanswered
        command in a row, raises :class:`CannotConnect` and drops the session.
        """
        session = self._session
        if session is None or not session.is_open:
            raise ConnectionClosed("the control session is closed")
        args = () if channel is None else (channel,)
        try:
            reply = await session.request(command, *args)
        except ReplyTimeout as err:
            self._missed += 1
            if self._missed < MAX_MISSED_REPLIES:
                _LOGGER.debug("%s: %s", self.host, err)
                return None
            await self._drop_session()
            raise ConnectionClosed(f"{self.host} stopped answering ({err})") from err
        except NakError:
            self._missed = 0
            raise
        except CannotConnect:
            await self._drop_session()
            raise
        self._missed = 0
        if isinstance(reply, Ack):
            return ()
        return reply.params[1:] if channel is not None else reply.params

    async def _query_patiently(
        self, command: str, channel: int | None = None
    ) -> tuple[str, ...] | None:
        """:meth:`_query`, asking again a few times while the receiver says it is busy."""
        for _ in range(BUSY_RETRIES):
            try:
                return await self._query(command, channel)
            except DeviceBusy:
                await asyncio.sleep(BUSY_RETRY_DELAY)
        return await self._query(command, channel)

    # -- snapshot -------------------------------------------------------------------------

    async def get_devices(self) -> dict[str, Receiver]:
        """Connect if needed, read device info, channels and every supported value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SNAPSHOT_BUDGET_SECONDS
        try:
            await self._ensure_session()
            await self._read_device_info()
            if self._channel_count is None:
                self._channel_count = await self._discover_channels()
            try:
                await self._read_channels(
                    self._channel_range(), values.CHANNEL_COMMANDS, deadline=deadline
                )
            except DeviceBusy as err:
                # Not a failure: what is known stays, the poll loop fills in the rest.
                _LOGGER.debug("%s is busy during a snapshot (%s)", self.host, err)
        except MicboardError as err:
            self.health.disconnected(err)
            if not isinstance(err, DeviceBusy):
                await self._drop_session()
            raise
        self.health.connected()
        if self._receiver_id is None:
            self._receiver_id = self.stable_id
        return self.store_snapshot([self.transform_device_data(self._raw())])

    async def _read_device_info(self) -> None:
        """Model, name and firmware; who answers is confirmed before any of it is taken."""
        first_time = self._info["model"] is None
        found: dict[str, tuple[str, ...]] = {}
        for command in _DEVICE_FIELDS:
            try:
                params = await self._query_patiently(command)
            except DeviceBusy:
                if first_time:
                    raise
                continue  # keep what we know; the next resync asks again
            except NakError as err:
                if command == values.GET_MODEL:
                    raise UnsupportedDevice(
                        f"{self.host} does not report its model ({err}); it is not an "
                        "Audio-Technica networked wireless receiver"
                    ) from err
                _LOGGER.debug("%s: %s", self.host, err)
                continue
            if params is None:
                if first_time and command == values.GET_MODEL:
                    raise CannotConnect(
                        f"{self.host} accepted the connection but did not answer; another "
                        "controller may hold its only control session"
                    )
                continue
            found[command] = params
        self._confirm_identity(found)
        for command, params in found.items():
            self._set_device_value(command, params)

    def _confirm_identity(self, found: Mapping[str, tuple[str, ...]]) -> None:
        """Raise :class:`DifferentDevice` unless the receiver answering is the expected one.

        The protocol has no serial number (research §5); what a receiver says of itself is
        its model and its name. The model must match the one the entry was made for (its
        pinned id starts with it), and once this plugin has talked to the receiver, a new
        session must find the same model and name (a rename seen on an unbroken session,
        by notification, poll or resync, is learnt). A same-model unit given the same name
        is indistinguishable: docs/reliability.md says so.
        """
        model = clean_text(values.text(_first(found.get(values.GET_MODEL))), MAX_TEXT_LENGTH)
        name = clean_text(values.text(_first(found.get(values.GET_NAME))), MAX_TEXT_LENGTH)
        if model is None:
            if self._confirmed:
                return  # unanswered on a resync of a confirmed session: keep going
            raise CannotConnect(f"{self.host} did not say which receiver it is")
        found_id = device_uid(model, name)
        known_model, known_name = self._info["model"], self._info["name"]
        if self._confirmed:
            return  # the same TCP session: the same receiver, perhaps renamed
        if known_model is not None:
            if model != known_model or (name is not None and name != known_name):
                raise DifferentDevice(
                    f"{self.host} is now {model} {name!r}, not {known_model} {known_name!r}",
                    host=self.host,
                    expected=self._receiver_id or device_uid(known_model, known_name),
                    found=found_id,
                    found_name=name,
                )
            self._confirmed = True
            return
        expected = self.options.expected_id or self.options.device_uid
        prefix = device_uid(model, None)
        if (
            expected is not None
            and expected.startswith(device_uid(None, None) + "_")  # an id made from a model
            and not (expected == prefix or expected.startswith(prefix + "_"))
        ):
            raise DifferentDevice(
                f"{self.host} is a {model}, not the receiver {expected!r}",
                host=self.host,
                expected=expected,
                found=found_id,
                found_name=name,
            )
        self._confirmed = True

    def _set_device_value(self, command: str, params: tuple[str, ...]) -> None:
        """Record model, name or firmware and push the change to a running listener."""
        key = _DEVICE_FIELDS[command]
        if key == "firmware":
            value = values.firmware(params)
        else:
            value = values.text(params[0] if params else None)
        value = self.gate.text(value, MAX_TEXT_LENGTH, f"device.{key}")
        self._info[key] = value
        receiver = self.receivers.get(self._receiver_id or "")
        if receiver is None or not self.gate.apply(receiver, {key: value}):
            return
        if self._on_update is not None:
            self._on_update(ModelUpdate(receiver.id, None, frozenset({key})))

    async def _discover_channels(self) -> int:
        """Highest channel the receiver accepts, probing 1..MAX_CHANNELS."""
        count = 0
        for channel in range(1, MAX_CHANNELS + 1):
            if not await self._probe_channel(channel):
                break
            count = channel
        if count == 0:
            raise UnsupportedDevice(
                f"{self.host} answers but reports no wireless channels (an Audio-Technica "
                "charger, mixer or other non-receiver device?)"
            )
        return count

    async def _probe_channel(self, channel: int) -> bool:
        """Whether ``channel`` exists: the first supported probe command answers for it."""
        for command in _PROBE_COMMANDS:
            if command in self._unsupported:
                continue
            try:
                params = await self._ask(command, channel, probing=True)
            except ParameterRejected:
                return False
            if params is not None:
                self._state.setdefault(channel, {})[command] = params
                return True
        return False

    async def _ask(
        self, command: str, channel: int | None = None, *, probing: bool = False
    ) -> tuple[str, ...] | None:
        """:meth:`_query` for one value: ``None`` when there is none to record.

        An invalid command is remembered and never asked again; other refusals are logged.
        Busy propagates (the caller pauses), and so does a rejected channel number while
        ``probing`` (it means the channel does not exist), which also asks patiently.
        """
        try:
            if probing:
                return await self._query_patiently(command, channel)
            return await self._query(command, channel)
        except CommandNotSupported:
            if command not in self._unsupported:
                self._unsupported.add(command)
                self._refresh_features()
        except DeviceBusy:
            raise
        except NakError as err:
            if probing and isinstance(err, ParameterRejected):
                raise
            _LOGGER.debug("%s: %s (channel %s)", self.host, err, channel)
        return None

    async def _read_channels(
        self, channels: Iterable[int], commands: Iterable[str], *, deadline: float | None = None
    ) -> None:
        """Ask every supported command of every channel; busy ends the round early.

        An answer is older than a notification about the same value that arrived while it was
        on its way (the receiver answered before the change), so it is dropped rather than
        allowed to undo the notification. Past ``deadline`` (a snapshot on a slow link) the
        round stops and the poll loop asks the rest, at once.
        """
        commands = tuple(commands)
        clock = asyncio.get_running_loop().time
        for channel in channels:
            for command in commands:
                if command in self._unsupported:
                    continue
                if deadline is not None and clock() > deadline:
                    _LOGGER.debug("%s answers slowly; polling reads the rest", self.host)
                    self._config_due = clock()
                    return
                asked_at = clock()
                params = await self._ask(command, channel)
                if (
                    params is not None
                    and self._notified_at.get((channel, command), -1.0) < asked_at
                ):
                    self._store(channel, command, params)

    def _raw(self) -> dict[str, Any]:
        return {
            "id": self._receiver_id or self.stable_id,
            "host": self.host,
            **self._info,
            "supported": [c for c in values.CHANNEL_COMMANDS if c not in self._unsupported],
            "channels": {
                index: dict(self._state.get(index, {})) for index in self._channel_range()
            },
        }

    def _channel_range(self) -> range:
        return range(1, (self._channel_count or 0) + 1)

    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """Raw answers (per command, per channel) -> the normalized receiver."""
        supported = frozenset(raw["supported"])
        receiver = Receiver(
            id=raw["id"],
            manufacturer=self.manufacturer_name,
            model=raw["model"],
            name=raw["name"],
            host=raw["host"],
            firmware=raw["firmware"],
        )
        for index, state in raw["channels"].items():
            features = values.channel_features(supported, state)
            receiver.add_channel(index, features, values.channel_values(state))
        return receiver

    # -- live updates ---------------------------------------------------------------------

    def _refresh_features(self) -> None:
        """A command turned out unsupported while listening: drop its features now.

        A slow snapshot stops at its deadline and leaves commands unasked; they count as
        supported (so a busy start hides nothing) until the poll loop asks them. Without
        this, an entity for a command the model lacks stayed (showing unknown) until the
        next resync, five minutes later.
        """
        receiver = self.receivers.get(self._receiver_id or "")
        if receiver is None or self._on_update is None:
            return  # the next snapshot builds the features from what is known by then
        supported = frozenset(c for c in values.CHANNEL_COMMANDS if c not in self._unsupported)
        for index, channel in receiver.channels.items():
            features = values.channel_features(supported, self._state.get(index, {}))
            if features != channel.features and self.gate.apply(channel, {"features": features}):
                # As a snapshot's merge reports it: the channel's entities re-check
                # themselves, and the structure (devices, new entities) is looked at again.
                self._on_update(ModelUpdate(receiver.id, index, frozenset({STRUCTURE_FIELD})))

    def _store(self, channel: int, command: str, params: tuple[str, ...]) -> None:
        """Record one answer or notification and push what it changed."""
        if not self._confirmed:
            return
        state = self._state.setdefault(channel, {})
        if state.get(command) == params:
            return
        state[command] = params
        receiver = self.receivers.get(self._receiver_id or "")
        model = receiver.channels.get(channel) if receiver is not None else None
        if receiver is None or model is None:
            return
        linked_before = model.transmitter is not None
        changed = self.gate.apply(model, values.channel_values(state))
        if not linked_before and model.transmitter is not None:
            self._config_due = asyncio.get_running_loop().time() + CONFIG_AFTER_LINK_SECONDS
        if changed and self._on_update is not None:
            self._on_update(ModelUpdate(receiver.id, channel, frozenset(changed)))

    def _handle_notification(self, answer: Answer) -> None:
        """Apply a notification (or an unsolicited answer); bad ones are dropped."""
        if not self._confirmed:
            return  # not (yet) known to come from the expected receiver
        command = answer.get_command
        if command in _DEVICE_FIELDS:
            self._set_device_value(command, answer.params)
            return
        channel = _channel_number(answer.params)
        if command not in values.CHANNEL_COMMANDS or channel not in self._channel_range():
            _LOGGER.debug(
                "%s: ignoring notification %s %s", self.host, answer.command, answer.params
            )
            return
        self._notified_at[channel, command] = asyncio.get_running_loop().time()
        self._store(channel, command, answer.params[1:])

    def _on_udp(self, answer: Answer) -> None:
        self.health.message()
        self._handle_notification(answer)

    async def listen(self, on_update: UpdateCallback) -> None:
        """Poll (and take notifications) until the session fails; never returns otherwise."""
        if self._channel_count is None:
            raise ConnectionClosed("listen() needs a successful get_devices() first")
        session = await self._ensure_session()
        self._on_update = on_update
        try:
            with self.health.errors_recorded():
                await self._start_notifications(session.peer_ip)
                self.health.connected()
                await self._poll_forever()
        finally:
            self._on_update = None
            self._stop_notifications()

    async def _poll_forever(self) -> None:
        loop = asyncio.get_running_loop()
        meter_period = max(self.meter_interval, MIN_METER_POLL_SECONDS)
        periods = {
            "meter": meter_period,
            "status": STATUS_POLL_SECONDS,
            "config": CONFIG_POLL_SECONDS,
        }
        start = loop.time()
        # Meters and status at once; config after a period, since the snapshot just read it.
        schedule = {"meter": start, "status": start, "config": start + CONFIG_POLL_SECONDS}
        rounds: dict[str, Callable[[], Awaitable[None]]] = {
            "meter": lambda: self._read_channels(self._channel_range(), values.METER_COMMANDS),
            "status": lambda: self._read_channels(self._channel_range(), values.STATUS_COMMANDS),
            "config": self._read_config,
        }
        while True:
            if self._config_due is not None:
                schedule["config"] = min(schedule["config"], self._config_due)
                self._config_due = None
            for kind, due in schedule.items():
                now = loop.time()
                if now < due:
                    continue
                schedule[kind] = now + periods[kind]
                try:
                    await rounds[kind]()
                except DeviceBusy as err:
                    _LOGGER.debug("%s is busy (%s); pausing polls", self.host, err)
                    await asyncio.sleep(BUSY_PAUSE_SECONDS)
                    break
            await asyncio.sleep(max(0.0, min(schedule.values()) - loop.time()))

    async def _read_config(self) -> None:
        for command in (values.GET_NAME, values.GET_VERSION):
            if command not in self._unsupported:
                params = await self._ask(command)
                if params is not None:
                    self._set_device_value(command, params)
        await self._read_channels(self._channel_range(), values.CONFIG_COMMANDS)

    async def _start_notifications(self, sender: str | None) -> None:
        if self.notify_port == 0 or sender is None or self._subscription is not None:
            return
        self._subscription = await subscribe(
            sender,
            self._on_udp,
            port=self.notify_port,
            group=self.notify_group,
            bind=self.notify_bind,
            rejected=self._on_rejected,
        )

    def _stop_notifications(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.close()

    async def close(self) -> None:
        """Stop notifications and release the receiver's only control session."""
        self._stop_notifications()
        await self._drop_session()
        self.health.stopped()


def _first(params: tuple[str, ...] | None) -> str | None:
    return params[0] if params else None


def _channel_number(params: tuple[str, ...]) -> int:
    """The channel a per-channel answer is about; 0 (no channel) when unreadable."""
    try:
        return int(params[0]) if params else 0
    except ValueError:
        return 0
