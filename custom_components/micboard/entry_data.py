"""Config entry data to plugin options: the one place that reads what an entry stores.

The protocol library takes typed options; config entries keep plain data (written by the
config flows, some of it by versions before a field existed). Each protocol's mapping fills
what an older entry lacks with the library's defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import aiohttp
from homeassistant.const import (
    CONF_API_KEY,
    CONF_DEVICE_ID,
    CONF_HOST,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_PORT,
)

from .const import (
    CONF_CHANNELS,
    CONF_DEVICE_UID,
    CONF_FINGERPRINT,
    CONF_KNOWN_DEVICES,
    CONF_LOCAL_PORT,
    CONF_MANUFACTURER,
    CONF_NOTIFY_BIND,
    CONF_NOTIFY_GROUP,
    CONF_NOTIFY_PORT,
    CONF_RECEIVER_ID,
    CONF_RECEIVERS,
    CONF_SEED,
    CONF_TRANSPORT,
    DEFAULT_METER_INTERVAL,
)
from .plugins import UnknownPluginError, get_plugin
from .plugins.audio_technica import (
    DEFAULT_PORT as AT_PORT,
    AudioTechnicaOptions,
    AudioTechnicaPlugin,
)
from .plugins.audio_technica.notifications import (
    DEFAULT_NOTIFY_GROUP as AT_NOTIFY_GROUP,
    DEFAULT_NOTIFY_PORT as AT_NOTIFY_PORT,
)
from .plugins.demo import DemoOptions, DemoRackPlugin
from .plugins.net.tls import parse_fingerprint
from .plugins.options import NetworkOptions, PluginOptions
from .plugins.plugin import ManufacturerPlugin
from .plugins.sennheiser.mcp import McpOptions, SennheiserMcpPlugin
from .plugins.sennheiser.mcp.plugin import (
    DEFAULT_LOCAL_PORT as MCP_LOCAL_PORT,
    DEFAULT_PORT as MCP_PORT,
)
from .plugins.sennheiser.ssc1 import SennheiserSsc1Plugin, Ssc1Options
from .plugins.sennheiser.ssc1.plugin import DEFAULT_PORT as SSC1_PORT
from .plugins.sennheiser.ssc2 import SennheiserSsc2Plugin, Ssc2Options
from .plugins.sennheiser.ssc2.client import DEFAULT_PORT as SSC2_PORT
from .plugins.shure.commands import ShureCommandsOptions, ShureCommandsPlugin
from .plugins.shure.commands.plugin import DEFAULT_PORT as SHURE_PORT
from .plugins.shure.systemapi import ShureSystemApiOptions, ShureSystemApiPlugin
from .plugins.shure.systemapi.client import DEFAULT_PORT as SYSTEMAPI_PORT


def _port(data: Mapping[str, Any], default: int) -> int:
    return int(data.get(CONF_PORT) or default)


def _host(data: Mapping[str, Any]) -> str:
    return str(data[CONF_HOST]).strip()


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value else None


def demo_options(data: Mapping[str, Any]) -> DemoOptions:
    """A Demo rack entry."""
    seed = data.get(CONF_SEED)
    return DemoOptions(
        name=str(data.get(CONF_NAME) or ""),
        receivers=int(data[CONF_RECEIVERS]),
        channels=int(data[CONF_CHANNELS]),
        seed=None if seed is None else int(seed),
    )


def shure_commands_options(data: Mapping[str, Any]) -> ShureCommandsOptions:
    """A Shure receiver entry (command strings)."""
    transport = data.get(CONF_TRANSPORT)
    return ShureCommandsOptions(
        host=_host(data),
        port=_port(data, SHURE_PORT),
        transport=transport if transport in {"tcp", "udp"} else None,
        receiver_id=_optional_str(data, CONF_RECEIVER_ID),
    )


def shure_systemapi_options(data: Mapping[str, Any]) -> ShureSystemApiOptions:
    """A Shure System API server entry."""
    return ShureSystemApiOptions(
        host=_host(data),
        port=_port(data, SYSTEMAPI_PORT),
        api_key=str(data[CONF_API_KEY]),
        fingerprint=parse_fingerprint(str(data[CONF_FINGERPRINT])),
        known_devices=frozenset(str(device_id) for device_id in known_devices(data)),
    )


def known_devices(data: Mapping[str, Any]) -> list[str]:
    """The device ids an entry keeps (System API), or none (older entries, other protocols)."""
    value = data.get(CONF_KNOWN_DEVICES)
    return [str(item) for item in value] if isinstance(value, list) else []


def ssc2_options(data: Mapping[str, Any]) -> Ssc2Options:
    """A Sennheiser EW-DX entry (SSCv2)."""
    return Ssc2Options(
        host=_host(data),
        port=_port(data, SSC2_PORT),
        password=str(data[CONF_PASSWORD]),
        fingerprint=parse_fingerprint(str(data[CONF_FINGERPRINT])),
    )


def ssc1_options(data: Mapping[str, Any]) -> Ssc1Options:
    """A Sennheiser SSC v1 entry."""
    return Ssc1Options(host=_host(data), port=_port(data, SSC1_PORT))


def mcp_options(data: Mapping[str, Any]) -> McpOptions:
    """A Sennheiser ew G3/G4 entry (MCP)."""
    local = data.get(CONF_LOCAL_PORT)
    return McpOptions(
        host=_host(data),
        port=_port(data, MCP_PORT),
        local_port=MCP_LOCAL_PORT if local is None else int(local),
        device_id=_optional_str(data, CONF_DEVICE_ID),
    )


def audio_technica_options(data: Mapping[str, Any]) -> AudioTechnicaOptions:
    """An Audio-Technica receiver entry."""
    notify_port = data.get(CONF_NOTIFY_PORT)
    group = data.get(CONF_NOTIFY_GROUP)
    return AudioTechnicaOptions(
        host=_host(data),
        port=_port(data, AT_PORT),
        notify_port=AT_NOTIFY_PORT if notify_port is None else int(notify_port),
        notify_group=AT_NOTIFY_GROUP if group is None else str(group),
        notify_bind=str(data.get(CONF_NOTIFY_BIND) or ""),
        device_uid=_optional_str(data, CONF_DEVICE_UID),
    )


_OPTIONS: dict[str, Callable[[Mapping[str, Any]], PluginOptions]] = {
    DemoRackPlugin.manufacturer_code: demo_options,
    ShureCommandsPlugin.manufacturer_code: shure_commands_options,
    ShureSystemApiPlugin.manufacturer_code: shure_systemapi_options,
    SennheiserSsc2Plugin.manufacturer_code: ssc2_options,
    SennheiserSsc1Plugin.manufacturer_code: ssc1_options,
    SennheiserMcpPlugin.manufacturer_code: mcp_options,
    AudioTechnicaPlugin.manufacturer_code: audio_technica_options,
}


def plugin_options(data: Mapping[str, Any], *, expected_id: str | None = None) -> PluginOptions:
    """The options of the plugin an entry's data names.

    ``expected_id`` is the entry's unique id: the device it was made for. A plugin that can
    tell who answers refuses another device at the address.
    """
    code = str(data[CONF_MANUFACTURER])
    build = _OPTIONS.get(code)
    if build is None:
        raise UnknownPluginError(code)
    options = build(data)
    if expected_id is not None and isinstance(options, NetworkOptions):
        options = replace(options, expected_id=expected_id)
    return options


def create_plugin(
    data: Mapping[str, Any],
    *,
    expected_id: str | None = None,
    meter_interval: float = DEFAULT_METER_INTERVAL,
    session: aiohttp.ClientSession | None = None,
) -> ManufacturerPlugin[Any]:
    """The plugin for an entry's data (nothing connects yet)."""
    plugin_class = get_plugin(str(data[CONF_MANUFACTURER]))
    options = plugin_options(data, expected_id=expected_id)
    return plugin_class(options, meter_interval=meter_interval, session=session)
