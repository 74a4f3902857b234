"""One EW-DX battery, two protocols, one runtime rule: the value gate's.

EW-DX reports the remaining battery time as ``lifetime`` in minutes over SSCv2 (OpenAPI 1.7:
"Lifetime in minutes", no bound, no sentinel) and over SSC v1 (``/mates/txN/battery/lifetime``).
Neither parser bounds it; :class:`Limits` does, so the same number gets the same answer.
"""

from __future__ import annotations

import json

import pytest

from custom_components.micboard.plugins.sennheiser.ssc1.codec import decode
from custom_components.micboard.plugins.sennheiser.ssc1.model import EWDX, channel_values
from custom_components.micboard.plugins.sennheiser.ssc1.plugin import SennheiserSsc1Plugin
from custom_components.micboard.plugins.sennheiser.ssc2.model import new_receiver
from custom_components.micboard.plugins.sennheiser.ssc2.plugin import SennheiserSsc2Plugin
from custom_components.micboard.plugins.validate import MAX_RUNTIME_MINUTES, ValueGate

LIFETIMES = [
    (0, 0),
    (420, 420),
    (MAX_RUNTIME_MINUTES, MAX_RUNTIME_MINUTES),
    (MAX_RUNTIME_MINUTES + 1, None),  # longer than any pack lasts
    (65534, None),  # SSC v1 used to accept this; SSCv2 never did
    (65535, None),
    (-1, None),
]


def sscv2_runtime(data_line: str, gate: ValueGate) -> int | None:
    """The runtime shown after an SSE ``data:`` line, as the SSCv2 plugin applies it."""
    mapper = new_receiver({"product": "EWDX2CHS", "serial": "1"}, "10.0.0.9")[1]
    mapper.gate = gate
    mapper.apply("/api/transmitters/0", {"type": "EW_DX_SKM"})
    for path, body in json.loads(data_line.removeprefix("data:")).items():
        mapper.apply(path, body)
    transmitter = mapper.receiver.channels[1].transmitter
    assert transmitter is not None
    return transmitter.runtime_minutes


def ssc1_runtime(datagram: bytes, gate: ValueGate) -> int | None:
    """The runtime shown after an SSC v1 datagram, as the SSC v1 plugin applies it."""
    addresses = EWDX.leaves_for(1)
    leaves = {addresses[path]: value for path, value in decode(datagram).values.items()}
    values = gate.channel_values(channel_values(EWDX, 1, leaves, None))
    transmitter = values["transmitter"]
    assert transmitter is not None
    return transmitter.runtime_minutes  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize(("lifetime", "minutes"), LIFETIMES)
def test_both_protocols_give_one_answer(lifetime: int, minutes: int | None) -> None:
    gate2 = ValueGate(SennheiserSsc2Plugin.limits)
    gate1 = ValueGate(SennheiserSsc1Plugin.limits)
    line = (
        'data:{"/api/transmitters/0/battery":'
        f'{{"type":"Battery","gauge":80,"lifetime":{lifetime}}}}}'
    )
    datagram = b'{"mates":{"tx1":{"battery":{"gauge":80,"lifetime":%d}}}}' % lifetime
    assert sscv2_runtime(line, gate2) == minutes
    assert ssc1_runtime(datagram, gate1) == minutes
    refused = 0 if minutes is not None else 1
    assert (gate2.rejected, gate1.rejected) == (refused, refused)


def test_the_rule_is_the_same_for_both() -> None:
    assert SennheiserSsc1Plugin.limits.runtime_minutes == (0, MAX_RUNTIME_MINUTES)
    assert SennheiserSsc2Plugin.limits.runtime_minutes == (0, MAX_RUNTIME_MINUTES)
