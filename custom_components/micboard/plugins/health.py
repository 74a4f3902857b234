"""What the link between a plugin and its device is doing, for diagnostics and entities."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import logging
import time
from typing import Any, Final

from .errors import MicboardError

_LOGGER = logging.getLogger(__name__)

#: How much of a rejected message a log line quotes.
EXCERPT_CHARS: Final = 80


def excerpt(fragment: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable quote of device input: control bytes escaped, long input cut.

    Whatever a device sends ends up here only as an escaped excerpt, so a log line can
    neither be flooded nor carry terminal escape sequences.
    """
    text = fragment.decode("latin-1") if isinstance(fragment, bytes) else fragment
    quoted = text[:limit].encode("unicode_escape").decode("ascii")
    return quoted + ("…" if len(text) > limit else "")


class ConnectionState(StrEnum):
    """State of the link between the integration and one device or server."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(slots=True)
class ConnectionHealth:
    """What the link to a device is doing; shown in diagnostics and diagnostic entities."""

    state: ConnectionState = ConnectionState.STOPPED
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_error: str | None = None
    #: Times the link came back after it was lost.
    reconnects: int = 0
    #: Attempts made to bring it back (several per outage while the device is away).
    reconnect_attempts: int = 0
    messages_received: int = 0
    last_message_at: float | None = None  # time.time(); a float keeps the hot path cheap
    #: Messages dropped because they could not be parsed (counted, never raised).
    messages_rejected: int = 0
    #: Values outside what the device family can report, made unknown by the value gate.
    values_rejected: int = 0
    _rejection_logged: bool = field(default=False, repr=False, compare=False)

    def _set(self, state: ConnectionState) -> None:
        if state is not self.state:
            self.state = state
            self.since = datetime.now(UTC)

    def connecting(self) -> None:
        """Record that a connection attempt started (a new connection logs its own garbage)."""
        self._set(ConnectionState.CONNECTING)
        self._rejection_logged = False

    def connected(self) -> None:
        """Record that the link is up."""
        self._set(ConnectionState.CONNECTED)
        self.last_error = None

    def disconnected(self, error: BaseException | str | None = None) -> None:
        """Record the loss of the link; with an error the state is ERROR."""
        if error is None:
            self._set(ConnectionState.DISCONNECTED)
            return
        self.last_error = str(error) or type(error).__name__
        self._set(ConnectionState.ERROR)

    @contextmanager
    def errors_recorded(self) -> Iterator[None]:
        """Record a plugin error raised inside as the loss of the link, and let it go on.

        Around every snapshot and every listening session, so whatever ends one shows in
        the health the user sees, without each plugin catching and re-raising it.
        """
        try:
            yield
        except MicboardError as err:
            self.disconnected(err)
            raise

    def stopped(self) -> None:
        """Record an orderly shutdown."""
        self._set(ConnectionState.STOPPED)

    def message(self, count: int = 1) -> None:
        """Count protocol messages; called on the hot path, so it stays trivial."""
        self.messages_received += count
        self.last_message_at = time.time()

    def rejected(self, source: str, reason: str, fragment: bytes | str) -> None:
        """Count a message that could not be parsed; the first per connection is logged.

        ``source`` names the peer (a host, never a credential), ``reason`` what was wrong.
        """
        self.messages_rejected += 1
        if not self._rejection_logged:
            self._rejection_logged = True
            _LOGGER.debug(
                "Dropped %s from %s: %s (further rejected messages on this connection are "
                "only counted)",
                reason,
                source,
                excerpt(fragment),
            )

    def snapshot(self) -> ConnectionHealth:
        """Independent copy, so a reader never sees a half-updated object."""
        return copy.copy(self)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for diagnostics."""
        return {
            "state": self.state.value,
            "since": self.since.isoformat(),
            "last_error": self.last_error,
            "reconnects": self.reconnects,
            "reconnect_attempts": self.reconnect_attempts,
            "messages_received": self.messages_received,
            "messages_rejected": self.messages_rejected,
            "values_rejected": self.values_rejected,
            "last_message_at": (
                datetime.fromtimestamp(self.last_message_at, UTC).isoformat()
                if self.last_message_at is not None
                else None
            ),
        }
