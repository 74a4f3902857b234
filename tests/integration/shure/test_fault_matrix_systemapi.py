"""Fault matrix of the Shure System API (HTTPS + WebSocket, API key, pinned certificate).

Each row drives the simulator into one fault and checks what the shared harness checks for
every protocol: data entities unavailable while the server is away and back after its
return, devices, entities and user settings kept, at most one WARNING+ line per outage, and
the reconnect schedule (at most one attempt per 5 s, so data within 5 s of the return).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
import math

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.micboard.const import CONF_KNOWN_DEVICES, CONF_METER_INTERVAL, DOMAIN
from custom_components.micboard.coordinator import Backoff, MicboardCoordinator
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.net.http import TIMEOUT_FLOOR
from custom_components.micboard.plugins.shure.systemapi.client import CONCURRENCY
from custom_components.micboard.plugins.shure.systemapi.plugin import ShureSystemApiPlugin
from simulators.shure.systemapi import SystemApiSimulator
from tests.integration.common import repair_step, start_different_device_fix
from tests.integration.entries import systemapi_entry_data
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
from tests.support.helpers import wait_for
from tests.support.systemapi import options, running_simulator

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

HOSTILE_FRAMES = ["[" * 200_000, '{"envelope": ' + "{" * 800, "9" * 5000, "x" * 300_000]


@pytest.fixture
async def sim() -> AsyncGenerator[SystemApiSimulator]:
    """A server fronting an interface, a pack in its charger and a ceiling microphone."""
    async with running_simulator(page_size=2) as simulator:
        simulator.add_device("ANX4", name="Stage box")
        simulator.add_device("ULXD6", name="Pack 1")
        simulator.add_device("MXA910", name="Ceiling")
        yield simulator


def api_entry(sim: SystemApiSimulator) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Shure System API",
        data=systemapi_entry_data(sim),
        unique_id=ShureSystemApiPlugin(options(sim)).stable_id,
        options={CONF_METER_INTERVAL: 0.05},
    )


def listening(coordinator: MicboardCoordinator, sim: SystemApiSimulator) -> bool:
    plugin = plugin_of(coordinator)
    return (
        plugin.transport_id in sim.transports and plugin.health.state is ConnectionState.CONNECTED
    )


async def start(
    hass: HomeAssistant, sim: SystemApiSimulator, entry: MockConfigEntry
) -> MicboardCoordinator:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: MicboardCoordinator = entry.runtime_data
    coordinator.backoff = Backoff(initial=0.05, maximum=0.1)
    plugin_of(coordinator).heartbeat = 2.0
    await wait_for(lambda: listening(coordinator, sim))
    return coordinator


def plugin_of(coordinator: MicboardCoordinator) -> ShureSystemApiPlugin:
    plugin = coordinator.plugin
    assert isinstance(plugin, ShureSystemApiPlugin)
    return plugin


@pytest.fixture
async def loaded(
    hass: HomeAssistant, sim: SystemApiSimulator, caplog: pytest.LogCaptureFixture
) -> AsyncGenerator[tuple[MockConfigEntry, MicboardCoordinator, UserSettings]]:
    entry = api_entry(sim)
    coordinator = await start(hass, sim, entry)
    plugin = plugin_of(coordinator)
    plugin.heartbeat = 0.4  # a silent socket is pinged, and dropped, within a second
    plugin.client().timeout = 1.0
    await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    settings = await UserSettings.apply(hass, entry)
    caplog.clear()
    yield entry, coordinator, settings
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def outage_and_return(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    coordinator: MicboardCoordinator,
    settings: UserSettings,
    caplog: pytest.LogCaptureFixture,
    *,
    away: Callable[[], Awaitable[None]],
    back: Callable[[], Awaitable[None]],
) -> None:
    """The common row: away -> unavailable, retried slowly; back -> data; nothing lost."""
    with recorded_backoff(coordinator) as backoff:
        await away()
        await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
        await wait_for(lambda: len(backoff.delays) >= 3, hass=hass)
        await back()
        await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    assert_retry_schedule(recovery_delays(backoff))
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    settings.assert_kept(hass)


async def test_killed_and_restarted(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, coordinator, settings = loaded
    await outage_and_return(
        hass, entry, coordinator, settings, caplog, away=sim.kill, back=sim.restart
    )
    await wait_for(lambda: listening(coordinator, sim), hass=hass)


async def test_stalled_with_the_socket_open(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, coordinator, settings = loaded

    async def stall() -> None:
        sim.stall()

    async def resume() -> None:
        sim.resume()

    await outage_and_return(hass, entry, coordinator, settings, caplog, away=stall, back=resume)
    await wait_for(lambda: listening(coordinator, sim), hass=hass)


async def test_garbage_is_dropped_and_the_socket_goes_on(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, coordinator, settings = loaded
    plugin = plugin_of(coordinator)
    transport = plugin.transport_id
    for frame in HOSTILE_FRAMES:
        sim.send_raw(frame)
    box = next(device for device in sim.devices.values() if device.model == "ANX4")
    sim.rename(box.device_id, "Still listening")
    await wait_for(lambda: plugin.receivers[box.device_id].name == "Still listening", hass=hass)
    assert plugin.transport_id == transport  # the same socket: no reconnect
    assert coordinator.connection_health.messages_rejected == len(HOSTILE_FRAMES)
    assert none_unavailable(hass, entry)
    assert loud_lines(caplog) == []
    settings.assert_kept(hass)


async def test_two_seconds_per_request_sets_up_in_a_few_rounds(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A slow server: rounds of parallel requests bound the set-up, and no 2 s answer times out.

    The simulator answers every request 0.2 s late (the 2 s server, scaled); what is
    asserted is the schedule, not the time it took.
    """
    entry, coordinator, settings = loaded
    sim.delay = 0.2
    before = len(sim.requests)
    assert await restart_home_assistant(hass, entry) is ConfigEntryState.LOADED
    coordinator = entry.runtime_data
    await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    plugin = plugin_of(coordinator)
    snapshot = [request for request in sim.requests[before:] if request[0] == "GET"]
    pages = sum(1 for request in snapshot if request[1] == "/api/v1/devices")
    # The pages one after another; device resources and channel lists at once; channel
    # resources at once: never more than CONCURRENCY requests in a round.
    rounds = pages + 2 + math.ceil((len(snapshot) - pages) / CONCURRENCY)
    assert rounds * 2.0 <= 30.0  # at 2 s per request, set up within 30 s
    round_trip = plugin.client().round_trip
    assert round_trip.smoothed is not None
    assert round_trip.smoothed >= 0.2
    assert min(TIMEOUT_FLOOR, round_trip.initial) > 2.0  # a 2 s answer never times out
    assert loud_lines(caplog) == []
    settings.assert_kept(hass)


async def test_another_installation_behind_the_address(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, coordinator, settings = loaded
    known = set(plugin_of(coordinator).receivers)
    for device_id in list(sim.devices):
        sim.remove_device(device_id)
    sim.add_device("ANX4", name="Someone else's box")
    sim.drop_sockets()
    await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
    await wait_for(
        lambda: any(
            issue.domain == DOMAIN and issue.translation_key == "different_device"
            for issue in ir.async_get(hass).issues.values()
        ),
        hass=hass,
    )
    assert set(plugin_of(coordinator).receivers) == known  # nothing taken, nothing deleted
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    settings.assert_kept(hass)


async def test_api_key_changed_is_tried_once_then_reauth(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, _coordinator, settings = loaded
    refused = sim.bad_key_requests
    sim.set_api_key("a-new-key-set-on-the-server")
    await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
    await wait_for(
        lambda: bool(list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))), hass=hass
    )
    await hass.async_block_till_done()
    assert sim.bad_key_requests - refused == 1  # exactly one request with the old key
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    settings.assert_kept(hass)


async def test_certificate_changed_asks_the_user(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, _coordinator, settings = loaded
    await sim.change_certificate()
    requests = len(sim.requests)
    await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
    await wait_for(
        lambda: any(issue.domain == DOMAIN for issue in ir.async_get(hass).issues.values()),
        hass=hass,
    )
    assert len(sim.requests) == requests  # the key never went to the new certificate
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    settings.assert_kept(hass)


async def test_home_assistant_restarted_while_the_server_is_away(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
) -> None:
    entry, _coordinator, settings = loaded
    await sim.kill()
    assert await restart_home_assistant(hass, entry) is ConfigEntryState.SETUP_RETRY
    assert all_unavailable(hass, entry)
    settings.assert_kept(hass)
    await sim.restart()
    await hass.config_entries.async_reload(entry.entry_id)  # what the retry timer does
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    settings.assert_kept(hass)


# -- the installation across restarts ------------------------------------------------------------


def _registry_devices(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    return {d.id for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)}


def _different_device_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"different_device_{entry.entry_id}")


async def test_the_entry_keeps_the_servers_device_ids(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
) -> None:
    entry, coordinator, _settings = loaded
    assert entry.data[CONF_KNOWN_DEVICES] == sorted(sim.devices)
    sim.add_device("MXA910", name="Second ceiling")
    await coordinator.async_refresh()
    assert entry.data[CONF_KNOWN_DEVICES] == sorted(sim.devices)


async def test_another_installation_found_after_a_restart_deletes_nothing(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before, a restarted Home Assistant knew no devices and took any list it was given."""
    entry, coordinator, settings = loaded
    old_ids = set(plugin_of(coordinator).receivers)
    devices = _registry_devices(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for device_id in list(sim.devices):
        sim.remove_device(device_id)
    other = sim.add_device("ANX4", name="Someone else's box")
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert _different_device_issue(hass, entry) is not None
    assert _registry_devices(hass, entry) == devices  # nothing deleted, nothing added
    assert all_unavailable(hass, entry)
    settings.assert_kept(hass)
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)

    # The user accepts the other installation: its devices replace the old ones.
    flow = await start_different_device_fix(hass, hass_client, entry.entry_id)
    flow = await repair_step(hass_client, flow["flow_id"], {"next_step_id": "accept_replacement"})
    flow = await repair_step(hass_client, flow["flow_id"], {})
    assert flow["type"] == FlowResultType.CREATE_ENTRY
    await wait_for(lambda: entry.state is ConfigEntryState.LOADED, hass=hass)
    coordinator = entry.runtime_data
    await wait_for(lambda: listening(coordinator, sim), hass=hass)
    assert set(plugin_of(coordinator).receivers) == {other.device_id}
    assert entry.data[CONF_KNOWN_DEVICES] == [other.device_id]
    assert not old_ids & set(plugin_of(coordinator).receivers)
    assert _different_device_issue(hass, entry) is None


async def test_a_server_listing_nothing_after_a_restart_deletes_nothing(
    hass: HomeAssistant,
    sim: SystemApiSimulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
) -> None:
    """A server still discovering its devices: wait for them, do not take "none" for an answer."""
    entry, _coordinator, settings = loaded
    devices = _registry_devices(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for device_id in list(sim.devices):
        sim.remove_device(device_id)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert _registry_devices(hass, entry) == devices
    settings.assert_kept(hass)
