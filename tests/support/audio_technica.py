"""Helpers shared by the Audio-Technica tests (plugin level and Home Assistant level)."""

from __future__ import annotations

import socket
from typing import Any

from custom_components.micboard.const import (
    CONF_DEVICE_UID,
    CONF_MANUFACTURER,
    CONF_NOTIFY_BIND,
    CONF_NOTIFY_GROUP,
    CONF_NOTIFY_PORT,
)
from custom_components.micboard.plugins.audio_technica import AudioTechnicaOptions
from simulators.audio_technica import AudioTechnicaSimulator


def free_udp_port() -> int:
    """A UDP port that was free a moment ago on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CONF_HOST, CONF_PORT = "host", "port"  # Home Assistant's keys
_OPTION_NAMES = {CONF_DEVICE_UID: "device_uid", CONF_NOTIFY_PORT: "notify_port"}


def options(simulator: AudioTechnicaSimulator, **extra: Any) -> AudioTechnicaOptions:
    """Plugin options for ``simulator``, notifications on loopback unicast."""
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": simulator.port,
        "notify_port": simulator.notify_port,
        "notify_group": "",
        "notify_bind": "127.0.0.1",
    }
    fields.update({_OPTION_NAMES.get(key, key): value for key, value in extra.items()})
    return AudioTechnicaOptions(**fields)


def entry_data(simulator: AudioTechnicaSimulator, **extra: Any) -> dict[str, Any]:
    """Entry data for a plugin talking to ``simulator``, notifications on loopback unicast."""
    return {
        CONF_MANUFACTURER: "audio_technica",
        CONF_HOST: "127.0.0.1",
        CONF_PORT: simulator.port,
        CONF_NOTIFY_PORT: simulator.notify_port,
        CONF_NOTIFY_GROUP: "",
        CONF_NOTIFY_BIND: "127.0.0.1",
        **extra,
    }
