"""Entry data to plugin options: every protocol, and entries written before a field existed."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PASSWORD, CONF_PORT
import pytest

from custom_components.micboard.const import (
    CONF_FINGERPRINT,
    CONF_MANUFACTURER,
    CONF_NOTIFY_GROUP,
    CONF_TRANSPORT,
)
from custom_components.micboard.entry_data import create_plugin, plugin_options
from custom_components.micboard.plugins import UnknownPluginError
from custom_components.micboard.plugins.audio_technica import AudioTechnicaOptions
from custom_components.micboard.plugins.demo import DemoOptions
from custom_components.micboard.plugins.errors import NeedsUserAction
from custom_components.micboard.plugins.sennheiser.mcp import McpOptions
from custom_components.micboard.plugins.sennheiser.ssc1 import Ssc1Options
from custom_components.micboard.plugins.sennheiser.ssc2 import Ssc2Options
from custom_components.micboard.plugins.shure.commands import ShureCommandsOptions
from custom_components.micboard.plugins.shure.systemapi import ShureSystemApiOptions
from custom_components.micboard.repairs import ISSUE_NEEDS_ATTENTION, issue_for

PRINT = "AB:" * 31 + "AB"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {CONF_MANUFACTURER: "demo", "name": "Rack", "receivers": 2, "channels": 4},
            DemoOptions(name="Rack", receivers=2, channels=4),
        ),
        (
            {CONF_MANUFACTURER: "shure_tcp", CONF_HOST: " 10.0.0.2 "},
            ShureCommandsOptions(host="10.0.0.2", port=2202),
        ),
        (
            {CONF_MANUFACTURER: "shure_tcp", CONF_HOST: "h", CONF_TRANSPORT: "serial"},
            ShureCommandsOptions(host="h", transport=None),
        ),
        (
            {CONF_MANUFACTURER: "shure_systemapi", CONF_HOST: "h", CONF_API_KEY: "k"}
            | {CONF_FINGERPRINT: PRINT},
            ShureSystemApiOptions(host="h", api_key="k", fingerprint=bytes([0xAB] * 32)),
        ),
        (
            {CONF_MANUFACTURER: "sennheiser_ssc2", CONF_HOST: "h", CONF_PASSWORD: "p"}
            | {CONF_FINGERPRINT: PRINT, CONF_PORT: 8443},
            Ssc2Options(host="h", port=8443, password="p", fingerprint=bytes([0xAB] * 32)),  # noqa: S106
        ),
        ({CONF_MANUFACTURER: "sennheiser_ssc1", CONF_HOST: "h"}, Ssc1Options(host="h", port=45)),
        ({CONF_MANUFACTURER: "sennheiser_mcp", CONF_HOST: "h"}, McpOptions(host="h")),
        (
            {CONF_MANUFACTURER: "audio_technica", CONF_HOST: "h", CONF_NOTIFY_GROUP: ""},
            AudioTechnicaOptions(host="h", notify_group=""),
        ),
    ],
)
def test_every_protocol_and_old_entries_get_defaults(data: dict, expected: object) -> None:
    assert plugin_options(data) == expected
    assert type(create_plugin(data).options) is type(expected)


def test_an_unknown_protocol_is_named() -> None:
    with pytest.raises(UnknownPluginError, match="retired"):
        plugin_options({CONF_MANUFACTURER: "retired"})


def test_any_other_device_problem_has_a_generic_issue() -> None:
    key, placeholders = issue_for(NeedsUserAction("locked by the operator", host="h"))
    assert key == ISSUE_NEEDS_ATTENTION
    assert placeholders == {"host": "h", "error": "locked by the operator"}
