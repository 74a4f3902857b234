"""micboard.show_report without the recorder: its input checks, and the figures' edge cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.show_report import channel_figures, report_window
from tests.integration.common import TRANSLATIONS

type Rack = tuple[MockConfigEntry, MicboardCoordinator]
NOW = datetime(2026, 11, 8, 12, 0, tzinfo=dt_util.UTC)


async def _call(hass: HomeAssistant, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, "show_report", data, blocking=True, return_response=True
    )


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "report_window_missing"),
        ({"end": "2026-11-08 10:00:00"}, "report_window_missing"),
        ({"last_hours": 2, "start": "2026-11-08 10:00:00"}, "report_window_conflict"),
        ({"start": "2026-11-08 10:00:00", "end": "2026-11-08 09:00:00"}, "report_window_order"),
        ({"start": "2999-01-01 10:00:00"}, "report_window_order"),
        ({"start": "2026-01-01 10:00:00"}, "report_window_too_long"),
        ({"last_hours": 1, "config_entry_id": "nope"}, "report_unknown_entry"),
        ({"last_hours": 1, "device_id": ["nope"]}, "device_not_found"),
        ({"last_hours": 1, "area_id": "nowhere"}, "report_unknown_area"),
        ({"last_hours": 1, "label_id": ["nolabel"]}, "report_unknown_label"),
    ],
)
async def test_invalid_requests_are_explained(
    hass: HomeAssistant, demo_rack: Rack, data: dict[str, Any], key: str
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, **data)
    assert caught.value.translation_key == key
    assert key in TRANSLATIONS["exceptions"]


async def test_other_integrations_devices_are_refused(hass: HomeAssistant, demo_rack: Rack) -> None:
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, last_hours=1, device_id=device.id)
    assert caught.value.translation_key == "device_not_found"
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, last_hours=1, config_entry_id=other.entry_id)
    assert caught.value.translation_key == "report_unknown_entry"


async def test_schema_bounds(hass: HomeAssistant, demo_rack: Rack) -> None:
    with pytest.raises(vol.Invalid):
        await _call(hass, last_hours=0)
    with pytest.raises(vol.Invalid):
        await _call(hass, last_hours=24 * 32)


async def test_needs_the_recorder(hass: HomeAssistant, demo_rack: Rack) -> None:
    with pytest.raises(HomeAssistantError) as caught:
        await _call(hass, last_hours=1)
    assert caught.value.translation_key == "recorder_required"
    assert "recorder_required" in TRANSLATIONS["exceptions"]


def test_window_in_local_time_and_capped_at_now() -> None:
    start, end = report_window({"start": NOW - timedelta(hours=2)}, NOW)
    assert (start, end) == (NOW - timedelta(hours=2), NOW)
    future = {"start": NOW - timedelta(hours=1), "end": NOW + timedelta(hours=1)}
    assert report_window(future, NOW) == (NOW - timedelta(hours=1), NOW)
    assert report_window({"last_hours": 1.5}, NOW) == (NOW - timedelta(hours=1.5), NOW)
    local = dt_util.as_local(NOW - timedelta(hours=1)).replace(tzinfo=None)  # as typed
    assert report_window({"start": local}, NOW)[0] == NOW - timedelta(hours=1)


def _at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_figures_at_the_window_edges() -> None:
    """What was going on at the start counts from the start; what starts later, from then."""
    start, end = _at(0), _at(60)
    figures = channel_figures(
        {
            "transmitter": [(_at(0), "on"), (_at(30), "unavailable"), (_at(40), "off")],
            "rf_problem": [(_at(0), "on"), (_at(1), "off"), (_at(59), "on")],
            "status": [(_at(0), "audio_peak"), (_at(1), "good"), (_at(2), "audio_peak")],
            "battery": [(_at(0), "unknown"), (_at(10), "40"), (_at(20), "35.4")],
            "battery_runtime": [(_at(0), "100"), (_at(50), "unavailable")],
        },
        start,
        end,
    )
    assert figures == {
        "battery_lowest_percent": 35,
        "battery_lowest_bars": None,
        "runtime_end_minutes": 100,
        "runtime_estimated": False,
        "on_air_minutes": 30.0,
        "transmitter_off_events": 0,  # on, unavailable, off: not seen switching off
        "rf_dropouts": 2,  # one in progress at the start, one still going at the end
        "rf_dropout_longest_seconds": 60.0,
        "audio_clips": 1,  # a peak already held at the start is not counted again
    }
    assert channel_figures({}, start, end)["on_air_minutes"] == 0.0
