"""The error tree every plugin raises: nothing else may escape a plugin.

Callers (the Home Assistant side, scripts, tests) catch :class:`MicboardError` and decide what
each kind means to them: retry, ask for new credentials, or tell the user.
"""

from __future__ import annotations

from collections.abc import Mapping


class MicboardError(Exception):
    """Root of every error a plugin raises; nothing else may escape a plugin."""


class CannotConnect(MicboardError):
    """The device or server could not be reached, or the connection was lost."""


class ConnectionClosed(CannotConnect):
    """An established connection ended (peer closed it or it went silent)."""


class InvalidAuth(MicboardError):
    """Credentials were rejected; retrying with the same ones can lock the client out."""


class ProtocolError(MicboardError):
    """The peer answered, but not in the protocol we expected."""


class UnsupportedDevice(MicboardError):
    """The peer speaks the protocol but is a model we cannot monitor."""


class RepairNeeded(MicboardError):
    """A problem only the user can fix (access disabled, certificate changed...).

    The integration shows it as a repair issue whose text is ``issues.<issue_key>`` in the
    translations, filled with ``placeholders``; with ``retry`` it keeps retrying slowly (the
    user may fix it on the device), without it the entry stops until it is reconfigured.
    The issue disappears by itself after the next successful connection.
    """

    def __init__(
        self,
        message: str,
        *,
        issue_key: str,
        placeholders: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> None:
        """Describe the problem; ``message`` is for logs, ``issue_key`` for the user."""
        super().__init__(message)
        self.issue_key = issue_key
        self.placeholders = dict(placeholders or {})
        self.retry = retry


class NotSupported(MicboardError):
    """The device (or its dialect) has no such function, e.g. no FLASH command to identify."""
