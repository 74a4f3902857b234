"""Framing and tokenizing: coalesced, split, garbage, oversized input never raises."""

from __future__ import annotations

import logging
import random

import pytest

from custom_components.micboard.plugins.shure.commands.framing import (
    BAD_INPUT_LOG_LIMIT,
    MAX_MESSAGE_BYTES,
    AngleFramer,
    BadInput,
    StarFramer,
    tokenize,
)

STREAM = (
    b"< REP 1 CHAN_NAME {Lead Vox                       } >"
    b"< REP 1 BATT_BARS 004 >< SAMPLE 1 ALL AX 090 040 >"
    b"< REP DEVICE_ID {RACK-1  } >< REP ERR >"
)
MESSAGES = [
    " REP 1 CHAN_NAME {Lead Vox                       } ",
    " REP 1 BATT_BARS 004 ",
    " SAMPLE 1 ALL AX 090 040 ",
    " REP DEVICE_ID {RACK-1  } ",
    " REP ERR ",
]


def framer() -> tuple[AngleFramer, BadInput]:
    bad = BadInput("test")
    return AngleFramer(bad), bad


def test_coalesced_messages_in_one_read() -> None:
    angle, bad = framer()
    assert angle.feed(STREAM) == MESSAGES
    assert bad.count == 0


@pytest.mark.parametrize("seed", range(5))
def test_any_split_gives_the_same_messages(seed: int) -> None:
    rng = random.Random(seed)
    angle, bad = framer()
    out: list[str] = []
    data = STREAM
    while data:
        size = rng.randint(1, 7)
        out += angle.feed(data[:size])
        data = data[size:]
    assert out == MESSAGES
    assert bad.count == 0


def test_byte_by_byte() -> None:
    angle, _ = framer()
    out: list[str] = []
    for byte in STREAM:
        out += angle.feed(bytes([byte]))
    assert out == MESSAGES


def test_garbage_between_and_around_is_dropped_and_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard.plugins")
    angle, bad = framer()
    data = b"\x00\xffjunk< REP 1 BATT_BARS 003 >noise> more< REP 2 BATT_BARS 001 >\r\n  "
    assert angle.feed(data) == [" REP 1 BATT_BARS 003 ", " REP 2 BATT_BARS 001 "]
    assert bad.count == 3  # "junk", "noise>" and " more"
    assert "junk" in caplog.text
    assert "noise" in caplog.text


def test_truncated_message_followed_by_a_new_one_keeps_the_new_one() -> None:
    angle, bad = framer()
    assert angle.feed(b"< REP 1 CHAN_NA< REP 1 BATT_BARS 002 >") == [" REP 1 BATT_BARS 002 "]
    assert bad.count == 1


def test_stray_close_without_open() -> None:
    angle, bad = framer()
    assert angle.feed(b"REP 1 X > < REP 1 BATT_BARS 002 >") == [" REP 1 BATT_BARS 002 "]
    assert bad.count == 1


def test_oversized_message_is_dropped() -> None:
    angle, bad = framer()
    huge = b"< REP 1 CHAN_NAME {" + b"x" * (MAX_MESSAGE_BYTES * 2) + b"} >"
    assert angle.feed(huge + b"< REP 1 BATT_BARS 005 >") == [" REP 1 BATT_BARS 005 "]
    assert bad.count == 1


def test_never_terminated_input_keeps_the_buffer_bounded() -> None:
    angle, bad = framer()
    for _ in range(100):
        assert angle.feed(b"<" + b"y" * 100) == []
    assert len(angle._buffer) <= MAX_MESSAGE_BYTES
    assert bad.count > 0
    assert angle.feed(b"< REP 1 BATT_BARS 001 >") == [" REP 1 BATT_BARS 001 "]


def test_an_open_message_that_grows_too_long_is_dropped() -> None:
    angle, bad = framer()
    assert angle.feed(b"< REP 1 CHAN_NAME {") == []
    for _ in range(MAX_MESSAGE_BYTES // 100 + 1):
        angle.feed(b"z" * 100)
    assert angle._buffer == b""
    assert bad.count >= 1  # the oversized start, then the rest of it as stray text


def test_garbage_without_any_bracket_is_not_kept() -> None:
    angle, bad = framer()
    assert angle.feed(b"just some text") == []
    assert angle._buffer == b""
    assert bad.count == 1


def test_reset_forgets_a_partial_message() -> None:
    angle, _ = framer()
    angle.feed(b"< REP 1 BATT")
    angle.reset()
    assert angle.feed(b"_BARS 004 >") == []


def test_bad_input_log_goes_quiet_after_the_limit(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard.plugins")
    bad = BadInput("10.0.0.9")
    for index in range(BAD_INPUT_LOG_LIMIT + 10):
        bad.report("noise", f"fragment-{index}")
    dropped = [r for r in caplog.records if "Dropped" in r.getMessage()]
    assert len(dropped) == BAD_INPUT_LOG_LIMIT - 1
    assert sum("not logging" in r.getMessage() for r in caplog.records) == 1
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


def test_star_framer_datagrams() -> None:
    bad = BadInput("uhfr")
    star = StarFramer(bad)
    assert star.feed(b"* REPORT 1 CHAN_NAME Vox 1 *") == [" REPORT 1 CHAN_NAME Vox 1 "]
    assert star.feed(b"* REPORT 1 TX_BAT 4 * * REPORT 2 TX_BAT U *") == [
        " REPORT 1 TX_BAT 4 ",
        " REPORT 2 TX_BAT U ",
    ]
    assert bad.count == 0
    assert star.feed(b"junk * REPORT 1 TX_BAT 3 * tail * REPORT 2") == [" REPORT 1 TX_BAT 3 "]
    assert bad.count == 3  # "junk", "tail" and the unterminated half
    assert star.feed(b"* " + b"z" * (MAX_MESSAGE_BYTES + 1) + b" *") == []
    assert star.feed(b"*" * (MAX_MESSAGE_BYTES * 9)) == []


@pytest.mark.parametrize(
    ("body", "tokens"),
    [
        (" REP 1 BATT_BARS 004 ", ["REP", "1", "BATT_BARS", "004"]),
        (" REP 1 CHAN_NAME {Lead Vox    } ", ["REP", "1", "CHAN_NAME", "Lead Vox"]),
        (" REP 1 GROUP_CHANNEL {--,--} ", ["REP", "1", "GROUP_CHANNEL", "--,--"]),
        (" REP 1 CHAN_NAME {} ", ["REP", "1", "CHAN_NAME", ""]),
        (" REP 1 CHAN_NAME {Open ended", ["REP", "1", "CHAN_NAME", "Open ended"]),
        (" REP {a} x {b c} ", ["REP", "a", "x", "b c"]),
        ("   ", []),
    ],
)
def test_tokenize(body: str, tokens: list[str]) -> None:
    assert tokenize(body) == tokens


def test_random_bytes_never_raise() -> None:
    rng = random.Random(42)
    angle, _ = framer()
    star = StarFramer(BadInput("x"))
    for _ in range(300):
        chunk = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        for body in angle.feed(chunk):
            tokenize(body)
        for body in star.feed(chunk):
            tokenize(body)
