"""Splitting Shure command-string traffic into messages, and tokenizing one message.

Receivers never send line breaks and put several ``< … >`` messages in one TCP segment or split
one across two, so the TCP framer works on a byte buffer and carries a partial tail over to the
next read. UHF-R speaks UDP with ``* … *`` messages; a datagram is atomic, so its framer keeps
no state between datagrams. Anything that is not a well-formed message (line noise, a client
that wrote garbage, a truncated message followed by a new ``<``) is reported to a
:class:`BadInput` log and dropped; nothing here raises on device input.
"""

from __future__ import annotations

import logging

from ...health import ConnectionHealth, excerpt
from ...net.quietlog import QuietLog

_LOGGER = logging.getLogger(__name__)

#: Longest message a Shure device sends is well under 200 bytes (an AD quadversity FD-C
#: SAMPLE, a 32-character padded MODEL); anything longer is garbage, and a partial tail is
#: never allowed to grow past this, so a peer that never sends ``>`` cannot eat memory.
MAX_MESSAGE_BYTES = 512
#: Bad fragments logged per connection before the log goes quiet (a device spewing noise must
#: not flood the debug log either).
BAD_INPUT_LOG_LIMIT = 20
_FRAGMENT_PREVIEW = 80


class BadInput(QuietLog):
    """Logs each dropped fragment at debug, up to a limit per connection, and counts it.

    Every drop also counts in the connection's health (``messages_rejected``), so a device
    that sends noise shows it in diagnostics without a single log line at a loud level.
    """

    __slots__ = ("health", "source")

    def __init__(self, source: str, health: ConnectionHealth | None = None) -> None:
        """``source`` names the peer in log lines (a host, never a credential)."""
        super().__init__(
            _LOGGER,
            "Dropped %s from %s: %s",
            limit=BAD_INPUT_LOG_LIMIT - 1,
            then=f"More bad input from {source}; not logging it any more",
        )
        self.source = source
        self.health = health

    def report(self, reason: str, fragment: bytes | str, count: int = 1) -> None:
        """Record ``count`` dropped fragments (a run of noise is quoted once, counted whole)."""
        if self.health is not None:
            self.health.messages_rejected += count
        if self.quiet:  # a device spewing noise: count only, quote nothing (the hot path)
            self.count += count
            return
        self(reason, self.source, excerpt(fragment, _FRAGMENT_PREVIEW))
        self.count += count - 1


class AngleFramer:
    """Stream framer for ``< … >`` messages (every family except UHF-R).

    Linear in its input whatever the bytes: every scan starts where the previous one ended
    (``find`` forwards, ``rfind`` only back to that point), a run of noise is skipped with
    one ``find`` and counted with one ``count`` instead of fragment by fragment, and the tail
    carried over to the next read never exceeds :data:`MAX_MESSAGE_BYTES`. So the work per
    read is bounded by the read's size (see the transport's read size) plus that tail.
    """

    __slots__ = ("_bad", "_buffer")

    def __init__(self, bad: BadInput) -> None:
        """Start with an empty buffer; dropped fragments go to ``bad``."""
        self._buffer = b""
        self._bad = bad

    @property
    def buffered(self) -> int:
        """Bytes kept for the next read (a partial message); never over the cap."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[str]:
        """Return the message bodies completed by ``data`` (text between ``<`` and ``>``)."""
        buffer = self._buffer + data if self._buffer else data
        messages: list[str] = []
        pos = 0
        size = len(buffer)
        find = buffer.find
        rfind = buffer.rfind
        while (end := find(b">", pos)) >= 0:
            # The last "<" before ">" opens the message: a truncated message followed by a
            # complete one yields the complete one, and the stub is reported as garbage.
            opening = rfind(b"<", pos, end)
            if opening < 0:
                # Stray text: everything up to the next "<" is noise, however many ">" it has.
                following = find(b"<", end)
                stop = size if following < 0 else following
                self._stray(buffer, pos, stop)
                pos = stop
                continue
            if opening > pos and buffer[pos:opening].strip():
                self._bad.report("text outside a message", buffer[pos:opening])
            if end - opening > MAX_MESSAGE_BYTES:
                self._bad.report("oversized message", buffer[opening : end + 1])
            else:
                messages.append(buffer[opening + 1 : end].decode("latin-1"))
            pos = end + 1
        self._buffer = self._keep_tail(buffer, pos)
        return messages

    def _stray(self, buffer: bytes, start: int, stop: int) -> None:
        """Report ``buffer[start:stop]`` (no ``<`` in it) as noise, one fragment per ``>``."""
        closes = buffer.count(b">", start, stop)
        last = buffer.rfind(b">", start, stop)
        trailing = 1 if last >= 0 and buffer[last + 1 : stop].strip() else 0
        self._bad.report("text outside a message", buffer[start:stop], closes + trailing)

    def _keep_tail(self, buffer: bytes, start: int) -> bytes:
        """Keep only what may still become a message: from the last ``<``, and not too much."""
        opening = buffer.rfind(b"<", start)
        if opening < 0:
            if buffer[start:].strip():
                self._bad.report("text outside a message", buffer[start:])
            return b""
        if opening > start and buffer[start:opening].strip():
            self._bad.report("text outside a message", buffer[start:opening])
        if len(buffer) - opening > MAX_MESSAGE_BYTES:
            self._bad.report("oversized message", buffer[opening:])
            return b""
        return buffer[opening:]

    def reset(self) -> None:
        """Forget a partial message (a new connection starts clean)."""
        self._buffer = b""


class StarFramer:
    """Datagram framer for UHF-R's ``* … *`` messages (one or more per datagram)."""

    __slots__ = ("_bad",)

    def __init__(self, bad: BadInput) -> None:
        """Dropped fragments go to ``bad``."""
        self._bad = bad

    def feed(self, datagram: bytes) -> list[str]:
        """Return the message bodies in one datagram; an unpaired ``*`` drops the tail."""
        if len(datagram) > 8 * MAX_MESSAGE_BYTES:
            self._bad.report("oversized datagram", datagram)
            return []
        parts = datagram.decode("latin-1").split("*")
        messages: list[str] = []
        last = len(parts) - 1
        for index, part in enumerate(parts):
            if index % 2 == 0:  # between messages: only whitespace belongs here
                if part.strip():
                    self._bad.report("text outside a message", part)
            elif index == last:
                self._bad.report("unterminated message", "*" + part)
            elif len(part) > MAX_MESSAGE_BYTES:
                self._bad.report("oversized message", part)
            else:
                messages.append(part)
        return messages


def tokenize(body: str) -> list[str]:
    """Split a message body into tokens; a ``{braced, padded}`` string is one trimmed token.

    ``" REP 1 CHAN_NAME {Lead Vox     } "`` gives ``["REP", "1", "CHAN_NAME", "Lead Vox"]``.
    An unclosed brace takes the rest of the message, so a name is never split at its spaces.
    """
    if "{" not in body:
        return body.split()
    tokens: list[str] = []
    rest = body
    while (opening := rest.find("{")) >= 0:
        tokens.extend(rest[:opening].split())
        closing = rest.find("}", opening + 1)
        if closing < 0:
            tokens.append(rest[opening + 1 :].strip())
            return tokens
        tokens.append(rest[opening + 1 : closing].strip())
        rest = rest[closing + 1 :]
    tokens.extend(rest.split())
    return tokens
