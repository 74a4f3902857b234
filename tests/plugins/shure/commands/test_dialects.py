"""Per-family conversions: every sentinel becomes None, every unit is converted."""

from __future__ import annotations

import math

import pytest

from custom_components.micboard.plugins.model import (
    Feature,
    RuntimeStatus,
    Transmitter,
)
from custom_components.micboard.plugins.shure.commands import ShureCommandsOptions
from custom_components.micboard.plugins.shure.commands.dialects import (
    AD,
    DIALECTS,
    PSM1000,
    QLXD,
    SLXD,
    UHFR,
    ULXD,
    default_model,
    family_for_model,
    meter_interval_ms,
)
from custom_components.micboard.plugins.shure.commands.plugin import ShureCommandsPlugin
from custom_components.micboard.plugins.shure.commands.values import (
    antennas,
    bars,
    frequency_mhz,
    level,
    minutes,
    percent,
    runtime_status,
    strongest,
    switch,
    word,
)


def split(line: str) -> list[str]:
    """A message body as the tokenizer gives it."""
    return line.split()


# -- value converters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [("000", 0), ("004", 4), ("005", 5), ("255", None), ("006", None), ("U", None), ("", None),
     ("4", 4), ("\u00b2", None)],
)  # fmt: skip
def test_bars(raw: str, value: int | None) -> None:
    assert bars(raw) == value


@pytest.mark.parametrize(
    ("raw", "value"),
    [("085", 85), ("100", 100), ("252", None), ("253", None), ("254", None), ("255", None)],
)
def test_percent_sentinels(raw: str, value: int | None) -> None:
    assert percent(raw) == value


@pytest.mark.parametrize(
    ("raw", "value"),
    [("00125", 125), ("65532", 65532), ("65533", None), ("65534", None), ("65535", None),
     ("-0001", None)],
)  # fmt: skip
def test_minutes_sentinels(raw: str, value: int | None) -> None:
    assert minutes(raw) == value


@pytest.mark.parametrize(
    ("raw", "status"),
    [("65534", RuntimeStatus.CALCULATING), ("65533", RuntimeStatus.ERROR), ("65535", None),
     ("00125", None), ("65532", None), ("", None)],
)  # fmt: skip
def test_runtime_codes_keep_their_meaning(raw: str, status: RuntimeStatus | None) -> None:
    assert runtime_status(raw) == status
    assert minutes(raw) is None or status is None  # a code is never a number of minutes


@pytest.mark.parametrize(
    ("dialect", "reps", "transmitter"),
    [
        # < REP 1 BATT_RUN_TIME 65534 > on a ULX-D: calculating, not a runtime
        (ULXD, {"BATT_BARS": "004", "BATT_RUN_TIME": "65534"},
         Transmitter(battery_bars=4, runtime_status=RuntimeStatus.CALCULATING)),
        # < REP 1 TX_BATT_MINS 65533 > on an Axient Digital: the pack cannot be read
        (AD, {"TX_BATT_BARS": "003", "TX_BATT_MINS": "65533"},
         Transmitter(battery_bars=3, runtime_status=RuntimeStatus.ERROR)),
        # < REP 1 TX_BATT_MINS 65534 > on an SLX-D, before any bars: a transmitter is on
        (SLXD, {"TX_BATT_BARS": "255", "TX_BATT_MINS": "65534"},
         Transmitter(runtime_status=RuntimeStatus.CALCULATING)),
        # 65535: plain unknown (off, or AA cells), no status
        (ULXD, {"BATT_BARS": "004", "BATT_RUN_TIME": "65535"}, Transmitter(battery_bars=4)),
        (ULXD, {"BATT_BARS": "004", "BATT_RUN_TIME": "00300"},
         Transmitter(battery_bars=4, runtime_minutes=300)),
    ],
)  # fmt: skip
def test_runtime_status_from_the_wire(
    dialect: object, reps: dict[str, str], transmitter: Transmitter
) -> None:
    assert dialect in (ULXD, AD, SLXD)
    values = dialect.channel_values(reps)  # type: ignore[attr-defined]
    assert values["transmitter"] == transmitter


@pytest.mark.parametrize("raw", ["UNKN", "UNKNOWN", "unknown", "U", "XX", "", "--,--", "ERR"])
def test_unknown_words(raw: str) -> None:
    assert word(raw) is None


def test_words_that_are_values() -> None:
    assert word("ULXD2") == "ULXD2"
    assert word("LION") == "LION"


@pytest.mark.parametrize(
    ("raw", "mhz"),
    [
        ("578350", 578.35),  # ULX-D / QLX-D / UHF-R: 6 digits kHz
        ("0594075", 594.075),  # AD / SLX-D: 7 digits kHz
        ("518.125", 518.125),  # PSM1000 as documented "xxx[.]yyy"
        ("000000", None),
        ("------", None),
        ("5x8.1", None),
        ("0.000", None),
        ("", None),
    ],
)
def test_frequency(raw: str, mhz: float | None) -> None:
    assert frequency_mhz(raw) == mhz


def test_level_offsets_and_ranges() -> None:
    assert level("090", 128, 0, 115) == -38.0  # ULX-D RF: dBm = raw - 128
    assert level("116", 128, 0, 115) is None
    assert level("086", 120, 0, 255) == -34.0  # AD/SLX-D: raw - 120
    assert level("abc", 120, 0, 255) is None


def test_switch_and_antennas() -> None:
    assert switch("ON") is True
    assert switch("OFF") is False
    assert switch("UNKN") is None
    assert switch("1", on="1", off="0") is True
    assert antennas("AX") == "A"
    assert antennas("XB") == "B"
    assert antennas("BB") == "AB"
    assert antennas("RX") == "A"
    assert antennas("BBRB") == "ABCD"
    assert antennas("XX") is None
    assert antennas("Z1") is None
    assert antennas("") is None
    assert antennas("BBBBB") is None
    assert strongest((None, -60.0, -55.0)) == -55.0
    assert strongest((None,)) is None


def test_meter_interval_is_the_users_but_clamped() -> None:
    assert meter_interval_ms(1.0) == 1000  # the default: never faster than 1 s unless asked
    assert meter_interval_ms(0.5) == 500  # the user lowered it
    assert meter_interval_ms(0.01) == 100  # protocol floor
    assert meter_interval_ms(120.0) == 65535  # protocol ceiling
    assert meter_interval_ms(math.nan) == 1000


# -- ULX-D / QLX-D ----------------------------------------------------------------------------

ULX_ON = {
    "CHAN_NAME": "Vox 1",
    "FREQUENCY": "578350",
    "TX_TYPE": "ULXD2",
    "BATT_BARS": "004",
    "BATT_CHARGE": "085",
    "BATT_RUN_TIME": "00125",
    "BATT_TYPE": "LION",
    "TX_MUTE_STATUS": "OFF",
    "TX_PWR_LOCK": "OFF",
    "TX_MENU_LOCK": "ON",
    "AUDIO_MUTE": "OFF",
    "RF_INT_DET": "CRITICAL",
    "ENCRYPTION_WARNING": "ON",
}
ULX_OFF = ULX_ON | {
    "TX_TYPE": "UNKN",
    "BATT_BARS": "255",
    "BATT_CHARGE": "255",
    "BATT_RUN_TIME": "65535",
    "BATT_TYPE": "UNKN",
    "TX_MUTE_STATUS": "UNKN",
    "TX_PWR_LOCK": "UNKN",
    "TX_MENU_LOCK": "UNKN",
}


def test_ulxd_channel_values() -> None:
    values = ULXD.channel_values(ULX_ON)
    assert values == {
        "name": "Vox 1",
        "frequency_mhz": 578.35,
        "transmitter": Transmitter(
            model="ULXD2",
            battery_bars=4,
            battery_percent=85,
            runtime_minutes=125,
            battery_type="LION",
            muted=False,
            locked=True,
        ),
        "encryption_warning": True,
        "muted": False,
        "interference": True,
    }


def test_ulxd_transmitter_off_is_none() -> None:
    assert ULXD.channel_values(ULX_OFF)["transmitter"] is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"BATT_CHARGE": "254"}, {"battery_percent": None}),  # calculating
        ({"BATT_CHARGE": "253"}, {"battery_percent": None}),
        ({"BATT_CHARGE": "252"}, {"battery_percent": None}),
        ({"BATT_RUN_TIME": "65533"}, {"runtime_minutes": None}),  # battery comm warning
        ({"BATT_RUN_TIME": "65534"}, {"runtime_minutes": None}),  # calculating
        ({"BATT_RUN_TIME": "65535"}, {"runtime_minutes": None}),  # AA
        ({"BATT_TYPE": "ALKA", "BATT_CHARGE": "255"}, {"battery_type": "ALKA"}),
        ({"TX_MUTE_STATUS": "ON"}, {"muted": True}),
        ({"TX_MENU_LOCK": "OFF"}, {"locked": False}),
        ({"TX_MENU_LOCK": "UNKN", "TX_PWR_LOCK": "UNKN"}, {"locked": None}),
        ({"BATT_BARS": "255"}, {"battery_bars": None}),  # still linked: the type is known
        ({"TX_TYPE": "UNKN"}, {"model": None}),  # still linked: the battery is known
    ],
)
def test_ulxd_transmitter_sentinels(changes: dict[str, str], expected: dict[str, object]) -> None:
    transmitter = ULXD.channel_values(ULX_ON | changes)["transmitter"]
    assert isinstance(transmitter, Transmitter)
    for name, value in expected.items():
        assert getattr(transmitter, name) == value


def test_qlxd_has_no_mute_or_interference() -> None:
    values = QLXD.channel_values(ULX_ON)
    assert "muted" not in values
    assert "interference" not in values
    assert Feature.MUTE not in QLXD.features
    assert Feature.INTERFERENCE not in QLXD.features
    assert Feature.RF_QUALITY not in QLXD.features
    assert Feature.BATTERY_PERCENT in QLXD.features


@pytest.mark.parametrize("dialect", [ULXD, QLXD])
def test_ulx_sample(dialect: object) -> None:
    assert ULXD.sample is not None
    assert ULXD.sample(split("SAMPLE 1 ALL AX 090 040"), {}) == {
        "antenna": "A",
        "rf_level": -38.0,
        "audio_level": -10.0,
        "audio_clipping": True,  # Micboard's peak: 80 % of the 0-50 scale
    }
    assert ULXD.sample(split("SAMPLE 1 ALL XB 035 020"), {}) == {
        "antenna": "B",
        "rf_level": -93.0,
        "audio_level": -30.0,
        "audio_clipping": False,
    }
    off = ULXD.sample(split("SAMPLE 1 ALL XX 010 000"), {})
    assert off is not None
    assert off["antenna"] is None
    # Micboard's own doc example has audio 098, out of the 0-50 range: unknown, not a value.
    bad = ULXD.sample(split("SAMPLE 1 ALL XB 035 098"), {})
    assert bad is not None
    assert bad["audio_level"] is None
    assert bad["audio_clipping"] is None
    assert ULXD.sample(split("SAMPLE 1 ALL AX 090"), {}) is None


# -- Axient Digital ----------------------------------------------------------------------------

AD_ON = {
    "CHAN_NAME": "Lead Vox",
    "FREQUENCY": "0594075",
    "TX_MODEL": "AD2",
    "TX_BATT_BARS": "005",
    "TX_BATT_CHARGE_PERCENT": "097",
    "TX_BATT_MINS": "00480",
    "TX_BATT_TYPE": "LION",
    "TX_MUTE_MODE_STATUS": "ON",
    "TX_LOCK": "NONE",
    "AUDIO_MUTE": "ON",
    "INTERFERENCE_STATUS": "DETECTED",
    "ENCRYPTION_STATUS": "ERROR",
    "CHAN_QUALITY": "004",
    "RSSI:1": "083",
    "RSSI:2": "070",
    "ANTENNA_STATUS": "BR",
    "AUDIO_LEVEL_RMS": "090",
    "AUDIO_LEVEL_PEAK": "102",
}
# The real REP set of a channel with no transmitter (Micboard docs/api.md).
AD_OFF = AD_ON | {
    "TX_MODEL": "UNKNOWN",
    "TX_BATT_BARS": "255",
    "TX_BATT_CHARGE_PERCENT": "255",
    "TX_BATT_MINS": "65535",
    "TX_BATT_TYPE": "UNKN",
    "TX_MUTE_MODE_STATUS": "UNKNOWN",
    "TX_LOCK": "UNKNOWN",
    "CHAN_QUALITY": "255",
    "ANTENNA_STATUS": "XX",
}


def test_ad_channel_values() -> None:
    values = AD.channel_values(AD_ON)
    assert values["transmitter"] == Transmitter(
        model="AD2",
        battery_bars=5,
        battery_percent=97,
        runtime_minutes=480,
        battery_type="LION",
        muted=False,  # TX_MUTE_MODE_STATUS ON means "on air"
        locked=False,
    )
    assert values["muted"] is True
    assert values["interference"] is True
    assert values["encryption_warning"] is True
    assert values["rf_quality"] == 80
    assert values["rf_levels"] == (-37.0, -50.0)
    assert values["rf_level"] == -37.0
    assert values["antenna"] == "AB"
    assert values["audio_level"] == -30.0
    assert values["audio_peak"] == -18.0
    assert values["frequency_mhz"] == 594.075


def test_ad_transmitter_off_and_sentinels() -> None:
    values = AD.channel_values(AD_OFF)
    assert values["transmitter"] is None
    assert values["rf_quality"] is None
    assert values["antenna"] is None
    muted = AD.channel_values(AD_ON | {"TX_MUTE_MODE_STATUS": "MUTE", "TX_LOCK": "ALL"})
    transmitter = muted["transmitter"]
    assert isinstance(transmitter, Transmitter)
    assert transmitter.muted is True
    assert transmitter.locked is True
    unknown = AD.channel_values(AD_ON | {"TX_LOCK": "UNKNOWN"})["transmitter"]
    assert isinstance(unknown, Transmitter)
    assert unknown.locked is None


def test_ad_sample_standard() -> None:
    assert AD.sample is not None
    sample = AD.sample(split("SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065"), {})
    assert sample == {
        "rf_quality": 100,
        "audio_clipping": False,
        "audio_peak": -18.0,
        "audio_level": -18.0,
        "antenna": "AB",
        "rf_levels": (-34.0, -55.0),
        "rf_level": -34.0,
    }


def test_ad_sample_tx_off_from_real_hardware() -> None:
    assert AD.sample is not None
    sample = AD.sample(split("SAMPLE 1 ALL 255 000 005 033 XX 00 011 00 012"), {})
    assert sample is not None
    assert sample["rf_quality"] is None
    assert sample["antenna"] is None
    assert sample["rf_levels"] == (-109.0, -108.0)
    assert sample["audio_clipping"] is False


def test_ad_sample_overload_bit() -> None:
    assert AD.sample is not None
    sample = AD.sample(split("SAMPLE 2 ALL 003 255 120 110 BX 31 086 00 011"), {})
    assert sample is not None
    assert sample["audio_clipping"] is True
    assert sample["antenna"] == "A"
    assert sample["rf_quality"] == 60


def test_ad_sample_quadversity_and_fd_c() -> None:
    assert AD.sample is not None
    quad = AD.sample(split("SAMPLE 1 ALL 005 031 102 102 BBBB 31 083 31 068 31 069 31 072"), {})
    assert quad is not None
    assert quad["rf_levels"] == (-37.0, -52.0, -51.0, -48.0)
    assert quad["antenna"] == "ABCD"
    fd_c = AD.sample(split("SAMPLE 1 ALL 005 031 102 102 BB 31 082 31 060 BX 31 082 00 010"), {})
    assert fd_c is not None
    assert fd_c["rf_levels"] == (-38.0, -60.0, -38.0, -110.0)
    assert fd_c["rf_level"] == -38.0
    both = AD.sample(
        split(
            "SAMPLE 1 ALL 005 031 102 102 BBBB 31 084 31 065 31 070 31 070 "
            "BBBB 31 084 31 065 31 070 31 070"
        ),
        {},
    )
    assert both is not None
    assert len(both["rf_levels"]) == 8  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "line",
    [
        "SAMPLE 1 ALL 005 031 102 102",  # no antenna section
        "SAMPLE 1 ALL 005 031 102 102 BBB 31 083 31 068 31 069",  # three antennas
        "SAMPLE 1 ALL 005 031 102 102 BB 31 086",  # section cut short
    ],
)
def test_ad_sample_malformed(line: str) -> None:
    assert AD.sample is not None
    assert AD.sample(split(line), {}) is None


# -- SLX-D ------------------------------------------------------------------------------------


def test_slxd_values_and_sample() -> None:
    raw = {
        "CHAN_NAME": "Guitar",
        "FREQUENCY": "0518125",
        "TX_MODEL": "SLXD2",
        "TX_BATT_BARS": "003",
        "TX_BATT_MINS": "00200",
        "RSSI:1": "086",
        "AUDIO_LEVEL_RMS": "090",
        "AUDIO_LEVEL_PEAK": "100",
    }
    values = SLXD.channel_values(raw)
    assert values["transmitter"] == Transmitter(model="SLXD2", battery_bars=3, runtime_minutes=200)
    assert values["rf_level"] == -34.0
    assert values["audio_level"] == -30.0
    off = SLXD.channel_values(
        raw | {"TX_MODEL": "UNKNOWN", "TX_BATT_BARS": "255", "TX_BATT_MINS": "65535"}
    )
    assert off["transmitter"] is None
    assert SLXD.sample is not None
    assert SLXD.sample(split("SAMPLE 1 ALL 102 102 086"), {}) == {
        "audio_peak": -18.0,
        "audio_level": -18.0,
        "rf_level": -34.0,
        "audio_clipping": False,
    }
    clipped = SLXD.sample(split("SAMPLE 1 ALL 120 110 086"), {})
    assert clipped is not None
    assert clipped["audio_clipping"] is True
    assert SLXD.sample(split("SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065"), {}) is None
    # SLX-D has none of these: no entity may be created for them.
    for feature in (Feature.RF_QUALITY, Feature.ANTENNA, Feature.MUTE, Feature.BATTERY_PERCENT):
        assert feature not in SLXD.features


@pytest.mark.parametrize(
    ("reps", "dbm"),
    [
        ({"RSSI:1": "070", "RSSI:2": "086"}, -34.0),  # antenna 2 is the stronger
        ({"RSSI:1": "086", "RSSI:2": "070"}, -34.0),
        ({"RSSI:2": "086"}, -34.0),  # only one antenna reported so far
        ({"RSSI:1": "086", "RSSI:2": "XXX"}, -34.0),
        ({"RSSI:1": "ZZZ"}, None),
    ],
)
def test_slxd_rf_from_both_antennas(reps: dict[str, str], dbm: float | None) -> None:
    """``REP n RSSI 1/2 vvv`` mean what the SAMPLE's combined RSSI means: the stronger one."""
    assert SLXD.channel_values(reps)["rf_level"] == dbm


@pytest.mark.parametrize(
    ("reps", "transmitter"),
    [
        # < REP 1 TX_TYPE SLXD2 > (what Companion reads on SLX-D) instead of TX_MODEL
        ({"TX_TYPE": "SLXD2", "TX_BATT_BARS": "004"},
         Transmitter(model="SLXD2", battery_bars=4)),
        ({"TX_MODEL": "SLXD1", "TX_TYPE": "SLXD2"}, Transmitter(model="SLXD1")),
        ({"TX_MODEL": "UNKNOWN", "TX_TYPE": "SLXD2"}, Transmitter(model="SLXD2")),
        # No model word at all, but the battery says a transmitter is on: it stays.
        ({"TX_BATT_BARS": "003"}, Transmitter(battery_bars=3)),
        ({"TX_BATT_BARS": "255", "TX_BATT_MINS": "00200"}, Transmitter(runtime_minutes=200)),
        ({"TX_MODEL": "UNKNOWN", "TX_TYPE": "UNKN", "TX_BATT_BARS": "255",
          "TX_BATT_MINS": "65535"}, None),
        ({"AUDIO_LEVEL_RMS": "090", "RSSI:1": "086"}, None),  # meters alone: no proof
    ],
)  # fmt: skip
def test_slxd_transmitter_model_and_presence(
    reps: dict[str, str], transmitter: Transmitter | None
) -> None:
    assert SLXD.channel_values(reps)["transmitter"] == transmitter


# -- UHF-R -------------------------------------------------------------------------------------


def test_uhfr_values_and_sample() -> None:
    raw = {"CHAN_NAME": "Vox 1", "FREQUENCY": "578350", "TX_BAT": "4", "MUTE": "OFF"}
    values = UHFR.channel_values(raw)
    assert values["transmitter"] == Transmitter(battery_bars=4)
    assert values["muted"] is False
    assert UHFR.channel_values(raw | {"TX_BAT": "U"})["transmitter"] is None
    # Micboard's getAll asks BATT_BARS; either name is understood.
    legacy = UHFR.channel_values({"BATT_BARS": "2"})["transmitter"]
    assert legacy == Transmitter(battery_bars=2)
    assert UHFR.sample is not None
    state: dict[str, str] = {}
    sample = UHFR.sample(split("SAMPLE 1 ALL AX 045 060 3 255"), state)
    # RF is Micboard's percent of the inverted scale, 100 * (100 - v) / 80, strongest antenna:
    # A 045 → 68.75 %, B 060 → 50 %. No dBm: none is documented.
    assert sample == {
        "antenna": "A",
        "rf_quality": 69,
        "audio_clipping": True,
        "transmitter": Transmitter(battery_bars=3),
    }
    assert state["TX_BAT"] == "3"
    off = UHFR.sample(split("SAMPLE 1 ALL XX 100 100 U 000"), state)
    assert off is not None
    assert off["transmitter"] is None
    assert off["antenna"] is None
    assert off["audio_clipping"] is False
    assert off["rf_quality"] == 0
    assert UHFR.sample(split("SAMPLE 1 ALL AX 045 060 3"), state) is None
    bad = UHFR.sample(split("SAMPLE 1 ALL AX ZZZ 060 3 999"), state)
    assert bad is not None
    assert bad["rf_quality"] == 50
    assert bad["audio_clipping"] is None
    assert Feature.RF_QUALITY in UHFR.features
    assert Feature.RF_LEVEL not in UHFR.features


@pytest.mark.parametrize(
    ("line", "quality"),
    [
        ("SAMPLE 1 ALL AX 020 100 5 000", 100),  # the documented ends of the scale
        ("SAMPLE 1 ALL XB 100 084 5 000", 20),
        ("SAMPLE 1 ALL AX 000 060 5 000", 125),  # below 020: off the scale, for the gate
        ("SAMPLE 1 ALL AX 050 101 5 000", -1),  # above 100: likewise, even beside a good one
        ("SAMPLE 1 ALL AX --- ZZZ 5 000", None),
    ],
)
def test_uhfr_rf_scale_ends(line: str, quality: int | None) -> None:
    assert UHFR.sample is not None
    sample = UHFR.sample(split(line), {})
    assert sample is not None
    assert sample["rf_quality"] == quality
    assert "rf_level" not in sample
    assert "rf_levels" not in sample


# -- PSM1000 -----------------------------------------------------------------------------------


def test_psm1000_is_an_iem_transmitter() -> None:
    values = PSM1000.channel_values({"CHAN_NAME": "IEM 2", "FREQUENCY": "518125", "RF_MUTE": "1"})
    assert values == {"name": "IEM 2", "frequency_mhz": 518.125, "muted": True}
    assert PSM1000.channel_values({"RF_MUTE": "0"})["muted"] is False
    assert PSM1000.features == {Feature.NAME, Feature.FREQUENCY, Feature.MUTE}
    assert PSM1000.sample is None


# -- commands ----------------------------------------------------------------------------------


def test_commands_per_family() -> None:
    assert ULXD.encode("GET 0 ALL") == b"< GET 0 ALL >"
    assert PSM1000.encode("GET 1 CHAN_NAME") == b"< GET 1 CHAN_NAME >\r\n"
    assert UHFR.encode("GET 1 CHAN_NAME") == b"* GET 1 CHAN_NAME *"
    assert ULXD.dump_commands((1, 2)) == ["GET 0 ALL"]
    assert UHFR.dump_commands((1,)) == [
        "GET MODEL_NAME",
        "GET 1 CHAN_NAME",
        "GET 1 TX_BAT",
        "GET 1 GROUP_CHAN",
        "GET 1 FREQUENCY",
        "GET 1 MUTE",
    ]
    assert ULXD.meter_on_commands((1, 2), 1000) == [
        "SET 1 METER_RATE 01000",
        "SET 2 METER_RATE 01000",
    ]
    assert ULXD.meter_off_commands((1,)) == ["SET 1 METER_RATE 00000"]
    assert UHFR.meter_on_commands((1, 2), 100) == ["METER 1 ALL 003", "METER 2 ALL 003"]
    assert UHFR.meter_on_commands((1,), 65535) == ["METER 1 ALL 999"]
    assert UHFR.meter_off_commands((2,)) == ["METER 2 ALL STOP"]
    assert PSM1000.meter_on_commands((1,), 1000) == []  # its meters are not used
    assert PSM1000.meter_off_commands((1,)) == []
    assert ULXD.keepalive_command() == "GET 1 CHAN_NAME"
    assert ULXD.flash_command(None) == "SET FLASH ON"
    assert ULXD.flash_command(2) == "SET FLASH ON"  # whole receiver only
    assert AD.flash_command(2) == "SET 2 FLASH ON"
    assert SLXD.flash_command(1) == "SET 1 FLASH ON"
    assert QLXD.flash_command(None) is None
    assert UHFR.flash_command(1) is None
    assert PSM1000.flash_command(None) is None


def test_models_and_families() -> None:
    assert family_for_model("AD4Q-A") is AD
    assert family_for_model("SLXD4D+") is SLXD
    assert family_for_model("ULXD4Q") is ULXD
    assert family_for_model("UR4D") is UHFR
    assert family_for_model("P10T") is PSM1000
    assert family_for_model("MXA910") is None
    assert AD.channel_count("AD4Q-A") == 4
    assert AD.channel_count("AD4D-A") == 2
    assert SLXD.channel_count("SLXD4D+") == 2
    assert SLXD.channel_count("SLXD4Q+") == 4
    assert ULXD.channel_count("ULXD4") == 1
    assert ULXD.channel_count(None) is None
    assert ULXD.channel_count("XYZ") is None
    assert default_model(ULXD, 2) == "ULXD4D"
    assert default_model(QLXD, 1) == "QLXD4"
    assert default_model(QLXD, 3) == "QLX-D"
    assert set(DIALECTS) == {"ulxd", "qlxd", "slxd", "ad", "uhfr", "psm1000"}


# -- transform_device_data (pure) ---------------------------------------------------------------


def test_transform_device_data() -> None:
    plugin = ShureCommandsPlugin(ShureCommandsOptions(host="10.0.0.5"))
    receiver = plugin.transform_device_data(
        {
            "family": "ad",
            "receiver_id": "shure-RACK-1",
            "model": "AD4D-A",
            "name": "RACK-1",
            "host": "10.0.0.5",
            "firmware": "1.1.43.0",
            "device": {"DEVICE_ID": "RACK 2", "FW_VER": "1.2.0.0", "MODEL": "UNKN"},
            "channels": {1: AD_ON, 2: AD_OFF},
        }
    )
    assert receiver.id == "shure-RACK-1"
    assert receiver.manufacturer == "Shure"
    assert receiver.name == "RACK 2"  # the device's own name wins
    assert receiver.firmware == "1.2.0.0"
    assert receiver.model == "AD4D-A"  # an unknown MODEL reply does not erase it
    assert receiver.channels[1].features == AD.features
    assert receiver.channels[1].transmitter is not None
    assert receiver.channels[2].transmitter is None
