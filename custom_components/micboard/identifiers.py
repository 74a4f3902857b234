"""Device-registry identifiers of receivers and channels, and the way back from one.

Kept apart from the coordinator so the modules that only name devices (services,
diagnostics, placement, set-up) do not depend on how updates are delivered.
"""

from __future__ import annotations

from collections.abc import Mapping

from .const import DOMAIN
from .plugins.model import Receiver


def receiver_identifier(receiver_id: str) -> tuple[str, str]:
    """Device-registry identifier of a receiver."""
    return (DOMAIN, receiver_id)


def channel_identifier(receiver_id: str, channel: int) -> tuple[str, str]:
    """Device-registry identifier of a channel (a child device of its receiver)."""
    return (DOMAIN, f"{receiver_id}-ch{channel}")


def parse_channel_identifier(identifier: tuple[str, str]) -> tuple[str, int] | None:
    """(receiver id, channel) of a :func:`channel_identifier`; None for any other identifier."""
    domain, value = identifier
    receiver_id, separator, index = value.rpartition("-ch")
    if domain != DOMAIN or not separator or not index.isdigit():
        return None
    return receiver_id, int(index)


def model_identifiers(receivers: Mapping[str, Receiver]) -> set[tuple[str, str]]:
    """Identifiers of every device the model has: its receivers and their channels.

    A registry device with none of them is stale (gone from the model): removed after a
    structure change, and deletable by the user.
    """
    wanted = {receiver_identifier(receiver_id) for receiver_id in receivers}
    wanted.update(
        channel_identifier(receiver_id, index)
        for receiver_id, receiver in receivers.items()
        for index in receiver.channels
    )
    return wanted
