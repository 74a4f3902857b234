"""The value gate: what a device sends only reaches the model if the hardware could report it."""

from __future__ import annotations

from dataclasses import replace
import math

from hypothesis import given, strategies as st
import pytest

from custom_components.micboard.plugins.health import ConnectionHealth
from custom_components.micboard.plugins.model import Channel, Receiver, Transmitter
from custom_components.micboard.plugins.validate import (
    DEFAULT_LIMITS,
    MAX_NAME_LENGTH,
    ValueGate,
    _cleaned,
    clean_text,
    in_range,
)

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.binary(),
    st.lists(st.integers(), max_size=3),
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Lead Vox", "Lead Vox"),
        ("  Lead   Vox  ", "Lead Vox"),
        ("Lead\x1b[31mVox", "Lead[31mVox"),
        ("\x00\x07", None),
        ("Tab\there", "Tab here"),
        ("right\u202eleft", "rightleft"),
        ("x" * 400, "x" * MAX_NAME_LENGTH),
        (1234567890, None),
        (12.5, None),
        (None, None),
        ("", None),
    ],
)
def test_names_are_cleaned(raw: object, shown: str | None) -> None:
    assert clean_text(raw) == shown


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [
        ("frequency_mhz", 0.005, False),
        ("frequency_mhz", 5_207_101.5, False),
        ("frequency_mhz", 9.2e15, False),
        ("frequency_mhz", 0.056, False),
        ("frequency_mhz", 578.35, True),
        ("rf_level", 135.0, False),
        ("rf_level", -128.0, True),
        ("audio_level", 15.0, False),
        ("audio_peak", -138.5, True),
        ("rf_quality", 101, False),
        ("rf_quality", 100, True),
        ("gain", 1e9, False),
        ("rf_level", math.nan, False),
        ("rf_level", math.inf, False),
        ("rf_level", True, False),
    ],
)
def test_values_out_of_range_become_unknown(field: str, value: object, kept: bool) -> None:
    health = ConnectionHealth()
    gate = ValueGate(health=health)
    channel = Channel(index=1)
    gate.apply(channel, {field: value})
    assert (getattr(channel, field) == value) is kept
    if not kept:
        assert getattr(channel, field) is None
    assert health.values_rejected == gate.rejected == (0 if kept else 1)


def test_transmitter_values_are_checked() -> None:
    gate = ValueGate()
    transmitter = Transmitter(
        model="ULXD2\x07",
        battery_bars=7,
        battery_percent=85,
        runtime_minutes=65534,
        battery_health=255,
        battery_cycles=12,
    )
    checked = gate.channel_values({"transmitter": transmitter})["transmitter"]
    assert checked == Transmitter(
        model="ULXD2", battery_bars=None, battery_percent=85, battery_cycles=12
    )
    assert gate.rejected == 3  # bars, runtime, health; the model's BEL is cleaned, not refused


def test_a_bad_value_is_counted_once_however_often_it_is_checked() -> None:
    """MCP and Audio-Technica re-apply a channel's whole state on every message."""
    health = ConnectionHealth()
    gate = ValueGate(health=health)
    channel = Channel(index=1)
    for _ in range(50):
        gate.apply(channel, {"rf_level": 135.0, "audio_level": -20.0})
    assert health.values_rejected == gate.rejected == 1
    gate.apply(channel, {"rf_level": 140.0})  # another bad value: counted
    assert gate.rejected == 2
    gate.apply(channel, {"rf_level": -60.0})
    gate.apply(channel, {"rf_level": 140.0})  # bad again after a good one: counted
    assert gate.rejected == 3
    for _ in range(3):
        gate.apply(channel, {"rf_level": math.nan})  # NaN is the same value each time here
    assert gate.rejected == 4


def test_the_same_bad_value_on_two_channels_or_fields_counts_twice() -> None:
    gate = ValueGate()
    first, second = Channel(index=1), Channel(index=2)
    gate.apply(first, {"rf_quality": 101})
    gate.apply(second, {"rf_quality": 101})
    gate.apply(first, {"gain": 101})
    assert gate.rejected == 3


def test_a_transmitter_re_read_counts_its_bad_battery_once() -> None:
    gate = ValueGate()
    channel = Channel(index=1)
    for minutes in (30, 30, 30):
        gate.apply(channel, {"transmitter": Transmitter(battery_bars=9, runtime_minutes=minutes)})
    assert gate.rejected == 1
    gate.apply(channel, {"transmitter": Transmitter(battery_bars=3)})
    gate.apply(channel, {"transmitter": Transmitter(battery_bars=9)})
    assert gate.rejected == 2


def test_a_snapshot_re_read_counts_a_bad_value_once() -> None:
    """Resyncs check fresh objects; the value is the same, so it counts once."""
    gate = ValueGate()

    def snapshot() -> Receiver:
        return Receiver(
            id="rx", manufacturer="M", name="\x00", channels={1: Channel(index=1, gain=1e9)}
        )

    live = gate.receiver(snapshot())
    for _ in range(3):
        gate.receiver(snapshot(), live)
    gate.apply(live.channels[1], {"gain": 1e9})  # the live path, after the snapshots
    assert gate.rejected == 2  # the name, the gain


def test_standalone_text_is_counted_per_field() -> None:
    gate = ValueGate()
    for _ in range(2):
        assert gate.text("\x07", field="device.name") is None
        assert gate.text(12, field="device.model") is None
    assert gate.rejected == 2


def test_one_runtime_rule_for_every_protocol() -> None:
    gate = ValueGate()
    assert gate.channel_values({"transmitter": Transmitter(runtime_minutes=1440)})[
        "transmitter"
    ] == Transmitter(runtime_minutes=1440)
    assert gate.channel_values({"transmitter": Transmitter(runtime_minutes=1441)})[
        "transmitter"
    ] == Transmitter(runtime_minutes=None)


def test_a_family_narrows_the_limits() -> None:
    ulxd = ValueGate().narrowed(replace(DEFAULT_LIMITS, rf_dbm=(-128.0, -13.0)))
    assert ulxd.channel_values({"rf_level": -5.0, "rf_levels": (-5.0, -60.0)}) == {
        "rf_level": None,
        "rf_levels": (None, -60.0),
    }
    assert ulxd.channel_values({"rf_levels": "AB"}) == {"rf_levels": ()}


def test_a_whole_snapshot_is_checked() -> None:
    receiver = Receiver(id="rx", manufacturer="Shure", name="\x1bRACK 1 ", model=42)  # type: ignore[arg-type]
    receiver.channels[1] = Channel(
        index=1, name="x" * 300, frequency_mhz=0.005, transmitter=Transmitter(battery_bars=255)
    )
    ValueGate().receiver(receiver)
    assert (receiver.name, receiver.model) == ("RACK 1", None)
    channel = receiver.channels[1]
    assert channel.name == "x" * MAX_NAME_LENGTH
    assert channel.frequency_mhz is None
    assert channel.transmitter == Transmitter(battery_bars=None)


@pytest.mark.property
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "frequency_mhz",
                "rf_level",
                "audio_level",
                "audio_peak",
                "rf_quality",
                "gain",
                "antenna",
                "rf_levels",
                "muted",
            ]
        ),
        ANYTHING,
    )
)
def test_whatever_a_parser_hands_over_only_sane_values_come_out(values: dict) -> None:
    clean = ValueGate().channel_values(values)
    limits = DEFAULT_LIMITS
    for field, bounds in (
        ("frequency_mhz", limits.frequency_mhz),
        ("rf_level", limits.rf_dbm),
        ("audio_level", limits.audio_dbfs),
        ("audio_peak", limits.audio_dbfs),
        ("rf_quality", limits.rf_quality_percent),
        ("gain", limits.gain_db),
    ):
        value = clean.get(field)
        assert value is None or in_range(value, bounds)
    name = clean.get("name")
    assert name is None or (
        isinstance(name, str) and 0 < len(name) <= MAX_NAME_LENGTH and name.isprintable()
    )


@pytest.mark.property
@given(st.text())
def test_cleaned_text_is_printable_and_short(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned is None or (cleaned.isprintable() and len(cleaned) <= MAX_NAME_LENGTH)
    assert cleaned is None or cleaned == cleaned.strip()


@pytest.mark.property
@given(st.text(), st.integers(min_value=1, max_value=80))
def test_the_fast_path_agrees_with_the_character_loop(text: str, limit: int) -> None:
    """Text that skips the loop (printable, trimmed, single-spaced) comes out as the loop would."""
    assert clean_text(text, limit) == _cleaned(text, limit)


@pytest.mark.parametrize(
    "text", ["A", "AB", "Lead Vox", "HH01 Fatai", "", " A", "A  B", "é\u00a0x"]
)
def test_the_fast_path_on_everyday_words(text: str) -> None:
    assert clean_text(text, 8) == _cleaned(text, 8)
