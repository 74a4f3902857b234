"""Identification from probe replies: family, model, channel count, device id."""

from __future__ import annotations

import pytest

from custom_components.micboard.plugins.errors import UnsupportedDevice
from custom_components.micboard.plugins.shure.commands.dialects import (
    AD,
    PSM1000,
    QLXD,
    SLXD,
    UHFR,
    ULXD,
)
from custom_components.micboard.plugins.shure.commands.identify import (
    Identity,
    NotShureReceiver,
    ProbeReplies,
    decide,
    encode_probe,
    is_host_derived,
)


def replies(*lines: str) -> ProbeReplies:
    collected = ProbeReplies()
    for line in lines:
        collected.add(line.split() if "{" not in line else _braced(line))
    return collected


def _braced(line: str) -> list[str]:
    head, _, rest = line.partition("{")
    return [*head.split(), rest.rstrip("}").strip()]


def test_ulxd_without_model_answer() -> None:
    identity = decide(
        replies(
            "REP DEVICE_ID {RACK-1  }",
            "REP FW_VER {2.7.6.0           }",
            "REP ERR",  # MODEL is not a ULX-D parameter
            "REP 1 TX_TYPE UNKN",
            "REP 1 RF_INT_DET NONE",
            "REP 1 CHAN_NAME {Vox 1   }",
            "REP 2 CHAN_NAME {Vox 2   }",
            "REP ERR",
            "REP ERR",
        ),
        "10.0.0.2",
        "tcp",
    )
    assert identity.dialect is ULXD
    assert identity.model == "ULXD4D"
    assert identity.channels == (1, 2)
    assert identity.device_id == "RACK-1"
    assert identity.firmware == "2.7.6.0"
    assert identity.unique_id == "shure-RACK-1"
    assert identity.name == "RACK-1"


def test_ulxd_three_answers_round_up_to_quad() -> None:
    identity = decide(
        replies(
            "REP 1 TX_TYPE ULXD2",
            *(f"REP {n} CHAN_NAME {{Ch {n}}}" for n in (1, 2, 3)),
        ),
        "h",
        "tcp",
    )
    assert identity.dialect is ULXD
    assert identity.channels == (1, 2, 3, 4)


def test_qlxd_is_told_from_ulxd() -> None:
    identity = decide(
        replies("REP DEVICE_ID {QLX}", "REP 1 TX_TYPE UNKN", "REP 1 CHAN_NAME {Solo}"),
        "h",
        "tcp",
    )
    assert identity.dialect is QLXD
    assert identity.model == "QLXD4"
    by_type = decide(
        replies("REP 1 TX_TYPE QLXD2", "REP 1 AUDIO_MUTE OFF", "REP 1 CHAN_NAME {x}"), "h", "tcp"
    )
    assert by_type.dialect is QLXD  # the transmitter type settles it
    by_ulx_type = decide(replies("REP 1 TX_TYPE ULXD1", "REP 1 CHAN_NAME {x}"), "h", "tcp")
    assert by_ulx_type.dialect is ULXD


def test_model_answer_decides() -> None:
    ad = decide(
        replies("REP MODEL {AD4Q-A                          }", "REP DEVICE_ID {AXIENT 1}"),
        "h",
        "tcp",
    )
    assert ad.dialect is AD
    assert ad.channels == (1, 2, 3, 4)
    assert ad.unique_id == "shure-AXIENT_1"  # whitespace is not kept in ids
    slx = decide(replies("REP MODEL {SLXD4D}", "REP 1 CHAN_NAME {a}"), "h", "tcp")
    assert slx.dialect is SLXD
    assert slx.channels == (1, 2)


def test_psm1000_answers_with_report() -> None:
    identity = decide(
        replies(
            "REPORT DEVICE_NAME MONITORS",
            "REPORT 1 CHAN_NAME IEM 1",
            "REPORT 2 CHAN_NAME IEM 2",
            "REPORT 1 AUDIO_IN_LVL_L 00000123456",
        ),
        "h",
        "tcp",
    )
    assert identity.dialect is PSM1000
    assert identity.model == "P10T"
    assert identity.channels == (1, 2)
    assert identity.device_id == "MONITORS"


def test_uhfr_over_udp() -> None:
    identity = decide(
        replies("REPORT MODEL_NAME UR4D", "REPORT 1 CHAN_NAME Vox1"), "10.0.0.7", "udp"
    )
    assert identity.dialect is UHFR
    assert identity.channels == (1, 2)
    assert identity.device_id is None
    assert identity.unique_id == "shure-UR4D@10.0.0.7"
    assert is_host_derived(identity.unique_id)
    assert identity.name == "UR4D 10.0.0.7"
    no_model = decide(replies("REPORT 1 CHAN_NAME Vox1"), "h", "udp")
    assert no_model.model == "UR4S"


@pytest.mark.parametrize(
    ("lines", "transport"),
    [
        (("REP MODEL {MXA910-A}", "REP DEVICE_ID {Ceiling}"), "tcp"),  # other Shure gear
        (("REP DEVICE_ID {ANI4IN}", "REP 1 CHAN_NAME {In 1}"), "tcp"),  # no TX_TYPE: no receiver
        (("REP MODEL {UR4D}",), "tcp"),  # UHF-R only speaks UDP
        (("REPORT MODEL_NAME ULXD4",), "udp"),
        (("REP ERR", "REP ERR"), "tcp"),
        (("REP 1 TX_TYPE UNKN",), "tcp"),  # a receiver, but no channel answered
    ],
)
def test_unsupported(lines: tuple[str, ...], transport: str) -> None:
    with pytest.raises(UnsupportedDevice):
        decide(replies(*lines), "h", transport)


def test_not_shure() -> None:
    with pytest.raises(NotShureReceiver):
        decide(replies("HTTP/1.1 400 Bad Request"), "h", "tcp")
    with pytest.raises(NotShureReceiver):
        decide(ProbeReplies(), "h", "tcp")


def test_replies_tolerate_anything() -> None:
    collected = replies("REP", "REP 1", "SAMPLE 1 ALL AX 090 040", "REP 1 ERR")
    collected.add([])
    assert collected.messages == 5
    assert collected.errors == 1
    assert collected.speaks_shure


def test_encode_probe() -> None:
    assert encode_probe(("GET MODEL", "GET 1 CHAN_NAME"), "tcp") == (
        b"< GET MODEL >\r\n< GET 1 CHAN_NAME >\r\n"
    )
    assert encode_probe(("GET MODEL_NAME",), "udp") == b"* GET MODEL_NAME *"


def test_identity_is_a_value() -> None:
    one = Identity(ULXD, "ULXD4", (1,), "A", None, "h")
    assert one == Identity(ULXD, "ULXD4", (1,), "A", None, "h")
