"""The one TCP control session a receiver allows (port 17200), strictly one command at a time.

ESW receivers serve "one host connection at a time", so the plugin opens exactly one session
and every caller (snapshot, poll loop) shares it through :meth:`Session.request`, which holds a
lock for the whole command/answer exchange. One reader task reads every line as it comes and
hands it over: answers to the waiting command, matched by name (and channel, for per-channel
commands), so a late answer to an earlier, timed-out command is dropped instead of being
taken for the current one; notifications that arrive on TCP to ``on_notification``; lines
that are not messages are counted through ``on_rejected`` and skipped.

Hostile input costs bounded, linear work: bytes are split into lines once, at C speed (a
4 MB burst of bare CRs is a few splits, not four million reads); a line longer than the
protocol allows is discarded without being kept; at most :data:`LINES_PER_TURN` lines are
handled per event-loop turn, reading pausing until the backlog is worked off. How long to
wait for an answer follows the measured round trip (:class:`~..net.timing.RoundTrip`), and
an answer that arrived while the loop was stalled is found before a timeout is declared.
"""

from __future__ import annotations

import asyncio
from collections import deque
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


def _consume(future: asyncio.Future[Answer | Ack]) -> None:
    if not future.cancelled():
        future.exception()


class _LineProtocol(asyncio.Protocol):
    """Splits the byte stream into CR-terminated lines, with bounded work per loop turn."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._buffer = b""
        self._discarding = False
        self._queue: deque[bytes] = deque()
        self._scheduled = False
        self._paused = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101  a TCP connection
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if TERMINATOR not in data:
            self._buffer += data
            self._check_tail()
            return
        parts = (self._buffer + data).split(TERMINATOR)
        self._buffer = parts.pop()
        if self._discarding:
            parts[0] = b""  # the rest of a line already reported as too long
            self._discarding = False
        self._queue.extend(filter(None, parts))
        self._check_tail()
        self._work()

    def _check_tail(self) -> None:
        """An unterminated line longer than allowed is reported once and not kept."""
        if len(self._buffer) > MAX_LINE_BYTES:
            if not self._discarding:
                self._session.note_long_line(self._buffer)
            self._discarding = True
            self._buffer = b""

    def _work(self) -> None:
        """Handle up to LINES_PER_TURN lines; pause reading while more wait."""
        self._scheduled = False
        queue = self._queue
        for _ in range(min(LINES_PER_TURN, len(queue))):
            self._session.line_received(queue.popleft())
        transport = self.transport
        if queue:
            if transport is not None and not self._paused:
                transport.pause_reading()
                self._paused = True
            if not self._scheduled:
                self._scheduled = True
                asyncio.get_running_loop().call_soon(self._work)
        elif self._paused and transport is not None and not transport.is_closing():
            transport.resume_reading()
            self._paused = False

    def connection_lost(self, exc: Exception | None) -> None:
        self._queue.clear()
        self._session.connection_lost(exc)


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
        self._transport: asyncio.Transport | None = None
        self._closed: asyncio.Future[None] | None = None
        self._lock = asyncio.Lock()
        self._pending: _Pending | None = None
        self._lost: CannotConnect | None = None
        self._answered = False
        #: Lines dropped as not messages in this session.
        self.garbage = 0
        #: Non-blank lines handled in this session (garbage included).
        self.lines = 0

    @property
    def is_open(self) -> bool:
        """Connected and not closed by either side yet."""
        return (
            self._transport is not None and not self._transport.is_closing() and self._lost is None
        )

    async def open(self) -> None:
        """Connect; errors become :class:`CannotConnect` with the reason."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                transport, _protocol = await loop.create_connection(
                    lambda: _LineProtocol(self), self.host, self.port
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
        self._transport = transport
        self._closed = loop.create_future()
        peer = transport.get_extra_info("peername")
        self.peer_ip = str(peer[0]) if peer else None
        self.round_trip = RoundTrip(
            initial=self.reply_timeout,
            floor=min(REPLY_TIMEOUT_FLOOR, self.reply_timeout),
            ceiling=max(REPLY_TIMEOUT_CEILING, self.reply_timeout),
        )

    async def close(self) -> None:
        """Close the socket so the receiver frees its only session; safe to call twice."""
        transport, self._transport = self._transport, None
        self._fail_pending(ConnectionClosed("the control session is closed"))
        if transport is None:
            return
        transport.close()
        closed = self._closed
        if closed is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await asyncio.shield(closed)

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
            transport = self._transport
            if self._lost is not None:
                raise self._lost
            if transport is None or transport.is_closing():
                raise ConnectionClosed("the control session is closed")
            future: asyncio.Future[Answer | Ack] = asyncio.get_running_loop().create_future()
            # A requester cancelled while the session fails must not leave an error unread.
            future.add_done_callback(_consume)
            self._pending = _Pending(command, params, future)
            sent = time.monotonic()
            timeout = self.timeout
            try:
                transport.write(build_command(command, *params, model_id=self.model_id))
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

    # -- what the protocol hands over ------------------------------------------------------

    def line_received(self, raw: bytes) -> None:
        """One non-blank line (without its CR); never raises."""
        self.lines += 1
        if len(raw) > MAX_LINE_BYTES:
            self.note_long_line(raw)
            return
        line = decode(raw)
        message = parse_line(line) if line else None
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
        self._answer(message, line)

    def _answer(self, message: Answer | Ack | Nak, line: str) -> None:
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

    def note_long_line(self, raw: bytes) -> None:
        """A line longer than the protocol allows (only its start is quoted)."""
        self._note_garbage(decode(raw[:80]) + "...", "a line longer than allowed")

    def connection_lost(self, exc: Exception | None) -> None:
        """The receiver (or the network) closed the connection."""
        error = self._closed_error(exc if isinstance(exc, OSError) else None)
        self._lost = error
        self._fail_pending(error)
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    def _fail_pending(self, err: CannotConnect) -> None:
        pending = self._pending
        if pending is not None and not pending.future.done():
            pending.future.set_exception(err)

    def _closed_error(self, err: OSError | None) -> CannotConnect:
        if not self._answered:
            return SessionInUse(SESSION_IN_USE_MESSAGE)
        reason = f": {err}" if err else ""
        return ConnectionClosed(f"the receiver closed the control session{reason}")

    def _note_garbage(self, line: str, reason: str = "a line that is not a message") -> None:
        self.garbage += 1
        if self._on_rejected is not None:
            self._on_rejected(reason, line)
