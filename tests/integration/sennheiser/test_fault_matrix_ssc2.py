"""Fault matrix of the EW-DX over SSCv2 (HTTPS + SSE, Basic auth, pinned certificate).

Each row drives the simulator into one fault and checks what the shared harness checks for
every protocol: data entities unavailable while the device is away and back after its
return, devices, entities and user settings kept, at most one WARNING+ line per outage, and
the reconnect schedule (at most one attempt per 5 s, so data within 5 s of the return).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import math

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import CONF_METER_INTERVAL, DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.plugins.net.http import TIMEOUT_FLOOR
from custom_components.micboard.plugins.sennheiser.ssc2.client import CONCURRENCY
from custom_components.micboard.plugins.sennheiser.ssc2.plugin import SennheiserSsc2Plugin
from simulators.sennheiser.ssc2 import Ssc2Simulator
from tests.integration.entries import ssc2_entry_data, ssc2_streaming, start_ssc2
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

pytestmark = pytest.mark.usefixtures("socket_enabled", "entity_registry_enabled_by_default")


SERIAL = "1234567890"

#: Events no device should send: they are dropped and counted, the stream goes on (the
#: runs of blank lines are no messages at all).
HOSTILE = [
    b"data:" + b"[" * 200_000 + b"\n\n",
    b'data:{"/api/channel/0":' + b"{" * 500 + b"\n\n",
    b'data:{"/api/channel/0":' + b'{"a":' * 40 + b"1" + b"}" * 41 + b"\n\n",
    b"data:" + b"9" * 5000 + b"\n\n",
    b'data:"just a string"\n\n',
    b"\n" * (1024 * 1024),
    b"\r" * (1024 * 1024),
]


def ssc2_entry(sim: Ssc2Simulator) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="EWDXEM",
        data=ssc2_entry_data(sim),
        unique_id=SERIAL,
        options={CONF_METER_INTERVAL: 0.05},
    )


def plugin_of(coordinator: MicboardCoordinator) -> SennheiserSsc2Plugin:
    plugin = coordinator.plugin
    assert isinstance(plugin, SennheiserSsc2Plugin)
    return plugin


def quick(coordinator: MicboardCoordinator) -> None:
    """Notice silence and dead requests in a fraction of a second (the logic is the same)."""
    plugin = plugin_of(coordinator)
    plugin.liveness_after = 0.3
    plugin.open_timeout = 1.0
    plugin.client().timeout = 1.0


@pytest.fixture
async def loaded(
    hass: HomeAssistant, sim: Ssc2Simulator, caplog: pytest.LogCaptureFixture
) -> AsyncGenerator[tuple[MockConfigEntry, MicboardCoordinator, UserSettings]]:
    entry = ssc2_entry(sim)
    coordinator = await start_ssc2(hass, sim, entry)
    quick(coordinator)
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
    away: object,
    back: object,
) -> None:
    """The common row: away -> unavailable, retried slowly; back -> data; nothing lost."""
    with recorded_backoff(coordinator) as backoff:
        await away()  # type: ignore[operator]
        await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
        await wait_for(lambda: len(backoff.delays) >= 3, hass=hass)
        await back()  # type: ignore[operator]
        await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    assert_retry_schedule(recovery_delays(backoff))
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    settings.assert_kept(hass)


async def test_killed_and_restarted(
    hass: HomeAssistant,
    sim: Ssc2Simulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, coordinator, settings = loaded
    await outage_and_return(
        hass, entry, coordinator, settings, caplog, away=sim.kill, back=sim.restart
    )
    await wait_for(lambda: ssc2_streaming(coordinator, sim), hass=hass)


async def test_stalled_with_the_socket_open(
    hass: HomeAssistant,
    sim: Ssc2Simulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, coordinator, settings = loaded

    async def stall() -> None:
        sim.stall()

    async def resume() -> None:
        sim.resume()

    await outage_and_return(hass, entry, coordinator, settings, caplog, away=stall, back=resume)
    await wait_for(lambda: ssc2_streaming(coordinator, sim), hass=hass)


async def test_garbage_is_dropped_and_the_stream_goes_on(
    hass: HomeAssistant,
    sim: Ssc2Simulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, coordinator, settings = loaded
    uuid = plugin_of(coordinator)._session_uuid
    for raw in HOSTILE:
        sim.send_raw(raw)
    sim.set_battery(0, gauge=42)
    channel = plugin_of(coordinator).receivers[SERIAL].channels[1]
    await wait_for(
        lambda: channel.transmitter is not None and channel.transmitter.battery_percent == 42,
        hass=hass,
    )
    assert plugin_of(coordinator)._session_uuid == uuid  # the same session: no reconnect
    assert coordinator.connection_health.messages_rejected == 5
    assert none_unavailable(hass, entry)
    assert loud_lines(caplog) == []
    settings.assert_kept(hass)


async def test_two_seconds_per_request_sets_up_in_a_few_rounds(
    hass: HomeAssistant,
    sim: Ssc2Simulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A slow device: the set-up is bounded by rounds of parallel requests, not by count.

    The simulator answers every request 0.2 s late (the 2 s device, scaled); what is
    asserted is the schedule: how many rounds the set-up takes, and that the timeouts the
    client uses outlast a 2 s answer.
    """
    entry, coordinator, settings = loaded
    sim.delay = 0.2
    sim.max_in_flight = 0
    before = len(sim.requests)
    assert await restart_home_assistant(hass, entry) is ConfigEntryState.LOADED
    coordinator = entry.runtime_data
    await wait_for(lambda: none_unavailable(hass, entry), hass=hass)
    plugin = plugin_of(coordinator)
    snapshot = [request for request in sim.requests[before:] if request[0] == "GET"]
    assert sim.max_in_flight <= CONCURRENCY
    # Identity (two requests at once), the password check alone, then the rest at once.
    reads = len(snapshot) - 3
    rounds = 1 + 1 + math.ceil(reads / CONCURRENCY)
    assert rounds * 2.0 <= 30.0  # at 2 s per request, set up within 30 s
    assert plugin.snapshot_timeout >= rounds * 2.0
    round_trip = plugin.client().round_trip
    assert round_trip.smoothed is not None
    assert round_trip.smoothed >= 0.2
    # A 2 s answer never times out: the timeout never goes below the floor.
    assert min(TIMEOUT_FLOOR, round_trip.initial) > 2.0
    assert loud_lines(caplog) == []
    settings.assert_kept(hass)


async def test_another_receiver_at_the_address(
    hass: HomeAssistant,
    sim: Ssc2Simulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, coordinator, settings = loaded
    attempts = sim.auth_attempts
    sim.state.serial = "5555555555"
    sim.state.channels[0].name = "THEIRS"
    sim.drop_streams()
    await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
    await wait_for(
        lambda: (
            bool(ir.async_get(hass).issues)
            and any(
                issue.domain == DOMAIN and issue.is_fixable
                for issue in ir.async_get(hass).issues.values()
            )
        ),
        hass=hass,
    )
    issue = next(i for i in ir.async_get(hass).issues.values() if i.domain == DOMAIN)
    assert issue.translation_key == "different_device"
    # Nothing of the other unit was taken: no password sent to it, no data shown.
    assert sim.auth_attempts == attempts
    assert plugin_of(coordinator).receivers[SERIAL].channels[1].name != "THEIRS"
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    settings.assert_kept(hass)


async def test_password_changed_is_tried_once_then_reauth(
    hass: HomeAssistant,
    sim: Ssc2Simulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, _coordinator, settings = loaded
    sim.password = "Changed-On-Device-1!"  # noqa: S105
    failed = sim.failed_logins
    sim.drop_streams()
    await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
    await wait_for(
        lambda: any(
            flow["context"]["source"] == SOURCE_REAUTH
            for flow in entry.async_get_active_flows(hass, {SOURCE_REAUTH})
        ),
        hass=hass,
    )
    await hass.async_block_till_done()
    assert sim.failed_logins - failed == 1  # exactly one attempt with the old password
    assert not sim.locked_out
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    settings.assert_kept(hass)


async def test_certificate_changed_asks_the_user(
    hass: HomeAssistant,
    sim: Ssc2Simulator,
    loaded: tuple[MockConfigEntry, MicboardCoordinator, UserSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, _coordinator, settings = loaded
    attempts = sim.auth_attempts
    await sim.change_certificate()
    await wait_for(lambda: all_unavailable(hass, entry), hass=hass)
    await wait_for(
        lambda: any(issue.domain == DOMAIN for issue in ir.async_get(hass).issues.values()),
        hass=hass,
    )
    assert sim.auth_attempts == attempts  # the password never went to the new certificate
    assert len(loud_lines(caplog)) <= 1, loud_lines(caplog)
    settings.assert_kept(hass)


async def test_home_assistant_restarted_while_the_device_is_away(
    hass: HomeAssistant,
    sim: Ssc2Simulator,
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
