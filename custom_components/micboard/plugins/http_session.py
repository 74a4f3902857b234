"""The HTTP session of a plugin that talks HTTPS (Sennheiser SSCv2, the Shure System API).

Inside Home Assistant a plugin uses the shared session it is given. Used on its own (tests
against the simulators, scripts) it has none, so it opens one, and then it must close it too.
"""

from __future__ import annotations

import aiohttp


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
