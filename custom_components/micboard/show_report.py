"""``micboard.show_report``: what happened to each channel during a show, from the recorder.

After the show (or a service, a rehearsal) a crew wants one page per channel: how low the
battery went and what is left, how long the transmitter was on, RF dropouts, audio clips,
transmitters switched off. All of it is already in the recorder as the state changes the
integration writes, so the report is computed after the fact from history, for any window
the recorder still keeps, whether or not the entry is loaded now:

- time on air and transmitter-off events: the *Transmitter* binary sensor (on → off);
- RF dropouts (count, longest): periods of the *RF problem* binary sensor being on;
- audio clips: the *Status* sensor entering ``audio_peak``;
- lowest battery: the *Battery* (%) and *Battery bars* sensors; runtime at the end: the last
  value of *Battery runtime*, or of *Battery runtime (estimated)* where the device reports none.

What it cannot see is what never reached the recorder: RF is judged from meters, which are
written at most once per meter interval, so a dropout shorter than that may fall between two
writes (a device's own RF warning is a status change and is written within milliseconds);
clips less than the peak hold (10 s) apart, or during a critical battery (which outranks the
peak), are one ``audio_peak`` period or none; entities excluded from the recorder or disabled
contribute nothing. README's "Show report" section has the measured limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from homeassistant.components.recorder import history
from homeassistant.const import STATE_ON
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    State,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    label_registry as lr,
)
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import probatio as vol

from .const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID, DOMAIN
from .placement import channel_placement, micboard_entry

SERVICE_SHOW_REPORT: Final = "show_report"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_LAST_HOURS: Final = "last_hours"
ATTR_AREA_ID: Final = "area_id"
ATTR_LABEL_ID: Final = "label_id"
#: The longest window one call may read (the recorder keeps 10 days by default).
MAX_WINDOW: Final = timedelta(days=31)

#: The entities a report reads, by their description key (unique id ``<rx>-<ch>-<key>``).
KEY_TRANSMITTER: Final = "transmitter"
KEY_RF_PROBLEM: Final = "rf_problem"
KEY_STATUS: Final = "status"
KEY_BATTERY: Final = "battery"
KEY_BARS: Final = "battery_bars"
KEY_RUNTIME: Final = "battery_runtime"
KEY_RUNTIME_ESTIMATED: Final = "battery_runtime_estimated"
KEY_NAME: Final = "channel_name"
REPORT_KEYS: Final = frozenset(
    {
        KEY_TRANSMITTER,
        KEY_RF_PROBLEM,
        KEY_STATUS,
        KEY_BATTERY,
        KEY_BARS,
        KEY_RUNTIME,
        KEY_RUNTIME_ESTIMATED,
        KEY_NAME,
    }
)
STATUS_AUDIO_PEAK: Final = "audio_peak"

_IDS = vol.All(cv.ensure_list, [cv.string])
SHOW_REPORT_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
        vol.Optional(ATTR_LAST_HOURS): vol.All(
            vol.Coerce(float), vol.Range(min=0.01, max=MAX_WINDOW / timedelta(hours=1))
        ),
        vol.Optional(ATTR_CONFIG_ENTRY_ID): _IDS,
        vol.Optional(ATTR_DEVICE_ID): _IDS,
        vol.Optional(ATTR_AREA_ID): _IDS,
        vol.Optional(ATTR_LABEL_ID): _IDS,
    }
)

#: A state history: (from when, state) in time order, the first one in force at the start.
type Timeline = Sequence[tuple[datetime, str]]


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


# -- the window and the selection --------------------------------------------------------------


def report_window(data: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """(start, end) in UTC from ``start``/``end`` or ``last_hours``; the end is at most now.

    A time without a zone is local time, as everywhere in Home Assistant.
    """
    last_hours: float | None = data.get(ATTR_LAST_HOURS)
    start: datetime | None = data.get(ATTR_START)
    end: datetime | None = data.get(ATTR_END)
    if last_hours is not None:
        if start is not None or end is not None:
            raise _invalid("report_window_conflict")
        return now - timedelta(hours=last_hours), now
    if start is None:
        raise _invalid("report_window_missing")
    start = dt_util.as_utc(start)
    end = now if end is None else min(dt_util.as_utc(end), now)
    if start >= end:
        raise _invalid("report_window_order")
    if end - start > MAX_WINDOW:
        raise _invalid("report_window_too_long", days=str(MAX_WINDOW.days))
    return start, end


@dataclass(frozen=True, slots=True)
class Selection:
    """Which channels a report covers: AND across kinds, OR within one (as the card's filter).

    A receiver device stands for all of its channels; ``None`` means "any".
    """

    entry_ids: frozenset[str] | None = None
    device_ids: frozenset[str] | None = None
    area_ids: frozenset[str] | None = None
    label_ids: frozenset[str] | None = None


def report_selection(hass: HomeAssistant, data: Mapping[str, Any]) -> Selection:
    """Check every id against its registry and say which one is wrong."""

    def ids(key: str) -> frozenset[str] | None:
        return frozenset(data[key]) or None if key in data else None

    entry_ids, device_ids = ids(ATTR_CONFIG_ENTRY_ID), ids(ATTR_DEVICE_ID)
    area_ids, label_ids = ids(ATTR_AREA_ID), ids(ATTR_LABEL_ID)
    for entry_id in sorted(entry_ids or ()):
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise _invalid("report_unknown_entry", entry_id=entry_id)
    devices = dr.async_get(hass)
    for device_id in sorted(device_ids or ()):
        if micboard_entry(hass, devices.async_get(device_id)) is None:
            raise _invalid("device_not_found", device_id=device_id)
    areas = ar.async_get(hass)
    for area_id in sorted(area_ids or ()):
        if areas.async_get_area(area_id) is None:
            raise _invalid("report_unknown_area", area_id=area_id)
    labels = lr.async_get(hass)
    for label_id in sorted(label_ids or ()):
        if labels.async_get_label(label_id) is None:
            raise _invalid("report_unknown_label", label_id=label_id)
    return Selection(entry_ids, device_ids, area_ids, label_ids)


@dataclass(slots=True)
class ReportChannel:
    """A channel of a Micboard entry and the entities a report reads for it."""

    entry_id: str
    entry_title: str
    receiver_id: str
    index: int
    device_id: str | None
    receiver_name: str
    area_id: str | None
    given_name: str | None  # the name given to the channel device in Home Assistant
    entities: dict[str, str] = field(default_factory=dict)  # key -> entity id


def report_channels(hass: HomeAssistant, selection: Selection) -> list[ReportChannel]:
    """Every selected channel that has entities, in rack order (entry, receiver, channel).

    Found through the entity registry, so entries that are not loaded now still report.
    """
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    found: dict[tuple[str, str, int], ReportChannel] = {}
    for entry in hass.config_entries.async_entries(DOMAIN):
        if selection.entry_ids is not None and entry.entry_id not in selection.entry_ids:
            continue
        for registry_entry in er.async_entries_for_config_entry(entities, entry.entry_id):
            parsed = _parse_unique_id(registry_entry.unique_id)
            if parsed is None:
                continue
            receiver_id, index, key = parsed
            ref = (entry.entry_id, receiver_id, index)
            channel = found.get(ref)
            if channel is None:
                channel = _report_channel(devices, entry.entry_id, entry.title, receiver_id, index)
                if channel is None or not _selected(channel, selection, devices):
                    continue
                found[ref] = channel
            channel.entities[key] = registry_entry.entity_id
    return sorted(
        found.values(),
        key=lambda c: (c.entry_title.casefold(), c.receiver_name.casefold(), c.index),
    )


def _parse_unique_id(unique_id: str) -> tuple[str, int, str] | None:
    receiver_id, _, rest = unique_id.rpartition("-")
    receiver_id, _, index = receiver_id.rpartition("-")
    if not receiver_id or not index.isdigit() or rest not in REPORT_KEYS:
        return None
    return receiver_id, int(index), rest


def _report_channel(
    devices: dr.DeviceRegistry, entry_id: str, title: str, receiver_id: str, index: int
) -> ReportChannel | None:
    placement = channel_placement(devices, entry_id, receiver_id, index)
    if placement.device_id is None:
        return None
    child = devices.async_get(placement.device_id)
    parent = (
        devices.async_get(placement.receiver_device_id) if placement.receiver_device_id else None
    )
    receiver_name = receiver_id
    if parent is not None:
        receiver_name = parent.name_by_user or parent.name or receiver_id
    return ReportChannel(
        entry_id=entry_id,
        entry_title=title,
        receiver_id=receiver_id,
        index=index,
        device_id=placement.device_id,
        receiver_name=receiver_name,
        area_id=placement.area_id,
        given_name=child.name_by_user if child is not None else None,
    )


def _selected(channel: ReportChannel, selection: Selection, devices: dr.DeviceRegistry) -> bool:
    placement = channel_placement(devices, channel.entry_id, channel.receiver_id, channel.index)
    if selection.device_ids is not None and (
        placement.device_id not in selection.device_ids
        and placement.receiver_device_id not in selection.device_ids
    ):
        return False
    if selection.area_ids is not None and placement.area_id not in selection.area_ids:
        return False
    return selection.label_ids is None or not placement.labels.isdisjoint(selection.label_ids)


# -- the figures ----------------------------------------------------------------------------


def _segments(timeline: Timeline, start: datetime, end: datetime) -> list[tuple[str, float]]:
    """(state, seconds) of each state while it was in force within the window."""
    result: list[tuple[str, float]] = []
    for position, (since, state) in enumerate(timeline):
        until = timeline[position + 1][0] if position + 1 < len(timeline) else end
        seconds = (min(until, end) - max(since, start)).total_seconds()
        if seconds > 0 or (position == len(timeline) - 1 and since <= end):
            result.append((state, max(seconds, 0.0)))
    return result


def _entries(timeline: Timeline, start: datetime, end: datetime, into: str) -> int:
    """Changes into ``into`` (from any other state) within the window."""
    count = 0
    for position in range(1, len(timeline)):
        since, state = timeline[position]
        if state == into and timeline[position - 1][1] != into and start < since <= end:
            count += 1
    return count


def _number(state: str) -> int | None:
    try:
        return round(float(state))
    except ValueError:
        return None


def _numbers(timeline: Timeline, start: datetime, end: datetime) -> list[int]:
    return [n for state, _ in _segments(timeline, start, end) if (n := _number(state)) is not None]


def channel_figures(
    timelines: Mapping[str, Timeline], start: datetime, end: datetime
) -> dict[str, Any]:
    """The report of one channel from its entities' histories (by description key)."""

    def timeline(key: str) -> Timeline:
        return timelines.get(key, ())

    transmitter = _segments(timeline(KEY_TRANSMITTER), start, end)
    dropouts = [s for state, s in _segments(timeline(KEY_RF_PROBLEM), start, end) if state == "on"]
    percents = _numbers(timeline(KEY_BATTERY), start, end)
    bars = _numbers(timeline(KEY_BARS), start, end)
    runtime = _numbers(timeline(KEY_RUNTIME), start, end)
    estimated = not runtime and KEY_RUNTIME_ESTIMATED in timelines
    if estimated:
        runtime = _numbers(timeline(KEY_RUNTIME_ESTIMATED), start, end)
    return {
        "battery_lowest_percent": min(percents, default=None),
        "battery_lowest_bars": min(bars, default=None),
        "runtime_end_minutes": runtime[-1] if runtime else None,
        "runtime_estimated": estimated,
        "on_air_minutes": round(sum(s for state, s in transmitter if state == STATE_ON) / 60, 1),
        "transmitter_off_events": _off_events(timeline(KEY_TRANSMITTER), start, end),
        "rf_dropouts": len(dropouts),
        "rf_dropout_longest_seconds": round(max(dropouts), 1) if dropouts else None,
        "audio_clips": _entries(timeline(KEY_STATUS), start, end, STATUS_AUDIO_PEAK),
    }


def _off_events(timeline: Timeline, start: datetime, end: datetime) -> int:
    """On → off within the window (a receiver going unavailable in between is not an off)."""
    return sum(
        1
        for position in range(1, len(timeline))
        if timeline[position][1] == "off"
        and timeline[position - 1][1] == STATE_ON
        and start < timeline[position][0] <= end
    )


def _last_name(timeline: Timeline) -> str | None:
    names = [state for _, state in timeline if state not in ("unknown", "unavailable", "")]
    return names[-1] if names else None


# -- the action -----------------------------------------------------------------------------


def _history(
    hass: HomeAssistant, start: datetime, end: datetime, entity_ids: list[str]
) -> dict[str, list[tuple[datetime, str]]]:
    """State changes of ``entity_ids`` in the window, each with the state in force at start.

    Runs in the recorder's executor.
    """
    states = history.get_significant_states(
        hass,
        start,
        end,
        entity_ids,
        include_start_time_state=True,
        significant_changes_only=True,
        no_attributes=True,
    )
    return {
        entity_id: [(max(s.last_changed, start), s.state) for s in rows if isinstance(s, State)]
        for entity_id, rows in states.items()
    }


async def _async_show_report(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    start, end = report_window(call.data, dt_util.utcnow())
    selection = report_selection(hass, call.data)
    if "recorder" not in hass.config.components:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="recorder_required")
    channels = report_channels(hass, selection)
    entity_ids = entity_ids_of(channels)
    histories: dict[str, list[tuple[datetime, str]]] = {}
    if entity_ids:
        histories = await get_instance(hass).async_add_executor_job(
            partial(_history, hass, start, end, entity_ids)
        )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "channels": [_channel_report(hass, channel, histories, start, end) for channel in channels],
    }


def _channel_report(
    hass: HomeAssistant,
    channel: ReportChannel,
    histories: Mapping[str, Sequence[tuple[datetime, str]]],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    timelines = {key: histories.get(entity_id, ()) for key, entity_id in channel.entities.items()}
    name = channel.given_name or _last_name(timelines.get(KEY_NAME, ()))
    return {
        "name": name or f"Channel {channel.index}",
        "receiver": channel.receiver_name,
        "channel": channel.index,
        "area": _area_name(hass, channel.area_id),
        "device_id": channel.device_id,
        "config_entry_id": channel.entry_id,
        **channel_figures(timelines, start, end),
    }


def _area_name(hass: HomeAssistant, area_id: str | None) -> str | None:
    area = ar.async_get(hass).async_get_area(area_id) if area_id else None
    return area.name if area is not None else None


@callback
def async_setup_show_report(hass: HomeAssistant) -> None:
    """Register ``micboard.show_report`` (from ``async_setup``)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SHOW_REPORT,
        _async_show_report,
        schema=SHOW_REPORT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


def entity_ids_of(channels: Iterable[ReportChannel]) -> list[str]:
    """Every entity a report of ``channels`` reads: one recorder query for all of them."""
    return sorted({e for channel in channels for e in channel.entities.values()})
