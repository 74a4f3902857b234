"""Property tests of every dialect parser, fed the simulator's real messages mutated.

Whatever a message says, applying it raises nothing (the plugin's own errors aside) and only
values the family can report reach the model; the per-message path is linear in its input.
"""

from __future__ import annotations

from hypothesis import assume, given, strategies as st
import pytest

from custom_components.micboard.plugins.shure.commands.dialects import DIALECTS
from custom_components.micboard.plugins.shure.commands.framing import tokenize
from custom_components.micboard.plugins.shure.commands.transport import READ_SIZE
from tests.plugins.shure.commands.primed import (
    FAMILIES,
    assert_in_family_range,
    count_calls,
    frame,
    primed_plugin,
    real_lines,
)

pytestmark = pytest.mark.property

VALUES = st.one_of(
    st.integers(0, 10**12).map(str),
    st.integers(0, 999).map(lambda n: f"{n:03d}"),
    st.sampled_from(["255", "65533", "65534", "65535", "UNKN", "U", "XX", "", "5", "0"]),
    st.from_regex(r"\A[0-9]{1,8}\.[0-9]{1,4}\Z"),
    st.text(max_size=300),
    st.sampled_from(["\x1b[31mRed", "\x00\x07", "x" * 400, "AXBR", "BBBB", "ON", "OFF"]),
)


def mutate_tokens(draw: st.DrawFn, tokens: list[str]) -> list[str]:
    """Values replaced by numbers of any size, words, dotted forms; fields added or removed."""
    tokens = list(tokens)
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["replace", "append", "drop"]))
        if kind == "replace" and len(tokens) > 1:
            tokens[draw(st.integers(1, len(tokens) - 1))] = draw(VALUES)
        elif kind == "append":
            tokens.append(draw(VALUES))
        elif kind == "drop" and len(tokens) > 2:
            del tokens[draw(st.integers(2, len(tokens) - 1))]
    return tokens


@given(st.sampled_from(FAMILIES), st.booleans(), st.booleans(), st.data())
def test_mutated_messages_never_raise_and_only_reach_the_model_in_range(
    family: str, quadversity: bool, tx_on: bool, data: st.DataObject
) -> None:
    plugin = primed_plugin(family)
    lines = real_lines(family, tx_on=tx_on, quadversity=quadversity)
    for _ in range(data.draw(st.integers(1, 20))):
        tokens = tokenize(data.draw(st.sampled_from(lines)))
        plugin._apply_message(mutate_tokens(data.draw, tokens))
    assert_in_family_range(plugin)


@given(st.sampled_from(FAMILIES), st.data())
def test_sample_parsers_never_raise(family: str, data: st.DataObject) -> None:
    sample = DIALECTS[family].sample
    assume(sample is not None)
    assert sample is not None
    samples = [line for line in real_lines(family) if line.startswith("SAMPLE")]
    sample(mutate_tokens(data.draw, tokenize(data.draw(st.sampled_from(samples)))), {})


@given(st.sampled_from(FAMILIES), st.data())
def test_a_snapshot_of_mutated_values_is_in_range(family: str, data: st.DataObject) -> None:
    plugin = primed_plugin(family)
    for line in real_lines(family):
        tokens = tokenize(line)
        plugin._apply_message(
            mutate_tokens(data.draw, tokens) if data.draw(st.booleans()) else tokens
        )
    assert plugin.identity is not None
    plugin._build_model(plugin.identity)
    assert_in_family_range(plugin)


def test_the_message_path_is_linear() -> None:
    """Framing, tokenizing and applying: call counts on doubling real and hostile traffic."""
    real = b"".join(frame("ad", line) for line in real_lines("ad"))
    for stream in (real, b"<>" * 1000, b"< REP 1 CHAN_NAME {" * 100, b">" * 5000):

        def run(copies: int, stream: bytes = stream) -> None:
            plugin = primed_plugin("ad")
            data = stream * copies
            for start in range(0, len(data), READ_SIZE):
                for body in plugin._angle.feed(data[start : start + READ_SIZE]):
                    if tokens := tokenize(body):
                        plugin._apply_message(tokens)

        base = count_calls(lambda run=run: run(0))
        once = count_calls(lambda run=run: run(8)) - base
        twice = count_calls(lambda run=run: run(16)) - base
        assert twice <= 2.1 * once + 64, (stream[:20], once, twice)
