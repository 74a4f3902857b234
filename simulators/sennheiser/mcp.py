"""Simulated ew G4 EM receiver speaking MCP (ASCII lines over UDP 53212).

Follows TI 1254: CR-terminated, case-sensitive commands; a GET is the bare attribute, a SET
is echoed; errors ``1000`` (unknown command), ``1010`` (invalid parameter), ``1020`` (out of
range, e.g. a cycle that is not a multiple of 100), ``1040`` (wrong parameter count) and
``1050`` (no CR terminator). ``Push <timeout> <cycle> <mode>`` starts the cyclic block
``RF1 RF2 States RF AF Bat Msg Config`` (one line per datagram) every cycle until the
timeout passes; ``Push 0 …`` is one-shot and ``Push 0 0 0`` stops. Mode bit 1 pushes
configuration changes, bit 2 sends a block when the warnings change, bit 4 when the battery
or pilot changes.

Like the hardware, replies go to the client's address but to a fixed port (``reply_port``,
53212 on a real receiver); with ``reply_port=None`` they go back to the source port.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
import logging
import random
import time

from ..net.udp_device import (
    Address,
    UdpDevice,
)

_LOGGER = logging.getLogger(__name__)


TICK_SECONDS = 0.05
INVALID_COMMAND = 1000
INVALID_PARAMETER = 1010
OUT_OF_RANGE = 1020
PARAMETER_COUNT = 1040
TERMINATION = 1050
_ERRORS = {
    INVALID_COMMAND: "Invalid command",
    INVALID_PARAMETER: "Invalid parameter",
    OUT_OF_RANGE: "Value out of range",
    PARAMETER_COUNT: "Invalid numbers of parameter",
    TERMINATION: "Incorrect termination",
}
_MODE_CONFIG = 1
_MODE_WARNINGS = 2
_MODE_BATTERY = 4
MAX_PUSH_TIMEOUT = 300
MAX_CYCLE_MS = 60000
MAX_MODE = 7


@dataclass(slots=True)
class _Push:
    client: Address
    expires: float
    cycle: float
    mode: int
    next_block: float


class McpSimulator(UdpDevice):
    """One EM 300-500 G4 receiver."""

    def __init__(
        self,
        *,
        name: str = "VOCAL 1",
        frequency_khz: int = 566_000,
        firmware: str = "2.7.1",
        reply_port: int | None = None,
        in_ear: bool = False,
        animate: bool = False,
        seed: int = 0,
    ) -> None:
        """Build the receiver; ``in_ear`` makes it an SR IEM G4 (different cyclic block)."""
        super().__init__()
        self.name = name
        self.frequency_khz = frequency_khz
        self.firmware = firmware
        self.reply_port = reply_port
        self.in_ear = in_ear
        self.animate = animate
        self._rng = random.Random(seed)
        self.mute = False
        self.tx_on = True
        self.battery = 100
        self.tx_mute = False
        self.rf = 80
        self.af = 40
        self.af_peak = False
        self.low_battery = False
        self.config = 0
        self.requests: dict[str, int] = {}
        self.answering = True
        #: Fault knobs: refuse push modes above this (older firmware); never send cyclic data.
        self.max_push_mode = MAX_MODE
        self.sends_status = True
        #: Commands this firmware does not know (answered with 1000).
        self.unknown_commands: set[str] = set()
        self.pushes: dict[Address, _Push] = {}
        self.push_commands = 0
        self.renewals = 0
        self.expirations = 0
        self.errors_sent = 0
        self.clients: set[Address] = set()
        self._last_warnings = self.warnings()
        self._last_battery = self.bat_text()

    # -- lifecycle ----------------------------------------------------------------------------

    def describe(self) -> list[str]:
        """What the command line prints."""
        host, port = self.address
        kind = "SR IEM G4" if self.in_ear else "EM 300-500 G4"
        target = "the source port" if self.reply_port is None else f"port {self.reply_port}"
        return [
            f"Sennheiser MCP simulator ({kind} '{self.name}') listening on udp://{host}:{port}",
            f"Replies go to the client's address, {target}",
        ]

    # -- test API -----------------------------------------------------------------------------

    def set_battery(self, percent: int) -> None:
        """Battery step: 100, 70, 30 or 0 (low)."""
        self.battery = percent
        self.low_battery = percent == 0

    def tx_off(self) -> None:
        """Transmitter off: no battery telegram, RF at the noise floor, squelch closed."""
        self.tx_on = False
        self.rf = 3
        self.af = 0

    def tx_on_again(self) -> None:
        """Transmitter back on."""
        self.tx_on = True
        self.rf = 80
        self.af = 40

    def rf_fade(self, percent: int = 20) -> None:
        """Weak RF; Low_RF_Signal is reported under 25 %."""
        self.rf = percent

    def audio_peak(self, on: bool = True) -> None:
        """Audio at full scale with AF_Peak (or back to normal)."""
        self.af_peak = on
        self.af = 100 if on else 40

    def rename(self, name: str) -> None:
        """Rename on the front panel: Config increments, pushed where mode bit 1 is set."""
        self.name = name
        self._config_changed("Name", self.name)

    def stop_answering(self) -> None:
        """Unplugged: ignore everything, push ends."""
        self.answering = False
        self.pushes.clear()

    def resume(self) -> None:
        """Plugged back in (push must be requested again)."""
        self.answering = True

    def forget_clients(self) -> None:
        """A power cycle ends every push."""
        self.pushes.clear()

    def send_garbage_payloads(self, payloads: list[bytes]) -> None:
        """Send these datagrams as they are to every client seen so far."""
        for client in self.clients:
            for payload in payloads:
                self._send_raw(payload, client)

    def send_garbage(self) -> None:
        """Send malformed data to every client seen so far."""
        junk = [
            b"\xff\xfe\x00\x01",
            b"RF1 twenty 65 1\r",
            b"Bat 55\r",
            b"AF -3 2 1\r",
            b"Config 1234\r",
            b"!!! not mcp\r",
            b"Msg\r",
            b"RF 50 7 1\r",
            b"9999: unknown error\r",
            b"X" * 20000,
        ]
        for client in self.clients:
            for payload in junk:
                self._send_raw(payload, client)

    # -- state --------------------------------------------------------------------------------

    def warnings(self) -> list[str]:
        """The Msg list."""
        found: list[str] = []
        if self.af_peak:
            found.append("AF_Peak")
        if self.tx_on and self.low_battery:
            found.append("Low_Battery")
        if self.tx_on and self.tx_mute:
            found.append("TX_Mute")
        if self.tx_on and self.rf < 25:  # noqa: PLR2004  simulated threshold
            found.append("Low_RF_Signal")
        if not self.tx_on:
            found.append("RF_Mute")
        if self.mute:
            found.append("RX_Mute")
        return found

    def bat_text(self) -> str:
        """The Bat parameter."""
        return str(self.battery) if self.tx_on else "?"

    def cyclic_block(self) -> list[str]:
        """The cyclic attributes in their fixed order."""
        mute_bits = (1 if self.mute or not self.tx_on else 0) | (2 if self.tx_mute else 0)
        mute_bits |= (4 if not self.tx_on else 0) | (8 if self.mute else 0)
        if self.in_ear:
            return [
                f"AF {self.af} {self.af} {self.af} {self.af} 0",
                f"States {int(self.mute)} 0",
                f"Msg {' '.join(self.warnings()) or 'OK'}",
                f"Config {self.config}",
            ]
        rf_min = max(0, self.rf - 5)
        return [
            f"RF1 {rf_min} {self.rf} 1",
            f"RF2 {max(0, rf_min - 3)} {max(0, self.rf - 3)} 0",
            f"States {mute_bits} {1 if self.tx_on else 0}",
            f"RF {self.rf} 1 {1 if self.tx_on else 0}",
            f"AF {self.af} {min(100, self.af + 10)} {mute_bits}",
            f"Bat {self.bat_text()}",
            f"Msg {' '.join(self.warnings()) or 'OK'}",
            f"Config {self.config}",
        ]

    def configuration(self) -> list[str]:
        """The configuration attributes."""
        return [
            f"Name {self.name}",
            f"Frequency {self.frequency_khz} 1 5",
            "Squelch 5",
            "AfOut 0",
            "Equalizer 0",
            f"Mute {int(self.mute)}",
        ]

    def _config_changed(self, attribute: str, value: object) -> None:
        self.config = (self.config + 1) % 1000
        for push in self.pushes.values():
            if push.mode & _MODE_CONFIG:
                self._send_line(f"{attribute} {value}", push.client)

    # -- protocol -----------------------------------------------------------------------------

    def _target(self, client: Address) -> Address:
        return client if self.reply_port is None else (client[0], self.reply_port)

    def _send_raw(self, payload: bytes, client: Address) -> None:
        self._send_datagram(payload, self._target(client))

    def _send_line(self, line: str, client: Address) -> None:
        self._send_raw(line.encode("ascii") + b"\r", client)

    def _error(self, code: int, command: str, client: Address) -> None:
        self.errors_sent += 1
        self._send_line(f"{code}: {_ERRORS[code]} [ {command} ]", client)

    def handle(self, data: bytes, client: Address) -> None:
        """Answer one datagram (one or several CR-terminated commands)."""
        if not self.answering:
            return
        self.clients.add(client)
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            self._error(INVALID_COMMAND, "?", client)
            return
        if not text.endswith("\r"):
            self._error(TERMINATION, text.strip()[:40], client)
            return
        for command in text.split("\r"):
            if command.strip():
                self._command(command.strip(), client)

    def _command(self, command: str, client: Address) -> None:
        name, _, rest = command.partition(" ")
        params = rest.split()
        self.requests[name] = self.requests.get(name, 0) + 1
        if name in self.unknown_commands:
            self._error(INVALID_COMMAND, command, client)
            return
        if name == "Push":
            self._push_command(command, params, client)
        elif name == "Name":
            if rest:
                self.name = rest.strip()[:8]
                self._config_changed("Name", self.name)
            self._send_line(f"Name {self.name}", client)
        elif name == "Mute":
            self._mute_command(command, params, client)
        else:
            self._get_command(command, name, params, client)

    def _mute_command(self, command: str, params: list[str], client: Address) -> None:
        if params:
            if params not in (["0"], ["1"]):
                self._error(OUT_OF_RANGE, command, client)
                return
            self.mute = params == ["1"]
            self._config_changed("Mute", int(self.mute))
        self._send_line(f"Mute {int(self.mute)}", client)

    def _get_command(self, command: str, name: str, params: list[str], client: Address) -> None:
        if name == "Frequency" and not params:
            self._send_line(f"Frequency {self.frequency_khz} 1 5", client)
        elif name == "FirmwareRevision" and not params:
            self._send_line(f"FirmwareRevision {self.firmware}", client)
        elif name == "RfConfig" and not params:
            self._send_line("RfConfig 566000 608000 25", client)
        else:
            current = {line.split(" ", 1)[0]: line for line in self.cyclic_block()}
            if name in current and not params:
                self._send_line(current[name], client)
            else:
                self._error(INVALID_COMMAND, command, client)

    def _push_command(self, command: str, params: list[str], client: Address) -> None:
        if len(params) != 3:  # noqa: PLR2004  timeout, cycle, mode
            self._error(PARAMETER_COUNT, command, client)
            return
        try:
            timeout, cycle, mode = (int(item) for item in params)
        except ValueError:
            self._error(INVALID_PARAMETER, command, client)
            return
        if not (
            0 <= timeout <= MAX_PUSH_TIMEOUT
            and 0 <= cycle <= MAX_CYCLE_MS
            and cycle % 100 == 0
            and 0 <= mode <= self.max_push_mode
        ):
            self._error(OUT_OF_RANGE, command, client)
            return
        self.push_commands += 1
        self._send_line(f"Push {timeout} {cycle} {mode}", client)
        now = time.monotonic()
        if timeout == 0:
            self.pushes.pop(client, None)
            if mode & _MODE_CONFIG:
                for line in self.configuration():
                    self._send_line(line, client)
            if cycle:
                self._send_block(client)
            return
        if client in self.pushes and self.pushes[client].expires > now:
            self.renewals += 1
        self.pushes[client] = _Push(client, now + timeout, cycle / 1000, mode, now)

    def _send_block(self, client: Address) -> None:
        if not self.sends_status:
            return
        for line in self.cyclic_block():
            self._send_line(line, client)

    # -- time ---------------------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            self.tick()

    def tick(self) -> None:
        """Send due blocks, expire pushes (called every TICK_SECONDS)."""
        if not self.answering or self.stalled:
            return
        if self.animate and self.tx_on and not self.af_peak:
            self.af = min(90, max(5, self.af + self._rng.randint(-8, 8)))
        now = time.monotonic()
        warnings, battery = self.warnings(), self.bat_text()
        warnings_changed = warnings != self._last_warnings
        battery_changed = battery != self._last_battery
        self._last_warnings, self._last_battery = warnings, battery
        for client, push in list(self.pushes.items()):
            if now >= push.expires:
                del self.pushes[client]
                self.expirations += 1
                continue
            due = push.cycle > 0 and now >= push.next_block
            if (
                due
                or (warnings_changed and push.mode & _MODE_WARNINGS)
                or (battery_changed and push.mode & _MODE_BATTERY)
            ):
                self._send_block(client)
                push.next_block = now + push.cycle


async def start(args: argparse.Namespace) -> McpSimulator:
    """Start from command-line arguments; replies go back to the source port by default."""
    simulator = McpSimulator(animate=True)
    return await simulator.start(args.host, args.port)
