"""Audio-Technica lines and streams under generated and mutated input (property tests).

Inputs start from what the simulator answers (every command of both dialects, NAKs,
notifications, its garbage), mutated at the byte and the token level and cut into arbitrary
TCP chunks. Properties: the parser and the stream framing never raise; the model stays
within the family's limits; framing and parsing are linear in their input.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

from hypothesis import given, strategies as st
import pytest

from custom_components.micboard.plugins.audio_technica import (
    AudioTechnicaOptions,
    AudioTechnicaPlugin,
    values,
)
from custom_components.micboard.plugins.audio_technica.protocol import (
    Answer,
    build_command,
    parse_line,
)
from custom_components.micboard.plugins.audio_technica.session import Session, _LineProtocol
from simulators.audio_technica import _GARBAGE, DIALECTS, AudioTechnicaSimulator
from tests.support.model_checks import assert_sane
from tests.support.operations import assert_linear, executed_lines


def _corpus() -> list[bytes]:
    lines: list[bytes] = list(_GARBAGE)
    for model in DIALECTS:
        sim = AudioTechnicaSimulator(model=model, channels=2)
        sim.channel(2).tx_on = False
        for command in (*values.DEVICE_COMMANDS, *values.CHANNEL_COMMANDS):
            for channel in (1, 2, 9):
                params = () if command in values.DEVICE_COMMANDS else (channel,)
                request = build_command(command, *params).decode().rstrip("\r")
                reply = sim._reply(request)
                if reply is not None:
                    lines.append(reply.encode() + b"\r")
                    if not reply.startswith("NAK"):
                        lines.append(b"n" + reply.encode()[1:] + b"\r")
    return lines


CORPUS = _corpus()
TOKENS = [b"9" * 900, b"-1", b",", b'"', b"NC", b"NAK", b"\x1b", b"  ", b"999", b"-200", b"1,"]


@st.composite
def stream(draw: st.DrawFn) -> bytes:
    data = bytearray(b"".join(draw(st.lists(st.sampled_from(CORPUS), min_size=1, max_size=6))))
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "token"]))
        pos = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[pos : pos + draw(st.integers(0, 20))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(max_size=12))
        else:
            data[pos:pos] = draw(st.sampled_from(TOKENS))
    return bytes(data)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in pairwise(points)]


class _Loopless(_LineProtocol):
    """The framing without a transport or loop: every queued line handled at once."""

    def _work(self) -> None:
        while self._queue:
            self._session.line_received(self._queue.popleft())


def _session(notified: list[Answer], rejected: list[str]) -> Session:
    return Session(
        "127.0.0.1",
        17200,
        on_notification=notified.append,
        on_rejected=lambda _reason, line: rejected.append(line),
    )


@pytest.mark.property
@given(st.one_of(stream(), st.binary(max_size=400)))
def test_every_line_parses_or_is_none(data: bytes) -> None:
    for raw in data.split(b"\r"):
        message = parse_line(raw.decode("ascii", errors="replace"))
        if isinstance(message, Answer):
            values.channel_values({message.get_command: message.params[1:]})


@pytest.mark.property
@given(stream(), st.lists(st.integers(min_value=0), max_size=8))
def test_framing_never_raises_and_hands_over_every_short_line(data: bytes, cuts: list[int]) -> None:
    notified: list[Answer] = []
    rejected: list[str] = []
    session = _session(notified, rejected)
    protocol = _Loopless(session)
    for chunk in _chunks(data, cuts):
        protocol.data_received(chunk)
    complete = [line for line in data.split(b"\r")[:-1] if line]
    short = [line for line in complete if len(line) <= 1024]
    # Every complete line up to the limit reached the session, however the bytes were cut;
    # an overlong one is dropped (whole, or as soon as it passes the limit).
    assert len(short) <= session.lines <= len(complete)
    assert len(rejected) >= len(
        [
            line
            for line in short
            if parse_line(line.decode("ascii", errors="replace").strip("\r\n\x00 ")) is None
            and line.strip(b"\n\x00 ")
        ]
    )


@pytest.mark.property
@given(st.lists(stream(), min_size=1, max_size=6))
def test_whatever_arrives_the_model_stays_within_limits(streams: list[bytes]) -> None:
    async def run() -> None:
        plugin = AudioTechnicaPlugin(AudioTechnicaOptions(host="127.0.0.1"))
        plugin._info = {"model": "ESW-R4180DAN", "name": "RACK-A", "firmware": "1"}
        plugin._channel_count = 2
        plugin._confirmed = True
        plugin._receiver_id = plugin.stable_id
        plugin.store_snapshot([plugin.transform_device_data(plugin._raw())])
        session = Session("127.0.0.1", 17200, on_notification=plugin._handle_notification)
        protocol = _Loopless(session)
        for data in streams:
            protocol.data_received(data)
            for raw in data.split(b"\r"):  # the same lines as answers to polls
                message = parse_line(raw.decode("ascii", errors="replace"))
                if isinstance(message, Answer) and message.params:
                    channel = message.params[0]
                    if channel in {"1", "2"}:
                        plugin._store(int(channel), message.get_command, message.params[1:])
        receiver = plugin.receivers[plugin._receiver_id]
        assert_sane(receiver, plugin.limits)

    asyncio.run(run())


@pytest.mark.property
@given(st.sampled_from(CORPUS), st.sampled_from([1, 7, 64, 1000]))
def test_framing_is_linear_in_the_stream(line: bytes, chunk: int) -> None:
    def work(copies: int) -> int:
        def run() -> None:
            protocol = _Loopless(_session([], []))
            data = line * copies
            for start in range(0, len(data), chunk):
                protocol.data_received(data[start : start + chunk])

        return executed_lines(run)

    assert_linear(work, 8)
