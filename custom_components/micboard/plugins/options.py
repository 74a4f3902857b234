"""What a plugin is told when it is made: where its device is and how to prove who we are.

Every plugin takes one frozen options object (typed, validated by whoever builds it) instead of
a settings dictionary, so a caller cannot misspell a key and a plugin never reads storage
formats; Home Assistant maps its config entry onto these, a script or test builds them directly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginOptions:
    """Base of every plugin's options."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkOptions(PluginOptions):
    """A device reached at an address; each protocol adds its default port and its own fields."""

    host: str
    port: int
    #: The stable id of the device the caller expects at this address (as first identified);
    #: when another device answers, the plugin raises :class:`DifferentDevice` instead of
    #: taking its data. None accepts whatever answers (a first contact).
    expected_id: str | None = None

    def __post_init__(self) -> None:
        """Refuse an address that cannot work, before anything is sent."""
        if not self.host.strip():
            raise ValueError("host must not be empty")
        if not 0 < self.port < 65536:  # noqa: PLR2004  the TCP/UDP port range
            raise ValueError(f"port {self.port} is outside 1-65535")
