"""The one TCP control session a receiver allows (port 17200), strictly one command at a time.

ESW receivers serve "one host connection at a time", so the plugin opens exactly one session
and every caller (snapshot, poll loop) shares it through :meth:`Session.request`, which holds a
lock for the whole command/answer exchange. One reader task reads every line as it comes and
hands it over: answers to the waiting command, matched by name (and channel, for per-channel
commands), so a late answer to an earlier, timed-out command is dropped instead of being
taken for the current one; notifications that arrive on TCP to ``on_notification``; lines
that are not messages are counted through ``on_rejected`` and skipped.

Hostile input costs bounded work: a line longer than the protocol allows is discarded
without being kept, the reader yields to the event loop every few lines (a 4 MB burst of
bare CRs never holds the loop), and how long to wait for an answer follows the measured
round trip (:class:`~..net.timing.RoundTrip`), checking for an answer that arrived while the
loop was stalled before calling it a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import logging
import time

from ..errors import (
    CannotConnect,
    ConnectionClosed,
)
from ..net.timing import RoundTrip, wait_answer
from .errors import ReplyTimeout, SessionInUse, nak_error
from .protocol import (
    DEFAULT_MODEL_ID,
    MAX_LINE_BYTES,
    TERMINATOR,
    Ack,
    Answer,
    Nak,
    build_command,
    decode,
    parse_line,
)

_LOGGER = logging.getLogger(__name__)

#: Give up on a TCP connect after this long.
CONNECT_TIMEOUT = 5.0
#: How long a command may wait for its answer before any round trip was measured.
REPLY_TIMEOUT = 3.0
#: Bounds of the measured-round-trip timeout: never below a LAN hiccup, never above what
#: a live receiver needs on the slowest link (2 s per request leaves 10 s comfortably).
REPLY_TIMEOUT_FLOOR = 1.0
REPLY_TIMEOUT_CEILING = 10.0
#: Lines handled before the reader lets the event loop run (a flood must not hold it).
LINES_PER_TURN = 64
#: How long closing may take before the socket is simply dropped.
CLOSE_TIMEOUT = 2.0

SESSION_IN_USE_MESSAGE = (
    "the receiver closed the control connection at once; it accepts one controller at a "
    "time, so close any other software using port 17200 (Companion, a room controller, a "
    "vendor tool)"
)


@dataclass(slots=True)
class _Pending:
    """The command waiting for its answer."""

    command: str
    params: tuple[int, ...]
    future: asyncio.Future[Answer | Ack]


class Session:
    """A connected control session."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        model_id: str = DEFAULT_MODEL_ID,
        on_notification: Callable[[Answer], None] | None = None,
        on_message: Callable[[], None] | None = None,
        on_rejected: Callable[[str, str], None] | None = None,
    ) -> None:
        """Remember where to connect; :meth:`open` connects.

        ``on_rejected`` hears of every line that is not a message (reason, line): the
        plugin counts it and logs the first per connection; the session goes on.
        """
        self.host = host
        self.port = port
        self.model_id = model_id
        self.reply_timeout = REPLY_TIMEOUT
        self.round_trip: RoundTrip | None = None
        self.peer_ip: str | None = None
        self._on_notification = on_notification
        self._on_message = on_message
        self._on_rejected = on_rejected
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._pending: _Pending | None = None
        self._lost: CannotConnect | None = None
        self._answered = False
        #: Lines dropped as not messages in this session.
        self.garbage = 0
        #: Lines read in this session (every CR-terminated fragment, garbage included).
        self.lines = 0

    @property
    def is_open(self) -> bool:
        """Connected and not closed by either side yet."""
        return self._writer is not None and not self._writer.is_closing() and self._lost is None

    async def open(self) -> None:
        """Connect; errors become :class:`CannotConnect` with the reason."""
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                self._reader, self._writer = await asyncio.open_connection(
                    self.host, self.port, limit=MAX_LINE_BYTES
                )
        except TimeoutError as err:
            raise CannotConnect(f"no answer from {self.host}:{self.port}") from err
        except ConnectionRefusedError as err:
            raise CannotConnect(
                f"{self.host}:{self.port} refused the connection (wrong port, or the receiver "
                "is serving another controller)"
            ) from err
        except OSError as err:
            raise CannotConnect(f"cannot connect to {self.host}:{self.port}: {err}") from err
        peer = self._writer.get_extra_info("peername")
        self.peer_ip = str(peer[0]) if peer else None
        self.round_trip = RoundTrip(
            initial=self.reply_timeout,
            floor=min(REPLY_TIMEOUT_FLOOR, self.reply_timeout),
            ceiling=max(REPLY_TIMEOUT_CEILING, self.reply_timeout),
        )
        self._reading = asyncio.get_running_loop().create_task(self._read_loop(self._reader))

    async def close(self) -> None:
        """Close the socket so the receiver frees its only session; safe to call twice."""
        writer, self._writer, self._reader = self._writer, None, None
        reading, self._reading = self._reading, None
        if reading is not None and reading is not asyncio.current_task():
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
        self._fail_pending(ConnectionClosed("the control session is closed"))
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await writer.wait_closed()

    @property
    def timeout(self) -> float:
        """How long the next command waits for its answer (from the measured round trip)."""
        return self.round_trip.timeout if self.round_trip is not None else self.reply_timeout

    async def request(self, command: str, *params: int) -> Answer | Ack:
        """Send one command and return its answer (or ACK); a NAK raises its error.

        Raises :class:`ReplyTimeout` when nothing matching arrives in time,
        :class:`ConnectionClosed` when the receiver closed the socket (or
        :class:`SessionInUse` when it did so before ever answering).
        """
        async with self._lock:
            writer = self._writer
            if writer is None or self._lost is not None:
                raise self._lost or ConnectionClosed("the control session is closed")
            future: asyncio.Future[Answer | Ack] = asyncio.get_running_loop().create_future()
            self._pending = _Pending(command, params, future)
            sent = time.monotonic()
            try:
                try:
                    writer.write(build_command(command, *params, model_id=self.model_id))
                    await writer.drain()
                except OSError as err:
                    raise self._closed_error(err) from err
                timeout = self.timeout
                try:
                    answer = await wait_answer(future, timeout)
                except TimeoutError as err:
                    raise ReplyTimeout(f"no answer to {command} within {timeout:.3g} s") from err
            finally:
                self._pending = None
                if not future.done():
                    future.cancel()
            if self.round_trip is not None:
                self.round_trip.sample(time.monotonic() - sent)
            return answer

    # -- reading --------------------------------------------------------------------------

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        """Read and dispatch lines until the connection ends; never raises."""
        since_yield = 0
        try:
            while True:
                line = await self._read_line(reader)
                self.lines += 1
                since_yield += 1
                if line is not None:
                    self._dispatch(line)
                if since_yield >= LINES_PER_TURN:
                    since_yield = 0
                    await asyncio.sleep(0)
        except CannotConnect as err:
            self._lost = err
            self._fail_pending(err)

    def _dispatch(self, line: str) -> None:
        message = parse_line(line)
        if message is None:
            if line:
                self._note_garbage(line)
            return
        self._answered = True
        if self._on_message is not None:
            self._on_message()
        if isinstance(message, Answer) and message.is_notification:
            if self._on_notification is not None:
                self._on_notification(message)
            return
        pending = self._pending
        if pending is None or pending.future.done():
            _LOGGER.debug("%s: dropping a late or unasked-for answer: %r", self.host, line[:80])
            return
        if message.command not in {None, pending.command}:
            _LOGGER.debug("%s: dropping an answer to another command: %r", self.host, line[:80])
            return
        if (
            isinstance(message, Answer)
            and pending.params
            and message.params[:1] != (str(pending.params[0]),)
        ):
            _LOGGER.debug("%s: dropping an answer for another channel: %r", self.host, line[:80])
            return
        if isinstance(message, Nak):
            pending.future.set_exception(nak_error(pending.command, message.code))
        else:
            pending.future.set_result(message)

    def _fail_pending(self, err: CannotConnect) -> None:
        pending = self._pending
        if pending is not None and not pending.future.done():
            pending.future.set_exception(err)

    async def _read_line(self, reader: asyncio.StreamReader) -> str | None:
        """One line without its CR; ``None`` for a discarded oversized fragment."""
        try:
            raw = await reader.readuntil(TERMINATOR)
        except asyncio.LimitOverrunError as err:
            fragment = await reader.read(err.consumed)
            self._note_garbage(decode(fragment[:80]) + "...", "a line longer than allowed")
            return None
        except asyncio.IncompleteReadError as err:
            raise self._closed_error(None) from err
        except OSError as err:
            raise self._closed_error(err) from err
        return decode(raw)

    def _closed_error(self, err: OSError | None) -> CannotConnect:
        if not self._answered:
            return SessionInUse(SESSION_IN_USE_MESSAGE)
        reason = f": {err}" if err else ""
        return ConnectionClosed(f"the receiver closed the control session{reason}")

    def _note_garbage(self, line: str, reason: str = "a line that is not a message") -> None:
        self.garbage += 1
        if self._on_rejected is not None:
            self._on_rejected(reason, line)
