"""The error tree every plugin raises: nothing else may escape a plugin.

Callers (the Home Assistant side, scripts, tests) catch :class:`MicboardError` and decide what
each kind means to them: retry, ask for new credentials, or tell the user.
"""

from __future__ import annotations


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


class NeedsUserAction(MicboardError):
    """A problem only the user can fix on the device (access switched off, certificate changed).

    ``retry`` says whether trying again slowly can help (the user may fix it on the device
    while we wait) or whether nothing may be sent until the user confirms something.
    """

    retry: bool = True

    def __init__(self, message: str, *, host: str) -> None:
        """Describe the problem; ``host`` is the device's address, for the user."""
        super().__init__(message)
        self.host = host


class AccessDisabled(NeedsUserAction):
    """The device answers but refuses third-party control (a setting on the device)."""


class CertificateChanged(NeedsUserAction):
    """The device presented another TLS certificate than the one the user confirmed.

    Nothing more is sent to it, credentials included, until the user confirms the new one.
    """

    retry = False

    def __init__(self, message: str, *, host: str, expected: str, received: str) -> None:
        """``expected`` and ``received`` are the two SHA-256 fingerprints, formatted."""
        super().__init__(message, host=host)
        self.expected = expected
        self.received = received


class NotSupported(MicboardError):
    """The device (or its dialect) has no such function, e.g. no FLASH command to identify."""


class DifferentDevice(MicboardError):
    """Another device than the expected one answers at the address (a swapped or moved unit).

    The plugin stops taking data from it: its values must never show under the old device.
    """

    def __init__(
        self, message: str, *, host: str, expected: str, found: str, found_name: str | None = None
    ) -> None:
        """``expected``, ``found``: stable ids; ``found_name``: what the new one calls itself."""
        super().__init__(message)
        self.host = host
        self.expected = expected
        self.found = found
        self.found_name = found_name
