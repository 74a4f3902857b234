"""Helpers for the Audio-Technica tests: plugin options that reach a simulator."""

from __future__ import annotations

from typing import Any

from custom_components.micboard.plugins.audio_technica import AudioTechnicaOptions
from simulators.audio_technica import AudioTechnicaSimulator


def options(simulator: AudioTechnicaSimulator, **extra: Any) -> AudioTechnicaOptions:
    """Plugin options for ``simulator``, notifications on loopback unicast."""
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": simulator.port,
        "notify_port": simulator.notify_port,
        "notify_group": "",
        "notify_bind": "127.0.0.1",
    }
    fields.update(extra)
    return AudioTechnicaOptions(**fields)
