"""MCP lines: parsing, error codes 1000-1050, every sentinel, unit conversions."""

from __future__ import annotations

import pytest

from custom_components.micboard.plugins.model import Transmitter
from custom_components.micboard.plugins.sennheiser.mcp.codec import (
    McpDecodeError,
    McpError,
    McpLine,
    McpState,
    af_dbfs,
    battery,
    channel_values,
    parse_line,
    rf_dbm,
    split_datagram,
    state_from_lines,
)

DOC_EXAMPLE = [
    "RF1 25 65 1",
    "RF2 28 78 0",
    "States 3 2",
    "RF 50 1 1",
    "AF 40 65 3",
    "Bat 70",
    "Msg Low_RF_Signal Low_Battery",
    "Config 234",
]


def test_split_datagram() -> None:
    assert split_datagram(b"RF1 25 65 1\rRF2 28 78 0\r") == ["RF1 25 65 1", "RF2 28 78 0"]
    assert split_datagram(b"Name Vocal 1\r\n\x00") == ["Name Vocal 1"]
    assert split_datagram(b"\r\r") == []
    with pytest.raises(McpDecodeError):
        split_datagram(b"\xff\xfe")
    with pytest.raises(McpDecodeError):
        split_datagram(b"X" * 20000)


def test_parse_attribute_lines() -> None:
    assert parse_line("Name Vocal 1") == McpLine("Name", ("Vocal", "1"), "Vocal 1")
    assert parse_line("Push 60 500 3") == McpLine("Push", ("60", "500", "3"), "60 500 3")
    assert parse_line("Bat ?") == McpLine("Bat", ("?",), "?")


@pytest.mark.parametrize(
    ("line", "code", "command"),
    [
        ("1000: Invalid command [ AfPOut 24 ]", 1000, "AfPOut"),
        ("1010: Invalid parameter [ Squelch x ]", 1010, "Squelch"),
        ("1020: Value out of range [ Push 5 450 1 ]", 1020, "Push"),
        ("1030: Relative parameters not supported [ Name #1 ]", 1030, "Name"),
        ("1040: Invalid numbers of parameter [ Push 5 ]", 1040, "Push"),
        ("1050: Incorrect termination", 1050, None),
    ],
)
def test_error_codes(line: str, code: int, command: str | None) -> None:
    parsed = parse_line(line)
    assert isinstance(parsed, McpError)
    assert (parsed.code, parsed.command) == (code, command)


@pytest.mark.parametrize("line", ["!!! not mcp", "1 2 3", "RF1\tx", "X" * 1600])
def test_not_mcp(line: str) -> None:
    with pytest.raises(McpDecodeError):
        parse_line(line)


def test_documented_example_block() -> None:
    state = state_from_lines(DOC_EXAMPLE)
    values = channel_values(state)
    assert values == {
        "name": None,
        "frequency_mhz": None,
        "muted": False,  # mute bits 3: Mute + TX-Mute, not RX-Mute
        # The strongest antenna, as everywhere: RF2's 78 % maximum. (The current "RF 50" line,
        # -87 dBm, is below both maxima: it is not the channel's level.)
        "rf_level": -75.8,
        "rf_levels": (-81.0, -75.8),  # per-antenna maxima, 65 % and 78 %
        "antenna": "A",
        "audio_level": -30.0,  # 40 % of a 50 dB scale under peak
        "audio_peak": -17.5,
        "audio_clipping": False,
        "rf_warning": True,
        "transmitter": Transmitter(battery_percent=70, battery_bars=4, muted=True),
    }


@pytest.mark.parametrize(
    ("lines", "level", "levels"),
    [
        # TI 1254's own example block: RF1 25..65 %, RF2 28..78 %, current RF 50 % on antenna 1
        (["RF1 25 65 1", "RF2 28 78 0", "RF 50 1 1"], -75.8, (-81.0, -75.8)),
        (["RF1 25 65 1", "RF 50 1 1"], -81.0, (-81.0, None)),
        (["RF 50 1 1"], -87.0, ()),  # no per-antenna lines: the current level stands in
        (["RF1 0 300 1", "RF2 0 300 0", "RF 50 1 1"], -87.0, (None, None)),  # garbage maxima
    ],
)
def test_rf_level_is_the_strongest_antenna(
    lines: list[str], level: float, levels: tuple[float | None, ...]
) -> None:
    values = channel_values(state_from_lines(lines))
    assert values["rf_level"] == level
    assert values["rf_levels"] == levels
    known = [item for item in levels if item is not None]
    assert not known or values["rf_level"] == max(known)


@pytest.mark.parametrize(
    ("lines", "field", "expected"),
    [
        (["Bat ?"], "transmitter", None),  # no battery telegram: no transmitter
        ([], "transmitter", None),
        (["Frequency 0 0 0"], "frequency_mhz", None),
        (["Frequency 566000 1 5"], "frequency_mhz", 566.0),
        (["Name "], "name", None),
        (["AF 120 120 0"], "audio_level", None),  # off the 0-100 scale
        (["RF 300 1 1"], "rf_level", None),  # far beyond the scale: garbage
        (["RF 110 1 1"], "rf_level", -63.0),  # above 100 % is allowed
        (["RF 50 2 1", "Bat 100"], "antenna", "B"),
        (["RF 50 2 1", "Bat ?"], "antenna", None),
        (["Msg OK"], "rf_warning", False),
        (["Msg AF_Peak"], "audio_clipping", True),
        (["AF 100 100 0"], "audio_clipping", True),
        (["Mute 1"], "muted", True),
        (["AF 40 65 8"], "muted", True),
    ],
)
def test_values_and_sentinels(lines: list[str], field: str, expected: object) -> None:
    assert channel_values(state_from_lines(lines))[field] == expected


@pytest.mark.parametrize(
    ("bat", "percent", "bars"),
    [("100", 100, 5), ("70", 70, 4), ("30", 30, 3), ("0", 0, 0), ("4", None, 4)],
)
def test_battery_steps(bat: str, percent: int | None, bars: int) -> None:
    transmitter = channel_values(state_from_lines([f"Bat {bat}"]))["transmitter"]
    assert transmitter == Transmitter(battery_percent=percent, battery_bars=bars)


@pytest.mark.parametrize(
    "line",
    [
        "RF1 25 65",
        "RF1 25 65 2",
        "RF2 a b c",
        "States 1",
        "RF 50 3 1",
        "RF -5 1 1",
        "AF 1 2",
        "Bat 55",
        "Bat 30 70",
        "Msg",
        "Config 1000",
        "Mute 2",
        "Frequency",
    ],
)
def test_invalid_parameters_are_rejected_whole(line: str) -> None:
    state = McpState()
    parsed = parse_line(line)
    assert isinstance(parsed, McpLine)
    with pytest.raises(McpDecodeError):
        state.apply(parsed)
    assert state == McpState()


def test_unknown_attributes_are_ignored() -> None:
    state = McpState()
    assert not state.apply(McpLine("Squelch", ("5",), "5"))
    assert state.apply(McpLine("FirmwareRevision", ("1.20.1",), "1.20.1"))
    assert state.firmware == "1.20.1"


def test_in_ear_and_cyclic_detection() -> None:
    assert state_from_lines(["AF 1 2 3 4 0", "Config 1"]).is_in_ear
    assert not state_from_lines(DOC_EXAMPLE).is_in_ear
    assert not McpState().has_cyclic
    assert state_from_lines(["Bat ?"]).has_cyclic


def test_conversions() -> None:
    assert rf_dbm(100) == -67.0
    assert rf_dbm(0) == -107.0
    assert rf_dbm(None) is None
    assert af_dbfs(100) == 0.0
    assert af_dbfs(0) == -50.0
    assert af_dbfs(None) is None
    assert battery(None) == (None, None)
