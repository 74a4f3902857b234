"""Property tests of the SSCv2 parsers: events and resource bodies from the simulator, mutated.

Whatever arrives, the plugin's event path raises nothing (a bad event is dropped and
counted) and every value in the model is one an EW-DX can report.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.micboard.plugins.model import Receiver
from custom_components.micboard.plugins.net.sse import ServerSentEvent
from custom_components.micboard.plugins.sennheiser.ssc2.model import (
    SSC2_LIMITS,
    ReceiverMapper,
    build_receiver,
    snapshot_paths,
)
from custom_components.micboard.plugins.sennheiser.ssc2.plugin import (
    SennheiserSsc2Plugin,
    Ssc2Options,
)
from custom_components.micboard.plugins.validate import MAX_NAME_LENGTH, clean_text, in_range
from simulators.sennheiser.ssc2_state import DeviceState
from tests.support.json_mutations import json_values, mutated

SERIAL = "1234567890"
STATE = DeviceState.create(2, SERIAL)
PATHS = [
    "/api/device/site",
    "/api/firmware/update/state",
    *(path for index in range(2) for path in snapshot_paths(index)),
    *(path for index in range(2) for path in STATE.transmitter_paths(index)),
]
#: The simulator's own answers: what a real EW-DX sends for each resource.
REAL = {path: STATE.get(path) for path in PATHS}
IDENTITY = STATE.get("/api/device/identity")


def _plugin() -> SennheiserSsc2Plugin:
    plugin = SennheiserSsc2Plugin(
        Ssc2Options(
            host="127.0.0.1",
            password="x",  # noqa: S106  never sent: no network here
            fingerprint=bytes(32),
            expected_id=SERIAL,
        )
    )
    raw = {"host": "127.0.0.1", "resources": {"/api/device/identity": IDENTITY, **REAL}}
    fresh, mapper = build_receiver(raw, plugin.gate, plugin._malformed)
    receivers = plugin.store_snapshot([fresh])
    plugin._mapper = ReceiverMapper(
        receivers[fresh.id], mapper.raw, gate=plugin.gate, on_malformed=plugin._malformed
    )
    return plugin


def assert_in_range(receiver: Receiver) -> None:
    limits = SSC2_LIMITS
    for name in (receiver.name, receiver.firmware):
        assert name is None or name == clean_text(name)
    for channel in receiver.channels.values():
        for value, bounds in (
            (channel.rf_level, limits.rf_dbm),
            (channel.audio_level, limits.audio_dbfs),
            (channel.rf_quality, limits.rf_quality_percent),
            (channel.frequency_mhz, limits.frequency_mhz),
        ):
            assert value is None or in_range(value, bounds), (value, bounds)
        assert channel.name is None or (
            channel.name == clean_text(channel.name) and len(channel.name) <= MAX_NAME_LENGTH
        )
        assert channel.antenna in {None, "A", "B"}
        tx = channel.transmitter
        if tx is not None:
            assert tx.battery_percent is None or in_range(tx.battery_percent, (0, 100))
            assert tx.runtime_minutes is None or in_range(tx.runtime_minutes, (0, 1440))
            assert tx.model is None or tx.model == clean_text(tx.model)


@st.composite
def events(draw: st.DrawFn) -> str:
    """An event's data: a few real resources, some of them mutated, as JSON text."""
    paths = draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=4, unique=True))
    body: Any = {path: REAL[path] for path in paths}
    body = draw(mutated(body))
    text = json.dumps(body, allow_nan=True)
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:cut]  # a truncated event
    return text


@pytest.mark.property
@given(st.lists(events(), min_size=1, max_size=5))
def test_events_never_raise_and_values_stay_in_range(texts: list[str]) -> None:
    plugin = _plugin()
    updates: list[object] = []
    for text in texts:
        plugin._handle_events([ServerSentEvent("", text)], updates.append)
    assert_in_range(plugin.receivers[SERIAL])


@pytest.mark.property
@given(st.sampled_from(PATHS), st.data())
def test_every_resource_body_mutated(path: str, data: st.DataObject) -> None:
    plugin = _plugin()
    mapper = plugin._mapper
    assert mapper is not None
    body = data.draw(mutated(REAL[path]) | json_values)
    before = plugin.health.messages_rejected + plugin.health.values_rejected
    changes = mapper.apply(path, body)
    assert all(key is None or key in (1, 2) for key in changes)
    assert_in_range(plugin.receivers[SERIAL])
    if not changes and body != REAL[path]:
        # Nothing changed: either the value was the same or the input was counted.
        assert plugin.health.messages_rejected + plugin.health.values_rejected >= before


@pytest.mark.property
@given(st.dictionaries(st.sampled_from(PATHS), json_values, max_size=len(PATHS)))
def test_a_snapshot_of_anything_builds_a_receiver_in_range(resources: dict[str, Any]) -> None:
    plugin = _plugin()
    raw = {"host": "127.0.0.1", "resources": {"/api/device/identity": IDENTITY, **resources}}
    receiver = plugin.transform_device_data(raw)
    plugin.gate.receiver(receiver)
    assert_in_range(receiver)


def test_the_real_messages_are_in_range_and_kept() -> None:
    plugin = _plugin()
    receiver = plugin.receivers[SERIAL]
    assert_in_range(receiver)
    assert receiver.channels[1].frequency_mhz is not None
    assert not math.isnan(receiver.channels[1].rf_level or 0.0)
    assert plugin.health.values_rejected == 0
    assert plugin.health.messages_rejected == 0
