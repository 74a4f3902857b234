"""SSC v1 decoding and mapping under generated and mutated datagrams (property tests).

The inputs start from what the simulator really sends (GET answers, errors, subscription
acknowledgements and notifications of an EW-DX and a SpeechLine DW) and are mutated at the
byte level and at the JSON level. Properties: nothing escapes but :class:`SscDecodeError`;
whatever is decoded maps onto a model within the family's limits; decoding is linear.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.micboard.plugins.sennheiser.ssc1 import Ssc1Options
from custom_components.micboard.plugins.sennheiser.ssc1.codec import (
    MAX_INT_DIGITS,
    SscDecodeError,
    SscMessage,
    decode,
    encode_get,
    encode_subscribe,
)
from custom_components.micboard.plugins.sennheiser.ssc1.model import EWDX, SLDW, Dialect
from custom_components.micboard.plugins.sennheiser.ssc1.plugin import SennheiserSsc1Plugin
from simulators.sennheiser.ssc1 import Ssc1Simulator
from tests.support.model_checks import assert_sane
from tests.support.operations import assert_linear, executed_lines

CLIENT = ("127.0.0.1", 40000)


def _corpus() -> list[bytes]:
    """Datagrams the simulator sends, for every kind of message it has."""
    sent: list[bytes] = []
    for variant, channels in (("ewdx", 4), ("ewdx", 2), ("sldw", 1), ("sldw", 4)):
        sim = Ssc1Simulator(channels=channels, variant=variant)
        sim._send_datagram = lambda payload, _target: sent.append(payload)  # type: ignore[method-assign]
        paths = list(sim._leaves)
        sim.handle(encode_get(paths), CLIENT)
        sim.tx_off(1)
        sim.set_battery(channels, 5, 12)
        sim.handle(encode_get(paths), CLIENT)
        sim.handle(encode_subscribe([({"lifetime": 10}, paths[:6])]), CLIENT)
        sim.tx_on(1)
        sim.tick()
        sim.handle(b"not json", CLIENT)
        sim.handle(encode_get([("nope", "x")]), CLIENT)
        sim.end_subscriptions()
    return sent


CORPUS = _corpus()
HOSTILE = [
    b"9" * 400,
    b"[",
    b"{",
    b"-",
    b"1e999",
    b"NaN",
    b'"\x1b\x00"',
    b"null",
    b'"' + b"x" * 300 + b'"',
]

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def byte_mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "double"]))
        pos = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == "cut":
            data = data[:pos]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(max_size=16) | st.sampled_from(HOSTILE))
        else:
            data = data + data
    return bytes(data)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict) and node:
        return [p for key, value in node.items() for p in _leaves(value, (*path, key))]
    if isinstance(node, list) and node:
        return [p for index, value in enumerate(node) for p in _leaves(value, (*path, index))]
    return [path]


@st.composite
def value_mutations(draw: st.DrawFn) -> bytes:
    """A real message with some of its values replaced by anything JSON can hold."""
    document = json.loads(draw(st.sampled_from([d for d in CORPUS if d.startswith(b"{")])))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _leaves(document) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        node = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = draw(JSON_VALUES)
    return json.dumps(document).encode()


def _ready(dialect: Dialect, channels: int) -> SennheiserSsc1Plugin:
    """A plugin as after a successful set-up, without a socket (messages fed directly)."""
    plugin = SennheiserSsc1Plugin(Ssc1Options(host="127.0.0.1", port=45))
    plugin.identity = {"serial": "1234567890", "name": "RACK", "product": "P", "version": "1"}
    plugin.dialect = dialect
    plugin.channel_count = channels
    plugin.supported = frozenset(key for _template, key in dialect.channel_leaves)
    plugin._rebuild_addresses()
    plugin._confirmed = True
    plugin.store_snapshot([plugin.transform_device_data(plugin._raw())])
    return plugin


def _safe_leaf(value: Any) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int):
        return len(str(abs(value))) <= MAX_INT_DIGITS
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_safe_leaf(item) for item in value)
    return isinstance(value, dict)


def _feed(data: bytes) -> SscMessage | None:
    try:
        return decode(data)
    except SscDecodeError:
        return None


@pytest.mark.property
@given(st.one_of(byte_mutations(), value_mutations(), st.binary(max_size=300)))
def test_any_datagram_decodes_to_safe_leaves_or_is_refused(data: bytes) -> None:
    message = _feed(data)
    if message is not None:
        assert all(_safe_leaf(value) for value in message.values.values())
        assert all(isinstance(code, int) for code in message.errors.values())


@pytest.mark.property
@given(st.lists(st.one_of(byte_mutations(), value_mutations()), min_size=1, max_size=8))
def test_whatever_arrives_the_model_stays_within_the_family_limits(
    datagrams: list[bytes],
) -> None:
    for dialect, channels in ((EWDX, 4), (SLDW, 4)):
        plugin = _ready(dialect, channels)
        for data in datagrams:
            message = _feed(data)
            if message is not None:
                plugin._on_message(message)  # never raises
        assert_sane(plugin.receivers["1234567890"], plugin.limits)
        # A valid datagram after whatever came before still applies.
        plugin._on_message(decode(b'{"rx1":{"name":"AFTER"}}'))
        assert plugin.receivers["1234567890"].channels[1].name == "AFTER"


@pytest.mark.property
@given(st.sampled_from([d for d in CORPUS if d.startswith(b"{") and len(d) > 40]))
def test_decoding_is_linear_in_the_datagram(data: bytes) -> None:
    document = json.loads(data)

    def work(copies: int) -> int:
        # The same subtree repeated under distinct keys: n times the same work.
        grown = {f"k{index}": document for index in range(copies)}
        return executed_lines(decode, json.dumps(grown).encode()[:60_000])

    assert_linear(work, 2)
