"""Audio-Technica networked wireless receivers (Engineered Sound Wireless, System 20 PRO).

``protocol`` frames and parses lines, ``values`` maps answers onto the model, ``session`` is
the single TCP control session, ``notifications`` the shared UDP listener and ``plugin`` ties
them together. See ``docs/protocols/audio_technica.md`` for what each model exposes.
"""

from __future__ import annotations

from .errors import (
    CommandNotSupported,
    DeviceBusy,
    NakError,
    ParameterRejected,
    ReplyTimeout,
    SessionInUse,
)
from .plugin import (
    DEFAULT_PORT,
    AudioTechnicaOptions,
    AudioTechnicaPlugin,
    device_uid,
)

__all__ = [
    "DEFAULT_PORT",
    "AudioTechnicaOptions",
    "AudioTechnicaPlugin",
    "CommandNotSupported",
    "DeviceBusy",
    "NakError",
    "ParameterRejected",
    "ReplyTimeout",
    "SessionInUse",
    "device_uid",
]
