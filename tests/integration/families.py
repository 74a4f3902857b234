"""One config entry per device family, on a simulator whose state does not move by itself.

The entity snapshots (test_sensor.py, test_binary_sensor.py, test_button.py) set up each
family with :func:`family_entry`. Every simulator here is static: none is animated (the
simulators only move when a test tells them to or when their ``animate`` option is on), ids
and names are fixed, and the demo rack is seeded with its clock stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from functools import partial
from typing import Any
from unittest.mock import patch

from homeassistant.const import CONF_DEVICE_ID, CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import (
    CONF_DEVICE_UID,
    CONF_LOCAL_PORT,
    CONF_MANUFACTURER,
    CONF_METER_INTERVAL,
    DOMAIN,
)
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.entry_data import create_plugin
from custom_components.micboard.plugins.audio_technica.plugin import device_uid
from custom_components.micboard.plugins.model import Feature
from simulators.audio_technica import ESW, SYSTEM20, AudioTechnicaSimulator
from simulators.sennheiser.mcp import McpSimulator
from simulators.sennheiser.ssc1 import Ssc1Simulator
from tests.integration.entries import (
    audio_technica_entry_data,
    demo_entry,
    shure_entry,
    ssc2_entry_data,
    systemapi_entry_data,
)
from tests.support import shure, ssc2, systemapi
from tests.support.helpers import free_port, wait_for

#: Meter values reach the states at most this often (seconds); short, so tests settle soon.
METER_INTERVAL = 0.05
#: Where the demo's clock is; stopped, only ``plugin.advance()`` would change the rack.
DEMO_TICK = "custom_components.micboard.plugins.demo.plugin.TICK_SECONDS"

type _Start = Callable[[contextlib.AsyncExitStack], Awaitable[MockConfigEntry]]


def _entry(data: dict[str, Any], title: str, unique_id: str | None = None) -> MockConfigEntry:
    """An entry with the unique id the config flow gives it (the plugin's, unless known)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        data=data,
        options={CONF_METER_INTERVAL: METER_INTERVAL},
        unique_id=unique_id or create_plugin(data).stable_id,
    )


async def _demo(stack: contextlib.AsyncExitStack) -> MockConfigEntry:
    stack.enter_context(patch(DEMO_TICK, 3600.0))
    return demo_entry(receivers=1, channels=2, options={CONF_METER_INTERVAL: METER_INTERVAL})


async def _shure_commands(stack: contextlib.AsyncExitStack, family: str) -> MockConfigEntry:
    timing = "custom_components.micboard.plugins.shure.commands.plugin.DEFAULT_TIMING"
    stack.enter_context(patch(timing, shure.FAST))
    channels = min(2, shure.FAMILY_CHANNELS[family])
    sim = await stack.enter_async_context(shure.running_simulator(family, channels))
    return shure_entry(sim, meter_interval=METER_INTERVAL)


async def _shure_systemapi(stack: contextlib.AsyncExitStack) -> MockConfigEntry:
    sim = await stack.enter_async_context(systemapi.running_simulator())
    systemapi.stage(sim)
    # The staged ULX-D is handed over to the command-string plugin: no discovery flow for it.
    stack.enter_context(patch("homeassistant.helpers.discovery_flow.async_create_flow"))
    return _entry(systemapi_entry_data(sim), "Shure System API")


async def _ssc2(stack: contextlib.AsyncExitStack) -> MockConfigEntry:
    sim = await stack.enter_async_context(ssc2.running_simulator(channels=2))
    return _entry(ssc2_entry_data(sim), "EWDXEM", sim.state.serial)


async def _ssc1(stack: contextlib.AsyncExitStack, variant: str) -> MockConfigEntry:
    sim = await Ssc1Simulator(variant=variant, channels=2 if variant == "ewdx" else 1).start()
    stack.push_async_callback(sim.close)
    host, port = sim.address
    data = {CONF_MANUFACTURER: "sennheiser_ssc1", CONF_HOST: host, CONF_PORT: port}
    return _entry(data, sim.device_name, sim.serial)


async def _mcp(stack: contextlib.AsyncExitStack) -> MockConfigEntry:
    local_port = free_port("udp")
    sim = await McpSimulator(reply_port=local_port).start()
    stack.push_async_callback(sim.close)
    host, port = sim.address
    data = {
        CONF_MANUFACTURER: "sennheiser_mcp",
        CONF_HOST: host,
        CONF_PORT: port,
        CONF_LOCAL_PORT: local_port,
        CONF_DEVICE_ID: "127.0.0.1:53212",  # the address it was first known by: not the port
    }
    return _entry(data, sim.name)


async def _audio_technica(stack: contextlib.AsyncExitStack, model: str) -> MockConfigEntry:
    sim = AudioTechnicaSimulator(model=model, channels=2, notify_port=free_port("udp"))
    await sim.start()
    stack.push_async_callback(sim.close)
    uid = device_uid(model, sim.name)  # what the config flow pins after identifying it
    return _entry(audio_technica_entry_data(sim, **{CONF_DEVICE_UID: uid}), sim.name)


_STARTS: dict[str, _Start] = {
    "demo": _demo,
    **{f"shure_{family}": partial(_shure_commands, family=family) for family in shure.FAMILIES},
    "shure_systemapi": _shure_systemapi,
    "sennheiser_ssc2": _ssc2,
    "sennheiser_ssc1_ewdx": partial(_ssc1, variant="ewdx"),
    "sennheiser_ssc1_sldw": partial(_ssc1, variant="sldw"),
    "sennheiser_mcp": _mcp,
    "audio_technica_esw": partial(_audio_technica, model=ESW),
    "audio_technica_system20": partial(_audio_technica, model=SYSTEM20),
}
#: Every family a simulator (or the demo) plays, by the name the snapshots use.
FAMILIES = tuple(_STARTS)


@contextlib.asynccontextmanager
async def running_family(family: str) -> AsyncIterator[MockConfigEntry]:
    """A running simulator of ``family`` and an entry for it (not added to Home Assistant)."""
    async with contextlib.AsyncExitStack() as stack:
        yield await _STARTS[family](stack)


#: Values that arrive with the meters, after set-up (the model's attribute per feature).
_METERS = frozenset({Feature.AUDIO_LEVEL, Feature.RF_LEVEL, Feature.RF_QUALITY, Feature.ANTENNA})


async def settled(hass: HomeAssistant, coordinator: MicboardCoordinator) -> None:
    """Wait until the states show the simulator's whole (static) state.

    Everything but the meters is written during set-up. Meters arrive once the plugin has
    asked for them; when every online channel has all of its meter values, the coordinator's
    meter flush is due within one meter interval, and a timer due earlier runs first.
    """

    def meters_known() -> bool:
        return all(
            getattr(channel, feature.value) is not None
            for receiver in coordinator.plugin.receivers.values()
            if receiver.online
            for channel in receiver.channels.values()
            for feature in _METERS & channel.features
        )

    await wait_for(meters_known, hass=hass)
    await asyncio.sleep(2 * coordinator.meter_interval)
    await hass.async_block_till_done()
