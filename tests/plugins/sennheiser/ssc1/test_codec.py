"""SSC v1 message codec: address trees, error replies, duplicate keys, garbage."""

from __future__ import annotations

import json

import pytest

from custom_components.micboard.plugins.sennheiser.ssc1.codec import (
    FAILED_DEPENDENCY,
    NOT_UNDERSTOOD,
    SUBSCRIPTION_ENDED,
    SscDecodeError,
    SscError,
    build_tree,
    decode,
    encode_get,
    encode_set,
    encode_subscribe,
    flatten,
    path_text,
)


def test_get_reply_values_are_flattened() -> None:
    message = decode(b'{"rx1":{"frequency":548000,"name":"VOX 1"},"brightness":75}')
    assert message.values == {
        ("rx1", "frequency"): 548000,
        ("rx1", "name"): "VOX 1",
        ("brightness",): 75,
    }
    assert message.errors == {}
    assert message.message_error is None
    assert message.covered == {("rx1", "frequency"), ("rx1", "name"), ("brightness",)}


def test_whole_message_rejection() -> None:
    message = decode(b'{"osc":{"error":[400,{"desc":"message not understood"}]}}')
    assert message.message_error == NOT_UNDERSTOOD
    assert message.covered == set()


def test_per_address_errors_with_and_without_description() -> None:
    message = decode(
        b'{"osc":{"error":[{"mates":{"tx2":{"warnings":[424,{"desc":"failed dependency"}]}}},'
        b'{"bays":{"active":[310]}},{"device":404}]}}'
    )
    assert message.errors == {
        ("mates", "tx2", "warnings"): FAILED_DEPENDENCY,
        ("bays", "active"): SUBSCRIPTION_ENDED,
        ("device",): 404,
    }


def test_repeated_osc_keys_are_merged() -> None:
    # The SpeechLine guide shows replies bundling xid and state under two "osc" keys.
    message = decode(
        b'{"osc":{"xid":1234567890},"osc":{"state":{"subscribe":[{"bays":{"active":[false,true]}}]}}}'
    )
    assert message.xid == 1234567890
    assert message.subscribe_ack
    assert message.values == {("bays", "active"): [False, True]}


def test_subscribe_ack_with_nulls_carries_no_values() -> None:
    message = decode(
        b'{"osc":{"state":{"subscribe":[{"#":{"lifetime":10},"rx1":{"name":null}},"x"]}}}'
    )
    assert message.subscribe_ack
    assert message.values == {}


def test_bool_is_not_an_error_code() -> None:
    with pytest.raises(SscDecodeError):
        decode(b'{"osc":{"error":[{"rx1":{"mute":true}}]}}')


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe garbage",
        b'{"rx1":{"name":',
        b"[1,2,3]",
        b'"just a string"',
        b'{"osc":"x"}',
        b'{"osc":{"error":["x"]}}',
        b'{"osc":{"error":[{"rx1":{"name":"oops"}}]}}',
        b"{" * 5000,
        b" " * 70000,
    ],
)
def test_garbage_raises_decode_error_only(data: bytes) -> None:
    with pytest.raises(SscDecodeError):
        decode(data)


def test_too_deep_tree_is_refused() -> None:
    deep: dict[str, object] = {"leaf": 1}
    for _ in range(30):
        deep = {"a": deep}
    with pytest.raises(SscDecodeError):
        decode(json.dumps(deep).encode())


def test_trailing_nul_and_whitespace_are_tolerated() -> None:
    assert decode(b'{"device":{"name":"X"}}\r\n\x00').values == {("device", "name"): "X"}


def test_encoders_build_address_trees() -> None:
    assert json.loads(encode_get([("rx1", "name"), ("rx1", "mute"), ("device", "name")])) == {
        "rx1": {"name": None, "mute": None},
        "device": {"name": None},
    }
    assert json.loads(encode_set({("rx1", "mute"): True})) == {"rx1": {"mute": True}}
    assert json.loads(
        encode_subscribe(
            [({"lifetime": 10}, [("rx1", "name")]), ({"max": 500}, [("m", "rx1", "af")])]
        )
    ) == {
        "osc": {
            "state": {
                "subscribe": [
                    {"#": {"lifetime": 10}, "rx1": {"name": None}},
                    {"#": {"max": 500}, "m": {"rx1": {"af": None}}},
                ]
            }
        }
    }


def test_tree_helpers_round_trip() -> None:
    items = {("a", "b"): 1, ("a", "c"): [1, 2], ("d",): None}
    assert dict(flatten(build_tree(items.items()))) == items
    assert path_text(("mates", "tx1", "battery", "gauge")) == "/mates/tx1/battery/gauge"
    assert str(SscError(424)) == "error 424"


@pytest.mark.parametrize(
    "data",
    [
        b'{"m":{"rx1":{"rssi":' + b"9" * 400 + b"}}}",
        b'{"rx1":{"name":-' + b"1" * 21 + b"}}",
        b'{"m":{"rx1":{"af":1e999}}}',
        b'{"m":{"rx1":{"af":-Infinity}}}',
        b'{"m":{"rx1":{"af":NaN}}}',
        b"[" * 60_000,
        b"{" * 2049,
        b'{"a":' * 2000 + b"1" + b"}" * 2000,
    ],
)
def test_numbers_python_cannot_hold_and_deep_nesting_are_not_ssc(data: bytes) -> None:
    with pytest.raises(SscDecodeError):
        decode(data)


def test_a_long_but_valid_integer_is_kept() -> None:
    assert decode(b'{"device":{"identity":{"serial":12345678901234567890}}}').values == {
        ("device", "identity", "serial"): 12345678901234567890
    }
