"""Fault matrix of the UDP protocols: SSC v1 (EW-DX Legacy, SpeechLine DW) and ew G3/G4 MCP.

Each row drives the simulator into one fault and checks what the shared harness defines:
data entities unavailable while the device is away, data back after it returns, devices,
entities and the user's settings kept, at most one WARNING+ line per outage, and at most one
reconnect attempt per 5 s (the schedule is recorded at its real values and slept scaled).
UDP has no connection: "killed" is a device that goes silent (or whose port answers
unreachable) and comes back. Neither protocol has credentials or TLS; MCP reports no
identity at all, so its "another identity" row is absent (docs/reliability.md says why).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import (
    CONF_LOCAL_PORT,
    CONF_MANUFACTURER,
    CONF_METER_INTERVAL,
    DOMAIN,
)
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.plugins.sennheiser.mcp.plugin import (
    SennheiserMcpPlugin,
    device_id_for,
)
from custom_components.micboard.plugins.sennheiser.ssc1 import plugin as ssc1_plugin
from custom_components.micboard.plugins.sennheiser.ssc1.plugin import SennheiserSsc1Plugin
from simulators.net.udp_device import UdpDevice
from simulators.sennheiser.mcp import McpSimulator
from simulators.sennheiser.ssc1 import Ssc1Simulator
from tests.integration.common import setup_entry
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

pytestmark = pytest.mark.usefixtures("socket_enabled", "entity_registry_enabled_by_default", "fast")

SERIAL = "1234567890"
#: A request timeout of 0.2 s stands for the plugins' 1 s; 0.4 s per answer for 2 s.
SLOW_REPLY = 0.4


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short lifetimes and timeouts: the same logic on a shorter clock."""
    monkeypatch.setattr(SennheiserSsc1Plugin, "subscription_lifetime", 1.0)
    monkeypatch.setattr(SennheiserMcpPlugin, "push_timeout", 1.5)
    for plugin in (SennheiserSsc1Plugin, SennheiserMcpPlugin):
        monkeypatch.setattr(plugin, "request_timeout", 0.2)
        monkeypatch.setattr(plugin, "request_attempts", 2)


@pytest.fixture
def local_port() -> int:
    return free_port("udp")


@pytest.fixture(params=["ssc1", "mcp"])
async def device(
    request: pytest.FixtureRequest, local_port: int
) -> AsyncIterator[tuple[str, UdpDevice]]:
    simulator: UdpDevice
    if request.param == "ssc1":
        simulator = await Ssc1Simulator(channels=2, name="STAGE").start()
    else:
        simulator = await McpSimulator(reply_port=local_port).start()
    yield request.param, simulator
    await simulator.close()


def _entry(kind: str, simulator: UdpDevice, local_port: int) -> MockConfigEntry:
    host, port = simulator.address
    data: dict[str, Any] = {CONF_HOST: host, CONF_PORT: port}
    if kind == "ssc1":
        data[CONF_MANUFACTURER] = "sennheiser_ssc1"
        unique_id = SERIAL
    else:
        data |= {CONF_MANUFACTURER: "sennheiser_mcp", CONF_LOCAL_PORT: local_port}
        unique_id = device_id_for(host, port)
        data["device_id"] = unique_id
    return MockConfigEntry(
        domain=DOMAIN,
        title=kind,
        unique_id=unique_id,
        data=data,
        options={CONF_METER_INTERVAL: 0.1},
    )


async def _loaded(
    hass: HomeAssistant, kind: str, simulator: UdpDevice, local_port: int
) -> tuple[ConfigEntry, MicboardCoordinator, UserSettings]:
    entry = _entry(kind, simulator, local_port)
    coordinator = await setup_entry(hass, entry)
    await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    settings = await UserSettings.apply(hass, entry)
    return entry, coordinator, settings


def _silence(simulator: UdpDevice) -> None:
    simulator.stop_answering()  # type: ignore[attr-defined]


def _speak(simulator: UdpDevice) -> None:
    simulator.resume()  # type: ignore[attr-defined]


async def _outage(  # noqa: PLR0917  one row's parts, named at every call
    hass: HomeAssistant,
    entry: ConfigEntry,
    coordinator: MicboardCoordinator,
    settings: UserSettings,
    caplog: pytest.LogCaptureFixture,
    away: Callable[[], Awaitable[None]],
    back: Callable[[], Awaitable[None]],
) -> None:
    """One outage: unavailable while away, data back after, nothing lost, one loud line."""
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


async def test_goes_silent_and_comes_back(
    hass: HomeAssistant,
    device: tuple[str, UdpDevice],
    local_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    kind, simulator = device
    entry, coordinator, settings = await _loaded(hass, kind, simulator, local_port)

    async def away() -> None:
        _silence(simulator)

    async def back() -> None:
        _speak(simulator)

    await _outage(hass, entry, coordinator, settings, caplog, away, back)


async def test_killed_and_restarted(
    hass: HomeAssistant,
    device: tuple[str, UdpDevice],
    local_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Switched off (its port answers unreachable) and on again, state but no subscription."""
    kind, simulator = device
    entry, coordinator, settings = await _loaded(hass, kind, simulator, local_port)

    async def away() -> None:
        await simulator.kill()

    async def back() -> None:
        await simulator.restart()

    await _outage(hass, entry, coordinator, settings, caplog, away, back)


async def test_stalled(
    hass: HomeAssistant,
    device: tuple[str, UdpDevice],
    local_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Takes requests in, answers none and sends nothing (its socket stays open)."""
    kind, simulator = device
    entry, coordinator, settings = await _loaded(hass, kind, simulator, local_port)

    async def away() -> None:
        simulator.stalled = True

    async def back() -> None:
        simulator.stalled = False

    await _outage(hass, entry, coordinator, settings, caplog, away, back)


async def test_garbage(
    hass: HomeAssistant,
    device: tuple[str, UdpDevice],
    local_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Garbage is counted and dropped; the link and every entity stay up, nothing is loud."""
    kind, simulator = device
    entry, coordinator, settings = await _loaded(hass, kind, simulator, local_port)
    caplog.clear()
    before = coordinator.connection_health.messages_rejected
    for _ in range(3):
        simulator.send_garbage()  # type: ignore[attr-defined]
    await wait_for(lambda: coordinator.connection_health.messages_rejected >= before + 3, hass=hass)
    await hass.async_block_till_done()
    assert none_unavailable(hass, entry)
    assert coordinator.connection_health.reconnects == 0
    assert loud_lines(caplog) == []
    settings.assert_kept(hass)


async def test_two_seconds_per_request(
    hass: HomeAssistant,
    device: tuple[str, UdpDevice],
    local_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every answer 2 x the first wait late: set-up succeeds, waits follow the round trip."""
    kind, simulator = device
    simulator.reply_delay = SLOW_REPLY
    entry, coordinator, settings = await _loaded(hass, kind, simulator, local_port)
    plugin = coordinator.plugin
    round_trip = (
        plugin.client.round_trip if isinstance(plugin, SennheiserSsc1Plugin) else plugin.round_trip  # type: ignore[attr-defined]
    )
    assert round_trip.timeout > SLOW_REPLY
    assert round_trip.samples <= 5  # SSC v1: 5 requests; MCP: 4 (and one status block)
    # And it runs normally afterwards: data keeps flowing, nothing was reconnected.
    await hass.async_block_till_done()
    assert none_unavailable(hass, entry)
    assert coordinator.connection_health.reconnects == 0
    assert loud_lines(caplog) == []
    settings.assert_kept(hass)


async def test_home_assistant_restarted_while_away(
    hass: HomeAssistant,
    device: tuple[str, UdpDevice],
    local_port: int,
) -> None:
    kind, simulator = device
    entry, _coordinator, settings = await _loaded(hass, kind, simulator, local_port)
    _silence(simulator)
    assert await restart_home_assistant(hass, entry) is ConfigEntryState.SETUP_RETRY
    assert all_unavailable(hass, entry)
    settings.assert_kept(hass)
    _speak(simulator)
    await hass.config_entries.async_reload(entry.entry_id)
    await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    settings.assert_kept(hass)


async def test_another_receiver_at_the_address(
    hass: HomeAssistant, local_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    """SSC v1: another serial answers; a repair issue, entities kept, nothing taken."""
    simulator = await Ssc1Simulator(channels=2, name="STAGE").start()
    try:
        entry, coordinator, settings = await _loaded(hass, "ssc1", simulator, local_port)
        names = {
            entity_id: hass.states.get(entity_id).state  # type: ignore[union-attr]
            for entity_id in hass.states.async_entity_ids("sensor")
            if entity_id.endswith("_name")
        }
        caplog.clear()
        simulator.stop_answering()
        await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
        simulator.become("5555", "OTHER")
        simulator.rename(1, "theirs")
        simulator.resume()
        issue_id = f"different_device_{entry.entry_id}"
        await wait_for(
            lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None, hass=hass
        )
        await hass.async_block_till_done()
        assert all_unavailable(hass, entry)  # no data taken from the other receiver
        assert all(
            hass.states.get(entity_id).state != "THEIRS"  # type: ignore[union-attr]
            for entity_id in names
        )
        settings.assert_kept(hass)
        assert len(loud_lines(caplog)) <= 1
        assert coordinator.plugin.stable_id == SERIAL
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await simulator.close()


async def test_acknowledges_subscriptions_but_never_notifies(
    hass: HomeAssistant,
    local_port: int,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SSC v1: such a unit is read instead; before, its entities flapped every lifetime."""
    monkeypatch.setattr(ssc1_plugin, "MIN_POLL_SECONDS", 0.1)
    simulator = await Ssc1Simulator(channels=2, name="STAGE").start()
    try:
        entry, coordinator, settings = await _loaded(hass, "ssc1", simulator, local_port)
        plugin = coordinator.plugin
        assert isinstance(plugin, SennheiserSsc1Plugin)
        caplog.clear()
        simulator.mute_notifications = True
        reconnects = coordinator.connection_health.reconnects
        await wait_for(lambda: plugin.polling, hass=hass)
        simulator.set_battery(1, 37)
        battery = "sensor.stage_channel_1_battery"
        await wait_for(
            lambda: (state := hass.states.get(battery)) is not None and state.state == "37",
            hass=hass,
        )
        assert none_unavailable(hass, entry)
        assert coordinator.connection_health.reconnects == reconnects
        assert loud_lines(caplog) == []
        settings.assert_kept(hass)
    finally:
        await simulator.close()
