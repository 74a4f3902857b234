"""Derived channel status, low battery and RF problem rules (pure, no Home Assistant)."""

from __future__ import annotations

import pytest

from custom_components.micboard.plugins.model import (
    Channel,
    ChannelStatus,
    Feature,
    Transmitter,
)
from custom_components.micboard.plugins.status import (
    AUDIO_PEAK_HOLD_SECONDS,
    BATTERY_MEMORY_SECONDS,
    StatusTracker,
    bars_from_percent,
    battery_class,
    has_rf_problem,
    is_low_battery,
)

KEY = ("rx", 1)
MIC = frozenset({Feature.TRANSMITTER, Feature.BATTERY_BARS})


def _channel(tx: Transmitter | None, **values: object) -> Channel:
    channel = Channel(index=1, features=MIC, transmitter=tx)
    for name, value in values.items():
        setattr(channel, name, value)
    return channel


@pytest.mark.parametrize(
    ("percent", "bars"), [(0, 0), (-3, 0), (1, 1), (20, 1), (21, 2), (60, 3), (61, 4), (100, 5)]
)
def test_bars_from_percent(percent: int, bars: int) -> None:
    assert bars_from_percent(percent) == bars


@pytest.mark.parametrize(
    ("tx", "expected"),
    [
        (Transmitter(battery_bars=5), ChannelStatus.GOOD),
        (Transmitter(battery_bars=4), ChannelStatus.GOOD),
        (Transmitter(battery_bars=3), ChannelStatus.REPLACE),
        (Transmitter(battery_bars=2), ChannelStatus.CRITICAL),
        (Transmitter(battery_bars=0), ChannelStatus.CRITICAL),
        (Transmitter(battery_percent=75), ChannelStatus.GOOD),
        (Transmitter(battery_percent=50), ChannelStatus.REPLACE),
        (Transmitter(battery_percent=15), ChannelStatus.CRITICAL),
        (Transmitter(battery_bars=4, battery_percent=10), ChannelStatus.GOOD),  # bars win
        (Transmitter(), None),
    ],
)
def test_battery_class(tx: Transmitter, expected: ChannelStatus | None) -> None:
    assert battery_class(tx) is expected


@pytest.mark.parametrize(
    ("tx", "expected"),
    [
        (None, None),
        (Transmitter(), None),
        (Transmitter(battery_percent=25), True),
        (Transmitter(battery_percent=26), False),
        (Transmitter(runtime_minutes=60), True),
        (Transmitter(battery_percent=90, runtime_minutes=30), True),
        (Transmitter(battery_percent=90, runtime_minutes=300), False),
        (Transmitter(battery_bars=2), True),
        (Transmitter(battery_bars=3), False),
        (Transmitter(battery_bars=1, battery_percent=80), False),  # percent known: it decides
    ],
)
def test_is_low_battery(tx: Transmitter | None, expected: bool | None) -> None:
    assert is_low_battery(tx, 25, 60) is expected


def test_rf_problem() -> None:
    tx = Transmitter(battery_bars=5)
    assert has_rf_problem(_channel(None, rf_level=-100.0)) is None
    assert has_rf_problem(_channel(tx)) is None
    assert has_rf_problem(_channel(tx, rf_level=-60.0)) is False
    assert has_rf_problem(_channel(tx, rf_level=-95.0)) is True
    assert has_rf_problem(_channel(tx, rf_level=-60.0, rf_quality=20)) is True
    assert has_rf_problem(_channel(tx, rf_quality=80)) is False
    assert has_rf_problem(_channel(tx, rf_warning=True)) is True
    assert has_rf_problem(_channel(tx, rf_warning=False)) is False


def test_tracker_battery_classes_and_offline() -> None:
    tracker = StatusTracker()
    channel = _channel(Transmitter(battery_bars=5))
    assert tracker.evaluate(KEY, channel, 0.0, receiver_online=True)
    assert channel.status is ChannelStatus.GOOD
    assert not tracker.evaluate(KEY, channel, 1.0, receiver_online=True)  # unchanged
    channel.transmitter = Transmitter(battery_bars=3)
    assert tracker.evaluate(KEY, channel, 2.0, receiver_online=True)
    assert channel.status is ChannelStatus.REPLACE
    channel.transmitter = Transmitter(battery_bars=1)
    tracker.evaluate(KEY, channel, 3.0, receiver_online=True)
    assert channel.status is ChannelStatus.CRITICAL
    tracker.evaluate(KEY, channel, 4.0, receiver_online=False)
    assert channel.status is ChannelStatus.RX_OFFLINE


def test_tracker_tx_off_keeps_last_transmitter() -> None:
    tracker = StatusTracker()
    channel = _channel(Transmitter(model="HH", battery_bars=4, runtime_minutes=200))
    tracker.evaluate(KEY, channel, 0.0, receiver_online=True)
    channel.transmitter = None
    tracker.evaluate(KEY, channel, 1.0, receiver_online=True)
    assert channel.status is ChannelStatus.TX_OFF
    assert channel.last_transmitter == Transmitter(model="HH", battery_bars=4, runtime_minutes=200)
    assert tracker.deadline(KEY, 1.0) == 1.0 + BATTERY_MEMORY_SECONDS


def test_tracker_previously_good_expires_after_memory() -> None:
    tracker = StatusTracker()
    channel = _channel(Transmitter(battery_bars=4))
    tracker.evaluate(KEY, channel, 0.0, receiver_online=True)
    channel.transmitter = Transmitter(battery_bars=None)  # still linked, reading lost
    tracker.evaluate(KEY, channel, 100.0, receiver_online=True)
    assert channel.status is ChannelStatus.PREVIOUSLY_GOOD
    assert tracker.deadline(KEY, 100.0) == 100.0 + BATTERY_MEMORY_SECONDS
    tracker.evaluate(KEY, channel, 100.0 + BATTERY_MEMORY_SECONDS, receiver_online=True)
    assert channel.status is ChannelStatus.UNKNOWN
    assert tracker.deadline(KEY, 100.0 + BATTERY_MEMORY_SECONDS) is None


@pytest.mark.parametrize(
    ("bars", "previous"),
    [(3, ChannelStatus.PREVIOUSLY_REPLACE), (1, ChannelStatus.PREVIOUSLY_CRITICAL)],
)
def test_tracker_previous_classes(bars: int, previous: ChannelStatus) -> None:
    tracker = StatusTracker()
    channel = _channel(Transmitter(battery_bars=bars))
    tracker.evaluate(KEY, channel, 0.0, receiver_online=True)
    channel.transmitter = Transmitter()
    tracker.evaluate(KEY, channel, 1.0, receiver_online=True)
    assert channel.status is previous


def test_tracker_audio_peak_hold_and_priority() -> None:
    tracker = StatusTracker()
    channel = _channel(Transmitter(battery_bars=5), audio_clipping=True)
    tracker.evaluate(KEY, channel, 0.0, receiver_online=True)
    assert channel.status is ChannelStatus.AUDIO_PEAK
    channel.audio_clipping = False
    tracker.evaluate(KEY, channel, AUDIO_PEAK_HOLD_SECONDS - 0.1, receiver_online=True)
    assert channel.status is ChannelStatus.AUDIO_PEAK
    assert tracker.deadline(KEY, 1.0) == AUDIO_PEAK_HOLD_SECONDS
    tracker.evaluate(KEY, channel, AUDIO_PEAK_HOLD_SECONDS, receiver_online=True)
    assert channel.status is ChannelStatus.GOOD
    # A critical battery outranks a peak; a peak noted between samples still counts.
    tracker.note_clip(KEY, 20.0)
    channel.transmitter = Transmitter(battery_bars=1)
    tracker.evaluate(KEY, channel, 21.0, receiver_online=True)
    assert channel.status is ChannelStatus.CRITICAL


def test_tracker_channel_without_transmitter_telemetry() -> None:
    """An IEM transmitter channel (no TRANSMITTER feature) is never 'tx off'."""
    tracker = StatusTracker()
    channel = Channel(index=1, features=frozenset({Feature.AUDIO_LEVEL}))
    tracker.evaluate(KEY, channel, 0.0, receiver_online=True)
    assert channel.status is ChannelStatus.UNKNOWN
    tracker.note_clip(KEY, 1.0)
    tracker.evaluate(KEY, channel, 2.0, receiver_online=True)
    assert channel.status is ChannelStatus.AUDIO_PEAK


def test_tracker_forget() -> None:
    tracker = StatusTracker()
    tracker.note_clip(KEY, 0.0)
    assert tracker.deadline(KEY, 0.0) is not None
    tracker.forget(KEY)
    assert tracker.deadline(KEY, 0.0) is None
