"""Simulated Shure receivers speaking command strings on a loopback port.

ULX-D, QLX-D, SLX-D, Axient Digital and PSM1000 listen on TCP, UHF-R on UDP. The simulator
answers GET/SET like the hardware in the research notes, pushes an unsolicited REP when a
non-metered value changes, sends SAMPLEs (or PSM1000's REPORT meters) at the METER_RATE a
client set, and records every command it receives, so a test can check that
metering was switched off before a client left. Faults are switched on from tests: drop every
connection, stall (stay connected, send nothing), send garbage, split or coalesce output,
answer ``REP ERR`` for chosen parameters, stay silent for unknown ones (as SLX-D does), refuse
new connections; and the firmware quirks met in the field: a unit (or serial bridge) that reads
lines and answers only CRLF-terminated commands, one that ignores ``GET 0 ALL``, SAMPLEs with
extra trailing fields, a device that accepts and never speaks (``stalled`` from the start),
every answer late by ``reply_delay`` seconds, and a steady stream of garbage.

Run standalone: ``python -m simulators shure --family ulxd --channels 4 --port 2202``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
import contextlib
from dataclasses import dataclass
import logging
import random
from typing import Any, Literal

from ..kind import SimulatorKind
from .commands_model import (
    FAMILIES,
    METERED,
    MODELS,
    SimChannel,
    SimDevice,
    build_device,
    channel_params,
    device_params,
    meter_lines,
)

_LOGGER = logging.getLogger(__name__)

type OutputMode = Literal["normal", "split", "coalesce"]
type UnknownReply = Literal["err", "silent"]

#: Families that answer GET x ALL.
_GET_ALL = frozenset({"ulxd", "qlxd", "slxd", "ad"})
#: Families whose receivers (or channels) flash on SET [n] FLASH ON.
_FLASH_RECEIVER = frozenset({"ulxd", "slxd", "ad"})
_FLASH_CHANNEL = frozenset({"slxd", "ad"})
_MAX_COMMAND = 1024
#: METER_RATE floor (ms) and UHF-R's meter step.
METER_MIN_MS = 100
UHFR_STEP_MS = 30
#: :meth:`ShureSimulator.wait_for` gives up after this long (a test bug, not a slow device).
WAIT_LIMIT_SECONDS = 10.0
#: Standalone animation: chance per second that a transmitter is switched, or clips.
_SWITCH_CHANCE = 0.01
_CLIP_CHANCE = 0.02


@dataclass(frozen=True, slots=True)
class Received:
    """One command a client sent (whitespace normalized)."""

    client: int
    text: str


def split_tokens(body: str) -> list[str]:
    """Tokens of a command; ``{…}`` is one token (a name with spaces)."""
    tokens: list[str] = []
    rest = body
    while (opening := rest.find("{")) >= 0:
        tokens.extend(rest[:opening].split())
        closing = rest.find("}", opening)
        if closing < 0:
            closing = len(rest)
        tokens.append(rest[opening + 1 : closing].strip())
        rest = rest[closing + 1 :]
    tokens.extend(rest.split())
    return tokens


class _TcpClient:
    """One connected client and the task that writes to it (so output modes can pace)."""

    def __init__(self, number: int, writer: asyncio.StreamWriter, sim: ShureSimulator) -> None:
        self.number = number
        self.writer = writer
        self._sim = sim
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.task = asyncio.create_task(self._pump(), name=f"shure-sim-client-{number}")

    def send(self, data: bytes) -> None:
        self._queue.put_nowait(data)

    async def _pump(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while True:
                data = await self._queue.get()
                mode = self._sim.output_mode
                if mode == "coalesce":
                    await asyncio.sleep(0.01)
                    while not self._queue.empty():
                        data += self._queue.get_nowait()
                    self.writer.write(data)
                elif mode == "split":
                    for piece in self._sim.split(data):
                        self.writer.write(piece)
                        await self.writer.drain()
                        await asyncio.sleep(0.002)
                else:
                    self.writer.write(data)
                await self.writer.drain()

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.writer.transport.abort()


class _UdpEndpoint(asyncio.DatagramProtocol):
    def __init__(self, sim: ShureSimulator) -> None:
        self._sim = sim

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self._sim.on_datagram(data, (str(addr[0]), int(addr[1])))


class ShureSimulator:
    """A Shure device of one family on a loopback port; controlled from tests."""

    def __init__(
        self,
        family: str = "ulxd",
        channels: int | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        device_id: str | None = "SIM-RX1",
        unknown_reply: UnknownReply | None = None,
        quadversity: bool = False,
        seed: int = 0,
        line_reading: bool = False,
        reply_delay: float = 0.0,
    ) -> None:
        """Build the device; nothing listens until :meth:`start`."""
        count = channels if channels is not None else max(MODELS.get(family, {1: ""}))
        if family == "uhfr" and device_id == "SIM-RX1":
            device_id = None  # UHF-R is not known to have a device id
        self.device: SimDevice = build_device(family, count, device_id, quadversity=quadversity)
        self.family = family
        self.host = host
        self.port = port
        self.transport = "udp" if family == "uhfr" else "tcp"
        self.keyword = "REPORT" if family in {"uhfr", "psm1000"} else "REP"
        #: SLX-D drops what it does not understand; the others answer REP ERR.
        self.unknown_reply: UnknownReply = unknown_reply or (
            "silent" if family in {"slxd", "uhfr", "psm1000"} else "err"
        )
        self.error_params: set[str] = set()
        self.output_mode: OutputMode = "normal"
        self.stalled = False
        self.refusing = False
        #: Answer only commands that end with CRLF (PSM1000 always; a line-reading bridge).
        self.line_reading = line_reading or family == "psm1000"
        #: Leave ``GET x ALL`` unanswered (firmware or a bridge that does not know it).
        self.ignore_get_all = False
        #: Fields appended to every SAMPLE (a newer firmware's layout).
        self.sample_extra_fields: list[str] = []
        #: Seconds before each answer goes out (a slow device or network); meters are not late.
        self.reply_delay = reply_delay
        #: Bytes :meth:`send_garbage_every` sends to every client.
        self.garbage = b"\x00\xff>>< noise <<{ \x1b[2J"
        self._garbage_task: asyncio.Task[None] | None = None
        self._late: set[asyncio.TimerHandle] = set()
        self._closed = False
        #: Drop every connection when this command arrives (once), e.g. "GET 0 ALL".
        self.drop_on: str | None = None
        self.received: list[Received] = []
        self.ignored: list[Received] = []  # commands that lacked CRLF (PSM1000, line reading)
        self.connections = 0
        self._rng = random.Random(seed)
        self._clients: dict[int, _TcpClient] = {}
        self._peers: dict[tuple[str, int], int] = {}
        self._meter_peers: set[tuple[str, int]] = set()
        self._server: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._meter_wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._next_client = 0
        self._serving: set[asyncio.Task[None]] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> ShureSimulator:
        """Bind and start serving (and metering)."""
        await self._listen()
        self._spawn(self._meter_loop(), "meter")
        return self

    async def _listen(self) -> None:
        if self.transport == "udp":
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpEndpoint(self), local_addr=(self.host, self.port)
            )
            self._udp = transport
            self.port = transport.get_extra_info("sockname")[1]
        else:
            self._server = await asyncio.start_server(
                self._serve_client, self.host, self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    def describe(self) -> list[str]:
        """What the command line prints."""
        device = self.device
        line = (
            f"Shure {device.model} simulator ({self.family}, {len(device.channels)} channels, "
            f"device id {device.device_id or '-'}) listening on {self.transport} "
            f"{self.host}:{self.port}"
        )
        return [line]

    async def close(self) -> None:
        """Stop everything and close every socket."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for handle in list(self._late):
            handle.cancel()
        self._late.clear()
        await self.drop_connections()
        await self._stop_listening(wait=True)
        for task in list(self._tasks | self._serving):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _stop_listening(self, *, wait: bool = False) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.close()
            if wait:  # waits for open connections too, so only once they were dropped
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1):
                        await server.wait_closed()
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    def _spawn(self, coro: Coroutine[None, None, None], name: str) -> None:
        task = asyncio.create_task(coro, name=f"shure-sim-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- faults ---------------------------------------------------------------------------------

    async def drop_connections(self) -> None:
        """Cut every client off (TCP reset); UHF-R forgets its peers."""
        for client in list(self._clients.values()):
            await client.close()
        self._clients.clear()
        self._peers.clear()
        self._meter_peers.clear()
        self._notify()

    async def set_refusing(self, refusing: bool) -> None:
        """Stop (or resume) accepting connections; a UDP port closes (ICMP unreachable)."""
        self.refusing = refusing
        if refusing:
            await self._stop_listening()
        elif self._server is None and self._udp is None:
            await self._listen()

    def inject_garbage(self, data: bytes) -> None:
        """Write raw bytes to every client, outside any framing."""
        for client in self._clients.values():
            client.send(data)
        if self._udp is not None:
            for peer in self._peers:
                self._udp.sendto(data, peer)

    def split(self, data: bytes) -> list[bytes]:
        """Cut ``data`` at random places (the "split" output mode)."""
        pieces: list[bytes] = []
        while data:
            size = self._rng.randint(1, 9)
            pieces.append(data[:size])
            data = data[size:]
        return pieces

    # -- state changes (each pushes REP for what changed) ----------------------------------

    def set_name(self, index: int, name: str) -> None:
        """Rename a channel, as if from the front panel or Wireless Workbench."""
        self._mutate(index, lambda ch: setattr(ch, "name", name))

    def set_battery(self, index: int, percent: float, battery_type: str | None = None) -> None:
        """Set the charge (bars, percent and runtime follow)."""

        def change(ch: SimChannel) -> None:
            ch.battery_percent = percent
            if battery_type is not None:
                ch.battery_type = battery_type

        self._mutate(index, change)

    def set_transmitter(self, index: int, on: bool) -> None:
        """Switch the linked transmitter on or off."""
        self._mutate(index, lambda ch: setattr(ch, "tx_on", on))

    def set_muted(self, index: int, muted: bool) -> None:
        """Receiver output mute (PSM1000: RF mute)."""

        def change(ch: SimChannel) -> None:
            ch.muted = muted
            ch.rf_mute = muted

        self._mutate(index, change)

    def set_rf(self, index: int, dbm: float) -> None:
        """RF at every antenna (a fade when low); reaches clients through meters only."""

        def change(ch: SimChannel) -> None:
            ch.rf_dbm = [dbm - 2 * antenna for antenna in range(len(ch.rf_dbm))]

        self._mutate(index, change)

    def set_audio(
        self, index: int, *, rms: float | None = None, peak: float | None = None, clip: bool = False
    ) -> None:
        """Audio levels (dBFS) and the overload flag."""

        def change(ch: SimChannel) -> None:
            if rms is not None:
                ch.audio_rms_dbfs = rms
            if peak is not None:
                ch.audio_peak_dbfs = peak
            ch.clip = clip

        self._mutate(index, change)

    def set_device_id(self, device_id: str) -> None:
        """Rename the receiver itself."""
        before = device_params(self.device)
        self.device.device_id = device_id
        self._push_device_changes(before)

    def set_fd_combined(self, enabled: bool) -> None:
        """Axient FD-C: a second antenna section in every SAMPLE."""
        self._mutate(1, lambda _ch: setattr(self.device, "fd_combined", enabled))

    def advance(self, seconds: float) -> None:
        """Drain every linked transmitter's battery for ``seconds``."""
        for index, ch in self.device.channels.items():
            if ch.tx_on and ch.battery_percent > 0:
                drain = ch.drain_per_second * seconds
                self.set_battery(index, max(0.0, ch.battery_percent - drain))

    def set_meter_rate(self, milliseconds: int) -> None:
        """Meter every channel at this interval, as if set on the front panel (0 = off).

        The benchmark uses it to meter at 10 Hz whatever rate the integration asked for.
        """
        for channel in self.device.channels.values():
            channel.meter_ms = milliseconds
        self._meter_wake.set()

    def meter_rates(self) -> dict[int, int]:
        """Current metering interval per channel (ms, 0 = off)."""
        return {index: ch.meter_ms for index, ch in self.device.channels.items()}

    def commands(self) -> list[str]:
        """Every command received so far."""
        return [item.text for item in self.received]

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds (checked on every command and connection)."""
        async with asyncio.timeout(WAIT_LIMIT_SECONDS):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()

    def _mutate(self, index: int, change: Callable[[SimChannel], None]) -> None:
        ch = self.device.channels[index]
        before = channel_params(self.device, ch)
        before_device = device_params(self.device)
        change(ch)
        after = channel_params(self.device, ch)
        lines = [
            f"{self.keyword} {index} {key} {value}"
            for key, value in after.items()
            if before.get(key) != value and key.split()[0] not in METERED
        ]
        self._broadcast(lines)
        self._push_device_changes(before_device)

    def _push_device_changes(self, before: dict[str, str]) -> None:
        after = device_params(self.device)
        self._broadcast(
            [
                f"{self.keyword} {key} {value}"
                for key, value in after.items()
                if before.get(key) != value
            ]
        )

    # -- output ----------------------------------------------------------------------------------

    def _frame(self, line: str) -> bytes:
        if self.transport == "udp":
            return f"* {line} *".encode("latin-1")
        suffix = "\r\n" if self.family == "psm1000" else ""
        return f"< {line} >{suffix}".encode("latin-1")

    def _broadcast(self, lines: list[str], *, meters: bool = False) -> None:
        if not lines or self.stalled:
            return
        if self.transport == "udp":
            peers = self._meter_peers if meters else set(self._peers)
            for peer in peers:
                self._send_udp(lines, peer)
            return
        data = b"".join(self._frame(line) for line in lines)
        for client in self._clients.values():
            client.send(data)

    def _reply_tcp(self, client: _TcpClient, lines: list[str]) -> None:
        if not lines or self.stalled:
            return
        data = b"".join(self._frame(line) for line in lines)
        if self.reply_delay > 0:
            self._later(self._late_reply, client, data)
        else:
            client.send(data)

    def _later(self, function: Callable[..., None], *args: Any) -> None:
        """Run ``function`` after :attr:`reply_delay` (cancelled when the simulator closes)."""
        if self._closed:
            return
        handle: asyncio.TimerHandle

        def run() -> None:
            self._late.discard(handle)
            function(*args)

        handle = asyncio.get_running_loop().call_later(self.reply_delay, run)
        self._late.add(handle)

    def _late_reply(self, client: _TcpClient, data: bytes) -> None:
        if self._clients.get(client.number) is client and not self.stalled:
            client.send(data)

    def _reply_udp(self, lines: list[str], peer: tuple[str, int]) -> None:
        if self.reply_delay > 0 and lines:
            self._later(self._send_udp, lines, peer)
        else:
            self._send_udp(lines, peer)

    def _send_udp(self, lines: list[str], peer: tuple[str, int]) -> None:
        if self._udp is None or self.stalled or not lines:
            return
        frames = [self._frame(line) for line in lines]
        if self.output_mode == "coalesce":
            self._udp.sendto(b" ".join(frames), peer)
            return
        for frame in frames:
            if self.output_mode == "split":
                middle = len(frame) // 2
                self._udp.sendto(frame[:middle], peer)
                self._udp.sendto(frame[middle:], peer)
            else:
                self._udp.sendto(frame, peer)

    # -- input -------------------------------------------------------------------------------------

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._serving.add(task)
        self._next_client += 1
        self.connections += 1
        client = _TcpClient(self._next_client, writer, self)
        self._clients[client.number] = client
        self._notify()
        buffer = b""
        try:
            while data := await reader.read(4096):
                buffer = self._parse_tcp(client, buffer + data)
        except ConnectionError, OSError:
            pass
        finally:
            if self._clients.get(client.number) is client:
                del self._clients[client.number]
                await client.close()
            self._notify()
            if task is not None:
                self._serving.discard(task)

    def _parse_tcp(self, client: _TcpClient, buffer: bytes) -> bytes:
        """Run complete commands; return what may still become one."""
        while (end := buffer.find(b">")) >= 0:
            start = buffer.rfind(b"<", 0, end)
            body = buffer[start + 1 : end].decode("latin-1") if start >= 0 else ""
            rest = buffer[end + 1 :]
            if self.line_reading:
                if rest in {b"", b"\r"}:
                    return buffer  # the CRLF may still come
                if not rest.startswith(b"\r\n"):
                    self.ignored.append(Received(client.number, " ".join(body.split())))
                    self._notify()
                    buffer = rest
                    continue
                rest = rest[2:]
            buffer = rest
            if start >= 0:
                self._on_command(client.number, body, lambda lines: self._reply_tcp(client, lines))
        return buffer[-_MAX_COMMAND:]

    def on_datagram(self, data: bytes, peer: tuple[str, int]) -> None:
        """A UHF-R client datagram: one or more ``* … *`` commands."""
        if peer not in self._peers:
            self._next_client += 1
            self.connections += 1
            self._peers[peer] = self._next_client
        parts = data.decode("latin-1").split("*")
        for body in parts[1:-1:2]:
            self._on_command(self._peers[peer], body, lambda lines: self._reply_udp(lines, peer))
            if body.split()[:1] == ["METER"]:
                self._meter_peers.add(peer)
        self._notify()

    def _on_command(self, client: int, body: str, reply: Callable[[list[str]], None]) -> None:
        text = " ".join(body.split())
        self.received.append(Received(client, text))
        self._notify()
        if text == self.drop_on:
            self.drop_on = None
            self._spawn(self.drop_connections(), "drop")
            return
        tokens = split_tokens(body)
        if tokens:
            reply(self._dispatch(tokens))

    # -- commands -----------------------------------------------------------------------------

    def _dispatch(self, tokens: list[str]) -> list[str]:
        verb, args = tokens[0].upper(), tokens[1:]
        if verb == "GET" and args:
            return self._get(args)
        if verb == "SET" and args:
            return self._set(args)
        if verb == "METER" and self.family == "uhfr":
            self._meter_uhfr(args)
            return []
        return self._unknown()

    def _unknown(self) -> list[str]:
        return [f"{self.keyword} ERR"] if self.unknown_reply == "err" else []

    def _channels_for(self, target: str) -> list[SimChannel] | None:
        index = int(target)
        if index == 0:
            return list(self.device.channels.values())
        channel = self.device.channels.get(index)
        return None if channel is None else [channel]

    def _get(self, args: list[str]) -> list[str]:
        match [arg.upper() for arg in args]:
            case [param] if param in self.error_params:
                return [f"{self.keyword} ERR"]
            case [param] if not param.isdecimal():
                values = device_params(self.device)
                if param not in values:
                    return self._unknown()
                return [f"{self.keyword} {param} {values[param]}"]
            case [target, param, *sub] if target.isdecimal():
                channels = self._channels_for(target)
                if channels is None:
                    return self._unknown()
                if param in self.error_params:
                    return [f"{self.keyword} ERR"]
                if param == "ALL" and self.family in _GET_ALL:
                    return [] if self.ignore_get_all else self._get_all(target, channels)
                lines = self._channel_lines(channels, param, sub[:1])
                return lines or self._unknown()
        return self._unknown()

    def _get_all(self, target: str, channels: list[SimChannel]) -> list[str]:
        lines = []
        if target == "0":
            lines += [f"{self.keyword} {k} {v}" for k, v in device_params(self.device).items()]
        for ch in channels:
            lines += [
                f"{self.keyword} {ch.index} {k} {v}"
                for k, v in channel_params(self.device, ch).items()
            ]
        return lines

    def _channel_lines(self, channels: list[SimChannel], param: str, sub: list[str]) -> list[str]:
        """``GET n RSSI`` answers every antenna, ``GET n RSSI 2`` one of them."""
        wanted = " ".join([param, *sub])
        return [
            f"{self.keyword} {ch.index} {key} {value}"
            for ch in channels
            for key, value in channel_params(self.device, ch).items()
            if key == wanted or (not sub and key.split()[0] == param)
        ]

    def _set(self, args: list[str]) -> list[str]:
        match args:
            case [flash, "ON"] if flash.upper() == "FLASH" and self.family in _FLASH_RECEIVER:
                before = device_params(self.device)
                self.device.flashing = True
                self._push_device_changes(before)
                return []
            case [target, param, value, *_] if target.isdecimal():
                channels = self._channels_for(target)
                if channels is not None:
                    return self._set_channel(target, channels, param.upper(), value)
        return self._unknown()

    def _set_channel(
        self, target: str, channels: list[SimChannel], param: str, value: str
    ) -> list[str]:
        if param in self.error_params:
            return [f"{self.keyword} ERR"]
        if param == "METER_RATE" and self.family != "uhfr":
            return self._set_meter_rate(channels, value)
        if param == "CHAN_NAME":
            for ch in channels:
                self.set_name(ch.index, value)
            return []
        if param == "FLASH" and self.family in _FLASH_CHANNEL:
            return [f"{self.keyword} {ch.index} FLASH ON" for ch in channels]
        return self._unknown()

    def _set_meter_rate(self, channels: list[SimChannel], value: str) -> list[str]:
        """Five digits, 0 or 100-65535 ms; PSM1000 takes any width ([?] in the research)."""
        if not value.isdecimal():
            return self._unknown()
        rate = int(value)
        padded = f"{rate:05d}"
        if self.family != "psm1000" and (value != padded or 0 < rate < METER_MIN_MS):
            return self._unknown()
        for ch in channels:
            ch.meter_ms = rate
        self._meter_wake.set()
        shown = value if self.family == "psm1000" else padded
        return [f"{self.keyword} {ch.index} METER_RATE {shown}" for ch in channels]

    def _meter_uhfr(self, args: list[str]) -> None:
        """``METER n ALL sss`` (30 ms steps) or ``METER n ALL STOP``."""
        match args:
            case [target, "ALL", "STOP"] if target.isdecimal():
                rate = 0
            case [target, "ALL", steps] if target.isdecimal() and steps.isdecimal():
                rate = int(steps) * UHFR_STEP_MS
            case _:
                return
        for ch in self._channels_for(target) or []:
            ch.meter_ms = rate
        self._meter_wake.set()

    # -- metering ----------------------------------------------------------------------------------

    async def _meter_loop(self) -> None:
        loop = asyncio.get_running_loop()
        due: dict[int, float] = {}
        while True:
            now = loop.time()
            wait = 1.0
            for index, ch in self.device.channels.items():
                if ch.meter_ms <= 0:
                    due.pop(index, None)
                    continue
                interval = ch.meter_ms / 1000
                when = due.setdefault(index, now + interval)
                if when <= now:
                    self._broadcast(self._meter_lines(ch), meters=True)
                    when = due[index] = now + interval
                wait = min(wait, when - now)
            self._meter_wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait, 0.001)):
                    await self._meter_wake.wait()
                    due.clear()

    def _meter_lines(self, ch: SimChannel) -> list[str]:
        lines = meter_lines(self.device, ch)
        if not self.sample_extra_fields:
            return lines
        extra = " ".join(self.sample_extra_fields)
        return [f"{line} {extra}" if line.startswith("SAMPLE") else line for line in lines]

    def send_garbage_every(self, interval: float | None) -> None:
        """Send :attr:`garbage` to every client every ``interval`` seconds (None: stop)."""
        if self._garbage_task is not None:
            self._garbage_task.cancel()
            self._garbage_task = None
        if interval is not None:
            self._garbage_task = asyncio.create_task(self._garbage_loop(interval))
            self._tasks.add(self._garbage_task)
            self._garbage_task.add_done_callback(self._tasks.discard)

    async def _garbage_loop(self, interval: float) -> None:
        while True:
            if not self.stalled:
                self.inject_garbage(self.garbage)
            await asyncio.sleep(interval)

    async def animate(self, period: float = 1.0) -> None:
        """Drain batteries and move RF and audio around, for a standalone demo."""
        rng = self._rng
        while True:
            await asyncio.sleep(period)
            self.advance(period * 10)
            for index, ch in self.device.channels.items():
                if rng.random() < _SWITCH_CHANCE:
                    self.set_transmitter(index, not ch.tx_on)
                if ch.tx_on and ch.battery_percent <= 0:
                    self.set_battery(index, 100.0)
                self.set_rf(index, rng.uniform(-80.0, -45.0))
                peak = rng.uniform(-40.0, -3.0)
                self.set_audio(index, rms=peak - 8, peak=peak, clip=rng.random() < _CLIP_CHANCE)


# -- command line ----------------------------------------------------------------------------------


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--family", choices=FAMILIES, default="ulxd", help="receiver family")
    parser.add_argument("--channels", type=int, default=None, help="channel count")
    parser.add_argument("--device-id", default="SIM-RX1", help="the receiver's device id")
    parser.add_argument(
        "--static", action="store_true", help="do not drain batteries or move meters"
    )


async def _start(args: argparse.Namespace) -> ShureSimulator:
    simulator = ShureSimulator(
        args.family, args.channels, host=args.host, port=args.port, device_id=args.device_id
    )
    await simulator.start()
    if not args.static:
        simulator._spawn(simulator.animate(), "animate")  # noqa: SLF001  own module
    return simulator


KIND = SimulatorKind(
    name="shure",
    help="Shure receiver command strings (ULX-D, QLX-D, SLX-D, AD, UHF-R, PSM1000)",
    add_arguments=_add_arguments,
    start=_start,
)
