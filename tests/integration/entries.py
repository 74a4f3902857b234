"""Config entries per protocol, as the config flows store them, for simulators on loopback."""

from __future__ import annotations

from typing import Any

from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_PORT,
)
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import (
    CONF_CHANNELS,
    CONF_FINGERPRINT,
    CONF_MANUFACTURER,
    CONF_METER_INTERVAL,
    CONF_NOTIFY_BIND,
    CONF_NOTIFY_GROUP,
    CONF_NOTIFY_PORT,
    CONF_RECEIVERS,
    CONF_SEED,
    DOMAIN,
)
from custom_components.micboard.coordinator import Backoff, MicboardCoordinator
from custom_components.micboard.entry_data import create_plugin
from custom_components.micboard.plugins.health import ConnectionState
from custom_components.micboard.plugins.sennheiser.ssc2.plugin import SennheiserSsc2Plugin
from simulators.audio_technica import AudioTechnicaSimulator
from simulators.sennheiser.ssc2 import Ssc2Simulator
from simulators.shure.commands import ShureSimulator
from simulators.shure.systemapi import SystemApiSimulator
from tests.integration.common import setup_entry
from tests.support.helpers import wait_for
from tests.support.shure import receiver_id


def demo_entry(
    *,
    name: str = "Test rack",
    receivers: int = 2,
    channels: int = 2,
    seed: int | None = 178,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """A config entry for a small seeded demo rack."""
    data: dict[str, Any] = {
        CONF_MANUFACTURER: "demo",
        CONF_NAME: name,
        CONF_RECEIVERS: receivers,
        CONF_CHANNELS: channels,
    }
    if seed is not None:
        data[CONF_SEED] = seed
    plugin = create_plugin(data)
    return MockConfigEntry(
        domain=DOMAIN,
        title=name,
        data=data,
        options=options or {},
        unique_id=plugin.stable_id,
    )


def shure_entry(
    sim: ShureSimulator, *, meter_interval: float = 0.1, **data: Any
) -> MockConfigEntry:
    """An entry as the config flow would create it for a Shure command-string ``sim``."""
    rid = receiver_id(sim)
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{sim.device.device_id or sim.host} ({sim.device.model})",
        data={
            CONF_MANUFACTURER: "shure_tcp",
            "host": sim.host,
            "port": sim.port,
            "transport": sim.transport,
            "receiver_id": rid,
        }
        | data,
        options={CONF_METER_INTERVAL: meter_interval},
        unique_id=rid,
    )


async def setup_shure(
    hass: HomeAssistant, sim: ShureSimulator, **kwargs: Any
) -> tuple[MockConfigEntry, MicboardCoordinator]:
    """Set up an entry for ``sim``; reconnect backoff shortened to test speed."""
    entry = shure_entry(sim, **kwargs)
    coordinator = await setup_entry(hass, entry)
    coordinator.backoff = Backoff(initial=0.05, maximum=0.2)
    return entry, coordinator


def systemapi_entry_data(simulator: SystemApiSimulator, **overrides: Any) -> dict[str, Any]:
    """Entry data for a Shure System API server, as the config flow stores it."""
    data: dict[str, Any] = {
        CONF_MANUFACTURER: "shure_systemapi",
        CONF_HOST: simulator.host,
        CONF_PORT: simulator.port,
        CONF_API_KEY: simulator.api_key,
        CONF_FINGERPRINT: simulator.fingerprint,
    }
    data.update(overrides)
    return data


def ssc2_entry_data(simulator: Ssc2Simulator, **overrides: Any) -> dict[str, Any]:
    """Entry data for a Sennheiser SSCv2 device, as the config flow stores it."""
    data: dict[str, Any] = {
        CONF_MANUFACTURER: "sennheiser_ssc2",
        CONF_HOST: simulator.host,
        CONF_PORT: simulator.port,
        CONF_PASSWORD: simulator.password,
        CONF_FINGERPRINT: simulator.fingerprint,
    }
    data.update(overrides)
    return data


def audio_technica_entry_data(simulator: AudioTechnicaSimulator, **extra: Any) -> dict[str, Any]:
    """Entry data for an Audio-Technica receiver, notifications on loopback unicast."""
    return {
        CONF_MANUFACTURER: "audio_technica",
        CONF_HOST: "127.0.0.1",
        CONF_PORT: simulator.port,
        CONF_NOTIFY_PORT: simulator.notify_port,
        CONF_NOTIFY_GROUP: "",
        CONF_NOTIFY_BIND: "127.0.0.1",
        **extra,
    }


def ssc2_streaming(coordinator: MicboardCoordinator, sim: Ssc2Simulator) -> bool:
    """Whether an SSCv2 entry holds its subscription session and one open event stream."""
    plugin = coordinator.plugin
    assert isinstance(plugin, SennheiserSsc2Plugin)
    return (
        plugin._session_uuid in sim.sessions
        and plugin.health.state is ConnectionState.CONNECTED
        and sim.active_streams == 1
        and not plugin._awaiting_push
    )


async def start_ssc2(
    hass: HomeAssistant, sim: Ssc2Simulator, entry: MockConfigEntry
) -> MicboardCoordinator:
    """Set up an SSCv2 entry (quick backoff); wait until it streams and shows the meters.

    The meters' first values come with the subscription's push, after set-up; the first
    meter flush writes them at once.
    """
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: MicboardCoordinator = entry.runtime_data
    coordinator.backoff = Backoff(initial=0.05, maximum=0.1)
    await wait_for(lambda: ssc2_streaming(coordinator, sim))
    await wait_for(lambda: getattr(coordinator.delivery, "_meter_handle", None) is None)
    await hass.async_block_till_done()
    return coordinator
