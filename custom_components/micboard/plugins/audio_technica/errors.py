"""Errors of the Audio-Technica protocol, each a :class:`MicboardError` with a clear message.

NAKs become :class:`NakError` subclasses so callers can treat them by meaning: a busy device
is asked again later, an unknown command marks a feature the model does not have, the rest
are protocol errors that name the code.
"""

from __future__ import annotations

from ..errors import (
    CannotConnect,
    NotSupported,
    ProtocolError,
)
from .protocol import BUSY_CODES, NakCode, describe_nak


class NakError(ProtocolError):
    """The device refused a command with a NAK."""

    def __init__(self, command: str, code: int | None) -> None:
        """Keep the command and code; the message names both."""
        super().__init__(f"receiver refused {command!r}: {describe_nak(code)}")
        self.command = command
        self.code = code


class DeviceBusy(NakError, CannotConnect):
    """NAK 90/92/93: the receiver is alive but busy (safe mode, firmware work); ask later."""


class CommandNotSupported(NakError, NotSupported):
    """NAK 2: this model does not have the command."""


class ParameterRejected(NakError):
    """NAK 4: a parameter (usually the channel number) is out of range for this model."""


class ReplyTimeout(CannotConnect):
    """A command went unanswered; repeated, it means the session is dead."""


class SessionInUse(CannotConnect):
    """The receiver closed the connection at once: it serves one controller at a time."""


def nak_error(command: str, code: int | None) -> NakError:
    """The error class for a NAK code."""
    if code in BUSY_CODES:
        return DeviceBusy(command, code)
    if code == NakCode.INVALID_COMMAND:
        return CommandNotSupported(command, code)
    if code == NakCode.PARAMETER:
        return ParameterRejected(command, code)
    return NakError(command, code)
