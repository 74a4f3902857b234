"""micboard.show_report: every figure, from the recorder, after a Demo rack went through known
events; and the shortest RF dropout it can count.

The rack is quiet (no random fades, clips or switch-offs) and frozen (it moves only when the
test advances it), and Home Assistant's clock is frozen too, so every state is written at a
known time. Seed 178, 1x2: RX1/1 "Lead Vox" Li-ion (percent and runtime), RX1/2 "Pastor"
alkaline (bars only, runtime estimated).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import area_registry as ar, device_registry as dr, label_registry as lr
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockPlatform,
    async_fire_time_changed_exact,
    async_mock_service,
    mock_platform,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from tests.integration.common import setup_entry
from tests.integration.entries import demo_entry
from tests.support import REPO_ROOT

RX1 = "demo_test_rack_rx01"
DEMO = "custom_components.micboard.plugins.demo.plugin"
#: The window the report covers: T0 .. T0 + 10 min.
T0 = datetime(2026, 11, 8, 9, 30, tzinfo=dt_util.UTC)
RUNTIME_ESTIMATED = "sensor.test_rack_rx_1_channel_2_battery_runtime_estimated"

type Rack = tuple[MockConfigEntry, MicboardCoordinator]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder must be set up before Home Assistant (hence this override)."""


@pytest.fixture
def quiet_demo() -> Generator[None]:
    """A rack that only does what the test says: no random fades, clips or switch-offs."""
    with (
        patch(f"{DEMO}.TICK_SECONDS", 3600.0),
        patch(f"{DEMO}._MEAN_SECONDS_ON", 1e15),
        patch(f"{DEMO}._MEAN_SECONDS_BETWEEN_FADES", 1e15),
        patch(f"{DEMO}._MEAN_SECONDS_BETWEEN_CLIPS", 1e15),
    ):
        yield


class Show:
    """Drives the rack and Home Assistant's frozen clock together."""

    def __init__(
        self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, coordinator: MicboardCoordinator
    ) -> None:
        self.hass = hass
        self.freezer = freezer
        self.coordinator = coordinator
        plugin = coordinator.plugin
        assert isinstance(plugin, DemoRackPlugin)
        self.plugin = plugin

    async def at(self, seconds: float) -> None:
        """Move to T0 + ``seconds``; timers due by then run (a few ms late, as in life)."""
        self.freezer.move_to(T0 + timedelta(seconds=seconds))
        async_fire_time_changed_exact(self.hass)
        await self.hass.async_block_till_done()

    async def tick(self, seconds: float) -> None:
        """At T0 + ``seconds`` the rack sends a message (a quarter-second tick of it)."""
        await self.at(seconds)
        self.plugin.advance(0.25)
        # The status batch (5 ms) and any meter flush that is due: written at this time.
        async_fire_time_changed_exact(self.hass, dt_util.utcnow() + timedelta(milliseconds=10))
        await self.hass.async_block_till_done()

    def battery(self, channel: int, percent: float) -> None:
        self.plugin._sim[RX1][channel - 1].battery = percent

    async def report(self, **data: Any) -> dict[str, Any]:
        await async_wait_recording_done(self.hass)
        response = await self.hass.services.async_call(
            DOMAIN, "show_report", data, blocking=True, return_response=True
        )
        assert isinstance(response, dict)
        return response


@pytest.fixture
async def show(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, quiet_demo: None
) -> tuple[Show, Rack]:
    freezer.move_to(T0 - timedelta(minutes=5))
    entry = demo_entry(receivers=1, channels=2)
    coordinator = await setup_entry(hass, entry)
    return Show(hass, freezer, coordinator), (entry, coordinator)


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {channel["name"]: channel for channel in report["channels"]}


async def _play_known_show(s: Show) -> tuple[int, int]:
    """Before and during the show (T0 .. T0 + 10 min); the runtimes shown at its end."""
    # Before the show (none of it counts): Lead Vox at 20 %, switched off and on, a clip.
    s.battery(1, 20.0)
    await s.tick(-200)
    s.plugin.set_transmitter(1, 1, on=False, hold=1000)
    await s.tick(-150)
    s.plugin.set_transmitter(1, 1, on=True)
    s.battery(1, 90.0)
    await s.tick(-120)
    s.plugin.clip_audio(1, 1)
    await s.tick(-60)
    await s.tick(-30)  # the peak hold (10 s) is over
    # The show.
    s.battery(1, 50.0)
    await s.tick(60)
    s.battery(2, 55.0)  # Pastor: 4 -> 3 bars
    await s.tick(100)
    s.plugin.fade_rf(1, 1, depth_db=60.0, seconds=600.0)  # dropout 1: 4 s
    await s.tick(120)
    s.plugin.fade_rf(1, 1, depth_db=0.0, seconds=0.0)
    await s.tick(124)
    s.plugin.fade_rf(1, 1, depth_db=60.0, seconds=600.0)  # dropout 2: 2 s
    await s.tick(200)
    s.plugin.fade_rf(1, 1, depth_db=0.0, seconds=0.0)
    await s.tick(202)
    s.plugin.clip_audio(1, 1)  # clip 1
    await s.tick(300)
    await s.tick(315)
    s.plugin.clip_audio(1, 1)  # clip 2
    await s.tick(330)
    await s.tick(345)
    s.plugin.set_transmitter(1, 1, on=False, hold=1000)  # switched off for a minute
    await s.tick(400)
    s.plugin.set_transmitter(1, 1, on=True)
    await s.tick(460)
    s.battery(2, 35.0)  # Pastor: 3 -> 2 bars
    await s.tick(500)
    await s.at(599)  # the window ends before T0 + 600 s (the recorder's end is exclusive)
    transmitter = s.coordinator.data[RX1].channels[1].transmitter
    assert transmitter is not None
    assert transmitter.runtime_minutes is not None
    return transmitter.runtime_minutes, int(s.hass.states.get(RUNTIME_ESTIMATED).state)


async def test_report_figures_of_a_known_show(show: tuple[Show, Rack]) -> None:
    s, (entry, _coordinator) = show
    lead_runtime, pastor_runtime = await _play_known_show(s)
    # After the show (none of it counts either).
    s.plugin.set_transmitter(1, 1, on=False, hold=1000)
    s.battery(2, 15.0)
    await s.tick(650)
    await s.at(700)
    report = await s.report(start=T0.isoformat(), end=(T0 + timedelta(minutes=10)).isoformat())
    assert report["start"] == T0.isoformat()
    assert report["end"] == (T0 + timedelta(minutes=10)).isoformat()
    devices = dr.async_get(s.hass)
    lead_device = devices.async_get_child_device_by_identifier(
        (DOMAIN, f"{RX1}-ch1"), entry.entry_id
    )
    assert lead_device is not None
    channels = _by_name(report)
    assert list(channels) == ["Lead Vox", "Pastor"]
    assert channels["Lead Vox"] == {
        "name": "Lead Vox",
        "receiver": "Test rack RX 1",
        "channel": 1,
        "area": None,
        "device_id": lead_device.id,
        "config_entry_id": entry.entry_id,
        "battery_lowest_percent": 50,
        "battery_lowest_bars": 3,
        "runtime_end_minutes": lead_runtime,
        "runtime_estimated": False,
        "on_air_minutes": 9.0,  # 10 min but the minute switched off
        "transmitter_off_events": 1,
        "rf_dropouts": 2,
        "rf_dropout_longest_seconds": 4.0,
        "audio_clips": 2,
    }
    pastor = channels["Pastor"]
    assert pastor["battery_lowest_percent"] is None  # an AA pack reports bars only
    assert pastor["battery_lowest_bars"] == 2
    assert pastor["runtime_end_minutes"] == pastor_runtime
    assert pastor["runtime_estimated"] is True
    # A bar per 400 s (3 bars at +100, 2 at +500): 800 s (13.3 min) left at +500, 701 s
    # (11.7 min) at +599; shown as of the last minute tick before the end.
    assert pastor_runtime in (12, 13)
    assert pastor["on_air_minutes"] == 10.0
    assert pastor["transmitter_off_events"] == 0
    assert pastor["rf_dropouts"] == 0
    assert pastor["rf_dropout_longest_seconds"] is None
    assert pastor["audio_clips"] == 0

    # The same show as "the last hours" from its end, and a window that ends in the future.
    await s.at(600)
    assert _by_name(await s.report(last_hours=10 / 60))["Lead Vox"]["rf_dropouts"] == 2


async def test_report_selection(show: tuple[Show, Rack]) -> None:
    s, (entry, _coordinator) = show
    hass = s.hass
    await s.tick(10)
    devices = dr.async_get(hass)
    lead = devices.async_get_child_device_by_identifier((DOMAIN, f"{RX1}-ch1"), entry.entry_id)
    pastor = devices.async_get_child_device_by_identifier((DOMAIN, f"{RX1}-ch2"), entry.entry_id)
    receiver = devices.async_get_device_by_identifier((DOMAIN, RX1), entry.entry_id)
    assert lead is not None
    assert pastor is not None
    assert receiver is not None
    stage = ar.async_get(hass).async_create("Stage")
    band = lr.async_get(hass).async_create("Band")
    devices.async_update_child_device(lead.id, area_id=stage.id, name_by_user="Pastor's lav")
    devices.async_update_device(receiver.id, labels={band.label_id})
    await s.at(60)

    def names(report: dict[str, Any]) -> list[str]:
        return [channel["name"] for channel in report["channels"]]

    window = {"last_hours": 1}
    assert names(await s.report(**window)) == ["Pastor's lav", "Pastor"]
    assert names(await s.report(**window, device_id=pastor.id)) == ["Pastor"]
    assert names(await s.report(**window, device_id=[receiver.id])) == ["Pastor's lav", "Pastor"]
    only_stage = await s.report(**window, area_id=stage.id)
    assert names(only_stage) == ["Pastor's lav"]
    assert only_stage["channels"][0]["area"] == "Stage"
    assert names(await s.report(**window, label_id=[band.label_id])) == ["Pastor's lav", "Pastor"]
    assert names(await s.report(**window, config_entry_id=entry.entry_id, area_id=stage.id)) == [
        "Pastor's lav"
    ]
    # After the fact: the entry is unloaded, its history is still there.
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert names(await s.report(**window)) == ["Pastor's lav", "Pastor"]


async def test_shortest_dropout_that_is_counted(
    hass: HomeAssistant, show: tuple[Show, Rack]
) -> None:
    """RF is judged from meters, written once per meter interval (1 s by default).

    The rack meters every quarter second. An RF fade of a full meter interval is counted
    whenever it starts; a shorter one is missed when it falls between two meter writes.
    """
    s, _rack = show
    clock = 0.0
    counted: dict[float, list[int]] = {}
    longest: dict[float, set[float]] = {}
    for duration in (0.25, 0.5, 0.75, 1.0, 1.25):
        for phase in (0.0, 0.25, 0.5, 0.75):
            start = clock
            # Quiet metering to a known meter phase, then the fade, then quiet again.
            for _ in range(8):
                clock += 0.25
                await s.tick(clock)
            for _ in range(round(phase / 0.25)):
                clock += 0.25
                await s.tick(clock)
            s.plugin.fade_rf(1, 1, depth_db=60.0, seconds=600.0)
            for _ in range(round(duration / 0.25)):
                await s.tick(clock)
                clock += 0.25
            s.plugin.fade_rf(1, 1, depth_db=0.0, seconds=0.0)
            for _ in range(8):
                await s.tick(clock)
                clock += 0.25
            report = await s.report(
                start=(T0 + timedelta(seconds=start)).isoformat(),
                end=(T0 + timedelta(seconds=clock)).isoformat(),
            )
            lead = _by_name(report)["Lead Vox"]
            counted.setdefault(duration, []).append(lead["rf_dropouts"])
            if lead["rf_dropouts"]:
                longest.setdefault(duration, set()).add(lead["rf_dropout_longest_seconds"])
    always = [d for d, counts in counted.items() if all(c == 1 for c in counts)]
    assert min(always) == 1.0  # the meter interval
    assert all(counts.count(0) > 0 for d, counts in counted.items() if d < 1.0)
    # A meter write at most one interval after the fade ends closes the dropout (a status
    # change of the channel, here its runtime, also rewrites it, so it may close sooner).
    assert all(seconds <= d + 1.0 for d, found in longest.items() for seconds in found)


class ShowCalendar(CalendarEntity):
    """A calendar with one show: T0 to T0 + 10 minutes."""

    _attr_name = "Shows"

    def __init__(self) -> None:
        self._show = CalendarEvent(
            start=T0, end=T0 + timedelta(minutes=10), summary="Sunday service"
        )

    @property
    def event(self) -> CalendarEvent:
        return self._show

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        show = self._show
        return [show] if show.end_datetime_local > start_date and show.start < end_date else []


async def _calendar(hass: HomeAssistant) -> None:
    async def setup_platform(
        hass: HomeAssistant,
        config: ConfigType,
        add_entities: AddEntitiesCallback,
        discovery_info: DiscoveryInfoType | None = None,
    ) -> None:
        add_entities([ShowCalendar()])

    mock_platform(hass, "test.calendar", MockPlatform(async_setup_platform=setup_platform))
    assert await async_setup_component(hass, "calendar", {"calendar": {"platform": "test"}})
    await hass.async_block_till_done()


@pytest.mark.parametrize(("summary_contains", "sent"), [("", True), ("rehearsal", False)])
async def test_blueprint_sends_the_report_when_the_show_ends(
    show: tuple[Show, Rack], tmp_path: Path, summary_contains: str, sent: bool
) -> None:
    s, _rack = show
    hass = s.hass
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(
        REPO_ROOT / "blueprints" / "automation" / "micboard",
        tmp_path / "blueprints" / "automation" / "micboard",
    )
    await _calendar(hass)
    calls: list[ServiceCall] = async_mock_service(hass, "test", "notify")
    config = {
        "alias": "report",
        "use_blueprint": {
            "path": "micboard/show_report_after_event.yaml",
            "input": {
                "show_calendar": "calendar.shows",
                "summary_contains": summary_contains,
                "notify_actions": [
                    {
                        "action": "test.notify",
                        "data": {"title": "{{ title }}", "message": "{{ message }}"},
                    }
                ],
            },
        },
    }
    lead_runtime, pastor_runtime = await _play_known_show(s)
    # The automation is set up during the show (a calendar trigger looks 15 minutes ahead).
    assert await async_setup_component(hass, automation.DOMAIN, {automation.DOMAIN: [config]})
    await hass.async_block_till_done()
    assert hass.states.get("automation.report").state == "on"
    await async_wait_recording_done(hass)
    assert calls == []
    await s.at(601)  # the show ended at T0 + 600 s
    await async_wait_recording_done(hass)
    await hass.async_block_till_done()
    await hass.services.async_call(
        automation.DOMAIN, "turn_off", {"entity_id": "automation.report"}, blocking=True
    )
    if not sent:
        assert calls == []  # "Sunday service" is not a rehearsal
        return
    assert len(calls) == 1
    assert calls[0].data["title"] == "Sunday service: wireless mics"
    lead = f"{lead_runtime // 60}:{lead_runtime % 60:02d}"
    assert calls[0].data["message"] == (
        f"Lead Vox: low 50%, {lead} left, RF lost 2x (max 4s), 2 clips, off 1x\n"
        f"Pastor: low 2/5, ~0:{pastor_runtime:02d} left"
    )
