"""Fault matrix of Audio-Technica (ESW, System 20 PRO; TCP 17200 + UDP notifications).

Each row drives the simulator into one fault and checks what the shared harness defines:
data entities unavailable while the receiver is away, data back after it returns, devices,
entities and the user's settings kept, at most one WARNING+ line per outage, and at most one
reconnect attempt per 5 s (recorded at real values, slept scaled). The protocol has no
credentials and no TLS, so those rows are absent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import CONF_DEVICE_UID, CONF_METER_INTERVAL, DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.plugins.audio_technica import (
    AudioTechnicaPlugin,
    plugin as at_plugin,
)
from simulators.audio_technica import SYSTEM20, AudioTechnicaSimulator
from tests.integration.common import entity_id, setup_entry
from tests.integration.entries import audio_technica_entry_data
from tests.integration.fault_matrix import (
    UserSettings,
    all_unavailable,
    assert_retry_schedule,
    loud_lines,
    none_unavailable,
    recorded_backoff,
    recovery_delays,
    restart_home_assistant,
)
from tests.support.helpers import free_port, wait_for

pytestmark = pytest.mark.usefixtures("socket_enabled", "entity_registry_enabled_by_default")

RX = "audio_technica_esw_r4180dan_rack_a"
#: The first wait is 0.5 s here (3 s in the plugin); 0.35 s per answer stands for 2 s.
SLOW_REPLY = 0.35


async def _loaded(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> tuple[ConfigEntry, MicboardCoordinator, UserSettings]:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="RACK-A",
        data=audio_technica_entry_data(simulator, **{CONF_DEVICE_UID: RX}),
        options={CONF_METER_INTERVAL: 0.1},
        unique_id=RX,
    )
    coordinator = await setup_entry(hass, entry)
    await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    settings = await UserSettings.apply(hass, entry)
    return entry, coordinator, settings


async def _outage(
    hass: HomeAssistant,
    simulator: AudioTechnicaSimulator,
    caplog: pytest.LogCaptureFixture,
    away: Callable[[], Awaitable[None]],
    back: Callable[[], Awaitable[None]],
) -> None:
    entry, coordinator, settings = await _loaded(hass, simulator)
    caplog.clear()
    with recorded_backoff(coordinator) as backoff:
        await away()
        await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
        await wait_for(lambda: len(backoff.delays) >= 3, hass=hass)
        await back()
        await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    assert_retry_schedule(recovery_delays(backoff))
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    settings.assert_kept(hass)
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_killed_and_restarted(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Switched off (connects refused) and on again at the same port."""

    async def away() -> None:
        await simulator.kill()

    async def back() -> None:
        await simulator.restart()

    await _outage(hass, simulator, caplog, away, back)


async def test_stalled_with_the_socket_open(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    async def away() -> None:
        simulator.stall(stalled=True)

    async def back() -> None:
        simulator.stall(stalled=False)

    await _outage(hass, simulator, caplog, away, back)


async def test_garbage(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Garbage on the session and as notifications: counted, dropped, nothing goes down."""
    entry, coordinator, settings = await _loaded(hass, simulator)
    caplog.clear()
    simulator.inject_garbage(10)
    simulator.inject_before_reply(b"\xff\x00 junk\r" * 500 + b"x" * 5000 + b"\r")
    simulator.send_raw_notification(b"\xff\xfe\x00junk\rglevelrf\r\r")
    await wait_for(lambda: coordinator.connection_health.messages_rejected >= 10, hass=hass)
    await hass.async_block_till_done()
    assert none_unavailable(hass, entry)
    assert coordinator.connection_health.reconnects == 0
    assert loud_lines(caplog) == []
    settings.assert_kept(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_two_seconds_per_request(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Slow answers: set-up succeeds and the waits follow the measured round trip."""
    simulator.reply_delay = SLOW_REPLY
    entry, coordinator, settings = await _loaded(hass, simulator)
    plugin = coordinator.plugin
    assert isinstance(plugin, AudioTechnicaPlugin)
    session = plugin._session
    assert session is not None
    assert session.round_trip is not None
    assert session.round_trip.timeout > SLOW_REPLY
    await hass.async_block_till_done()
    assert none_unavailable(hass, entry)
    assert coordinator.connection_health.reconnects == 0
    assert loud_lines(caplog) == []
    settings.assert_kept(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_another_receiver_at_the_address(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Another unit answers after an outage: a repair issue; entities kept, nothing taken."""
    entry, _coordinator, settings = await _loaded(hass, simulator)
    caplog.clear()
    await simulator.kill()
    await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
    simulator.become(name="RACK-B")
    simulator.channel(1).name = "Theirs"
    await simulator.restart()
    issue_id = f"different_device_{entry.entry_id}"
    await wait_for(
        lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None, hass=hass
    )
    await hass.async_block_till_done()
    assert all_unavailable(hass, entry)
    assert all(
        state.state != "Theirs" for state in hass.states.async_all() if "rack" in state.entity_id
    )
    settings.assert_kept(hass)
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_home_assistant_restarted_while_away(
    hass: HomeAssistant, simulator: AudioTechnicaSimulator
) -> None:
    entry, _coordinator, settings = await _loaded(hass, simulator)
    await simulator.kill()
    assert await restart_home_assistant(hass, entry) is ConfigEntryState.SETUP_RETRY
    assert all_unavailable(hass, entry)
    settings.assert_kept(hass)
    await simulator.restart()
    await hass.config_entries.async_reload(entry.entry_id)
    await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    settings.assert_kept(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_slow_set_up_never_leaves_an_entity_the_model_lacks_available(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """System 20 PRO has no channel names: a slow set-up does not know that yet.

    The snapshot's budget runs out before ``gchname`` is asked, so a name sensor is made;
    once the poll loop learns the command is invalid, that sensor goes unavailable at
    once (before, it showed "unknown" until the next resync and stayed).
    """
    monkeypatch.setattr(at_plugin, "SNAPSHOT_BUDGET_SECONDS", 0.05)
    simulator = await AudioTechnicaSimulator(
        model=SYSTEM20, channels=2, notify_port=free_port("udp")
    ).start()
    simulator.reply_delay = 0.05
    try:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="System 20",
            data=audio_technica_entry_data(simulator),
            options={CONF_METER_INTERVAL: 0.1},
        )
        coordinator = await setup_entry(hass, entry)
        (receiver_id,) = coordinator.data
        name = entity_id(hass, "sensor", f"{receiver_id}-1-channel_name")
        battery = entity_id(hass, "sensor", f"{receiver_id}-1-battery")
        await wait_for(lambda: hass.states.get(name).state == STATE_UNAVAILABLE, hass=hass)
        await wait_for(
            lambda: hass.states.get(battery).state not in {STATE_UNAVAILABLE, STATE_UNKNOWN},
            hass=hass,
        )
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await simulator.close()
