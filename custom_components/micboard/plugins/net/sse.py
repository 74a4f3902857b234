"""Incremental Server-Sent Events decoder.

Devices stream SSE over long-lived HTTP responses and real ones are not always tidy: lines may
end in CRLF, LF or CR, a CRLF may be split across reads, ``data:`` comes with or without the
space, and a broken device can send a line that never ends. The decoder is fed raw chunks as
they arrive and returns complete events; it never raises on bad input and bounds its memory,
counting what it had to drop so the caller can log it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

#: A line longer than this is dropped (up to its end) instead of buffered.
DEFAULT_MAX_LINE = 256 * 1024
#: An event whose data grows beyond this is dropped.
DEFAULT_MAX_EVENT = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event; ``event`` is empty when the server sent no ``event:`` field."""

    event: str
    data: str
    id: str | None = None


class SSEDecoder:
    """Turns a byte stream into :class:`ServerSentEvent` objects (WHATWG framing rules)."""

    def __init__(
        self, max_line: int = DEFAULT_MAX_LINE, max_event: int = DEFAULT_MAX_EVENT
    ) -> None:
        """Bound memory per line and per event; see the module docstring for why."""
        self.max_line = max_line
        self.max_event = max_event
        self.dropped = 0  # oversized lines or events thrown away
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line = ""
        self._skipping = False  # inside an oversized line, discarding until its end
        self._after_cr = False  # the last chunk ended in CR; a leading LF belongs to it
        self._event = ""
        self._data: list[str] = []
        self._data_size = 0
        self._id: str | None = None
        self._oversized_event = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume ``chunk``; return the events it completed (possibly none)."""
        text = self._decoder.decode(chunk)
        events: list[ServerSentEvent] = []
        start = 0
        if self._after_cr and text.startswith("\n"):
            start = 1
        self._after_cr = False
        length = len(text)
        while start < length:
            cr = text.find("\r", start)
            lf = text.find("\n", start)
            ends = [pos for pos in (cr, lf) if pos >= 0]
            if not ends:
                self._append(text[start:])
                break
            end = min(ends)
            self._append(text[start:end])
            self._end_line(events)
            if text[end] == "\r":
                if end + 1 < length:
                    start = end + 2 if text[end + 1] == "\n" else end + 1
                else:
                    self._after_cr = True
                    start = length
            else:
                start = end + 1
        return events

    def _append(self, piece: str) -> None:
        if self._skipping:
            return
        if len(self._line) + len(piece) > self.max_line:
            self._line = ""
            self._skipping = True
            self.dropped += 1
            return
        self._line += piece

    def _end_line(self, events: list[ServerSentEvent]) -> None:
        line, self._line = self._line, ""
        if self._skipping:
            self._skipping = False
            return
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):
            return  # comment / keep-alive
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data_size += len(value) + 1
            if self._data_size > self.max_event:
                if not self._oversized_event:
                    self.dropped += 1
                self._oversized_event = True
                self._data.clear()
                return
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        # "retry" and unknown fields are ignored, as the SSE rules say.

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        oversized = self._oversized_event
        if (self._data or self._event) and not oversized:
            events.append(ServerSentEvent(self._event, "\n".join(self._data), self._id))
        self._event = ""
        self._data = []
        self._data_size = 0
        self._oversized_event = False
