"""What the plugins that talk HTTPS (Sennheiser SSCv2, the Shure System API) share.

Their session: inside Home Assistant a plugin uses the shared session it is given; used on
its own (tests against the simulators, scripts) it has none, so it opens one, and then it
must close it too. And their reading of answers: a body size cap that no Content-Length can
talk round, and one marker for "the device has no such resource".
"""

from __future__ import annotations

from typing import Final

import aiohttp

from ..errors import ProtocolError


class _Absent:
    """Marker for a resource the device says it does not have (the status is the protocol's)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


async def read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes (whatever Content-Length claims)."""
    if response.content_length is not None and response.content_length > limit:
        raise ProtocolError(f"response of {response.content_length} bytes is too large")
    chunks: list[bytes] = []
    size = 0
    while chunk := await response.content.readany():
        size += len(chunk)
        if size > limit:
            raise ProtocolError("response is too large")
        chunks.append(chunk)
    return b"".join(chunks)


class PluginSession:
    """The shared session if one was injected, else one of our own made on first use."""

    def __init__(self, shared: aiohttp.ClientSession | None) -> None:
        """Nothing is opened here: a session must be created inside the event loop."""
        self._shared = shared
        self._own: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        """The session to make requests with."""
        if self._shared is not None:
            return self._shared
        if self._own is None:
            self._own = aiohttp.ClientSession()
        return self._own

    async def close(self) -> bool:
        """Close our own session, if we opened one; whether clients made on it are now stale."""
        own, self._own = self._own, None
        if own is None:
            return False
        await own.close()
        return True
