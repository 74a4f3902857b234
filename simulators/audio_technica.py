"""Audio-Technica networked wireless receiver (ESW, System 20 PRO) on TCP 17200 + UDP notices.

What it imitates, from ``shared/research/sennheiser_and_others.md`` §5 and the Companion
modules it cites: CR-terminated ASCII commands ``<cmd> <handshake> <modelId> <unit>
<continue> [params]``; answers ``<cmd> <modelId> <unit> NC <params>`` (parameters in the fifth
field, channel first); ``NAK <cmd> <modelId> <unit> NC <code>`` for errors (1 grammar, 2
invalid command, 4 parameter, 90/92/93 busy...); one control connection at a time (a second
one is accepted and closed at once); status-change notifications as ``n``-prefixed answer
lines over UDP. Which model answers which command follows which commands each Companion
module uses; the exact answer layout and the notification set are not documented publicly
and are this simulator's assumption [unverified], mirrored by the plugin's tolerant parser.

Two dialects:

- ``ESW-R4180DAN``: RF/AF level steps, ``glevelbatttx`` with link, level, life (HHMM) and USB
  charging, ``gstsmute`` with channel and transmitter mute, ``gchmute``, channel and TX
  names; no ``gststx``/``gtxmodel``/``gtxbattery``/``gtxmute`` (NAK 2).
- ``ATW-R1440`` (System 20 PRO): RF/AF steps, ``glevelbatttx`` with link and level only,
  ``gststx``, ``gtxmodel``, ``gtxbattery``, ``gtxmute``, ``gstsmute`` with one value; no names
  per channel (NAK 2).

The Python API scripts the world (battery draining, transmitter off, RF fade, mute, rename)
and injects faults (dropped replies or connection, NAKs, busy, garbage, stall) for tests.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
import contextlib
from dataclasses import dataclass, field
import logging
import math
import random
import re
from typing import Self

from .kind import SimulatorKind

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 17200
CR = b"\r"
ESW = "ESW-R4180DAN"
SYSTEM20 = "ATW-R1440"

_HEADER = re.compile(r"^[a-z][a-z0-9]+ [OS] \d{4} \d{2} NC( [^ ]+)?$")
_DEVICE_COMMANDS = frozenset({"gmymodel", "gmyname", "gmyversion"})
_SHARED = frozenset({"glevelrf", "glevelafrx", "glevelbatttx", "gstsmute"})

NAK_GRAMMAR = 1
NAK_INVALID_COMMAND = 2
NAK_PARAMETER = 4
NAK_BUSY = 90
MAX_STEP = 7


@dataclass(frozen=True, slots=True)
class Dialect:
    """What one receiver model answers."""

    model: str
    channels: int
    firmware: str
    commands: frozenset[str]
    battery_fields: int  # values after the channel in glevelbatttx
    mute_fields: int  # values after the channel in gstsmute
    full_life_minutes: int
    tx_model: str


DIALECTS: dict[str, Dialect] = {
    ESW: Dialect(
        ESW,
        8,
        "1.2.0",
        _SHARED | {"gchmute", "gchname", "gtxname"},
        battery_fields=4,
        mute_fields=2,
        full_life_minutes=540,
        tx_model="ESW-T4102",
    ),
    SYSTEM20: Dialect(
        SYSTEM20,
        4,
        "1.0.1",
        _SHARED | {"gststx", "gtxmodel", "gtxbattery", "gtxmute"},
        battery_fields=2,
        mute_fields=1,
        full_life_minutes=480,
        tx_model="ATW-T1401",
    ),
}


@dataclass(slots=True)
class SimChannel:
    """One receive channel and the transmitter linked to it."""

    name: str
    tx_name: str
    battery_type: int = 2  # 0 Alkaline, 1 NiMH, 2 Lithium
    tx_on: bool = True
    battery: float = 100.0  # percent
    charging: bool = False
    rf_step: int = 6
    af_step: int = 3
    muted: bool = False
    tx_muted: bool = False


@dataclass(slots=True)
class _Faults:
    stalled: bool = False
    drop_replies: int = 0
    garbage: int = 0
    naks: list[tuple[int, str | None]] = field(default_factory=list)  # (code, only command)
    injected: list[bytes] = field(default_factory=list)  # raw lines before the next reply


_GARBAGE = (
    b"\x00\xff\xfe garbage \x80\r",
    b"glevelrf 0000\r",  # truncated answer
    b"x" * 2000 + CR,  # oversized line
    b"gunknowncmd 0000 00 NC 1,2\r",
    b"glevelrf 0000 00 NC 99,7\r",  # answer for a channel that does not exist
)


def _quote(text: str) -> str:
    return f'"{text}"'


class AudioTechnicaSimulator:
    """A receiver on loopback: TCP control server plus optional UDP notifications."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: str = ESW,
        channels: int | None = None,
        name: str = "RACK-A",
        notify_host: str = "127.0.0.1",
        notify_port: int = 0,
        seed: int = 1,
    ) -> None:
        """Build the receiver; :meth:`start` opens its sockets."""
        self.dialect = DIALECTS[model]
        self.host = host
        self.name = name
        self.notify_host = notify_host
        self.notify_port = notify_port
        count = channels or self.dialect.channels
        self.channels = [
            SimChannel(name=f"Mic {index}", tx_name=f"TX{index:02d}", battery=100.0 - 7 * index)
            for index in range(1, count + 1)
        ]
        self.faults = _Faults()
        self.received: list[str] = []
        self.connections = 0
        self.refused = 0
        self.notifications_sent = 0
        self.garbage_sent = 0
        self._requested_port = port
        #: Fault knob: answer every command this many seconds late (a slow device/network).
        self.reply_delay = 0.0
        self._bound_port = 0
        self._serving: asyncio.Task[None] | None = None
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._animation: asyncio.Task[None] | None = None
        self._rng = random.Random(seed)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on TCP and open the UDP sender."""
        self._server = await asyncio.start_server(self._serve, self.host, self._requested_port)
        self._bound_port = int(self._server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=(self.host, 0)
        )
        return self

    @property
    def port(self) -> int:
        """The TCP port bound (kept while killed, for the restart)."""
        if self._bound_port == 0:
            raise RuntimeError("start() the simulator first")
        return self._bound_port

    @property
    def connected(self) -> bool:
        """Whether a controller holds the session."""
        return self._writer is not None

    def describe(self) -> list[str]:
        """What a client needs to know."""
        lines = [
            (
                f"audio_technica {self.dialect.model} '{self.name}' "
                f"({len(self.channels)} channels) listening on tcp {self.host}:{self.port}"
            )
        ]
        if self.notify_port:
            lines.append(f"notifications to udp {self.notify_host}:{self.notify_port}")
        else:
            lines.append("notifications off (--notify-port to send them)")
        return lines

    async def close(self) -> None:
        """Stop everything and close every socket."""
        if self._animation is not None:
            self._animation.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._animation
            self._animation = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._writer is not None:
            self._writer.close()
        serving, self._serving = self._serving, None
        if serving is not None and not serving.done():
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # -- TCP ------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._writer is not None:
            # One controller at a time: a second connection is dropped at once.
            self.refused += 1
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        self._writer = writer
        self._serving = asyncio.current_task()
        self.connections += 1
        try:
            while True:
                try:
                    raw = await reader.readuntil(CR)
                except asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError:
                    return
                line = raw[:-1].decode("ascii", errors="replace")
                self.received.append(line)
                reply = self._reply(line)
                if reply is not None:
                    if self.reply_delay > 0:
                        await asyncio.sleep(self.reply_delay)
                    writer.write(reply.encode("ascii") + CR)
        finally:
            self._writer = None
            writer.close()

    def _reply(self, line: str) -> str | None:
        faults = self.faults
        if faults.stalled:
            return None
        if faults.drop_replies:
            faults.drop_replies -= 1
            return None
        tokens = line.split(" ")
        command = tokens[0]
        model_id = tokens[2] if len(tokens) > 2 else "0000"  # noqa: PLR2004
        for index, (code, only) in enumerate(faults.naks):
            if only is None or only == command:
                del faults.naks[index]
                return self._nak(command, model_id, code)
        if self._writer is not None:
            if faults.garbage:
                faults.garbage -= 1
                self._writer.write(_GARBAGE[self.garbage_sent % len(_GARBAGE)])
                self.garbage_sent += 1
            while faults.injected:
                self._writer.write(faults.injected.pop(0))
        return self._answer(line, tokens, model_id)

    def _answer(self, line: str, tokens: list[str], model_id: str) -> str:
        if not _HEADER.match(line):
            return self._nak(tokens[0], model_id, NAK_GRAMMAR)
        command = tokens[0]
        args = tokens[5].split(",") if len(tokens) > 5 else []  # noqa: PLR2004
        if command in _DEVICE_COMMANDS:
            params = self._device_params(command)
        elif command in self.dialect.commands:
            channel = _int(args[0]) if args else None
            if channel is None or not 1 <= channel <= len(self.channels):
                return self._nak(command, model_id, NAK_PARAMETER)
            params = [str(channel), *self._channel_params(command, self.channels[channel - 1])]
        else:
            return self._nak(command, model_id, NAK_INVALID_COMMAND)
        return f"{command} {model_id} 00 NC {','.join(params)}"

    @staticmethod
    def _nak(command: str, model_id: str, code: int) -> str:
        return f"NAK {command} {model_id} 00 NC {code:02d}"

    def _device_params(self, command: str) -> list[str]:
        if command == "gmymodel":
            return [_quote(self.dialect.model)]
        if command == "gmyname":
            return [_quote(self.name)]
        return [_quote(self.dialect.firmware)]

    def _channel_params(self, command: str, ch: SimChannel) -> list[str]:
        linked = ch.tx_on and not ch.charging
        answers = {
            "glevelrf": lambda: [str(ch.rf_step if linked else 0)],
            "glevelafrx": lambda: [str(ch.af_step if linked else 0)],
            "glevelbatttx": lambda: self._battery_params(ch, linked),
            "gstsmute": lambda: [str(int(ch.muted)), str(int(ch.tx_muted))][
                : self.dialect.mute_fields
            ],
            "gchmute": lambda: [str(int(ch.muted))],
            "gtxmute": lambda: [str(int(ch.tx_muted))],
            "gststx": lambda: [str(int(linked))],
            "gtxmodel": lambda: [_quote(self.dialect.tx_model if linked else "")],
            "gtxbattery": lambda: [str(ch.battery_type)],
            "gchname": lambda: [_quote(ch.name)],
            "gtxname": lambda: [_quote(ch.tx_name)],
        }
        return answers[command]()

    def _battery_params(self, ch: SimChannel, linked: bool) -> list[str]:
        if not linked:
            values = ["0", "0", "0000", str(int(ch.charging))]
        else:
            percent = max(0, math.ceil(ch.battery))
            minutes = int(ch.battery / 100 * self.dialect.full_life_minutes)
            values = ["1", str(percent), f"{minutes // 60:02d}{minutes % 60:02d}", "0"]
        return values[: self.dialect.battery_fields]

    # -- notifications ----------------------------------------------------------------------

    def _notify(self, commands: Iterable[str], channel: int | None = None) -> None:
        """Send one UDP notification per command this model has (and knows the value of)."""
        if not self.notify_port or self._udp is None:
            return
        lines: list[str] = []
        for command in commands:
            if channel is None:
                params = self._device_params(command)
            elif command in self.dialect.commands:
                ch = self.channels[channel - 1]
                params = [str(channel), *self._channel_params(command, ch)]
            else:
                continue
            lines.append(f"n{command[1:]} 0000 00 NC {','.join(params)}")
        for line in lines:
            self._udp.sendto(line.encode("ascii") + CR, (self.notify_host, self.notify_port))
            self.notifications_sent += 1

    def send_raw_notification(self, data: bytes) -> None:
        """Send arbitrary bytes as a notification (garbage tests)."""
        if self._udp is not None and self.notify_port:
            self._udp.sendto(data, (self.notify_host, self.notify_port))

    # -- the scripted world -----------------------------------------------------------------

    def channel(self, index: int) -> SimChannel:
        """Channel ``index`` (1-based)."""
        return self.channels[index - 1]

    def set_battery(self, index: int, percent: float) -> None:
        """Set the transmitter's charge; notifies when the reported level changes."""
        ch = self.channel(index)
        before = self._channel_params("glevelbatttx", ch)
        ch.battery = max(0.0, min(100.0, percent))
        if self._channel_params("glevelbatttx", ch) != before:
            self._notify(["glevelbatttx"], index)

    def drain(self, index: int, percent: float) -> None:
        """Take ``percent`` of charge out of the transmitter."""
        self.set_battery(index, self.channel(index).battery - percent)

    def set_transmitter(self, index: int, on: bool) -> None:
        """Switch the transmitter on or off (link, meters and TX details follow)."""
        self.channel(index).tx_on = on
        self._notify(["glevelbatttx", "gststx", "gtxmodel"], index)

    def set_charging(self, index: int, charging: bool) -> None:
        """Dock the transmitter in a charger (USB charging: no link) or take it out."""
        self.channel(index).charging = charging
        self._notify(["glevelbatttx", "gststx"], index)

    def set_rf(self, index: int, step: int) -> None:
        """RF level step 0-7 (meters are polled; no notification)."""
        self.channel(index).rf_step = max(0, min(MAX_STEP, step))

    def set_audio(self, index: int, step: int) -> None:
        """AF level step 0-7 (7 = overload; polled)."""
        self.channel(index).af_step = max(0, min(MAX_STEP, step))

    def set_mute(self, index: int, muted: bool) -> None:
        """Receiver channel mute."""
        self.channel(index).muted = muted
        self._notify(["gstsmute", "gchmute"], index)

    def set_tx_mute(self, index: int, muted: bool) -> None:
        """Transmitter mute switch."""
        self.channel(index).tx_muted = muted
        self._notify(["gstsmute", "gtxmute"], index)

    def rename(self, name: str) -> None:
        """Receiver device name."""
        self.name = name
        self._notify(["gmyname"])

    def rename_channel(self, index: int, name: str) -> None:
        """Channel name."""
        self.channel(index).name = name
        self._notify(["gchname"], index)

    def rename_transmitter(self, index: int, name: str) -> None:
        """Transmitter name."""
        self.channel(index).tx_name = name
        self._notify(["gtxname"], index)

    def tick(self, seconds: float) -> None:
        """Let time pass: linked transmitters drain and meters wander (standalone demo)."""
        for index, ch in enumerate(self.channels, start=1):
            if not ch.tx_on:
                continue
            self.drain(index, seconds * 0.05)
            ch.rf_step = max(1, min(MAX_STEP, ch.rf_step + self._rng.choice((-1, 0, 0, 1))))
            ch.af_step = max(1, min(MAX_STEP - 1, ch.af_step + self._rng.choice((-1, 0, 1))))

    def start_animation(self, period: float = 1.0) -> None:
        """Run :meth:`tick` every ``period`` seconds until :meth:`close` (once; no-op after)."""
        if self._animation is not None:
            return

        async def animate() -> None:
            while True:
                await asyncio.sleep(period)
                self.tick(period)

        self._animation = asyncio.get_running_loop().create_task(animate())

    # -- faults -----------------------------------------------------------------------------

    def nak_next(self, code: int, count: int = 1, command: str | None = None) -> None:
        """Answer the next ``count`` commands (or only ``command``) with NAK ``code``."""
        self.faults.naks.extend([(code, command)] * count)

    def busy(self, count: int = 1, code: int = NAK_BUSY) -> None:
        """Answer the next ``count`` commands with a busy NAK (90, 92 or 93)."""
        self.nak_next(code, count)

    def drop_replies(self, count: int = 1) -> None:
        """Swallow the next ``count`` replies."""
        self.faults.drop_replies += count

    def inject_garbage(self, count: int = 1) -> None:
        """Send a garbage line before each of the next ``count`` replies."""
        self.faults.garbage += count

    def inject_before_reply(self, data: bytes) -> None:
        """Send ``data`` as it is right before the next reply (late answers, TCP notices)."""
        self.faults.injected.append(data)

    def stall(self, stalled: bool = True) -> None:
        """Keep the connection open but stop answering (or resume)."""
        self.faults.stalled = stalled

    def drop_connection(self) -> None:
        """Close the controller's connection from the receiver's side."""
        if self._writer is not None:
            self._writer.close()

    async def kill(self) -> None:
        """Switched off: the session and the listening socket close (connects are refused)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def restart(self) -> None:
        """Switched on again at the same address and port."""
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, self.host, self._bound_port)

    def become(self, model: str | None = None, name: str | None = None) -> None:
        """Another unit at this address: another model (dialect) and/or name."""
        if model is not None:
            self.dialect = DIALECTS[model]
        if name is not None:
            self.name = name


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=sorted(DIALECTS), default=ESW, help="receiver model")
    parser.add_argument("--channels", type=int, default=None, help="channels (model default)")
    parser.add_argument("--name", default="RACK-A", help="device name (gmyname)")
    parser.add_argument("--notify-host", default="127.0.0.1", help="where UDP notices go")
    parser.add_argument("--notify-port", type=int, default=0, help="UDP notice port (0 = off)")
    parser.add_argument("--static", action="store_true", help="no battery drain / meter motion")


async def _start(args: argparse.Namespace) -> AudioTechnicaSimulator:
    simulator = AudioTechnicaSimulator(
        host=args.host,
        port=args.port,
        model=args.model,
        channels=args.channels,
        name=args.name,
        notify_host=args.notify_host,
        notify_port=args.notify_port,
    )
    await simulator.start()
    if not args.static:
        simulator.start_animation()
    return simulator


KIND = SimulatorKind(
    name="audio_technica",
    help="Audio-Technica ESW / System 20 PRO receiver (TCP 17200, UDP notifications)",
    add_arguments=_add_arguments,
    start=_start,
)
