"""ew G3/G4 receivers (EM 300-500) over the Media Control Protocol: ASCII on UDP 53212.

The receiver answers to the client's address but always to port 53212, whatever port the
request came from (third-party clients all work around this), so every MCP entry shares one
local socket on that port (:class:`~.udp.SharedUdpPort`) and datagrams are told apart by
sender. Monitoring uses ``Push <timeout> <cycle ms> <mode>``: the receiver then sends its
cyclic attributes every cycle and configuration attributes on change, until ``timeout``
seconds pass; the plugin renews well before that and sends ``Push 0 0 0`` on close.

MCP has no serial number or device id, so an entry is identified by the address it was
added with (kept in the entry as ``device_id`` and unchanged by reconfiguration).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
import logging
import re
import time
from typing import Any, ClassVar, Final, Unpack

from ...errors import (
    CannotConnect,
    ConnectionClosed,
    MicboardError,
    ProtocolError,
    UnsupportedDevice,
)
from ...model import (
    ModelUpdate,
    Receiver,
    UpdateCallback,
)
from ...net.liveness import Liveness
from ...net.timing import RoundTrip, wait_answer
from ...net.udp import (
    SharedUdpPort,
    is_loopback,
    resolve_ipv4,
)
from ...options import NetworkOptions
from ...plugin import BackgroundTasks, NetworkPlugin, PluginArgs
from ...validate import DEFAULT_LIMITS, Limits
from .codec import (
    CONFIG_ATTRIBUTES,
    CYCLIC_ORDER,
    ERROR_TEXT,
    FEATURES_EM,
    McpDecodeError,
    McpError,
    McpLine,
    McpState,
    channel_values,
    parse_line,
    split_datagram,
    state_from_lines,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT: Final = 53212
#: Where replies arrive; the receiver sends to this port whatever the source port was.
DEFAULT_LOCAL_PORT: Final = 53212

#: Push parameter limits from the protocol description.
MAX_PUSH_TIMEOUT: Final = 300
MIN_CYCLE_MS: Final = 100
MAX_CYCLE_MS: Final = 60000
CYCLE_STEP_MS: Final = 100
#: Mode bits: 1 config on change, 2 cyclic on warning change, 4 cyclic on pilot/battery change.
PUSH_MODES: Final = (7, 3, 1)
_PUSH_REFUSED: Final = frozenset({1010, 1020, 1040})


def _consume(future: asyncio.Future[McpLine]) -> None:
    """Mark an error as seen: a request given up on must not log "never retrieved"."""
    if not future.cancelled():
        future.exception()


class McpCommandError(ProtocolError):
    """The receiver answered a command with an MCP error code (1000-1050)."""

    def __init__(self, error: McpError) -> None:
        """Keep the code for callers that tolerate some of them."""
        super().__init__(f"{error.code}: {ERROR_TEXT.get(error.code, error.text)}")
        self.code = error.code


def cycle_ms(meter_interval: float) -> int:
    """Push cycle from the user's meter interval: a multiple of 100 ms within 100-60000."""
    steps = round(meter_interval * 1000 / CYCLE_STEP_MS)
    return min(MAX_CYCLE_MS, max(MIN_CYCLE_MS, steps * CYCLE_STEP_MS))


def device_id_for(host: str, port: int) -> str:
    """Identifier of an MCP entry from the address it was added with."""
    return f"{host.strip().lower()}:{port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class McpOptions(NetworkOptions):
    """The receiver's address; MCP reports no serial, so the device id is address-based."""

    port: int = DEFAULT_PORT
    #: Where replies arrive (the receiver answers to this port whatever the source port).
    local_port: int = DEFAULT_LOCAL_PORT
    #: The id the device was first known by; None derives it from host and port.
    device_id: str | None = None


class SennheiserMcpPlugin(NetworkPlugin[McpOptions]):
    """One ew G3/G4 EM receiver (one channel)."""

    manufacturer_code: ClassVar[str] = "sennheiser_mcp"
    manufacturer_name: ClassVar[str] = "Sennheiser"
    #: ew G3/G4 ranges run from Aw+ (470 MHz) to 1G8 (1800 MHz), so ``Frequency 56`` (kHz)
    #: is no frequency; AF is 0-100 % of -50..0 dBFS (TI 1254).
    limits: ClassVar[Limits] = replace(
        DEFAULT_LIMITS, frequency_mhz=(470.0, 1800.0), audio_dbfs=(-50.0, 0.0)
    )
    #: Push timeout asked for (s); renewed every third of it.
    push_timeout: ClassVar[float] = 15.0
    request_timeout: ClassVar[float] = 1.0
    request_attempts: ClassVar[int] = 3
    #: Silence (s) that ends ``listen``, at least: a few lost datagrams are no dead receiver.
    quiet_floor: ClassVar[float] = 2.0

    def __init__(self, options: McpOptions, **kwargs: Unpack[PluginArgs]) -> None:
        """Remember the address; nothing is sent until :meth:`get_devices`."""
        super().__init__(options, **kwargs)
        self.local_port = options.local_port
        self.device_id = options.device_id or device_id_for(self.host, self.port)
        self.state = McpState()
        self.renewals = 0
        self.push_mode = PUSH_MODES[0]
        #: Datagrams (or lines) dropped as unparseable since the plugin was made.
        self.bad_datagrams = 0
        self._shared: SharedUdpPort | None = None
        self._unregister: Callable[[], None] | None = None
        self._remote: tuple[str, int] | None = None
        self._pending: tuple[str, asyncio.Future[McpLine]] | None = None
        self._lock = asyncio.Lock()
        self._cycle_done = asyncio.Event()
        self._listener: UpdateCallback | None = None
        self._pushing = False
        self._tasks = BackgroundTasks()
        self._liveness = Liveness()
        #: The receiver's measured round trip: waits start at ``request_timeout``, never go
        #: below it, and grow to what a slow receiver needs (at most 5 s).
        self.round_trip = RoundTrip(
            initial=self.request_timeout,
            floor=self.request_timeout,
            ceiling=max(5.0, self.request_timeout),
        )

    # -- identity -----------------------------------------------------------------------------

    @property
    def stable_id(self) -> str:
        """The address the device was first known by (MCP reports no serial)."""
        return self.device_id

    @property
    def receiver_id(self) -> str:
        """Model id of the receiver, safe for entity ids."""
        return "mcp_" + re.sub(r"[^a-z0-9]+", "_", self.device_id.lower()).strip("_")

    @property
    def display_name(self) -> str:
        """E.g. ``ew EM 192.168.1.20``."""
        return f"ew EM {self.host}"

    @property
    def cycle_ms(self) -> int:
        """Push cycle following the meter interval option."""
        return cycle_ms(self.meter_interval)

    # -- socket -------------------------------------------------------------------------------

    async def _open(self) -> None:
        if self._shared is not None:
            return
        address = await resolve_ipv4(self.host, self.port)
        bind = "127.0.0.1" if is_loopback(address) else "0.0.0.0"  # noqa: S104  replies come to any local address
        self._shared = await SharedUdpPort.acquire(bind, self.local_port)
        self._remote = (address, self.port)
        self._unregister = self._shared.register(self._remote, self._datagram_received)

    async def _release(self) -> None:
        if self._unregister is not None:
            self._unregister()
            self._unregister = None
        pending = self._pending
        if pending is not None and not pending[1].done():
            pending[1].set_exception(CannotConnect("connection closed"))
        shared, self._shared = self._shared, None
        if shared is not None:
            await shared.release()

    def _send(self, command: str) -> None:
        if self._shared is not None and self._remote is not None:
            self._shared.sendto(command.encode("ascii") + b"\r", self._remote)

    async def _request(self, command: str, attempts: int | None = None) -> McpLine:
        """Send a command and wait for the line that answers it (retried, bounded)."""
        attempts = attempts or self.request_attempts
        name = command.split(" ", 1)[0]
        async with self._lock:
            if self._shared is None:
                raise CannotConnect("connection closed")
            loop = asyncio.get_running_loop()
            first_sent = time.monotonic()
            for attempt in range(attempts):
                future: asyncio.Future[McpLine] = loop.create_future()
                future.add_done_callback(_consume)
                self._pending = (name, future)
                self._send(command)
                try:
                    answer = await wait_answer(future, self._wait(attempt))
                except TimeoutError:
                    continue
                else:
                    # From the first send: a resend is answered by the first send's answer
                    # too, so a slow receiver is over- rather than under-estimated.
                    self.round_trip.sample(time.monotonic() - first_sent)
                    return answer
                finally:
                    self._pending = None
                    if not future.done():
                        future.cancel()
        raise CannotConnect(
            f"no answer to {name} from {self.host}:{self.port} after "
            f"{attempts} attempts (is Network control enabled on the receiver?)"
        )

    def _wait(self, attempt: int) -> float:
        """How long to wait for an answer: the measured round trip, doubled per resend."""
        return min(self.round_trip.timeout * 2.0**attempt, self.round_trip.ceiling)

    # -- incoming -----------------------------------------------------------------------------

    def _reject(self, err: McpDecodeError, fragment: bytes | str) -> None:
        """Drop input that is not MCP: counted, the first per connection logged (escaped)."""
        self.bad_datagrams += 1
        self.health.rejected(self.host, f"input that is not MCP ({err})", fragment)

    def _datagram_received(self, data: bytes) -> None:
        try:
            lines = split_datagram(data)
        except McpDecodeError as err:
            self._reject(err, data)
            return
        self.health.message()
        changed: set[str] = set()
        for text in lines:
            try:
                parsed = parse_line(text)
                if isinstance(parsed, McpError):
                    self._on_error(parsed)
                    continue
                changed |= self._on_line(parsed)
            except McpDecodeError as err:
                self._reject(err, text)
        if changed and self._listener is not None:
            self._listener(ModelUpdate(self.receiver_id, 1, frozenset(changed)))

    def _on_error(self, error: McpError) -> None:
        pending = self._pending
        if pending is not None and not pending[1].done() and error.command in {None, pending[0]}:
            pending[1].set_exception(McpCommandError(error))
            return
        _LOGGER.debug("%s reports error %s (%s)", self.host, error.code, error.command)

    def _on_line(self, line: McpLine) -> set[str]:
        if line.name in CYCLIC_ORDER:
            # Only status counts as life: a receiver that echoes every Push renewal but
            # sends no status would otherwise keep stale values on show for good.
            self._liveness.arrived()
        pending = self._pending
        if pending is not None and not pending[1].done() and line.name == pending[0]:
            # Answered, even if the parameters turn out unusable: asking again would not help.
            pending[1].set_result(line)
        previous_config = self.state.config
        used = self.state.apply(line)  # may raise McpDecodeError: the line is dropped
        if line.name == "Config":
            self._cycle_done.set()
            if previous_config is not None and self.state.config != previous_config:
                # Something was reconfigured: names and frequency may have changed.
                self._tasks.spawn(self._reread_configuration())
        if not used:
            return set()
        return self._refresh()

    def _refresh(self) -> set[str]:
        receiver = self.receivers.get(self.receiver_id)
        channel = receiver.channels.get(1) if receiver is not None else None
        if channel is None:
            return set()
        changed = self.gate.apply(channel, channel_values(self.state))
        firmware = self.state.firmware
        if (
            receiver is not None
            and firmware is not None
            and self.gate.apply(receiver, {"firmware": firmware})
            and self._listener is not None
        ):
            self._listener(ModelUpdate(self.receiver_id, None, frozenset({"firmware"})))
        return changed

    async def _reread_configuration(self) -> None:
        for attribute in CONFIG_ATTRIBUTES[:2]:  # Name, Frequency
            try:
                await self._request(attribute)
            except MicboardError as err:
                _LOGGER.debug("Re-reading %s from %s failed: %s", attribute, self.host, err)

    # -- snapshot -----------------------------------------------------------------------------

    async def get_devices(self) -> dict[str, Receiver]:
        """Read firmware and configuration; one cyclic block unless push already runs."""
        if self._shared is None:
            self.health.connecting()
        with self.health.errors_recorded():
            await self._open()
            # Two tries (1 s, then 2 s): enough for a receiver answering in 2 s, and one
            # still away fails a reconnect attempt in 3 s rather than 7.
            await self._request("FirmwareRevision", attempts=min(2, self.request_attempts))
            for attribute in CONFIG_ATTRIBUTES:
                try:
                    await self._request(attribute)
                except McpCommandError as err:
                    _LOGGER.debug("%s does not answer %s: %s", self.host, attribute, err)
            if not self._pushing:
                await self._one_cycle()
            if self.state.is_in_ear:
                raise UnsupportedDevice(
                    f"{self.host} is an in-ear monitor transmitter (SR IEM); only EM receivers "
                    "are supported"
                )
        self.health.connected()
        return self.store_snapshot([self.transform_device_data(self._raw())])

    async def _one_cycle(self) -> None:
        """``Push 0 100 0``: one block of cyclic attributes, for a snapshot without push."""
        for attempt in range(self.request_attempts):
            self._cycle_done.clear()
            self._send(f"Push 0 {MIN_CYCLE_MS} 0")
            done = asyncio.ensure_future(self._cycle_done.wait())
            try:
                await wait_answer(done, self._wait(attempt))
            except TimeoutError:
                continue
            finally:
                done.cancel()
            return
        raise CannotConnect(
            f"{self.host} answers but sends no status; enable Network control on the receiver"
        )

    def _raw(self) -> dict[str, Any]:
        """The receiver in its own dialect: the latest line of every attribute."""
        state = self.state
        lines: list[str] = []
        for name, value in (
            ("RF1", state.rf1),
            ("RF2", state.rf2),
            ("States", state.states),
            ("RF", state.rf),
            ("AF", state.af),
        ):
            if value is not None:
                lines.append(f"{name} {' '.join(str(item) for item in value)}")
        if state.bat_seen:
            lines.append(f"Bat {'?' if state.bat is None else state.bat}")
        if state.msg is not None:
            lines.append(f"Msg {' '.join(sorted(state.msg)) or 'OK'}")
        if state.config is not None:
            lines.append(f"Config {state.config}")
        if state.name is not None:
            lines.append(f"Name {state.name}")
        if state.frequency_khz is not None:
            lines.append(f"Frequency {state.frequency_khz}")
        if state.mute is not None:
            lines.append(f"Mute {int(state.mute)}")
        if state.firmware is not None:
            lines.append(f"FirmwareRevision {state.firmware}")
        return {"id": self.receiver_id, "host": self.host, "lines": lines}

    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """MCP lines -> receiver model with its single channel (pure)."""
        state = state_from_lines(raw["lines"])
        receiver = Receiver(
            id=str(raw["id"]),
            manufacturer=self.manufacturer_name,
            model="ew G3/G4 EM (MCP)",
            name=f"ew EM {raw['host']}",
            host=str(raw["host"]),
            firmware=state.firmware,
        )
        receiver.add_channel(1, FEATURES_EM, channel_values(state))
        return receiver

    # -- push ---------------------------------------------------------------------------------

    async def _push(self) -> None:
        """Ask for push; fall back to simpler modes if the firmware refuses one."""
        timeout = min(MAX_PUSH_TIMEOUT, max(1, round(self.push_timeout)))
        for mode in PUSH_MODES[PUSH_MODES.index(self.push_mode) :]:
            try:
                await self._request(f"Push {timeout} {self.cycle_ms} {mode}")
            except McpCommandError as err:
                if err.code not in _PUSH_REFUSED:
                    raise
                _LOGGER.debug("%s refused push mode %d: %s", self.host, mode, err)
                continue
            self.push_mode = mode
            self.renewals += 1
            return
        raise ProtocolError(f"{self.host} refused every push mode")

    async def listen(self, on_update: UpdateCallback) -> None:
        """Push and renew it; raise ConnectionClosed when the receiver goes quiet."""
        if self._shared is None:
            raise ConnectionClosed("not connected")
        self._listener = on_update
        liveness = self._liveness
        liveness.restart()
        renew_every = self.push_timeout / 3
        # Cyclic data arrives every cycle and a renewal echo every renew_every seconds.
        quiet_limit = max(self.quiet_floor, 3 * min(self.cycle_ms / 1000, renew_every))
        try:
            while True:
                try:
                    await self._push()
                except CannotConnect as err:
                    raise ConnectionClosed(f"{self.host} stopped answering: {err}") from err
                self._pushing = True
                silent = await liveness.watch(time.monotonic() + renew_every, quiet_limit)
                if silent is not None:
                    raise ConnectionClosed(f"no data from {self.host} for {silent:.1f} s")
        finally:
            self._pushing = False
            self._listener = None

    async def close(self) -> None:
        """Stop push on the receiver (``Push 0 0 0``), cancel work, release the socket."""
        self._listener = None
        self._tasks.cancel()
        self._send("Push 0 0 0")
        self._pushing = False
        await self._release()
        self.health.stopped()
