"""Protocol plugins, registered by manufacturer code.

The config entry stores only the code; the integration asks :func:`get_plugin` for the class,
so adding a protocol means adding a module and one line in :data:`PLUGINS`.
"""

from __future__ import annotations

from typing import Any

from .audio_technica import AudioTechnicaPlugin
from .demo.plugin import DemoRackPlugin
from .errors import MicboardError
from .plugin import ManufacturerPlugin
from .sennheiser.mcp.plugin import SennheiserMcpPlugin
from .sennheiser.ssc1.plugin import SennheiserSsc1Plugin
from .sennheiser.ssc2.plugin import SennheiserSsc2Plugin
from .shure.commands.plugin import ShureCommandsPlugin
from .shure.systemapi.plugin import ShureSystemApiPlugin

PLUGINS: dict[str, type[ManufacturerPlugin[Any]]] = {
    plugin.manufacturer_code: plugin
    for plugin in (
        DemoRackPlugin,
        SennheiserSsc2Plugin,
        SennheiserSsc1Plugin,
        SennheiserMcpPlugin,
        AudioTechnicaPlugin,
        ShureCommandsPlugin,
        ShureSystemApiPlugin,
    )
}


class UnknownPluginError(MicboardError, KeyError):
    """A config entry names a plugin this version does not have."""

    def __str__(self) -> str:
        """Say which code was asked for and which exist (KeyError would only quote it)."""
        return f"unknown manufacturer plugin {self.args[0]!r}; known: {', '.join(sorted(PLUGINS))}"


def get_plugin(code: str) -> type[ManufacturerPlugin[Any]]:
    """Return the plugin class registered for ``code``."""
    try:
        return PLUGINS[code]
    except KeyError:
        raise UnknownPluginError(code) from None


__all__ = ["PLUGINS", "UnknownPluginError", "get_plugin"]
