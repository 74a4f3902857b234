"""Incremental Server-Sent Events decoder.

Devices stream SSE over long-lived HTTP responses and real ones are not always tidy: lines may
end in CRLF, LF or CR, a CRLF may be split across reads, ``data:`` comes with or without the
space, and a broken device can send a line that never ends. The decoder is fed raw chunks as
they arrive and returns complete events; it never raises on bad input and bounds its memory,
counting what it had to drop so the caller can log it.

It is linear in its input: every character is looked at once (a line end is searched from
where the last one ended, never from a line's start again), and a run of blank lines with
nothing pending is skipped in one step. Even linear work on megabytes of one-byte lines is
too much for one turn of the event loop, so callers feed large chunks in :func:`slices` and
let the loop run in between.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
import re
from typing import Final

#: A line longer than this is dropped (up to its end) instead of buffered.
DEFAULT_MAX_LINE = 256 * 1024
#: An event whose data grows beyond this is dropped.
DEFAULT_MAX_EVENT = 1024 * 1024
#: Bytes fed at once before the caller lets the event loop run (see :func:`slices`).
SLICE_BYTES: Final = 4 * 1024

_LINE_END: Final = re.compile(r"\r\n|\r|\n")
_BLANK_RUN: Final = re.compile(r"[\r\n]+")


def slices(chunk: bytes, size: int = SLICE_BYTES) -> Iterator[bytes]:
    """``chunk`` in pieces of at most ``size`` bytes (the whole chunk when it is small)."""
    for start in range(0, len(chunk), size):
        yield chunk[start : start + size]


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
        self._parts: list[str] = []  # the line so far (pieces: no quadratic concatenation)
        self._size = 0
        self._skipping = False  # inside an oversized line, discarding until its end
        self._after_cr = False  # the last chunk ended in CR; a leading LF belongs to it
        self._event = ""
        self._data: list[str] = []
        self._data_size = 0
        self._id: str | None = None
        self._oversized_event = False

    def _idle(self) -> bool:
        """Nothing pending: a blank line now would dispatch nothing."""
        return not (
            self._parts or self._skipping or self._data or self._event or self._oversized_event
        )

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume ``chunk``; return the events it completed (possibly none)."""
        text = self._decoder.decode(chunk)
        events: list[ServerSentEvent] = []
        pos = 0
        length = len(text)
        if self._after_cr:
            self._after_cr = False
            if text.startswith("\n"):
                pos = 1
        while pos < length:
            if self._idle() and (run := _BLANK_RUN.match(text, pos)) is not None:
                # Blank lines with nothing pending dispatch nothing: skip them all at once.
                pos = run.end()
                self._after_cr = pos == length and text[pos - 1] == "\r"
                continue
            found = _LINE_END.search(text, pos)
            if found is None:
                self._append(text[pos:])
                break
            self._append(text[pos : found.start()])
            self._end_line(events)
            pos = found.end()
            self._after_cr = pos == length and text[pos - 1] == "\r"
        return events

    def _append(self, piece: str) -> None:
        if self._skipping or not piece:
            return
        if self._size + len(piece) > self.max_line:
            self._parts.clear()
            self._size = 0
            self._skipping = True
            self.dropped += 1
            return
        self._parts.append(piece)
        self._size += len(piece)

    def _end_line(self, events: list[ServerSentEvent]) -> None:
        line = "".join(self._parts)
        self._parts.clear()
        self._size = 0
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
