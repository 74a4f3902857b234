"""Audio-Technica framing and value mapping: pure functions, one rule per test."""

from __future__ import annotations

import pytest

from custom_components.micboard.plugins.audio_technica import values
from custom_components.micboard.plugins.audio_technica.errors import (
    CommandNotSupported,
    DeviceBusy,
    NakError,
    ParameterRejected,
    nak_error,
)
from custom_components.micboard.plugins.audio_technica.protocol import (
    Ack,
    Answer,
    Nak,
    build_command,
    decode,
    describe_nak,
    parse_line,
    split_params,
    tokenize,
)
from custom_components.micboard.plugins.errors import CannotConnect
from custom_components.micboard.plugins.model import (
    Feature,
    Transmitter,
)

# -- framing ---------------------------------------------------------------------------------


def test_build_command_matches_the_documented_examples() -> None:
    assert build_command("gmymodel") == b"gmymodel O 0000 00 NC\r"
    assert build_command("glevelbatttx", 1) == b"glevelbatttx O 0000 00 NC 1\r"
    assert build_command("gchname", 2, model_id="0001") == b"gchname O 0001 00 NC 2\r"


def test_build_command_refuses_what_is_not_a_command() -> None:
    with pytest.raises(ValueError, match="not a command"):
        build_command("g x\r")


def test_tokenize_keeps_quoted_spaces() -> None:
    assert tokenize('gchname 0000 00 NC 1,"Lead Vox"') == [
        "gchname",
        "0000",
        "00",
        "NC",
        '1,"Lead Vox"',
    ]


def test_split_params_handles_quotes_and_commas() -> None:
    assert split_params('1,"Lead, Vox",2') == ("1", "Lead, Vox", "2")
    assert split_params("") == ()
    assert split_params("7") == ("7",)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("glevelrf 0000 00 NC 1,5", Answer("glevelrf", ("1", "5"))),
        # With the handshake letter repeated (some answers may carry it).
        ('gmyname O 0000 00 NC "RACK A"', Answer("gmyname", ("RACK A",))),
        ("nststx 0000 00 NC 2,0", Answer("nststx", ("2", "0"))),
        # One leading tag before the command name is tolerated.
        ('MD nmyname 0000 00 NC "X"', Answer("nmyname", ("X",))),
        # No continue token: the fifth field is the parameter list (research §5).
        ("glevelafrx 0000 00 XX 1,3", Answer("glevelafrx", ("1", "3"))),
        ("ACK", Ack(None)),
        ("ACK schmute 0000 00 NC", Ack("schmute")),
        ("NAK glevelrf 0000 00 NC 04", Nak("glevelrf", 4)),
        ("NAK O 0000 00 NC 90", Nak(None, 90)),
        ("NAK", Nak(None, None)),
    ],
)
def test_parse_line(line: str, expected: object) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    "line",
    ["", "   ", "\ufffd\ufffd garbage", "glevelrf 0000", "glevelrf", "MD", "MD 12 x", "Xy z"],
)
def test_parse_line_rejects_garbage(line: str) -> None:
    assert parse_line(line) is None


def test_notification_maps_to_its_get_command() -> None:
    assert Answer("nlevelbatttx", ()).get_command == "glevelbatttx"
    assert Answer("glevelrf", ()).get_command == "glevelrf"
    assert not Answer("glevelrf", ()).is_notification


def test_decode_replaces_non_ascii_and_strips_framing() -> None:
    assert decode(b"\x00glevelrf 0000 00 NC 1,5\r\n") == "glevelrf 0000 00 NC 1,5"
    assert "\ufffd" in decode(b"\xff\xfe")


# -- NAK codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls", "text"),
    [
        (1, NakError, "grammar"),
        (2, CommandNotSupported, "invalid command"),
        (3, NakError, "divided"),
        (4, ParameterRejected, "parameter"),
        (5, NakError, "transmit timeout"),
        (90, DeviceBusy, "busy"),
        (92, DeviceBusy, "safe mode"),
        (93, DeviceBusy, "extension"),
        (99, NakError, "other"),
        (42, NakError, "unknown code"),
        (None, NakError, "without a code"),
    ],
)
def test_nak_codes_map_to_clear_errors(code: int | None, cls: type, text: str) -> None:
    err = nak_error("glevelrf", code)
    assert type(err) is cls
    assert "glevelrf" in str(err)
    assert text in str(err)
    assert err.code == code


def test_busy_is_a_connection_problem_not_a_protocol_violation() -> None:
    assert isinstance(nak_error("gmymodel", 90), CannotConnect)
    assert describe_nak(90) == "NAK 90: busy"


# -- values and sentinels --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "dbm"),
    [
        ("0", None),  # no link
        ("1", -90.0),
        ("4", -72.0),
        ("7", -54.0),
        ("8", None),  # out of range
        ("-67", -67.0),  # a raw dBm value from a firmware that reports one
        ("-200", None),
        ("x", None),
        (None, None),
    ],
)
def test_rf_level(raw: str | None, dbm: float | None) -> None:
    assert values.rf_level_dbm(raw) == dbm


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", (None, None)),  # no link
        ("1", (-50.0, False)),
        ("6", (-6.0, False)),
        ("7", (-1.0, True)),  # overload zone
        ("9", (None, None)),
        ("", (None, None)),
    ],
)
def test_audio_level(raw: str, expected: tuple[float | None, bool | None]) -> None:
    assert values.audio_level(raw) == expected


@pytest.mark.parametrize(
    ("raw", "percent"),
    [("0", 0), ("57", 57), ("100", 100), ("101", None), ("255", None), ("-1", None), ("--", None)],
)
def test_battery_percent(raw: str, percent: int | None) -> None:
    assert values.battery_percent(raw) == percent


@pytest.mark.parametrize(
    ("raw", "minutes"),
    [
        ("0330", 210),
        ("0000", 0),
        ("1200", 720),
        ("----", None),
        ("0375", None),  # 75 minutes is not a minute field
        ("330", None),
        (None, None),
    ],
)
def test_battery_minutes(raw: str | None, minutes: int | None) -> None:
    assert values.battery_minutes(raw) == minutes


@pytest.mark.parametrize(
    ("raw", "kind"), [("0", "Alkaline"), ("1", "NiMH"), ("2", "Lithium"), ("3", None), (None, None)]
)
def test_battery_type(raw: str | None, kind: str | None) -> None:
    assert values.battery_type(raw) == kind


@pytest.mark.parametrize(("raw", "value"), [("0", False), ("1", True), ("2", None), ("a", None)])
def test_flag(raw: str, value: bool | None) -> None:
    assert values.flag(raw) is value


@pytest.mark.parametrize(
    ("raw", "value"), [("Lead Vox", "Lead Vox"), ("*TX01*", "TX01"), ("  ", None), ("*", None)]
)
def test_text(raw: str, value: str | None) -> None:
    assert values.text(raw) == value


def test_firmware_takes_the_first_version() -> None:
    assert values.firmware(("1.2.0", "0.9")) == "1.2.0"
    assert values.firmware(()) is None


ESW_STATE = {
    "glevelrf": ("5",),
    "glevelafrx": ("7",),
    "glevelbatttx": ("1", "80", "0330", "1"),
    "gstsmute": ("1", "0"),
    "gchmute": ("0",),
    "gchname": ("Lead Vox",),
    "gtxname": ("*TX01*",),
}


def test_esw_channel_values() -> None:
    assert values.channel_values(ESW_STATE) == {
        "name": "Lead Vox",
        "rf_level": -66.0,
        "audio_level": -1.0,
        "audio_clipping": True,
        # gstsmute (a status) wins over gchmute (a setting) when both are known.
        "muted": True,
        "transmitter": Transmitter(
            battery_percent=80, runtime_minutes=210, power_source="usb", muted=False
        ),
    }


def test_system20_channel_values() -> None:
    state = {
        "glevelbatttx": ("1", "40"),
        "gststx": ("1",),
        "gstsmute": ("0",),
        "gtxmute": ("1",),
        "gtxmodel": ("ATW-T1401",),
        "gtxbattery": ("0",),
    }
    result = values.channel_values(state)
    assert result["muted"] is False
    assert result["name"] is None
    assert result["transmitter"] == Transmitter(
        model="ATW-T1401", battery_percent=40, battery_type="Alkaline", muted=True
    )


def test_name_falls_back_to_the_transmitter_name() -> None:
    state = {"gchname": ("",), "gtxname": ("*Pastor*",)}
    assert values.channel_values(state)["name"] == "Pastor"


@pytest.mark.parametrize(
    ("state", "present"),
    [
        ({}, False),
        ({"glevelbatttx": ("1", "50")}, True),
        ({"glevelbatttx": ("0", "0")}, False),
        ({"gststx": ("1",)}, True),
        # Either indicator saying "off" wins.
        ({"glevelbatttx": ("1", "50"), "gststx": ("0",)}, False),
        ({"glevelbatttx": ("x",), "gststx": ("1",)}, True),
    ],
)
def test_transmitter_presence(state: dict[str, tuple[str, ...]], present: bool) -> None:
    assert values.transmitter_present(state) is present
    assert (values.channel_values(state)["transmitter"] is not None) is present


def test_no_link_gives_no_transmitter_and_no_meters() -> None:
    state = {"glevelrf": ("0",), "glevelafrx": ("0",), "glevelbatttx": ("0", "0", "0000", "0")}
    result = values.channel_values(state)
    assert result["transmitter"] is None
    assert result["rf_level"] is None
    assert result["audio_level"] is None


def test_esw_features() -> None:
    supported = frozenset(
        {"glevelrf", "glevelafrx", "glevelbatttx", "gstsmute", "gchmute", "gchname", "gtxname"}
    )
    assert values.channel_features(supported, ESW_STATE) == {
        Feature.NAME,
        Feature.RF_LEVEL,
        Feature.AUDIO_LEVEL,
        Feature.MUTE,
        Feature.TRANSMITTER,
        Feature.BATTERY_PERCENT,
        Feature.BATTERY_RUNTIME,
        Feature.TX_MUTE,
    }


def test_system20_features_follow_the_short_answers() -> None:
    supported = frozenset({"glevelbatttx", "gststx", "gstsmute", "gtxmodel", "gtxbattery"})
    state = {"glevelbatttx": ("1", "40"), "gstsmute": ("0",)}
    assert values.channel_features(supported, state) == {
        Feature.MUTE,
        Feature.TRANSMITTER,
        Feature.TX_MODEL,
        Feature.BATTERY_TYPE,
        Feature.BATTERY_PERCENT,
    }


def test_features_assume_full_answers_until_one_arrives() -> None:
    supported = frozenset({"glevelbatttx", "gstsmute"})
    assert {Feature.BATTERY_RUNTIME, Feature.TX_MUTE} <= values.channel_features(supported, {})
