"""MCP lines under generated and mutated datagrams (property tests).

Inputs start from what the simulator sends (cyclic blocks, configuration lines, echoes and
error lines of an EM receiver), mutated at the byte and the token level. Properties: nothing
escapes but :class:`McpDecodeError`; the model stays within the family's limits; splitting
and parsing are linear in their input.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.micboard.plugins.plugin import BackgroundTasks
from custom_components.micboard.plugins.sennheiser.mcp import McpOptions
from custom_components.micboard.plugins.sennheiser.mcp.codec import (
    McpDecodeError,
    McpLine,
    McpState,
    parse_line,
    split_datagram,
)
from custom_components.micboard.plugins.sennheiser.mcp.plugin import SennheiserMcpPlugin
from simulators.sennheiser.mcp import McpSimulator
from tests.support.model_checks import assert_sane
from tests.support.operations import assert_linear, executed_lines

CLIENT = ("127.0.0.1", 53212)


def _corpus() -> list[bytes]:
    sent: list[bytes] = []
    sim = McpSimulator()
    sim._send_datagram = lambda payload, _target: sent.append(payload)  # type: ignore[method-assign]
    for command in (
        "FirmwareRevision",
        "Name",
        "Frequency",
        "Mute",
        "Push 0 100 1",
        "Push 0 450 1",
        "Push 5",
        "Squelch",
        "Name NEW",
        "Mute 1",
    ):
        sim.handle(command.encode() + b"\r", CLIENT)
    sim.handle(b"Name", CLIENT)  # no terminator: 1050
    for change in (sim.tx_off, sim.tx_on_again, lambda: sim.set_battery(30), sim.rf_fade):
        change()
        sim.handle(b"Push 0 100 0\r", CLIENT)
    return sent


CORPUS = _corpus()
TOKENS = ["9" * 1400, "-1", "?", "x", "", "1000:", "[", "]", "\x1b", "  ", "56", "999999999"]


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(b"".join(draw(st.lists(st.sampled_from(CORPUS), min_size=1, max_size=4))))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "token"]))
        pos = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == "cut":
            data = data[:pos]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(max_size=12))
        else:
            data[pos:pos] = (" " + draw(st.sampled_from(TOKENS)) + " ").encode("latin-1")
    return bytes(data)


class _Unstarted(BackgroundTasks):
    """No event loop here: the re-read a Config change starts is dropped unstarted."""

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        coro.close()


def _ready() -> SennheiserMcpPlugin:
    plugin = SennheiserMcpPlugin(McpOptions(host="127.0.0.1"))
    plugin._tasks = _Unstarted()
    for line in split_datagram(b"".join(CORPUS[:4])):
        parsed = parse_line(line)
        if isinstance(parsed, McpLine):
            plugin.state.apply(parsed)
    plugin.store_snapshot([plugin.transform_device_data(plugin._raw())])
    return plugin


@pytest.mark.property
@given(st.one_of(mutations(), st.binary(max_size=400)))
def test_lines_parse_or_are_refused_and_state_stays_usable(data: bytes) -> None:
    state = McpState()
    try:
        lines = split_datagram(data)
    except McpDecodeError:
        return
    for text in lines:
        try:
            parsed = parse_line(text)
            if isinstance(parsed, McpLine):
                state.apply(parsed)
        except McpDecodeError:
            continue
    for value in (state.frequency_khz, state.bat, state.config):
        assert value is None or 0 <= value < 10**9


@pytest.mark.property
@given(st.lists(st.one_of(mutations(), st.binary(max_size=200)), min_size=1, max_size=8))
def test_whatever_arrives_the_model_stays_within_the_family_limits(
    datagrams: list[bytes],
) -> None:
    plugin = _ready()
    for data in datagrams:
        plugin._datagram_received(data)  # never raises
    receiver = plugin.receivers[plugin.receiver_id]
    assert_sane(receiver, plugin.limits)
    plugin._datagram_received(b"Name AFTER\r")
    assert receiver.channels[1].name == "AFTER"


@pytest.mark.property
@given(st.sampled_from(CORPUS))
def test_splitting_and_parsing_are_linear(datagram: bytes) -> None:
    def work(copies: int) -> int:
        def run() -> None:
            for text in split_datagram((datagram * copies)[:12_000]):
                parse_line(text)

        return executed_lines(run)

    assert_linear(work, 4)


@pytest.mark.property
@given(st.sampled_from([" ", "x", " [", "] ", "1"]))
def test_error_lines_are_linear_whatever_they_hold(filler: str) -> None:
    """The hand-written error-line parser walks a line once, whatever it holds."""
    assert_linear(lambda n: executed_lines(parse_line, "1000:" + filler * n + " [ x"), 100)
