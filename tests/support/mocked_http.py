"""``aioresponses`` made to fit the aiohttp Home Assistant pins.

aioresponses 0.7.9 builds its responses without the ``stream_writer`` that newer aiohttp's
``ClientResponse`` requires; this response class supplies one (the request was "sent", so
only its size is read), and :class:`MockedHttp` uses it for every canned answer. Its body
reader ignores flow control: aioresponses feeds the whole body at once, and a body beyond
aiohttp's buffer limit would otherwise try to pause a connection that does not exist.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiohttp import ClientResponse, StreamReader
from aioresponses import aioresponses
from yarl import URL


class MockedResponse(ClientResponse):
    """A canned response that aiohttp's current constructor accepts."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        """Add the stream writer aioresponses does not pass."""
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)

    @property  # type: ignore[override]
    def content(self) -> StreamReader:
        """The body."""
        return self._mocked_content

    @content.setter
    def content(self, reader: StreamReader) -> None:
        reader._protocol = SimpleNamespace(  # type: ignore[assignment]
            pause_reading=lambda: None,
            resume_reading=lambda **_kwargs: None,
            connected=True,
            _reading_paused=False,
        )
        self._mocked_content = reader


class MockedHttp(aioresponses):  # type: ignore[misc]
    """``aioresponses`` whose answers are :class:`MockedResponse` objects."""

    def add(self, *args: Any, **kwargs: Any) -> None:
        """Queue an answer (see ``aioresponses.add``)."""
        kwargs.setdefault("response_class", MockedResponse)
        super().add(*args, **kwargs)
