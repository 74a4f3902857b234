"""What every value in the model must look like, whatever a device sent (property tests)."""

from __future__ import annotations

from custom_components.micboard.plugins.model import Receiver, Transmitter
from custom_components.micboard.plugins.validate import MAX_NAME_LENGTH, Limits, in_range

_CHANNEL_RANGES = {
    "frequency_mhz": "frequency_mhz",
    "audio_level": "audio_dbfs",
    "audio_peak": "audio_dbfs",
    "rf_level": "rf_dbm",
    "rf_quality": "rf_quality_percent",
    "gain": "gain_db",
}
_TRANSMITTER_RANGES = {
    "battery_bars": "battery_bars",
    "battery_percent": "battery_percent",
    "runtime_minutes": "runtime_minutes",
    "charge_minutes": "charge_minutes",
    "battery_health": "battery_health_percent",
    "battery_cycles": "battery_cycles",
}


def _text_ok(value: object) -> bool:
    return value is None or (
        isinstance(value, str) and 0 < len(value) <= MAX_NAME_LENGTH and value.isprintable()
    )


def assert_sane(receiver: Receiver, limits: Limits) -> None:
    """Every number within the family's limits, every text printable and short."""
    for field in ("name", "model", "firmware", "serial"):
        assert _text_ok(getattr(receiver, field)), (field, getattr(receiver, field))
    for channel in receiver.channels.values():
        assert _text_ok(channel.name), channel.name
        for field, bounds in _CHANNEL_RANGES.items():
            value = getattr(channel, field)
            assert value is None or in_range(value, getattr(limits, bounds)), (field, value)
        assert all(v is None or in_range(v, limits.rf_dbm) for v in channel.rf_levels)
        if channel.transmitter is not None:
            _transmitter_sane(channel.transmitter, limits)


def _transmitter_sane(transmitter: Transmitter, limits: Limits) -> None:
    for field in ("model", "battery_type", "power_source"):
        assert _text_ok(getattr(transmitter, field)), (field, getattr(transmitter, field))
    for field, bounds in _TRANSMITTER_RANGES.items():
        value = getattr(transmitter, field)
        assert value is None or in_range(value, getattr(limits, bounds)), (field, value)
