"""Shure receivers over their own command strings (TCP 2202; UDP 2202 for UHF-R).

ULX-D, QLX-D, SLX-D, Axient Digital and PSM1000 speak ``< … >`` over TCP, UHF-R ``* … *``
over UDP; the dialects differ (see :mod:`.dialects`).

One plugin instance is one device and one connection. ``get_devices`` connects, identifies the
device by probing (the user gives only a host), asks it for every value once and starts metering
at the user's meter interval; ``listen`` then turns unsolicited ``REP`` and ``SAMPLE`` messages
into model updates until the link ends or goes silent. Silence is noticed by a watchdog (meter
samples stop, and a cheap GET sent into the quiet gets no answer) and ends ``listen`` with
:class:`ConnectionClosed`, so the coordinator's backoff reconnects. Metering is switched off
before every disconnect: QLX-D firmware has locked up when a metering client vanished.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass
import logging
import time
from typing import Any, ClassVar, Literal, Unpack

from ...errors import (
    CannotConnect,
    ConnectionClosed,
    MicboardError,
    NotSupported,
    ProtocolError,
)
from ...model import (
    Channel,
    ModelUpdate,
    Receiver,
    UpdateCallback,
)
from ...net.liveness import Liveness
from ...net.quietlog import QuietLog
from ...net.timing import RoundTrip
from ...options import NetworkOptions
from ...plugin import NetworkPlugin, PluginArgs
from ...validate import Limits
from .dialects import (
    DIALECTS,
    Dialect,
    Raw,
    SampleFn,
    meter_interval_ms,
)
from .framing import (
    AngleFramer,
    BadInput,
    StarFramer,
    tokenize,
)
from .identify import (
    PROBE_TERMINATOR,
    TCP_PROBE,
    UDP_PROBE,
    Identity,
    NotShureReceiver,
    ProbeReplies,
    decide,
    encode_probe,
    is_host_derived,
)
from .limits import SHURE_LIMITS, limits_for
from .transport import (
    Link,
    TcpLink,
    UdpLink,
)
from .values import word

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 2202
MANUFACTURER = "Shure"

#: When, as a share of the silence limit, a keepalive GET goes into a quiet spell.
_NUDGE_AT = 0.4
#: Messages that are meter readings, not answers: they do not delay "the device is done".
_METER_PARAMS = frozenset({"AUDIO_IN_LVL_L", "AUDIO_IN_LVL_R"})


@dataclass(frozen=True, slots=True)
class Timing:
    """Timeouts of one plugin; tests shorten them, users never need to.

    Answers are awaited for the device's measured round trip (:class:`RoundTrip`), not a
    fixed time: ``first_reply`` is only the guess before anything was measured, and the wait
    never drops under ``reply_floor`` nor grows past ``reply_ceiling``. So a device that
    answers every request in 2 s sets up (the first guess covers it, then the waits follow
    it), and a fast one is not waited on for long.
    """

    connect: float = 3.0  # TCP connect / UDP socket
    first_reply: float = 5.0  # a probe waits this long for the first answer, before measuring
    quiet: float = 0.4  # ... and is complete once answers stop for this long (or half an RTT)
    settle_limit: float = 3.0  # ... but never takes longer than this (or two RTTs) after it
    watchdog_min: float = 5.0  # silence this long (at least 3 meter intervals) = link dead
    close: float = 1.0  # the goodbye (metering off) may take this long
    reply_floor: float = 1.0  # the measured wait for an answer is at least this
    reply_ceiling: float = 15.0  # ... and at most this


DEFAULT_TIMING = Timing()


@dataclass(frozen=True, slots=True, kw_only=True)
class ShureCommandsOptions(NetworkOptions):
    """Where the device is, and what an earlier identification already found out."""

    port: int = DEFAULT_PORT
    #: "tcp" or "udp" once detected; None means "try TCP, then UDP".
    transport: Literal["tcp", "udp"] | None = None
    #: The receiver id to report (as first identified); kept when the device is renamed.
    receiver_id: str | None = None


class ShureCommandsPlugin(NetworkPlugin[ShureCommandsOptions]):
    """One Shure receiver (or PSM1000 transmitter) over its command-string port."""

    manufacturer_code: ClassVar[str] = "shure_tcp"
    manufacturer_name: ClassVar[str] = MANUFACTURER
    #: Before identification, the loosest of the families; then the family's own (``_begin``).
    limits: ClassVar[Limits] = SHURE_LIMITS

    def __init__(
        self,
        options: ShureCommandsOptions,
        *,
        timing: Timing | None = None,
        **kwargs: Unpack[PluginArgs],
    ) -> None:
        """Remember where the device is; nothing connects until :meth:`get_devices`."""
        super().__init__(options, **kwargs)
        self.transport_hint: str | None = options.transport
        self.timing = timing or DEFAULT_TIMING
        self.identity: Identity | None = None
        self._link: Link | None = None
        self._bad = BadInput(self.host, self.health)
        self._angle = AngleFramer(self._bad)
        self._star = StarFramer(self._bad)
        self._raw_device: Raw = {}
        self._raw_channels: dict[int, Raw] = {}
        self._channels: dict[int, Channel] = {}
        self._receiver: Receiver | None = None
        self._dialect: Dialect | None = None  # set once a session starts
        self._metering = False
        self._on_update: UpdateCallback | None = None
        self._liveness = Liveness()
        timing = self.timing
        #: The device's round trip, learnt from the probe on and kept across reconnects.
        self.round_trip = RoundTrip(
            initial=timing.first_reply,
            floor=min(timing.reply_floor, timing.first_reply),
            ceiling=max(timing.reply_ceiling, timing.first_reply),
        )
        #: What the identification probe read (names, transmitter type...), reused by set-up.
        self._probed = ProbeReplies()
        #: Terminator the device answered to (the probe's CRLF over TCP).
        self._terminator = ""
        #: Answers (not meter readings) that arrived during the current set-up step.
        self._answers = 0
        #: ``REP ERR`` (a rejected command we do not need): logged once per connection.
        self._rejected = QuietLog(_LOGGER, "%s rejected a command (REP ERR); carrying on")
        self._lock = asyncio.Lock()

    # -- identity -------------------------------------------------------------------------------

    @property
    def stable_id(self) -> str:
        """The receiver id from the options if given, else the probed device's."""
        if stored := self.options.receiver_id:
            return stored
        if self.identity is None:
            raise ProtocolError("the device has not been identified yet")
        return self.identity.unique_id

    @property
    def display_name(self) -> str:
        """``RACK-1 (ULXD4Q)``."""
        if self.identity is None:
            return self.host
        return f"{self.identity.name} ({self.identity.model})"

    @property
    def dialect(self) -> Dialect | None:
        """The identified family (kept across reconnects)."""
        return None if self.identity is None else self.identity.dialect

    @property
    def transport(self) -> str | None:
        """``tcp`` or ``udp`` once identified."""
        return None if self.identity is None else self.identity.dialect.transport

    # -- snapshot -------------------------------------------------------------------------------

    async def get_devices(self) -> dict[str, Receiver]:
        """Connect and take a full snapshot, or, while connected, ask for everything again.

        While connected the listener applies the answers as they arrive; the model is already
        current, so it is returned at once.
        """
        async with self._lock:
            if self._link is None:
                await self._connect()
                return self.receivers
        await self._send(self._dump_commands())
        return self.receivers

    async def probe(self) -> Identity:
        """Identify the device without monitoring it (config flow, discovery): no metering."""
        async with self._lock:
            link, identity = await self._open_and_identify()
            await link.close()
        self.identity = identity
        return identity

    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """Raw values of one device (see :meth:`_raw_snapshot`) → the normalized model."""
        dialect = DIALECTS[raw["family"]]
        device: Mapping[str, str] = raw["device"]
        receiver = Receiver(
            id=raw["receiver_id"],
            manufacturer=MANUFACTURER,
            model=raw["model"],
            name=raw["name"],
            host=raw["host"],
            firmware=raw.get("firmware"),
        )
        for param, attribute in dialect.device_fields.items():
            if (value := word(device.get(param, "").strip())) is not None:
                setattr(receiver, attribute, value)
        for index, values in raw["channels"].items():
            channel = receiver.add_channel(index, dialect.features, dialect.channel_values(values))
            channel.transmitter_known = _transmitter_reported(dialect, values)
        return receiver

    def _raw_snapshot(self, identity: Identity) -> dict[str, Any]:
        return {
            "family": identity.dialect.code,
            "receiver_id": self.options.receiver_id or identity.unique_id,
            "model": identity.model,
            "name": identity.name,
            "host": self.host,
            "firmware": identity.firmware,
            "device": self._raw_device,
            "channels": self._raw_channels,
        }

    # -- connecting -----------------------------------------------------------------------------

    async def _connect(self) -> None:
        self.health.connecting()
        with self.health.errors_recorded():
            link, identity = await self._open_and_identify()
        try:
            if not is_host_derived(identity.unique_id):  # an id from the address proves nothing
                self.confirm_identity(identity.unique_id, identity.name)
            await self._start_session(link, identity)
        except BaseException as err:
            await self._disconnect(err if isinstance(err, MicboardError) else None)
            raise

    async def _start_session(self, link: Link, identity: Identity) -> None:
        """Dump every value, build the model, then start metering."""
        self.identity = identity
        self._link = link
        self._angle.reset()
        # Bad input and rejected commands are logged per connection.
        self._bad.rearm()
        self._rejected.rearm()
        self._begin(identity)
        dialect = identity.dialect
        self._seed_from_probe(self._probed)
        self._answers = 0
        await self._send(dialect.dump_commands(identity.channels))
        await self._collect(link, self._handle)
        if dialect.get_all and not self._answers:
            # GET 0 ALL went unanswered (firmware or a bridge that does not know it): ask
            # for the family's values one by one; the probe's answers are already in.
            _LOGGER.debug("%s did not answer GET 0 ALL; asking value by value", self.host)
            await self._send(fallback_commands(dialect, identity.channels))
            await self._collect(link, self._handle)
        self._build_model(identity)
        rate = meter_interval_ms(self.meter_interval)
        commands = dialect.meter_on_commands(identity.channels, rate)
        self._metering = bool(commands)  # before sending: a half-sent request needs its "off"
        await self._send(commands)
        self._liveness.restart()
        self.health.connected()
        _LOGGER.debug(
            "Connected to %s %s at %s (%s, %d channels, metering %s)",
            dialect.label,
            identity.model,
            self.host,
            dialect.transport,
            len(identity.channels),
            f"every {rate} ms" if commands else "off",
        )

    def _begin(self, identity: Identity) -> None:
        """Forget the raw values of an earlier session: this one starts from the device's."""
        self._dialect = identity.dialect
        self.gate = self.gate.narrowed(limits_for(identity.dialect.code))
        self._raw_device = {}
        self._raw_channels = {index: {} for index in identity.channels}

    def _seed_from_probe(self, probed: ProbeReplies) -> None:
        """Start from what the probe already read: names, transmitter type, device id..."""
        self._raw_device.update(probed.device)
        for index, raw in self._raw_channels.items():
            raw.update(probed.channels.get(index, {}))

    def _build_model(self, identity: Identity) -> None:
        """The model from the raw values collected so far; messages then update it in place."""
        self.store_snapshot([self.transform_device_data(self._raw_snapshot(identity))])
        self._receiver = next(iter(self.receivers.values()))
        self._channels = self._receiver.channels

    async def _open_and_identify(self) -> tuple[Link, Identity]:
        """TCP first (every family but UHF-R), then UDP, unless the entry knows which."""
        tcp_error: MicboardError | None = None
        if self.transport_hint != "udp":
            try:
                return await self._identify_over("tcp")
            except (CannotConnect, NotShureReceiver) as err:
                if self.transport_hint == "tcp":
                    raise
                tcp_error = err
        try:
            return await self._identify_over("udp")
        except CannotConnect as err:
            if isinstance(tcp_error, NotShureReceiver):
                raise tcp_error from err
            if tcp_error is None:
                raise
            raise CannotConnect(
                f"no Shure device answers at {self.host}:{self.port} "
                f"({tcp_error}; no UDP answer either)"
            ) from err

    async def _identify_over(self, transport: str) -> tuple[Link, Identity]:
        """Open a link of one kind and probe it; the link is closed again on failure."""
        kind = UdpLink if transport == "udp" else TcpLink
        try:
            async with asyncio.timeout(self.timing.connect):
                link: Link = await kind.open(self.host, self.port)
        except TimeoutError as err:
            raise CannotConnect(f"timed out connecting to {self.host}:{self.port}") from err
        try:
            return link, await self._probe_link(link)
        except BaseException:
            await link.close()
            raise

    async def _probe_link(self, link: Link) -> Identity:
        replies = ProbeReplies()
        if link.transport == "udp":
            for command in UDP_PROBE:
                await link.send(encode_probe((command,), "udp"))
        else:
            await link.send(encode_probe(TCP_PROBE, "tcp"))
        self._angle.reset()
        try:
            await self._collect(link, replies.add)
        except ConnectionClosed as err:
            if not replies.messages:
                raise CannotConnect(f"{self.host}:{self.port} closed the connection") from err
            # Something answered and hung up: judge what it said.
        if not replies.messages:
            if link.transport == "udp":
                raise CannotConnect(f"no answer from {self.host}:{self.port} over UDP")
            raise NotShureReceiver(
                f"{self.host}:{self.port} accepted a connection but answered nothing"
            )
        self._probed = replies
        # Runtime commands end like the probe's, which the device answered (CRLF over TCP):
        # a unit or bridge that reads lines answers nothing without it.
        self._terminator = PROBE_TERMINATOR if link.transport == "tcp" else ""
        return decide(replies, self.host, link.transport)

    async def _collect(self, link: Link, on_message: Callable[[list[str]], None]) -> None:
        """Feed messages to ``on_message`` until answers stop (meter readings do not count).

        Waits for the first answer as long as the device's round trip suggests, then until
        answers pause for ``quiet`` (or half a round trip, on a slow device). Each answer
        that ends a wait is a round-trip sample. A wait that timed out looks at the socket
        once more before giving up: after an event-loop stall the answer may be there.
        """
        loop = asyncio.get_running_loop()
        timing = self.timing
        sent = loop.time()
        first_wait = self.round_trip.timeout
        quiet_until = sent + first_wait
        # A device that never stops talking (or a stream of noise) ends the step here.
        deadline = quiet_until + max(timing.settle_limit, 2 * first_wait)
        answered_once = False
        while True:
            now = loop.time()
            if now >= deadline:
                return
            try:
                async with asyncio.timeout(max(min(quiet_until, deadline) - now, 0)):
                    data = await link.receive()
            except TimeoutError:
                if loop.time() < deadline and await _arrived_meanwhile(link):
                    continue
                return
            answered = False
            for tokens in self._messages(link, data):
                on_message(tokens)
                answered = answered or not _is_meter(tokens)
            if not answered:
                continue
            now = loop.time()
            if not answered_once:  # the first answer: how long this device takes
                answered_once = True
                self.round_trip.sample(now - sent)
                rtt = self.round_trip.smoothed or 0.0
                deadline = min(deadline, now + max(timing.settle_limit, 2 * rtt))
            quiet_until = now + max(timing.quiet, (self.round_trip.smoothed or 0.0) / 2)

    def _messages(self, link: Link, data: bytes) -> Iterable[list[str]]:
        framer = self._star if link.transport == "udp" else self._angle
        for body in framer.feed(data):
            tokens = tokenize(body)
            if tokens:
                yield tokens
            else:
                self._bad.report("empty message", body)

    # -- pushing --------------------------------------------------------------------------------

    async def listen(self, on_update: UpdateCallback) -> None:
        """Apply pushed messages until the link ends or the watchdog finds it silent."""
        link = self._link
        if link is None:
            raise ConnectionClosed(f"not connected to {self.host}")
        self._on_update = on_update
        # The watchdog counts from here: set-up may have taken a moment since the snapshot.
        self._liveness.restart()
        self.health.connected()
        try:
            await self._read_loop(link)
        except ConnectionClosed as err:
            await self._disconnect(err)
            raise
        finally:
            self._on_update = None

    def silence_timeout(self) -> float:
        """Seconds without any data after which the link counts as dead.

        Long enough for the keepalive sent into a quiet spell (at 40 % of it) to be answered
        within the device's measured round trip: a slow device is not a dead one.
        """
        silence = self.timing.watchdog_min
        if self._metering:
            silence = max(silence, 3 * meter_interval_ms(self.meter_interval) / 1000)
        round_trip = self.round_trip
        if round_trip.smoothed is not None:  # the estimate itself, not the answer wait's floor
            answer = round_trip.smoothed + 4 * round_trip.variation
            silence = max(silence, answer / (1 - _NUDGE_AT))
        return silence

    async def _read_loop(self, link: Link) -> None:
        """Parse data as it arrives (in the read callback) while watching for silence.

        Checking the clock once per watchdog period rather than arming a timeout per read
        keeps the cost per message down to parsing it: a rack meters thousands of times a
        second.
        """
        liveness = self._liveness
        silence = self.silence_timeout()
        # Into a quiet spell (metering off, or samples stopped) send one cheap GET: a live
        # device answers it, a dead one stays silent until the watchdog fires.
        nudge_after = silence * _NUDGE_AT
        nudged_at: float | None = None  # when the last keepalive went out
        dialect = self._dialect
        framer = self._star if link.transport == "udp" else self._angle

        def on_data(data: bytes) -> None:
            liveness.arrived()
            count = 0
            for body in framer.feed(data):
                tokens = tokenize(body)
                if tokens:
                    count += 1
                    self._apply_message(tokens)
                else:
                    self._bad.report("empty message", body)
            self.health.message(count)

        pump = asyncio.ensure_future(link.pump(on_data))
        try:
            while True:
                idle = liveness.silent_for()
                if idle >= silence:
                    if await liveness.confirm_silence():
                        raise ConnectionClosed(f"no data from {self.host} for {silence:g} s")
                    continue
                # A keepalive is outstanding until anything arrives after it.
                outstanding = nudged_at is not None and liveness.last <= nudged_at
                if idle >= nudge_after and not outstanding and dialect is not None:
                    nudged_at = time.monotonic()
                    outstanding = True
                    await _write(link, dialect, [dialect.keepalive_command()], self._terminator)
                wait = (silence if outstanding else nudge_after) - idle
                done, _ = await asyncio.wait({pump}, timeout=max(wait, 0.01))
                if done:
                    pump.result()  # the link ended: raises ConnectionClosed
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await pump

    def _handle(self, tokens: list[str]) -> None:
        """Count and apply one message (during set-up, where messages come one by one)."""
        self.health.message()
        if not _is_meter(tokens):
            self._answers += 1
        self._apply_message(tokens)

    def _apply_message(self, tokens: list[str]) -> None:
        """Apply one message to the raw state and the model; never raises."""
        dialect = self._dialect
        if dialect is None:
            return
        try:
            if tokens[0] == "SAMPLE":
                self._handle_sample(dialect, tokens)
            elif tokens[0] in {"REP", "REPORT"}:
                self._handle_report(dialect, tokens)
            else:
                self._bad.report("unknown message", " ".join(tokens))
        except Exception:  # noqa: BLE001  device input must never end the listener
            self._bad.report("message that could not be applied", " ".join(tokens))

    def _handle_report(self, dialect: Dialect, tokens: list[str]) -> None:
        match tokens:
            case [_, "ERR", *_] | [_, _, "ERR", *_]:
                self._rejected(self.host)
            case [_, index, param, *rest] if index.isdecimal():
                self._handle_channel_value(dialect, int(index), param, rest)
            case [_, param, *rest] if not param.isdecimal():
                self._handle_device_value(dialect, param, " ".join(rest))
            case _:
                pass  # "REP", or "REP 0" echoing a SET to all channels: nothing to apply

    def _handle_channel_value(
        self, dialect: Dialect, index: int, param: str, rest: list[str]
    ) -> None:
        raw = self._raw_channels.get(index)
        if raw is None:
            return  # channel 0 echoes (SET 0 ...) and channels the model does not have
        match rest:
            case [sub_index, value, *_] if param in dialect.indexed_params:
                raw[f"{param}:{sub_index}"] = value
            case _:
                raw[param] = " ".join(rest)
        fields = dialect.param_fields.get(param)
        channel = self._channels.get(index)
        if fields is None or channel is None:
            return
        fns = dialect.channel_fields
        values: dict[str, object] = {name: fns[name](raw) for name in fields}
        if "transmitter" in values and not channel.transmitter_known:
            values["transmitter_known"] = True  # the device has now said whether one is on
        self._apply(channel, values)

    def _handle_device_value(self, dialect: Dialect, param: str, value: str) -> None:
        self._raw_device[param] = value
        attribute = dialect.device_fields.get(param)
        receiver = self._receiver
        if attribute is None or receiver is None:
            return
        new = word(value.strip())
        if new is None and attribute == "name" and self.identity is not None:
            new = self.identity.name
        if new is not None and self.gate.apply(receiver, {attribute: new}) and self._on_update:
            self._on_update(ModelUpdate(receiver.id, None, frozenset({attribute})))

    def _handle_sample(self, dialect: Dialect, tokens: list[str]) -> None:
        if dialect.sample is None:
            self._bad.report("SAMPLE from a family that has none", " ".join(tokens))
            return
        match tokens:
            case [_, index, "ALL", *_] if index.isdecimal():
                raw = self._raw_channels.get(int(index))
                channel = self._channels.get(int(index))
            case _:
                raw = channel = None
        if raw is None or channel is None:
            self._bad.report("SAMPLE for no known channel", " ".join(tokens))
            return
        values = _parse_sample(dialect.sample, tokens, raw)
        if values is None:
            self._bad.report("malformed SAMPLE", " ".join(tokens))
            return
        if "transmitter" in values and not channel.transmitter_known:
            values["transmitter_known"] = True
        self._apply(channel, values)

    def _apply(self, channel: Channel, values: dict[str, object]) -> None:
        # Through the value gate, like the snapshot: what the family cannot report (a UHF-R
        # RF raw outside 020-100...) becomes unknown and is counted.
        changed = self.gate.apply(channel, values)
        if changed and self._on_update is not None and self._receiver is not None:
            if "transmitter_known" in changed:  # entities listen to "transmitter"
                changed.add("transmitter")
            self._on_update(ModelUpdate(self._receiver.id, channel.index, frozenset(changed)))

    # -- commands -------------------------------------------------------------------------------

    def can_identify(self, receiver_id: str) -> bool:
        """Only families with a FLASH command (ULX-D, Axient Digital, SLX-D) get a button."""
        dialect = self.dialect
        return dialect is not None and dialect.flash_command(None) is not None

    async def identify(self, receiver_id: str, channel: int | None) -> None:
        """Flash the receiver (or one channel, where the family can) for about 30 s."""
        dialect = self.dialect
        if dialect is None:
            raise CannotConnect(f"{self.host} has not been reached yet")
        command = dialect.flash_command(channel)
        if command is None:
            raise NotSupported(f"{dialect.label} receivers have no identify (FLASH) command")
        if receiver_id not in self.receivers:
            raise ProtocolError(f"{receiver_id} is not served by this connection")
        if self._link is None:
            raise CannotConnect(f"not connected to {self.host}")
        await self._send([command])

    async def _send(self, commands: list[str]) -> None:
        if self._link is not None and self._dialect is not None:
            await _write(self._link, self._dialect, commands, self._terminator)

    def _channel_indexes(self) -> tuple[int, ...]:
        return tuple(sorted(self._raw_channels))

    def _dump_commands(self) -> list[str]:
        dialect = self._dialect
        return [] if dialect is None else dialect.dump_commands(self._channel_indexes())

    # -- closing --------------------------------------------------------------------------------

    async def _disconnect(self, reason: BaseException | None) -> None:
        """Metering off (best effort, bounded), then close the socket."""
        link, self._link = self._link, None
        if link is None:
            return
        dialect = self._dialect
        if self._metering and dialect is not None:
            self._metering = False
            try:
                async with asyncio.timeout(self.timing.close):
                    await _write(
                        link,
                        dialect,
                        dialect.meter_off_commands(self._channel_indexes()),
                        self._terminator,
                    )
            except (MicboardError, TimeoutError) as err:
                _LOGGER.debug("Could not switch metering off on %s: %s", self.host, err)
        await link.close()
        if reason is not None:
            self.health.disconnected(reason)

    async def close(self) -> None:
        """Metering off, socket closed; safe to call twice."""
        async with self._lock:
            await self._disconnect(None)
        self.health.stopped()


async def _write(link: Link, dialect: Dialect, commands: list[str], terminator: str = "") -> None:
    """Commands in one write on TCP; one datagram each on UDP, as UHF-R expects.

    Over TCP every command ends with ``terminator`` (what the device answered to), or the
    family's own where it needs one (PSM1000's CRLF).
    """
    if link.transport == "udp":
        for command in commands:
            await link.send(dialect.encode(command))
    elif commands:
        ending = terminator or dialect.terminator
        await link.send(b"".join(f"< {command} >{ending}".encode("ascii") for command in commands))


#: Trailing fields a SAMPLE may carry beyond its family's layout (newer firmware adds some).
MAX_EXTRA_SAMPLE_FIELDS = 4


def _parse_sample(sample: SampleFn, tokens: list[str], raw: Raw) -> dict[str, object] | None:
    """The SAMPLE's values; fields a newer firmware appends are ignored when the rest parses."""
    if (values := sample(tokens, raw)) is not None:
        return values
    for extra in range(1, min(MAX_EXTRA_SAMPLE_FIELDS, len(tokens) - 4) + 1):
        if (values := sample(tokens[:-extra], raw)) is not None:
            return values
    return None


def fallback_commands(dialect: Dialect, channels: tuple[int, ...]) -> list[str]:
    """GETs for every value the family's model fields are read from, per channel.

    For a device that leaves ``GET 0 ALL`` unanswered; indexed parameters (per-antenna RSSI)
    are asked for as a whole, which answers every index.
    """
    commands = [f"GET {param}" for param in dialect.device_fields]
    commands.extend(f"GET {index} {param}" for index in channels for param in dialect.param_fields)
    return commands


def _transmitter_reported(dialect: Dialect, raw: Mapping[str, str]) -> bool:
    """Whether the device said anything about the transmitter (else "off" is only a guess)."""
    params = {param for param, fields in dialect.param_fields.items() if "transmitter" in fields}
    if not params:
        return True  # a family without transmitter telemetry: nothing to wait for
    return any(key.partition(":")[0] in params for key in raw)


async def _arrived_meanwhile(link: Link) -> bool:
    """Whether data waits after the loop polled its sockets again (a stall, not a timeout)."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return link.pending()


def _is_meter(tokens: list[str]) -> bool:
    """Meter readings keep coming while a device answers, so they never mean "answered"."""
    match tokens:
        case ["SAMPLE", *_]:
            return True
        case [_, _, param, *_]:
            return param in _METER_PARAMS
    return False
