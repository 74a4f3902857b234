"""Property tests of the framers, fed the simulator's real messages mutated, and hostile streams.

Whatever bytes a device sends, the framer and the parsers raise nothing, keep their buffers
bounded, and let into the model only values the family can report. Linearity is checked by
counting function calls (Python and C) on doubling input, never by wall time: with the
buffer capped and reads bounded, each call works on a bounded slice, so a linear call count
means linear work.
"""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.micboard.plugins.health import ConnectionHealth
from custom_components.micboard.plugins.shure.commands.framing import (
    MAX_MESSAGE_BYTES,
    AngleFramer,
    BadInput,
    StarFramer,
    tokenize,
)
from custom_components.micboard.plugins.shure.commands.transport import READ_SIZE
from tests.plugins.shure.commands.primed import FAMILIES, count_calls, frame, real_lines

pytestmark = pytest.mark.property

#: What noise a device (or something else at its address) could plausibly send.
NOISE = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"<", b">", b"<>", b"<<", b">>", b"{", b"}", b"*", b"\r\n", b"\x00", b"\x1b"]),
    st.text(alphabet="<>{}* 0123456789ABX.-", max_size=30).map(lambda t: t.encode("latin-1")),
)


@st.composite
def mutated_stream(draw: st.DrawFn, family: str) -> bytes:
    """The device's real output, with bytes inserted, deleted, replaced and messages dropped."""
    lines = real_lines(family, tx_on=draw(st.booleans()))
    frames = [frame(family, line) for line in lines]
    chosen = draw(st.lists(st.sampled_from(frames), min_size=1, max_size=40))
    data = bytearray(b"".join(chosen))
    for _ in range(draw(st.integers(0, 10))):
        position = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        if kind == "insert":
            data[position:position] = draw(NOISE)
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 20))]
        elif position < len(data):
            data[position] = draw(st.integers(0, 255))
    return bytes(data)


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    pieces, last = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[last:point])
        last = point
    return pieces


# -- framing ---------------------------------------------------------------------------------


@given(st.sampled_from(FAMILIES), st.data())
def test_real_output_frames_back_exactly_however_it_is_split(
    family: str, data: st.DataObject
) -> None:
    lines = real_lines(family)
    stream = b"".join(frame(family, line) for line in lines)
    bad = BadInput("prop")
    if family == "uhfr":
        out = [body for line in lines for body in StarFramer(bad).feed(frame(family, line))]
    else:
        angle = AngleFramer(bad)
        out = []
        for piece in chunks(stream, data.draw(st.lists(st.integers(0, 10**6), max_size=30))):
            out += angle.feed(piece)
    assert [" ".join(tokenize(body)) for body in out] == [
        " ".join(tokenize(f" {line} ")) for line in lines
    ]
    assert bad.count == 0


@given(st.sampled_from(FAMILIES), st.data())
def test_mutated_output_never_raises_and_stays_bounded(family: str, data: st.DataObject) -> None:
    stream = data.draw(mutated_stream(family))
    health = ConnectionHealth()
    bad = BadInput("prop", health)
    angle, star = AngleFramer(bad), StarFramer(bad)
    for piece in chunks(stream, data.draw(st.lists(st.integers(0, 10**6), max_size=10))):
        bodies = star.feed(piece) if family == "uhfr" else angle.feed(piece)
        assert angle.buffered <= MAX_MESSAGE_BYTES
        for body in bodies:
            assert len(body) <= MAX_MESSAGE_BYTES
            assert "<" not in body if family != "uhfr" else "*" not in body
            tokenize(body)
    assert health.messages_rejected == bad.count


def feed_all(angle: AngleFramer, data: bytes) -> None:
    """Feed ``data`` as the transport hands it over: reads of at most READ_SIZE bytes."""
    for start in range(0, len(data), READ_SIZE):
        angle.feed(data[start : start + READ_SIZE])
        assert angle.buffered <= MAX_MESSAGE_BYTES


#: Hostile patterns: every quadratic trap a "<"/">" framer has (rescans, stubs, no delimiter).
HOSTILE = st.one_of(
    st.sampled_from([b"<", b">", b"<>", b"><", b"<<>", b"< x", b"x>", b"\n", b"{", b"< REP 1 "]),
    st.binary(min_size=1, max_size=16),
)


@given(HOSTILE)
def test_framing_work_is_linear_in_the_input(unit: bytes) -> None:
    size = 4 * READ_SIZE
    small = (unit * (size // len(unit) + 1))[:size]
    large = (unit * (2 * size // len(unit) + 1))[: 2 * size]
    once = count_calls(lambda: feed_all(AngleFramer(BadInput("lin")), small))
    twice = count_calls(lambda: feed_all(AngleFramer(BadInput("lin")), large))
    assert twice <= 2 * once + 64, (unit, once, twice)


def test_a_hostile_read_is_few_calls_whatever_its_bytes() -> None:
    """Noise without messages costs a handful of calls per read, not one per byte."""
    for unit in (b">", b"<", b"x>", b"\n", b"<<"):
        calls = count_calls(lambda unit=unit: AngleFramer(BadInput("x")).feed(unit * READ_SIZE))
        assert calls < 40, (unit, calls)
