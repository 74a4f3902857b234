"""Hypothesis strategies: JSON values, and real device messages mutated a little or a lot.

Property tests of the decoders start from what the simulators really send (resource bodies,
events, frames) and change it: a value swapped for a wrong type, an out-of-range number
(huge integers, infinities, NaN), a string with control characters, a key dropped, a
container nested inside another. Inputs close to the real ones reach deep into a parser,
where purely random bytes would be refused at the first character.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

#: Strings a device might send where a name belongs: control characters included.
hostile_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300
) | st.sampled_from(["\x1b[31m", "\x00", "\x07" * 10, "A" * 400, "", " ", "\u202e"])

#: Numbers beyond what any device reports, as JSON can carry them (Python's json reads
#: ``Infinity``/``NaN`` and integers of any length).
hostile_numbers = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2**63 - 1, -(2**63), 10**300, 9.2e15, 65535, 65534, 255, -1, 0]),
)

json_leaves = st.one_of(st.none(), st.booleans(), hostile_numbers, hostile_text)

json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with one change somewhere inside it (or, now and then, anything at all)."""
    if draw(st.integers(min_value=0, max_value=7)) == 0:
        return draw(json_values)
    if isinstance(value, dict) and value:
        out = dict(value)
        key = draw(st.sampled_from(sorted(out)))
        action = draw(st.integers(min_value=0, max_value=3))
        if action == 0:
            del out[key]
        elif action == 1:
            out[key] = [out[key]]  # wrapped in a list
        else:
            out[key] = draw(mutated(out[key]))
        return out
    if isinstance(value, list) and value:
        items = list(value)
        index = draw(st.integers(min_value=0, max_value=len(items) - 1))
        items[index] = draw(mutated(items[index]))
        return items
    return draw(json_values)


@st.composite
def mutated_bytes(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` with a few bytes inserted, deleted or repeated (framing faults)."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.integers(min_value=0, max_value=2))
        if action == 0:
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif action == 1:
            del data[position : position + draw(st.integers(min_value=1, max_value=8))]
        else:
            data[position:position] = draw(st.sampled_from([b"\r", b"\n", b"\r\n", b":", b"["]))
    return bytes(data)


@st.composite
def split(draw: st.DrawFn, raw: bytes) -> list[bytes]:
    """``raw`` cut into chunks at arbitrary points (a CRLF or a UTF-8 character included)."""
    cuts = sorted(
        draw(st.lists(st.integers(min_value=0, max_value=len(raw)), max_size=6, unique=True))
    )
    bounds = [0, *cuts, len(raw)]
    return [raw[start:end] for start, end in itertools.pairwise(bounds)]
