"""Shared by the Shure parser tests: the simulator's real messages, a plugin as set-up leaves it."""

from __future__ import annotations

from collections.abc import Callable
import functools
import sys
from typing import Any

from custom_components.micboard.plugins.model import Channel
from custom_components.micboard.plugins.shure.commands.dialects import DIALECTS, default_model
from custom_components.micboard.plugins.shure.commands.identify import Identity
from custom_components.micboard.plugins.shure.commands.plugin import (
    ShureCommandsOptions,
    ShureCommandsPlugin,
)
from custom_components.micboard.plugins.validate import MAX_NAME_LENGTH, Limits, in_range
from simulators.shure.commands_model import (
    MODELS,
    build_device,
    channel_params,
    device_params,
    meter_lines,
)

HOST = "127.0.0.1"

FAMILIES = tuple(DIALECTS)
KEYWORD = {"uhfr": "REPORT", "psm1000": "REPORT"}


@functools.cache
def real_lines(family: str, *, tx_on: bool = True, quadversity: bool = False) -> tuple[str, ...]:
    """Every message body the simulated device sends: device values, channel values, meters."""
    count = max(MODELS[family])
    device = build_device(family, count, "RX-1", quadversity=quadversity)
    keyword = KEYWORD.get(family, "REP")
    lines = [f"{keyword} {key} {value}" for key, value in device_params(device).items()]
    for channel in device.channels.values():
        channel.tx_on = tx_on
        lines += [
            f"{keyword} {channel.index} {k} {v}" for k, v in channel_params(device, channel).items()
        ]
        lines += meter_lines(device, channel)
    return tuple(lines)


def frame(family: str, line: str) -> bytes:
    if family == "uhfr":
        return f"* {line} *".encode("latin-1")
    return f"< {line} >".encode("latin-1")


def count_calls(action: Callable[[], object]) -> int:
    """Python and C function calls made by ``action`` (a machine-independent measure of work)."""
    calls = 0

    def profile(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal calls
        if event in {"call", "c_call"}:
            calls += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


def primed_plugin(family: str) -> ShureCommandsPlugin:
    """A plugin that identified a ``family`` device of its largest model and built its model."""
    dialect = DIALECTS[family]
    count = max(dialect.models.values())
    identity = Identity(
        dialect=dialect,
        model=default_model(dialect, count),
        channels=tuple(range(1, count + 1)),
        device_id="RX-1",
        firmware=None,
        host=HOST,
    )
    plugin = ShureCommandsPlugin(ShureCommandsOptions(host=HOST))
    plugin.identity = identity
    plugin._begin(identity)
    plugin._build_model(identity)
    return plugin


def assert_in_family_range(plugin: ShureCommandsPlugin) -> None:
    """Every value in the plugin's model is one its family can report; every text printable."""
    limits = plugin.gate.limits
    for receiver in plugin.receivers.values():
        for text in (receiver.name, receiver.model, receiver.firmware):
            assert text is None or (text.isprintable() and len(text) <= MAX_NAME_LENGTH), text
        for channel in receiver.channels.values():
            _assert_channel_in_range(channel, limits)


def _assert_channel_in_range(channel: Channel, limits: Limits) -> None:
    ranges = {
        "frequency_mhz": limits.frequency_mhz,
        "audio_level": limits.audio_dbfs,
        "audio_peak": limits.audio_dbfs,
        "rf_level": limits.rf_dbm,
        "rf_quality": limits.rf_quality_percent,
    }
    for name, bounds in ranges.items():
        value = getattr(channel, name)
        assert value is None or in_range(value, bounds), (name, value)
    assert all(level is None or in_range(level, limits.rf_dbm) for level in channel.rf_levels)
    name = channel.name
    assert name is None or (name.isprintable() and len(name) <= MAX_NAME_LENGTH), name
    transmitter = channel.transmitter
    if transmitter is not None:
        for field, bounds in {
            "battery_bars": limits.battery_bars,
            "battery_percent": limits.battery_percent,
            "runtime_minutes": limits.runtime_minutes,
        }.items():
            value = getattr(transmitter, field)
            assert value is None or in_range(value, bounds), (field, value)
        for text in (transmitter.model, transmitter.battery_type, transmitter.power_source):
            assert text is None or text.isprintable(), text
