"""EW-DX resource bodies -> normalized model, per path, including every out-of-range value."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.micboard.plugins.model import Feature
from custom_components.micboard.plugins.sennheiser.ssc2.model import (
    FEATURES,
    ReceiverMapper,
    build_receiver,
    channel_count,
    model_name,
    new_receiver,
    normalize_path,
    subscription_groups,
    transmitter_groups,
    transmitter_model,
)
from custom_components.micboard.plugins.validate import ValueGate


def mapper(product: str = "EWDX4CHDS") -> ReceiverMapper:
    """A mapper as the plugin runs it: live values pass the value gate."""
    mapper = new_receiver({"product": product, "serial": "99"}, "10.0.0.9")[1]
    mapper.gate = ValueGate()
    return mapper


def linked(m: ReceiverMapper, index: int = 0, **battery: Any) -> None:
    m.apply(f"/api/transmitters/{index}", {"type": "EW_DX_SKM", "mute": False, "lock": True})
    m.apply(f"/api/transmitters/{index}/battery", {"type": "Battery", **battery})


def test_product_codes() -> None:
    assert channel_count("EWDX2CHS") == 2
    assert channel_count("EWDX2CHDS") == 2
    assert channel_count("EWDX4CHDS") == 4
    assert channel_count("EWDX0CHS") is None
    assert channel_count("TCCM") is None
    assert model_name("EWDX4CHDS") == "EW-DX EM 4 Dante"
    assert model_name("EWDX8CHX") == "EWDX8CHX"


def test_features_are_honest() -> None:
    assert Feature.BATTERY_PERCENT in FEATURES
    assert Feature.BATTERY_RUNTIME in FEATURES
    assert Feature.BATTERY_BARS not in FEATURES  # bars are derived from percent
    assert Feature.INTERFERENCE not in FEATURES
    receiver = mapper().receiver
    assert receiver.channels[1].features == FEATURES


def test_channel_ids_are_zero_based() -> None:
    m = mapper()
    assert m.apply("/api/channel/0", {"name": "VOX 1", "mute": True}) == {1: {"name", "muted"}}
    assert m.apply("/api/channel/3", {"name": "LAST", "mute": False}) == {4: {"name", "muted"}}
    assert m.apply("/api/channel/4", {"name": "NONE", "mute": False}) == {}
    assert m.receiver.channels[1].name == "VOX 1"
    assert m.receiver.channels[4].name == "LAST"


def test_paths_without_api_prefix_and_trailing_slash() -> None:
    assert normalize_path("/device/site") == "/api/device/site"
    assert normalize_path("/api/channel/0/") == "/api/channel/0"
    assert normalize_path("/api") == "/api"
    m = mapper()
    assert m.apply("/channel/1", {"name": "B", "mute": False}) == {2: {"name", "muted"}}


def test_unchanged_values_report_nothing() -> None:
    m = mapper()
    m.apply("/api/channel/0", {"name": "A", "mute": False})
    assert m.apply("/api/channel/0", {"name": "A", "mute": False}) == {}


@pytest.mark.parametrize(
    ("sub", "value", "attribute", "expected"),
    [
        ("signalStrengthIndicator", -62.5, "rf_level", -62.5),
        ("signalStrengthIndicator", -107, "rf_level", -107.0),
        ("signalStrengthIndicator", -108, "rf_level", None),
        ("signalStrengthIndicator", 3, "rf_level", None),
        ("signalQualityIndicator", 87, "rf_quality", 87),
        ("signalQualityIndicator", 87.6, "rf_quality", 88),
        ("signalQualityIndicator", 101, "rf_quality", None),
        ("signalQualityIndicator", -1, "rf_quality", None),
        ("diversityIndicator", 0, "antenna", None),
        ("diversityIndicator", 1, "antenna", "A"),
        ("diversityIndicator", 2, "antenna", "B"),
        ("diversityIndicator", 3, "antenna", None),
        ("level", -31.5, "audio_level", -31.5),
        ("level", -138.5, "audio_level", -138.5),
        ("level", -139, "audio_level", None),
        ("level", 0.5, "audio_level", None),
        ("level", None, "audio_level", None),
    ],
)
def test_meters_and_their_ranges(sub: str, value: Any, attribute: str, expected: Any) -> None:
    m = mapper()
    m.receiver.channels[1].rf_level = m.receiver.channels[1].audio_level = -1.0
    m.apply(f"/api/channel/0/{sub}", {"value": value})
    assert getattr(m.receiver.channels[1], attribute) == expected


@pytest.mark.parametrize("body", [{"value": True}, {"value": "-3"}, [1], "x", {"value": [1]}])
def test_malformed_meters_keep_the_last_value(body: Any) -> None:
    m = mapper()
    m.apply("/api/channel/0/level", {"value": -20.0})
    assert m.apply("/api/channel/0/level", body) == {}
    assert m.receiver.channels[1].audio_level == -20.0


@pytest.mark.parametrize("body", [None, {"value": None}, {"other": 1}])
def test_meter_without_a_value_is_unknown(body: Any) -> None:
    m = mapper()
    m.apply("/api/channel/0/level", {"value": -20.0})
    assert m.apply("/api/channel/0/level", body) == {1: {"audio_level"}}
    assert m.receiver.channels[1].audio_level is None


def test_unknown_channel_resource_is_ignored() -> None:
    assert mapper().apply("/api/channel/0/gainReduction", {"value": 1}) == {}


@pytest.mark.parametrize(
    ("khz", "mhz"), [(470_200, 470.2), (548_975, 548.975), (0, None), (-5, None), (True, None)]
)
def test_frequency_khz_to_mhz(khz: Any, mhz: float | None) -> None:
    m = mapper()
    m.apply("/api/rf/channels/1", {"frequency": khz, "presets": {"type": "None"}})
    assert m.receiver.channels[2].frequency_mhz == mhz


def test_resources_of_a_channel_the_receiver_lacks() -> None:
    m = mapper("EWDX2CHS")
    assert m.apply("/api/rf/channels/2", {"frequency": 500_000}) == {}
    assert m.apply("/api/transmitters/2/battery", {"gauge": 50}) == {}


def test_transmitter_linked_battery_and_unlinked() -> None:
    m = mapper()
    channel = m.receiver.channels[1]
    assert channel.transmitter is None
    linked(m, gauge=65, lifetime=290)
    tx = channel.transmitter
    assert tx is not None
    assert (tx.model, tx.muted, tx.locked) == ("EW-DX SKM", False, True)
    assert (tx.battery_percent, tx.runtime_minutes, tx.battery_type) == (65, 290, "Battery")
    assert tx.battery_bars is None
    assert m.apply("/api/transmitters/0", None) == {1: {"transmitter"}}
    assert channel.transmitter is None
    # Unlinking forgot the battery: a transmitter announcing itself starts unknown.
    assert m.apply("/api/transmitters/0", {}) == {1: {"transmitter"}}
    tx = channel.transmitter
    assert tx is not None
    assert (tx.model, tx.battery_percent) == (None, None)


@pytest.mark.parametrize(
    ("battery", "percent", "minutes"),
    [
        ({"type": "Battery", "gauge": 255, "lifetime": 65535}, None, None),
        ({"type": "Battery", "gauge": -1, "lifetime": -1}, None, None),
        ({"type": "PrimaryCell", "gauge": 100, "lifetime": 1440}, 100, 1440),
        ({"type": "NoBattery", "gauge": 0, "lifetime": 0}, None, None),
        ({"type": "Battery", "gauge": "80", "lifetime": None}, None, None),
        ({"gauge": 40.4, "lifetime": 99.6}, 40, 100),
    ],
)
def test_battery_sentinels(battery: dict[str, Any], percent: Any, minutes: Any) -> None:
    m = mapper()
    m.apply("/api/transmitters/0", {"type": "EW_DX_SK"})
    m.apply("/api/transmitters/0/battery", battery)
    tx = m.receiver.channels[1].transmitter
    assert tx is not None
    assert (tx.battery_percent, tx.runtime_minutes) == (percent, minutes)


def test_battery_before_the_transmitter_object_implies_a_transmitter() -> None:
    m = mapper()
    m.apply("/api/transmitters/1/battery", {"type": "Battery", "gauge": 50, "lifetime": 200})
    tx = m.receiver.channels[2].transmitter
    assert tx is not None
    assert tx.battery_percent == 50
    m.apply("/api/transmitters/1/battery", None)  # battery unknown, transmitter still there
    tx = m.receiver.channels[2].transmitter
    assert tx is not None
    assert tx.battery_percent is None


def test_no_link_warning_means_transmitter_off() -> None:
    m = mapper()
    linked(m, gauge=70, lifetime=300)
    assert m.apply("/api/channel/0/warnings", ["NoLink"]) == {
        1: {"transmitter", "rf_warning", "audio_clipping", "encryption_warning"}
    }
    assert m.receiver.channels[1].transmitter is None
    m.apply("/api/channel/0/warnings", [])
    tx = m.receiver.channels[1].transmitter
    assert tx is not None
    assert tx.battery_percent == 70


def test_channel_and_transmitter_warnings() -> None:
    m = mapper()
    channel = m.receiver.channels[1]
    assert (channel.rf_warning, channel.audio_clipping, channel.encryption_warning) == (
        None,
        None,
        None,
    )
    linked(m, gauge=90)
    m.apply("/api/channel/0/warnings", ["LowSignal"])
    assert (channel.rf_warning, channel.audio_clipping, channel.encryption_warning) == (
        True,
        False,
        False,
    )
    m.apply("/api/channel/0/warnings", ["RfPeak", "Aes256Error", 7])
    assert (channel.rf_warning, channel.encryption_warning) == (True, True)
    m.apply("/api/channel/0/warnings", [])
    m.apply("/api/transmitters/0/warnings", ["AfPeak", "LowBattery"])
    assert channel.audio_clipping is True
    m.apply("/api/transmitters/0/warnings", None)
    assert channel.audio_clipping is False
    m.apply("/api/channel/0/warnings", ["AfPeak"])
    assert channel.audio_clipping is True


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/channel/0", ["not", "an", "object"]),
        ("/api/channel/0/warnings", "LowSignal"),
        ("/api/transmitters/0", "gone"),
        ("/api/transmitters/0/battery", 42),
        ("/api/transmitters/0/warnings", {"AfPeak": True}),
        ("/api/transmitters", {"0": {}}),
        ("/api/unknown/thing", {"x": 1}),
        ("not a path", None),
    ],
)
def test_malformed_bodies_change_nothing(path: str, body: Any) -> None:
    m = mapper()
    linked(m, gauge=90)
    assert m.apply(path, body) == {}


def test_transmitter_list_names_every_linked_transmitter() -> None:
    m = mapper()
    linked(m, 3, gauge=10)
    changes = m.apply(
        "/api/transmitters",
        [
            {"id": 0, "transmitter": {"type": "EW_DX_SKM_S"}},
            {"id": 1},
            {"id": 2, "transmitter": None},
            {"id": "x"},
            "junk",
        ],
    )
    channels = m.receiver.channels
    assert channels[1].transmitter is not None
    assert channels[1].transmitter.model == "EW-DX SKM-S"
    assert channels[2].transmitter is not None  # listed without details: announcing
    assert channels[3].transmitter is None
    assert channels[4].transmitter is None  # not listed any more: unlinked
    assert set(changes) == {1, 2, 4}


def test_site_and_firmware() -> None:
    m = mapper()
    assert m.apply("/api/device/site", {"deviceName": "RACK2", "location": ""}) == {None: {"name"}}
    assert m.receiver.name == "RACK2"
    m.apply("/api/device/site", {"deviceName": ""})
    assert m.receiver.name is None
    m.apply("/api/firmware/update/state", {"deviceVersion": "4.2.0", "state": "Idle"})
    assert m.receiver.firmware == "4.2.0"
    m.apply("/api/firmware/update/state", "junk")
    assert m.receiver.firmware is None


def test_channel_body_with_wrong_types() -> None:
    m = mapper()
    m.apply("/api/channel/0", {"name": 5, "mute": "yes"})
    assert (m.receiver.channels[1].name, m.receiver.channels[1].muted) == (None, None)


@pytest.mark.parametrize(
    ("kind", "model"),
    [
        ("EW_D_SKP", "EW-D SKP"),
        ("EW_DX_TS_5_PIN", "EW-DX TS 5-PIN"),
        ("EW_DX_FUTURE", "EW DX FUTURE"),
        ("", None),
        (None, None),
    ],
)
def test_transmitter_models(kind: Any, model: str | None) -> None:
    assert transmitter_model(kind) == model


def test_subscription_groups_are_small() -> None:
    groups = subscription_groups(4)
    assert all(1 <= len(group) <= 4 for group in groups)
    flat = [path for group in groups for path in group]
    assert "/api/transmitters" in flat
    assert "/api/channel/3/level" in flat
    assert "/api/channel/4" not in flat
    assert len(flat) == len(set(flat))
    assert transmitter_groups(2)[1] == [
        "/api/transmitters/1",
        "/api/transmitters/1/battery",
        "/api/transmitters/1/warnings",
    ]


def test_build_receiver_from_a_snapshot() -> None:
    receiver, m = build_receiver(
        {
            "host": "h",
            "resources": {
                "/api/device/identity": {"product": "EWDX2CHS", "serial": "7"},
                "/api/ssc/version": {"protocol": "2.3"},
                "/api/device/state": {"state": "Normal"},
                "/api/transmitters/0": None,
                "/api/transmitters/1": {"type": "EW_DX_SK"},
                "/api/transmitters/1/battery": {"type": "Battery", "gauge": 12, "lifetime": 40},
            },
        }
    )
    assert receiver.id == "7"
    assert receiver.channels[1].transmitter is None
    assert receiver.channels[2].transmitter is not None
    assert receiver.channels[2].transmitter.battery_percent == 12
    assert m.receiver is receiver
