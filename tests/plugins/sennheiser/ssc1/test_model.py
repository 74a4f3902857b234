"""SSC v1 address maps and the pure leaf -> model mapping, with every sentinel."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.micboard.plugins.model import (
    Feature,
    Transmitter,
)
from custom_components.micboard.plugins.sennheiser.ssc1.codec import SscError
from custom_components.micboard.plugins.sennheiser.ssc1.model import (
    EWDX,
    SLDW,
    channel_values,
    is_linked,
    parse_active_mates,
)
from custom_components.micboard.plugins.validate import ValueGate

EWDX_LEAVES: dict[str, Any] = {
    "name": "VOX 1",
    "frequency_khz": 548000,
    "rx_mute": False,
    "rx_warnings": [],
    "rssi": -62.5,
    "rsqi": 88,
    "divi": 2,
    "af": -24.0,
    "bat_gauge": 65,
    "bat_minutes": 310,
    "bat_type": "Battery",
    "tx_type": "SKM",
    "tx_capsule": "MMD 935",
    "tx_mute": True,
    "tx_lock": False,
    "tx_warnings": [],
}


def test_ewdx_channel_mapping() -> None:
    values = channel_values(EWDX, 1, EWDX_LEAVES, None)
    assert values == {
        "name": "VOX 1",
        "frequency_mhz": 548.0,
        "muted": False,
        "rf_level": -62.5,
        "rf_quality": 88,
        "antenna": "B",
        "audio_level": -24.0,
        "audio_clipping": False,
        "rf_warning": False,
        "encryption_warning": False,
        "transmitter": Transmitter(
            model="SKM (MMD 935)",
            battery_percent=65,
            runtime_minutes=310,
            battery_type="Battery",
            muted=True,
            locked=False,
        ),
    }


def test_ewdx_warnings() -> None:
    leaves = {**EWDX_LEAVES, "rx_warnings": ["LowSignal", "AfPeak", "Aes256Error"]}
    values = channel_values(EWDX, 1, leaves, None)
    assert values["rf_warning"] is True
    assert values["audio_clipping"] is True
    assert values["encryption_warning"] is True
    rf_peak = channel_values(EWDX, 1, {**EWDX_LEAVES, "rx_warnings": ["RfPeak"]}, None)
    assert rf_peak["rf_warning"] is True
    tx_peak = channel_values(EWDX, 1, {**EWDX_LEAVES, "tx_warnings": ["AfPeak"]}, None)
    assert tx_peak["audio_clipping"] is True


def test_424_on_a_transmitter_address_means_no_transmitter() -> None:
    leaves = {**EWDX_LEAVES, "bat_gauge": SscError(424)}
    assert channel_values(EWDX, 1, leaves, None)["transmitter"] is None


def test_other_errors_are_unknown_values_not_no_transmitter() -> None:
    leaves = {**EWDX_LEAVES, "bat_gauge": SscError(503), "name": SscError(404)}
    values = channel_values(EWDX, 1, leaves, None)
    assert values["name"] is None
    assert values["transmitter"] is not None
    assert values["transmitter"].battery_percent is None


def test_no_link_warning_means_no_transmitter() -> None:
    leaves = {**EWDX_LEAVES, "rx_warnings": ["NoLink"]}
    assert channel_values(EWDX, 1, leaves, None)["transmitter"] is None


def test_link_unknown_without_any_information() -> None:
    assert not is_linked(EWDX, 1, {"name": "X"}, None)
    assert is_linked(EWDX, 1, {"rx_warnings": []}, None)
    assert channel_values(EWDX, 1, {}, None)["transmitter"] is None


@pytest.mark.parametrize(
    ("key", "sentinel", "field"),
    [
        ("bat_gauge", 255, "battery_percent"),
        ("bat_gauge", -1, "battery_percent"),
        ("bat_gauge", "65", "battery_percent"),
        ("bat_type", "NoBattery", "battery_type"),
        ("bat_type", "", "battery_type"),
        ("tx_mute", 1, "muted"),
        ("tx_lock", None, "locked"),
    ],
)
def test_transmitter_sentinels_become_none(key: str, sentinel: object, field: str) -> None:
    transmitter = channel_values(EWDX, 1, {**EWDX_LEAVES, key: sentinel}, None)["transmitter"]
    assert getattr(transmitter, field) is None


@pytest.mark.parametrize(
    ("key", "sentinel", "field"),
    [
        ("frequency_khz", 0, "frequency_mhz"),
        ("frequency_khz", 99_999_999, "frequency_mhz"),
        ("rssi", -999, "rf_level"),
        ("rssi", float("nan"), "rf_level"),
        ("rssi", True, "rf_level"),
        ("rsqi", 101, "rf_quality"),
        ("rsqi", -1, "rf_quality"),
        ("divi", 0, "antenna"),
        ("divi", 3, "antenna"),
        ("af", float("-inf"), "audio_level"),
        ("af", -999.0, "audio_level"),
        ("name", "", "name"),
        ("name", 42, "name"),
        ("rx_mute", "yes", "muted"),
        ("rx_warnings", [1, 2], "rf_warning"),
        ("rx_warnings", {"a": 1}, "encryption_warning"),
    ],
)
def test_channel_sentinels_become_none(key: str, sentinel: object, field: str) -> None:
    assert channel_values(EWDX, 1, {**EWDX_LEAVES, key: sentinel}, None)[field] is None


def test_capsule_unknown_is_left_out_of_the_model() -> None:
    transmitter = channel_values(EWDX, 1, {**EWDX_LEAVES, "tx_capsule": "unknown"}, None)[
        "transmitter"
    ]
    assert transmitter.model == "SKM"


SLDW_LEAVES: dict[str, Any] = {
    "name": "CHAIR",
    "rx_warnings": "",
    "tx_mute": False,
    "bat_gauge": 67,
    "bat_seconds": 36240,
    "tx_device_type": 1,
    "tx_warnings": "",
}


def test_sldw_mapping_converts_seconds_and_device_type() -> None:
    values = channel_values(SLDW, 1, SLDW_LEAVES, frozenset({1}))
    assert values["transmitter"] == Transmitter(
        model="Bodypack", battery_percent=67, runtime_minutes=604, muted=False
    )
    assert values["rf_level"] is None
    assert values["frequency_mhz"] is None
    assert values["audio_clipping"] is None  # SpeechLine has no audio peak warning
    assert values["encryption_warning"] is None
    assert values["rf_warning"] is False


def test_sldw_link_signals() -> None:
    assert channel_values(SLDW, 2, SLDW_LEAVES, frozenset({1}))["transmitter"] is None
    no_link = {**SLDW_LEAVES, "rx_warnings": ["No Link"]}
    assert channel_values(SLDW, 1, no_link, None)["transmitter"] is None
    bad_link = channel_values(SLDW, 1, {**SLDW_LEAVES, "rx_warnings": ["Bad Link"]}, None)
    assert bad_link["rf_warning"] is True
    unknown_type = {**SLDW_LEAVES, "tx_device_type": 9}
    assert channel_values(SLDW, 1, unknown_type, None)["transmitter"].model is None
    # A negative time is no runtime: the value gate's rule (the same for every protocol).
    negative = channel_values(SLDW, 1, {**SLDW_LEAVES, "bat_seconds": -5}, None)["transmitter"]
    assert ValueGate().transmitter(negative).runtime_minutes is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["mates/tx1", "mates/tx3"], frozenset({1, 3})),
        (["tx1"], frozenset({1})),
        ([], frozenset()),
        ("tx1", None),
        ([1], None),
        (["rx1"], None),
        (["mates/txA"], None),
    ],
)
def test_active_mates(value: object, expected: frozenset[int] | None) -> None:
    assert parse_active_mates(value) == expected


def test_features_follow_supported_leaves() -> None:
    all_ewdx = frozenset(key for _path, key in EWDX.channel_leaves)
    assert EWDX.features(all_ewdx) == {
        Feature.TRANSMITTER,
        Feature.NAME,
        Feature.FREQUENCY,
        Feature.MUTE,
        Feature.RF_LEVEL,
        Feature.RF_QUALITY,
        Feature.ANTENNA,
        Feature.AUDIO_LEVEL,
        Feature.BATTERY_PERCENT,
        Feature.BATTERY_RUNTIME,
        Feature.BATTERY_TYPE,
        Feature.TX_MODEL,
        Feature.TX_MUTE,
        Feature.ENCRYPTION,
    }
    assert Feature.MUTE not in EWDX.features(all_ewdx - {"rx_mute"})
    assert Feature.ENCRYPTION not in EWDX.features(all_ewdx - {"rx_warnings"})
    all_sldw = frozenset(key for _path, key in SLDW.channel_leaves)
    assert SLDW.features(all_sldw) == {
        Feature.TRANSMITTER,
        Feature.NAME,
        Feature.TX_MUTE,
        Feature.BATTERY_PERCENT,
        Feature.BATTERY_RUNTIME,
        Feature.TX_MODEL,
    }
    assert EWDX.leaves_for(3, frozenset({"rssi"})) == {("m", "rx3", "rssi"): "rssi"}
