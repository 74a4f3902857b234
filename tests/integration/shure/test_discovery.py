"""SLP discovery: an announcement becomes a probed flow; a moved device gets its new address.

Announcements are sent over loopback only: unicast to the listener's port, or multicast with
the outgoing interface pinned to 127.0.0.1 and a TTL of 0, which never leaves this host.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.micboard import discovery_slp
from custom_components.micboard.const import DOMAIN
from custom_components.micboard.discovery_slp import (
    DATA_SLP,
    SlpListener,
    SlpSettings,
    _ipv4_interfaces,
    autostart_from,
)
from custom_components.micboard.plugins.shure.slp import SLP_GROUP
from simulators.shure.slp import (
    attr_reply,
    send_datagram,
)
from tests.integration.common import setup_entry
from tests.integration.entries import demo_entry, shure_entry
from tests.support.helpers import wait_for
from tests.support.shure import running_simulator

ULXD4Q = "0407257E-FD5A-11E3-A21F-0015C5F3F612"
DEFAULT_INTERFACE = "0.0.0.0"  # noqa: S104  the value under test, nothing binds to it


def _flows(hass: HomeAssistant) -> list[ConfigFlowResult]:
    return list(hass.config_entries.flow.async_progress_by_handler(DOMAIN))


async def _listener(hass: HomeAssistant, device_port: int) -> SlpListener:
    listener = SlpListener(
        hass, SlpSettings(bind_host="127.0.0.1", port=0, group=None, device_port=device_port)
    )
    assert await listener.async_start()
    return listener


async def test_announcement_creates_a_probed_flow(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd") as sim:
        listener = await _listener(hass, sim.port)
        assert listener.port is not None
        await send_datagram(attr_reply(ULXD4Q), "127.0.0.1", listener.port)
        await wait_for(lambda: len(_flows(hass)) == 1)
        flow = _flows(hass)[0]
        assert flow["step_id"] == "discovery_confirm_shure_tcp"
        assert flow["context"]["unique_id"] == "shure-SIM-RX1"
        assert flow["context"]["title_placeholders"] == {"name": "SIM-RX1 (ULXD4Q)"}
        # The same announcement again (devices repeat them) is not probed again.
        await send_datagram(attr_reply(ULXD4Q), "127.0.0.1", listener.port)
        await send_datagram(b"not slp at all", "127.0.0.1", listener.port)
        await asyncio.sleep(0.05)
        assert sim.connections == 1
        listener.async_stop()
        listener.async_stop()


async def test_cooldown_memory_is_bounded(hass: HomeAssistant) -> None:
    async with running_simulator("ulxd", 1) as sim:
        listener = await _listener(hass, sim.port)
        assert listener.port is not None
        other = "0406C584-FD5A-11E3-AD62-0015C5F3F612"
        with patch.object(discovery_slp, "MAX_REMEMBERED", 1):
            for dcid in (ULXD4Q, other, ULXD4Q):
                await send_datagram(attr_reply(dcid), "127.0.0.1", listener.port)
                await wait_for(lambda: len(listener._seen) == 1)
                await asyncio.sleep(0.01)
        await wait_for(lambda: len(_flows(hass)) == 1)  # one device: one flow
        listener.async_stop()


@pytest.mark.usefixtures("second_loopback")
async def test_known_device_at_a_new_address_is_updated(hass: HomeAssistant) -> None:
    async with running_simulator("ad", host="127.0.0.2") as sim:
        entry = shure_entry(sim, host="127.0.0.1")  # configured where it used to be
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_RETRY  # nothing at the old address
        listener = await _listener(hass, sim.port)
        assert listener.port is not None
        await send_datagram(attr_reply(ULXD4Q), "127.0.0.1", listener.port, source="127.0.0.2")
        await wait_for(lambda: entry.data["host"] == "127.0.0.2")
        assert not _flows(hass)
        await wait_for(lambda: entry.state is ConfigEntryState.LOADED)  # reloaded, connected
        listener.async_stop()
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_configured_address_is_not_probed(hass: HomeAssistant) -> None:
    async with running_simulator("slxd") as sim:
        shure_entry(sim).add_to_hass(hass)
        listener = await _listener(hass, sim.port)
        assert listener.port is not None
        await send_datagram(attr_reply(ULXD4Q), "127.0.0.1", listener.port)
        await asyncio.sleep(0.05)
        assert sim.connections == 0
        assert not _flows(hass)
        listener.async_stop()


async def test_multicast_on_loopback(hass: HomeAssistant) -> None:
    async with running_simulator("qlxd") as sim:
        listener = SlpListener(hass, SlpSettings(port=0, device_port=sim.port))
        # 192.0.2.250 is no address of this host: joining there fails, loopback works.
        assert await listener.async_start(["192.0.2.250", "127.0.0.1"])
        assert listener.port is not None
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
            sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
            sender.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1")
            )
            sender.sendto(attr_reply(ULXD4Q), (SLP_GROUP, listener.port))
        finally:
            sender.close()
        await wait_for(lambda: len(_flows(hass)) == 1)
        listener.async_stop()


async def test_listener_that_cannot_bind_is_simply_off(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    not_here = SlpListener(hass, SlpSettings(bind_host="203.0.113.7", port=0, group=None))
    assert not await not_here.async_start()
    no_group = SlpListener(hass, SlpSettings(bind_host="127.0.0.1", port=0))
    assert not await no_group.async_start(["203.0.113.7"])
    assert caplog.text.count("Shure discovery is off") == 2


async def test_autostart_with_the_integration(hass: HomeAssistant, frozen_demo: None) -> None:
    settings = SlpSettings(bind_host="127.0.0.1", port=0, group=None)
    with (
        patch.object(discovery_slp, "SLP_AUTOSTART", new=True),
        patch.object(discovery_slp, "DEFAULT_SETTINGS", settings),
    ):
        entry = demo_entry()
        await setup_entry(hass, entry)
        listener = hass.data[DATA_SLP]
        assert listener.port
        assert await discovery_slp.async_setup_slp_discovery(hass) is listener  # once per run
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_stop()
    assert DATA_SLP not in hass.data


async def test_autostart_failure_does_not_stop_setup(
    hass: HomeAssistant, frozen_demo: None
) -> None:
    settings = SlpSettings(bind_host="203.0.113.7", port=0, group=None)
    with (
        patch.object(discovery_slp, "SLP_AUTOSTART", new=True),
        patch.object(discovery_slp, "DEFAULT_SETTINGS", settings),
    ):
        entry = demo_entry()
        await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert DATA_SLP not in hass.data
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_interfaces(hass: HomeAssistant) -> None:
    """Every enabled IPv4 adapter (the test harness mocks them), else the default one."""
    assert await async_setup_component(hass, "network", {})
    await hass.async_block_till_done()
    assert await _ipv4_interfaces(hass) == ["10.10.10.10"]
    with patch(
        "homeassistant.components.network.async_get_adapters", side_effect=KeyError("network")
    ):
        assert await _ipv4_interfaces(hass) == [DEFAULT_INTERFACE]
    with patch("homeassistant.components.network.async_get_adapters", return_value=[]):
        assert await _ipv4_interfaces(hass) == [DEFAULT_INTERFACE]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(None, True), ("on", True), ("1", True), ("off", False), (" OFF ", False), ("0", False)],
)
def test_slp_discovery_can_be_switched_off(setting: str | None, expected: bool) -> None:
    """scripts/develop switches it off so a test machine joins no multicast group."""
    assert autostart_from(setting) is expected
