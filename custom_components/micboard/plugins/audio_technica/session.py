"""The one TCP control session a receiver allows (port 17200), strictly one command at a time.

ESW receivers serve "one host connection at a time", so the plugin opens exactly one session
and every caller (snapshot, poll loop) shares it through :meth:`Session.request`, which holds a
lock for the whole command/answer exchange. Answers are matched to the command by name (and
channel, for per-channel commands); a late answer to an earlier, timed-out command is dropped
instead of being taken for the current one. Lines that are not messages are logged once at
debug and skipped; an unsolicited notification that arrives on TCP goes to ``on_notification``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import logging

from ..errors import (
    CannotConnect,
    ConnectionClosed,
)
from ..net.quietlog import QuietLog
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
#: How long a command may wait for its answer.
REPLY_TIMEOUT = 3.0
#: How long closing may take before the socket is simply dropped.
CLOSE_TIMEOUT = 2.0

SESSION_IN_USE_MESSAGE = (
    "the receiver closed the control connection at once; it accepts one controller at a "
    "time, so close any other software using port 17200 (Companion, a room controller, a "
    "vendor tool)"
)


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
    ) -> None:
        """Remember where to connect; :meth:`open` connects."""
        self.host = host
        self.port = port
        self.model_id = model_id
        self.reply_timeout = REPLY_TIMEOUT
        self.peer_ip: str | None = None
        self._on_notification = on_notification
        self._on_message = on_message
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()
        self._answered = False
        #: The first unexpected line of a session is logged, later ones quietly dropped.
        self._garbage = QuietLog(_LOGGER, "Ignoring unexpected line from %s: %r")

    @property
    def is_open(self) -> bool:
        """Connected and not closed by either side yet."""
        return self._writer is not None and not self._writer.is_closing()

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

    async def close(self) -> None:
        """Close the socket so the receiver frees its only session; safe to call twice."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await writer.wait_closed()

    async def request(self, command: str, *params: int) -> Answer | Ack:
        """Send one command and return its answer (or ACK); a NAK raises its error.

        Raises :class:`ReplyTimeout` when nothing matching arrives in time,
        :class:`ConnectionClosed` when the receiver closed the socket (or
        :class:`SessionInUse` when it did so before ever answering).
        """
        async with self._lock:
            reader, writer = self._reader, self._writer
            if reader is None or writer is None:
                raise ConnectionClosed("the control session is closed")
            try:
                writer.write(build_command(command, *params, model_id=self.model_id))
                await writer.drain()
            except OSError as err:
                raise self._closed_error(err) from err
            try:
                async with asyncio.timeout(self.reply_timeout):
                    return await self._await_reply(reader, command, params)
            except TimeoutError as err:
                raise ReplyTimeout(
                    f"no answer to {command} within {self.reply_timeout:g} s"
                ) from err

    async def _await_reply(
        self, reader: asyncio.StreamReader, command: str, params: tuple[int, ...]
    ) -> Answer | Ack:
        while True:
            line = await self._read_line(reader)
            if line is None:
                continue
            message = parse_line(line)
            if self._on_message is not None and message is not None:
                self._on_message()
            if isinstance(message, Answer) and message.is_notification:
                if self._on_notification is not None:
                    self._on_notification(message)
                continue
            if message is None or message.command not in {None, command}:
                self._note_garbage(line)
                continue
            if isinstance(message, Answer) and params and message.params[:1] != (str(params[0]),):
                self._note_garbage(line)  # an answer for another channel: a late one
                continue
            self._answered = True
            if isinstance(message, Nak):
                raise nak_error(command, message.code)
            return message

    async def _read_line(self, reader: asyncio.StreamReader) -> str | None:
        """One line without its CR; ``None`` for a discarded oversized fragment."""
        try:
            raw = await reader.readuntil(TERMINATOR)
        except asyncio.LimitOverrunError as err:
            fragment = await reader.read(err.consumed)
            self._note_garbage(decode(fragment)[:80] + "...")
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

    def _note_garbage(self, line: str) -> None:
        self._garbage(self.host, line[:120])
