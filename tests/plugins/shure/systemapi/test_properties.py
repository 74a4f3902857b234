"""Property tests of the System API parsers: the simulator's frames and bodies, mutated.

Whatever a frame holds, the event path raises nothing (a bad frame is dropped and counted)
and every value in the model passed the value gate.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.micboard.plugins.model import Receiver
from custom_components.micboard.plugins.shure.systemapi import (
    ShureSystemApiOptions,
    ShureSystemApiPlugin,
)
from custom_components.micboard.plugins.shure.systemapi.model import (
    SYSTEMAPI_LIMITS,
    RawDevice,
    apply_event,
    build_receiver,
    device_nodes,
    next_cursor,
    raw_device,
)
from custom_components.micboard.plugins.validate import MAX_NAME_LENGTH, clean_text, in_range
from simulators.shure.systemapi import (
    CHANNEL_EVENTS,
    DEVICE_EVENTS,
    STATE_CHANGE,
    SystemApiSimulator,
    _channel_body,
)
from tests.support.json_mutations import json_values, mutated

SIM = SystemApiSimulator(devices=8)  # the roster: receivers, packs, an interface, a mic...


def _frames() -> list[dict[str, Any]]:
    """Every event the simulator can send about its devices."""
    frames: list[dict[str, Any]] = []
    for device in SIM.devices.values():
        envelope = {"eventName": STATE_CHANGE, "deviceId": device.device_id}
        frames.append({"envelope": envelope, "body": device.node()})
        for prop, event in DEVICE_EVENTS.items():
            body = SIM._device_body(device, prop)
            frames.append(
                {"envelope": {"eventName": event, "deviceId": device.device_id}, "body": body}
            )
        for channel in device.channels:
            for prop, event in CHANNEL_EVENTS.items():
                envelope = {
                    "eventName": event,
                    "deviceId": device.device_id,
                    "audioChannelId": channel.id,
                }
                frames.append({"envelope": envelope, "body": _channel_body(channel, prop)})
    return frames


FRAMES = _frames()


def _plugin() -> ShureSystemApiPlugin:
    plugin = ShureSystemApiPlugin(
        ShureSystemApiOptions(host="127.0.0.1", api_key="k", fingerprint=bytes(32))
    )
    for device in SIM.devices.values():
        raw = RawDevice(device.device_id, device.node())
        raw.set_channels([channel.listing() for channel in device.channels])
        plugin.devices[device.device_id] = raw
    plugin._store_model()
    return plugin


def assert_in_range(receiver: Receiver) -> None:
    limits = SYSTEMAPI_LIMITS
    assert receiver.name is None or (
        receiver.name == clean_text(receiver.name) and len(receiver.name) <= MAX_NAME_LENGTH
    )
    for channel in receiver.channels.values():
        assert channel.gain is None or in_range(channel.gain, limits.gain_db)
        assert channel.name is None or channel.name == clean_text(channel.name)
        tx = channel.transmitter
        if tx is not None:
            for value, bounds in (
                (tx.battery_percent, limits.battery_percent),
                (tx.runtime_minutes, limits.runtime_minutes),
                (tx.charge_minutes, limits.charge_minutes),
                (tx.battery_health, limits.battery_health_percent),
                (tx.battery_cycles, limits.battery_cycles),
            ):
                assert value is None or in_range(value, bounds), (value, bounds)


@pytest.mark.property
@given(st.lists(st.sampled_from(FRAMES), min_size=1, max_size=4), st.data())
def test_frames_never_raise_and_values_stay_in_range(
    frames: list[dict[str, Any]], data: st.DataObject
) -> None:
    plugin = _plugin()
    updates: list[object] = []
    for frame in frames:
        text = json.dumps(data.draw(mutated(frame)), allow_nan=True)
        if data.draw(st.integers(min_value=0, max_value=9)) == 0:
            text = text[: data.draw(st.integers(min_value=0, max_value=len(text)))]
        outcome = plugin._apply_text(text)
        if outcome is not None:
            plugin._update_device(outcome[0], updates.append)
    for receiver in plugin.receivers.values():
        assert_in_range(receiver)


@pytest.mark.property
@given(json_values | st.sampled_from(FRAMES).flatmap(mutated))
def test_apply_event_is_total(message: Any) -> None:
    devices = {key: RawDevice(key, dict(value.node)) for key, value in _plugin().devices.items()}
    outcome = apply_event(devices, message)
    assert outcome is None or outcome.device_id in devices
    for device in devices.values():
        assert_in_range(_plugin().gate.receiver(build_receiver(device)))


@pytest.mark.property
@given(st.sampled_from(list(SIM.devices.values())).flatmap(lambda d: mutated(d.node())))
def test_device_lists_of_any_shape(node: Any) -> None:
    for body in ([node], {"edges": [{"node": node}]}, {"items": [node], "pageInfo": node}):
        nodes = device_nodes(body)
        assert all(isinstance(item, dict) for item in nodes)
        cursor = next_cursor(body)
        assert cursor is None or isinstance(cursor, str)
    raw = raw_device({"node": node, "resources": node, "audio_channels": [node]})
    assert_in_range(_plugin().gate.receiver(build_receiver(raw)))
