"""Property tests of the shared decoders: SSE framing and device JSON.

Inputs are the SSCv2 simulator's real stream (open event, initial push, change events),
mutated and cut at arbitrary points, plus generated hostile streams. Properties: nothing
escapes but the plugin's own error; memory stays bounded; the SSE decoder looks at each
character a bounded number of times (counted, never timed), so doubling the input at most
doubles the work.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.micboard.plugins.net import sse
from custom_components.micboard.plugins.net.jsondata import (
    MAX_DEPTH,
    MalformedJson,
    decode_json,
)
from custom_components.micboard.plugins.net.sse import SSEDecoder, slices
from simulators.sennheiser.ssc2 import _event
from simulators.sennheiser.ssc2_state import DeviceState
from tests.support.json_mutations import json_values, mutated, mutated_bytes, split


def _real_stream() -> bytes:
    """What the simulator writes on a new stream: open, the initial push, a change."""
    state = DeviceState.create(2, "1234567890")
    paths = [
        "/api/device/site",
        "/api/channel/0",
        "/api/channel/0/warnings",
        "/api/rf/channels/0",
        "/api/channel/0/level",
        "/api/channel/1/signalStrengthIndicator",
    ]
    opened = _event(
        {"path": "/api/ssc/state/subscriptions/u", "sessionUUID": "u"}, name="open", space=True
    )
    push = _event({path: state.get(path) for path in paths})
    change = _event({"/api/channel/0/level": {"value": -12.5}}).replace(b"\n", b"\r\n")
    return opened + push + change


REAL_STREAM = _real_stream()


class ScanCounter:
    """Wraps the decoder's patterns and counts the characters each search looks at."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.scanned = 0
        real_end, real_blank = sse._LINE_END, sse._BLANK_RUN
        counter = self

        class LineEnd:
            def search(self, text: str, pos: int) -> Any:
                found = real_end.search(text, pos)
                counter.scanned += (found.end() if found else len(text)) - pos
                return found

        class BlankRun:
            def match(self, text: str, pos: int) -> Any:
                found = real_blank.match(text, pos)
                counter.scanned += (found.end() - pos) if found else 1
                return found

        monkeypatch.setattr(sse, "_LINE_END", LineEnd())
        monkeypatch.setattr(sse, "_BLANK_RUN", BlankRun())


def _decode(stream: bytes) -> list[sse.ServerSentEvent]:
    decoder = SSEDecoder(max_line=4096, max_event=8192)
    events = []
    for piece in slices(stream, 1000):
        events.extend(decoder.feed(piece))
        assert decoder._size <= decoder.max_line
        assert sum(len(line) + 1 for line in decoder._data) <= decoder.max_event
    return events


@pytest.mark.property
@given(st.data())
def test_sse_never_raises_on_mutated_real_streams(data: st.DataObject) -> None:
    stream = data.draw(mutated_bytes(REAL_STREAM))
    decoder = SSEDecoder(max_line=4096, max_event=8192)
    for chunk in data.draw(split(stream)):
        for event in decoder.feed(chunk):
            assert isinstance(event.data, str)
            assert isinstance(event.event, str)


@pytest.mark.property
@given(st.data())
def test_sse_chunking_never_changes_the_events(data: st.DataObject) -> None:
    stream = data.draw(mutated_bytes(REAL_STREAM))
    whole = SSEDecoder().feed(stream)
    decoder = SSEDecoder()
    pieces = [event for chunk in data.draw(split(stream)) for event in decoder.feed(chunk)]
    assert pieces == whole


#: Units a hostile device repeats: bare line ends of every kind, tiny lines, comments.
HOSTILE_UNITS = st.sampled_from(
    [b"\n", b"\r", b"\r\n", b"\n\r", b"a\n", b"data:x\n", b":\r", b"data:", b"x", b"\r\r\n"]
)


@pytest.mark.property
@given(units=st.lists(HOSTILE_UNITS, min_size=1, max_size=4), size=st.integers(50, 600))
def test_sse_work_is_linear_in_its_input(units: list[bytes], size: int) -> None:
    pattern = b"".join(units)
    with pytest.MonkeyPatch.context() as patch:
        counter = ScanCounter(patch)
        _decode(pattern * size)
        once = counter.scanned
        counter.scanned = 0
        _decode(pattern * (2 * size))
        twice = counter.scanned
    # Every character is looked at a bounded number of times...
    assert twice <= 2 * len(pattern) * 2 * size + 2 * size
    # ...so doubling the input at most doubles the work (plus the slices' edges).
    assert twice <= 2 * once + 2 * len(pattern) + 4 * size // 1000 + 8


def test_a_megabyte_of_bare_line_ends_is_scanned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for unit in (b"\n", b"\r", b"\r\n"):
        counter = ScanCounter(monkeypatch)
        stream = unit * (1024 * 1024 // len(unit))
        assert _decode(stream) == []
        assert counter.scanned <= len(stream) + len(stream) // 1000 + 1


@pytest.mark.property
@given(st.one_of(st.binary(max_size=2000), st.data()))
def test_decode_json_raises_only_its_own_error(raw: bytes | st.DataObject) -> None:
    if isinstance(raw, st.DataObject):
        text = json.dumps(raw.draw(mutated(json.loads(REAL_STREAM.split(b"data:")[2]))))
        raw = raw.draw(mutated_bytes(text.encode()))
    try:
        value = decode_json(raw, limit=4000)
    except MalformedJson:
        return  # the one error it may raise
    assert not isinstance(value, bytes)


@pytest.mark.property
@given(json_values, st.integers(min_value=0, max_value=80))
def test_decode_json_keeps_what_is_shallow_and_refuses_what_is_deep(value: Any, extra: int) -> None:
    text = "[" * extra + json.dumps(value) + "]" * extra
    try:
        decoded = decode_json(text)
    except MalformedJson:
        assert extra >= MAX_DEPTH - 3  # only deep nesting is refused (values are shallow)
        return
    depth = 0
    while isinstance(decoded, list) and depth < extra:
        decoded = decoded[0]
        depth += 1
    assert depth == extra
