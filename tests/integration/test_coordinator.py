"""Coalescing of writes, reconnect with backoff, availability, reauth and dynamic devices."""

from __future__ import annotations

import asyncio
import logging
import random
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
import pytest

from benchmarks.naive import install_naive
from custom_components.micboard.const import CONF_METER_INTERVAL
from custom_components.micboard.coordinator import Backoff, MicboardCoordinator
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from custom_components.micboard.plugins.errors import (
    AccessDisabled,
    CannotConnect,
    CertificateChanged,
    InvalidAuth,
    UnsupportedDevice,
)
from tests.integration.common import StateWrites, advance_time, setup_entry
from tests.integration.entries import demo_entry
from tests.support.helpers import wait_for

RX1 = "demo_test_rack_rx01"


def _plugin(coordinator: MicboardCoordinator) -> DemoRackPlugin:
    assert isinstance(coordinator.plugin, DemoRackPlugin)
    return coordinator.plugin


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen_demo")
async def test_meter_updates_coalesce_status_writes_at_once(hass: HomeAssistant) -> None:
    entry = demo_entry(options={CONF_METER_INTERVAL: 5.0})
    coordinator = await setup_entry(hass, entry)
    plugin = _plugin(coordinator)
    writes = StateWrites(hass)

    # Ten meter-rate steps inside one meter interval: meters are not written yet.
    for _ in range(10):
        plugin.advance(0.25)
    await advance_time(hass, 0.01)
    assert writes.of("_rf_level") == {}
    assert writes.of("_audio_level") == {}

    # The meter flush writes each meter entity at most once.
    await advance_time(hass, 5.0)
    rf_writes = writes.of("_rf_level")
    audio_writes = writes.of("_audio_level")
    assert rf_writes
    assert audio_writes
    assert set(rf_writes.values()) == {1}
    assert set(audio_writes.values()) == {1}

    # A status change is written at once, while meters wait for their interval.
    writes.clear()
    plugin.set_transmitter(1, 1, on=False)
    plugin.advance(0.25)
    await advance_time(hass, 0.01)
    assert writes.of("channel_1_transmitter") == {
        "binary_sensor.test_rack_rx_1_channel_1_transmitter": 1
    }
    state = hass.states.get("binary_sensor.test_rack_rx_1_channel_1_transmitter")
    assert state is not None
    assert state.state == STATE_OFF
    status = hass.states.get("sensor.test_rack_rx_1_channel_1_status")
    assert status is not None
    assert status.state == "tx_off"
    assert writes.of("_rf_level") == {}
    # Entities whose value did not change are not rewritten.
    assert writes.of("channel_1_frequency") == {}


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen_demo")
async def test_meter_entities_write_at_most_once_per_interval(hass: HomeAssistant) -> None:
    """Metering at 10 Hz for several intervals: each meter entity writes once per interval."""
    entry = demo_entry(receivers=2, channels=2, options={CONF_METER_INTERVAL: 1.0})
    coordinator = await setup_entry(hass, entry)
    plugin = _plugin(coordinator)
    writes = StateWrites(hass)
    intervals = 5
    for _ in range(intervals):
        for _ in range(10):  # ten samples per channel within the interval
            plugin.advance(0.1)
            await advance_time(hass, 0.01)  # status batches flush; meters must wait
        await advance_time(hass, 1.0)
    meters = {
        **writes.of("_rf_level"),
        **writes.of("_audio_level"),
        **writes.of("_rf_quality"),
        **writes.of("_active_antenna"),
    }
    assert meters
    assert max(meters.values()) <= intervals, meters
    # The meters did move: most entities wrote in most intervals.
    assert sum(meters.values()) >= len(meters) * (intervals - 2), meters


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen_demo")
async def test_connection_loss_backoff_and_recovery(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    entry = demo_entry()
    coordinator = await setup_entry(hass, entry)
    coordinator.backoff = Backoff(initial=0.01, maximum=0.05)
    plugin = _plugin(coordinator)
    battery = "sensor.test_rack_rx_1_channel_1_battery"
    connectivity = "binary_sensor.test_rack_rx_1_connectivity"
    state_sensor = "sensor.test_rack_rx_1_connection_state"
    assert hass.states.get(battery).state not in (STATE_UNAVAILABLE, "unknown")
    caplog.clear()

    plugin.inject_fault(CannotConnect("cable pulled"))
    await wait_for(lambda: hass.states.get(battery).state == STATE_UNAVAILABLE)
    assert hass.states.get(connectivity).state == STATE_OFF
    assert hass.states.get(state_sensor).state == "error"
    # Keep failing for a while: several reconnect attempts, one log line.
    await wait_for(lambda: plugin.health.reconnect_attempts >= 3)
    assert coordinator.backoff.attempt >= 3
    assert hass.states.get(battery).state == STATE_UNAVAILABLE

    plugin.inject_fault(None)
    await wait_for(lambda: hass.states.get(battery).state != STATE_UNAVAILABLE)
    await wait_for(lambda: hass.states.get(state_sensor).state == "connected")
    assert hass.states.get(connectivity).state == STATE_ON
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "cable pulled" in errors[0].getMessage()
    assert len(recovered) == 1
    reconnects = hass.states.get("sensor.test_rack_rx_1_reconnects")
    assert int(reconnects.state) == plugin.health.reconnects == 1  # one outage, one reconnect


@pytest.mark.usefixtures("frozen_demo")
async def test_every_outage_starts_with_a_quick_retry(hass: HomeAssistant) -> None:
    coordinator = await setup_entry(hass, demo_entry())
    coordinator.backoff = Backoff(initial=0.01, maximum=0.05)
    coordinator.backoff.attempt = 5
    _plugin(coordinator).health.message()  # data flowed: what follows is a new outage
    _plugin(coordinator).inject_fault(CannotConnect("blip"))
    await wait_for(lambda: not coordinator.last_update_success)
    await wait_for(lambda: _plugin(coordinator).health.reconnect_attempts >= 1)
    assert coordinator.backoff.attempt <= 2


@pytest.mark.usefixtures("frozen_demo")
async def test_a_reconnect_without_data_continues_the_outage(hass: HomeAssistant) -> None:
    """A device that accepts each reconnect and then sends nothing is not a new outage."""
    coordinator = await setup_entry(hass, demo_entry())
    coordinator.backoff = Backoff(initial=0.01, maximum=0.05)
    coordinator.backoff.attempt = 5
    _plugin(coordinator).inject_fault(CannotConnect("silent again"))
    await wait_for(lambda: _plugin(coordinator).health.reconnect_attempts >= 1)
    assert coordinator.backoff.attempt >= 6  # no quick first retry again


@pytest.mark.usefixtures("frozen_demo")
async def test_attempts_start_on_the_cadence_however_long_each_takes(
    hass: HomeAssistant,
) -> None:
    """An attempt that takes 3 s to fail leaves 2 s, not 5, before the next one starts."""
    coordinator = await setup_entry(hass, demo_entry())
    coordinator.backoff = Backoff(rng=random.Random(1))
    lifecycle = coordinator.connection
    now = [1000.0]
    waits: list[float] = []

    async def fake_sleep(delay: float) -> None:
        waits.append(delay)
        now[0] += delay
        await asyncio.sleep(0)

    refresh = coordinator.async_refresh

    async def slow_refresh() -> None:
        now[0] += 3.0  # the attempt itself takes 3 s (a UDP device asked twice)
        await refresh()

    lifecycle.clock = lambda: now[0]
    lifecycle.sleep = fake_sleep
    with patch.object(coordinator, "async_refresh", slow_refresh):
        _plugin(coordinator).inject_fault(CannotConnect("away"))
        await wait_for(lambda: len(waits) >= 4)
    first, *later = waits[:4]
    assert 1.0 <= first <= 5.0
    assert later == [2.0, 2.0, 2.0]
    _plugin(coordinator).inject_fault(None)


def test_retries_come_every_few_seconds_whatever_the_outage_length() -> None:
    backoff = Backoff(rng=random.Random(1))
    first = backoff.next_delay()
    assert 1.0 <= first <= 5.0
    assert [backoff.next_delay() for _ in range(20)] == [5.0] * 20
    backoff.reset()
    assert backoff.next_delay() <= 5.0


@pytest.mark.usefixtures("frozen_demo")
async def test_invalid_auth_in_listener_starts_reauth_once(hass: HomeAssistant) -> None:
    entry = demo_entry()
    coordinator = await setup_entry(hass, entry)
    with patch.object(ConfigEntry, "async_start_reauth_if_available") as start_reauth:
        _plugin(coordinator).inject_fault(InvalidAuth("password changed"))
        await wait_for(lambda: start_reauth.called)
        await advance_time(hass, 1.0)
    assert start_reauth.call_count == 1
    assert _plugin(coordinator).health.reconnect_attempts == 0  # never retried in a loop
    state = hass.states.get("sensor.test_rack_rx_1_channel_1_status")
    assert state.state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("frozen_demo")
async def test_invalid_auth_during_reconnect_stops_retrying(hass: HomeAssistant) -> None:
    entry = demo_entry()
    coordinator = await setup_entry(hass, entry)
    coordinator.backoff = Backoff(initial=0.01, maximum=0.01)
    plugin = _plugin(coordinator)
    plugin.inject_fault(CannotConnect("down"))
    await wait_for(lambda: plugin.health.reconnect_attempts >= 1)
    with patch.object(ConfigEntry, "async_start_reauth_if_available") as start_reauth:
        plugin.inject_fault(InvalidAuth("locked"))
        await wait_for(lambda: start_reauth.called)
        attempts = plugin.health.reconnect_attempts
        await advance_time(hass, 1.0)
    assert plugin.health.reconnect_attempts == attempts
    assert start_reauth.call_count == 1


@pytest.mark.usefixtures("frozen_demo")
async def test_repair_issue_raised_and_cleared(hass: HomeAssistant) -> None:
    entry = demo_entry()
    coordinator = await setup_entry(hass, entry)
    coordinator.backoff = Backoff(initial=0.01, maximum=0.02)
    plugin = _plugin(coordinator)
    issues = ir.async_get(hass)
    issue_id = f"sennheiser_third_party_access_{entry.entry_id}"
    plugin.inject_fault(AccessDisabled("forbidden", host="h"))
    await wait_for(lambda: issues.async_get_issue("micboard", issue_id) is not None)
    issue = issues.async_get_issue("micboard", issue_id)
    assert issue.translation_placeholders == {"title": "Test rack", "host": "h"}
    plugin.inject_fault(None)
    await wait_for(lambda: issues.async_get_issue("micboard", issue_id) is None)
    assert coordinator.last_update_success


@pytest.mark.usefixtures("frozen_demo")
async def test_repair_without_retry_stops_the_entry(hass: HomeAssistant) -> None:
    entry = demo_entry()
    coordinator = await setup_entry(hass, entry)
    coordinator.backoff = Backoff(initial=0.01, maximum=0.02)
    plugin = _plugin(coordinator)
    plugin.inject_fault(
        CertificateChanged("certificate changed", host="h", expected="AA", received="BB")
    )
    issues = ir.async_get(hass)
    issue_id = f"certificate_changed_{entry.entry_id}"
    await wait_for(lambda: issues.async_get_issue("micboard", issue_id) is not None)
    await advance_time(hass, 1.0)
    assert plugin.health.reconnect_attempts == 0
    assert not coordinator.last_update_success


@pytest.mark.usefixtures("frozen_demo")
async def test_repair_at_resync_without_retry(hass: HomeAssistant) -> None:
    entry = demo_entry()
    coordinator = await setup_entry(hass, entry)
    coordinator.backoff = Backoff(initial=0.01, maximum=0.02)
    plugin = _plugin(coordinator)
    plugin.inject_fault(CannotConnect("down"))
    await wait_for(lambda: plugin.health.reconnect_attempts >= 1)
    plugin.inject_fault(CertificateChanged("changed", host="h", expected="AA", received="BB"))
    issues = ir.async_get(hass)
    await wait_for(
        lambda: (
            issues.async_get_issue("micboard", f"certificate_changed_{entry.entry_id}") is not None
        )
    )
    attempts = plugin.health.reconnect_attempts
    await advance_time(hass, 1.0)
    assert plugin.health.reconnect_attempts == attempts


@pytest.mark.usefixtures("frozen_demo")
async def test_unexpected_listener_error_is_survived(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    coordinator = await setup_entry(hass, demo_entry())
    coordinator.backoff = Backoff(initial=0.01, maximum=0.02)
    plugin = _plugin(coordinator)
    plugin.inject_fault(RuntimeError("bug"))  # type: ignore[arg-type]
    await wait_for(lambda: not coordinator.last_update_success)
    assert "Unexpected error in the Demo rack listener" in caplog.text
    plugin.fault = None
    await wait_for(lambda: coordinator.last_update_success)


@pytest.mark.usefixtures("frozen_demo")
async def test_listener_ending_is_a_lost_connection(hass: HomeAssistant) -> None:
    coordinator = await setup_entry(hass, demo_entry())
    coordinator.backoff = Backoff(initial=0.01, maximum=0.02)
    plugin = _plugin(coordinator)

    async def ends_at_once(on_update: object) -> None:
        return None

    with patch.object(plugin, "listen", ends_at_once):
        plugin.inject_fault(CannotConnect("first drop"))  # ends the listen already running
        await wait_for(lambda: plugin.health.reconnect_attempts >= 1)
        plugin.inject_fault(None)
        await wait_for(lambda: plugin.health.last_error == "connection closed by the device")
    assert not coordinator.last_update_success


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (CannotConnect("down"), ConfigEntryState.SETUP_RETRY),
        (InvalidAuth("bad"), ConfigEntryState.SETUP_ERROR),
        (UnsupportedDevice("old"), ConfigEntryState.SETUP_ERROR),
        (AccessDisabled("403", host="h"), ConfigEntryState.SETUP_RETRY),
    ],
)
async def test_setup_errors(
    hass: HomeAssistant, frozen_demo: None, error: Exception, state: ConfigEntryState
) -> None:
    entry = demo_entry()
    entry.add_to_hass(hass)
    with patch(
        "custom_components.micboard.plugins.demo.plugin.DemoRackPlugin.get_devices",
        side_effect=error,
    ):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is state


async def test_setup_timeout_does_not_hang(hass: HomeAssistant, frozen_demo: None) -> None:
    entry = demo_entry()
    entry.add_to_hass(hass)

    async def hang() -> None:
        raise TimeoutError

    with patch("custom_components.micboard.plugins.demo.plugin.DemoRackPlugin.get_devices", hang):
        await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.usefixtures("frozen_demo")
async def test_receivers_appear_and_disappear(hass: HomeAssistant) -> None:
    entry = demo_entry(receivers=1, channels=2)
    coordinator = await setup_entry(hass, entry)
    plugin = _plugin(coordinator)
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    assert len(dr.async_entries_for_config_entry(devices, entry.entry_id)) == 1

    plugin.resize(2)
    await advance_time(hass, 0.01)
    assert len(dr.async_entries_for_config_entry(devices, entry.entry_id)) == 2
    assert len(dr.async_child_entries_for_config_entry(devices, entry.entry_id)) == 4
    state = hass.states.get("sensor.test_rack_rx_2_channel_1_status")
    assert state is not None
    assert state.state != STATE_UNAVAILABLE

    plugin.resize(1)
    await advance_time(hass, 0.01)
    assert len(dr.async_entries_for_config_entry(devices, entry.entry_id)) == 1
    assert len(dr.async_child_entries_for_config_entry(devices, entry.entry_id)) == 2
    assert entities.async_get("sensor.test_rack_rx_2_channel_1_status") is None

    plugin.resize(2)  # a receiver that comes back gets its entities again
    await advance_time(hass, 0.01)
    assert hass.states.get("sensor.test_rack_rx_2_channel_1_status") is not None


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen_demo")
async def test_receiver_rename_updates_device(hass: HomeAssistant) -> None:
    entry = demo_entry(receivers=1, channels=1)
    coordinator = await setup_entry(hass, entry)
    plugin = _plugin(coordinator)
    receiver = plugin.receivers[RX1]
    receiver.name = "Renamed rack"
    receiver.firmware = "9.9"
    from custom_components.micboard.plugins.model import ModelUpdate  # noqa: PLC0415

    coordinator.handle_update(ModelUpdate(RX1, None, frozenset({"name", "firmware"})))
    await advance_time(hass, 0.01)
    device = dr.async_get(hass).async_get_device_by_identifier(("micboard", RX1), entry.entry_id)
    assert device is not None
    assert device.name == "Renamed rack"
    assert device.sw_version == "9.9"
    assert hass.states.get("sensor.test_rack_rx_1_firmware").state == "9.9"


@pytest.mark.usefixtures("frozen_demo")
async def test_audio_peak_is_held_then_released(hass: HomeAssistant) -> None:
    entry = demo_entry(receivers=1, channels=1)
    coordinator = await setup_entry(hass, entry)
    plugin = _plugin(coordinator)
    channel = plugin.receivers[RX1].channels[1]
    status = "sensor.test_rack_rx_1_channel_1_status"
    before = hass.states.get(status).state
    assert before in ("good", "replace")
    channel.audio_clipping = True
    from custom_components.micboard.plugins.model import ModelUpdate  # noqa: PLC0415

    coordinator.handle_update(ModelUpdate(RX1, 1, frozenset({"audio_clipping", "audio_peak"})))
    channel.audio_clipping = False
    coordinator.handle_update(ModelUpdate(RX1, 1, frozenset({"audio_clipping"})))
    await advance_time(hass, 1.5)
    assert hass.states.get(status).state == "audio_peak"
    with patch("custom_components.micboard.status_evaluation.time.monotonic", return_value=1e12):
        await advance_time(hass, 11.0)
    assert hass.states.get(status).state == before


@pytest.mark.usefixtures("frozen_demo")
async def test_home_assistant_stop_closes_plugin(hass: HomeAssistant) -> None:
    coordinator = await setup_entry(hass, demo_entry())
    plugin = _plugin(coordinator)
    with patch.object(plugin, "close", wraps=plugin.close) as close:
        await hass.async_stop()
    assert close.called


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "frozen_demo")
async def test_naive_mode_writes_every_update(hass: HomeAssistant) -> None:
    """The benchmark's baseline: without coalescing every update is written at once."""
    coordinator = await setup_entry(hass, demo_entry(receivers=1, channels=1))
    writes = install_naive(coordinator)
    plugin = _plugin(coordinator)
    channel_entities = len(coordinator.listeners._by_context[(RX1, 1, "meter")]) + len(
        coordinator.listeners._by_context[(RX1, 1, "status")]
    )
    before = writes.count
    for _ in range(5):
        plugin.advance(0.25)
    await hass.async_block_till_done()
    # Every channel entity is written for every update, changed or not (the state machine
    # then drops identical states, but the work is done).
    assert writes.count - before >= 5 * channel_entities
    plugin.resize(2)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.test_rack_rx_2_channel_1_status") is not None


@pytest.mark.usefixtures("frozen_demo")
async def test_peak_holds_of_every_channel_share_one_timer(hass: HomeAssistant) -> None:
    """Deadlines of many channels wait on one timer, which moves only when one comes sooner."""
    from custom_components.micboard.plugins.model import ModelUpdate  # noqa: PLC0415
    from custom_components.micboard.plugins.status import ChannelStatus  # noqa: PLC0415

    entry = demo_entry(receivers=2, channels=4)
    coordinator = await setup_entry(hass, entry)
    plugin = _plugin(coordinator)

    def deadline_timers() -> int:
        return sum(
            1
            for handle in hass.loop._scheduled
            if not handle.cancelled()
            and getattr(handle._callback, "__func__", None) is type(coordinator.status)._on_deadline
        )

    clipped = 0
    for receiver_id, receiver in plugin.receivers.items():
        for index, channel in receiver.channels.items():
            channel.audio_clipping = True
            coordinator.handle_update(
                ModelUpdate(receiver_id, index, frozenset({"audio_clipping"}))
            )
            clipped += 1
    await advance_time(hass, 1.5)  # the meter flush evaluates every clipping channel
    assert clipped == 8
    statuses = [
        channel.status
        for receiver in plugin.receivers.values()
        for channel in receiver.channels.values()
    ]
    assert statuses.count(ChannelStatus.AUDIO_PEAK) >= 2  # (a channel may show tx_off)
    assert len(coordinator.status._deadlines) == 8
    assert deadline_timers() == 1
    # Released together at the end of the hold: every channel's status goes back.
    for receiver in plugin.receivers.values():
        for channel in receiver.channels.values():
            channel.audio_clipping = False
    with patch("custom_components.micboard.status_evaluation.time.monotonic", return_value=1e12):
        await advance_time(hass, 11.0)
    assert all(
        channel.status is not ChannelStatus.AUDIO_PEAK
        for receiver in plugin.receivers.values()
        for channel in receiver.channels.values()
    )
    assert deadline_timers() == 0
