"""Device JSON decoded so that no input escapes as anything but the plugin's own error."""

from __future__ import annotations

import pytest

from custom_components.micboard.plugins.errors import ProtocolError
from custom_components.micboard.plugins.health import ConnectionHealth
from custom_components.micboard.plugins.net.http import INVALID, parse_json
from custom_components.micboard.plugins.net.jsondata import (
    MAX_DEPTH,
    MalformedJson,
    decode_json,
)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 200_000, "nested too deeply"),
        ("{" * 200_000, "not JSON|nested too deeply"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), f"deeper than {MAX_DEPTH}"),
        (b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), "deeper"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"a": 1', "not JSON"),
        (b"1" * 5000, "not JSON"),  # beyond Python's int digit limit: a ValueError inside
        (b"", "not JSON"),
    ],
)
def test_hostile_json_is_one_plugin_error(raw: bytes | str, reason: str) -> None:
    with pytest.raises(MalformedJson, match=reason) as caught:
        decode_json(raw)
    assert isinstance(caught.value, ProtocolError)


def test_the_size_bound_is_checked_before_parsing() -> None:
    with pytest.raises(MalformedJson, match="more than 10"):
        decode_json(b"[" + b"1," * 10 + b"1]", limit=10)


def test_nesting_up_to_the_bound_is_kept() -> None:
    value = decode_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    assert depth == MAX_DEPTH
    # Many brackets side by side are not depth.
    assert decode_json("[" + ",".join(["[]"] * 1000) + "]") == [[]] * 1000
    assert decode_json('{"a": "' + "[" * 40 + '"}') == {"a": "[" * 40}


def test_parse_json_counts_what_it_refuses() -> None:
    health = ConnectionHealth()
    assert parse_json(b"[" * 100_000, health, "10.0.0.5 /api/x") is INVALID
    assert parse_json(b"  ", health) is None
    assert parse_json(b'{"ok": true}', health) == {"ok": True}
    assert health.messages_rejected == 1
