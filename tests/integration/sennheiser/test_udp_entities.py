"""Home Assistant entity states for SSC v1 and MCP receivers driven by the simulators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from homeassistant.const import CONF_HOST, CONF_PORT, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.micboard.const import CONF_MANUFACTURER, CONF_METER_INTERVAL, DOMAIN
from custom_components.micboard.identifiers import receiver_identifier
from custom_components.micboard.plugins.sennheiser.mcp.plugin import SennheiserMcpPlugin
from custom_components.micboard.plugins.sennheiser.ssc1.plugin import SennheiserSsc1Plugin
from simulators.sennheiser.mcp import McpSimulator
from simulators.sennheiser.ssc1 import Ssc1Simulator
from tests.integration.common import setup_entry
from tests.support.helpers import free_port, wait_for

pytestmark = pytest.mark.usefixtures("socket_enabled", "entity_registry_enabled_by_default", "fast")

SERIAL = "1234567890"


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short lifetimes and timeouts so loss and recovery happen within a second or two."""
    monkeypatch.setattr(SennheiserSsc1Plugin, "subscription_lifetime", 1.0)
    monkeypatch.setattr(SennheiserMcpPlugin, "push_timeout", 1.5)
    for plugin in (SennheiserSsc1Plugin, SennheiserMcpPlugin):
        monkeypatch.setattr(plugin, "request_timeout", 0.2)
        monkeypatch.setattr(plugin, "request_attempts", 2)


@pytest.fixture
async def ssc1() -> AsyncIterator[Ssc1Simulator]:
    simulator = await Ssc1Simulator(channels=2, name="STAGE").start()
    yield simulator
    await simulator.close()


@pytest.fixture
def local_port() -> int:
    return free_port("udp")


@pytest.fixture
async def mcp(local_port: int) -> AsyncIterator[McpSimulator]:
    simulator = await McpSimulator(reply_port=local_port).start()
    yield simulator
    await simulator.close()


def reader(hass: HomeAssistant, receiver_id: str) -> Callable[[str, int | None, str], str]:
    """state(platform, channel, key) of one of the receiver's entities."""
    registry = er.async_get(hass)

    def state(platform: str, channel: int | None, key: str) -> str:
        suffix = key if channel is None else f"{channel}-{key}"
        entity_id = registry.async_get_entity_id(platform, DOMAIN, f"{receiver_id}-{suffix}")
        assert entity_id is not None, suffix
        current = hass.states.get(entity_id)
        assert current is not None, entity_id
        return current.state

    return state


async def test_ssc1_scenario(hass: HomeAssistant, ssc1: Ssc1Simulator) -> None:
    host, port = ssc1.address
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="STAGE",
        unique_id=SERIAL,
        data={CONF_MANUFACTURER: "sennheiser_ssc1", CONF_HOST: host, CONF_PORT: port},
        options={CONF_METER_INTERVAL: 0.1},
    )
    await setup_entry(hass, entry)
    state = reader(hass, SERIAL)

    async def expect(platform: str, channel: int, key: str, value: str) -> None:
        await wait_for(lambda: state(platform, channel, key) == value, hass=hass)

    assert state("sensor", 1, "battery") == "90"
    assert state("sensor", 1, "battery_runtime") == "420"
    assert state("sensor", 1, "frequency") == "520.4"
    assert state("sensor", 1, "transmitter_model") == "SKM (MMD 935)"
    assert state("sensor", 1, "status") == "good"
    assert state("binary_sensor", 2, "transmitter") == STATE_ON
    assert state("binary_sensor", 1, "rf_problem") == STATE_OFF

    # Battery draining: replace, then critical and low.
    ssc1.drain(1, 40)
    await expect("sensor", 1, "status", "replace")
    assert state("binary_sensor", 1, "low_battery") == STATE_OFF
    ssc1.drain(1, 40)
    await expect("sensor", 1, "status", "critical")
    assert state("binary_sensor", 1, "low_battery") == STATE_ON

    # Transmitter off, then on again.
    ssc1.tx_off(2)
    await expect("binary_sensor", 2, "transmitter", STATE_OFF)
    assert state("sensor", 2, "status") == "tx_off"
    ssc1.tx_on(2)
    await expect("binary_sensor", 2, "transmitter", STATE_ON)
    await expect("sensor", 2, "battery", "90")

    # RF fade and audio peak.
    ssc1.rf_fade(1)
    await expect("binary_sensor", 1, "rf_problem", STATE_ON)
    assert state("sensor", 1, "rf_quality") == "12"
    ssc1.audio_peak(2)
    await expect("sensor", 2, "status", "audio_peak")

    # Names changed on the device.
    ssc1.rename(2, "Pastor")
    await expect("sensor", 2, "channel_name", "PASTOR")
    ssc1.device_name = "FOH RACK"
    devices = dr.async_get(hass)

    def device_name() -> str | None:
        device = devices.async_get_device_by_identifier(receiver_identifier(SERIAL), entry.entry_id)
        return None if device is None else device.name

    assert device_name() == "STAGE"
    await wait_for(lambda: device_name() == "FOH RACK", hass=hass)


async def test_ssc1_unavailable_and_recovery(hass: HomeAssistant, ssc1: Ssc1Simulator) -> None:
    host, port = ssc1.address
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=SERIAL,
        data={CONF_MANUFACTURER: "sennheiser_ssc1", CONF_HOST: host, CONF_PORT: port},
    )
    coordinator = await setup_entry(hass, entry)
    state = reader(hass, SERIAL)
    ssc1.stop_answering()
    await wait_for(lambda: state("sensor", 1, "battery") == STATE_UNAVAILABLE, hass=hass)
    assert state("binary_sensor", None, "connectivity") == STATE_OFF
    assert state("sensor", None, "connection_state") == "error"
    ssc1.resume()
    await wait_for(lambda: state("sensor", 1, "battery") == "90", hass=hass, timeout=10)
    assert state("binary_sensor", None, "connectivity") == STATE_ON
    assert coordinator.plugin.health.reconnects >= 1


async def test_mcp_scenario(hass: HomeAssistant, mcp: McpSimulator, local_port: int) -> None:
    host, port = mcp.address
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"{host}:{port}",
        data={
            CONF_MANUFACTURER: "sennheiser_mcp",
            CONF_HOST: host,
            CONF_PORT: port,
            "device_id": f"{host}:{port}",
            "local_port": local_port,
        },
        options={CONF_METER_INTERVAL: 0.1},
    )
    coordinator = await setup_entry(hass, entry)
    state = reader(hass, coordinator.plugin.receiver_id)  # type: ignore[attr-defined]

    async def expect(platform: str, key: str, value: str) -> None:
        await wait_for(lambda: state(platform, 1, key) == value, hass=hass)

    assert state("sensor", 1, "battery") == "100"
    assert state("sensor", 1, "battery_bars") == "5"
    assert state("sensor", 1, "channel_name") == "VOCAL 1"
    assert state("sensor", 1, "frequency") == "566.0"
    assert state("sensor", 1, "status") == "good"

    mcp.set_battery(30)
    await expect("sensor", "status", "replace")
    assert state("binary_sensor", 1, "low_battery") == STATE_OFF
    mcp.set_battery(0)
    await expect("sensor", "status", "critical")
    assert state("binary_sensor", 1, "low_battery") == STATE_ON

    mcp.tx_off()
    await expect("binary_sensor", "transmitter", STATE_OFF)
    assert state("sensor", 1, "status") == "tx_off"
    mcp.set_battery(100)
    mcp.tx_on_again()
    await expect("binary_sensor", "transmitter", STATE_ON)
    await expect("sensor", "status", "good")

    mcp.rf_fade(15)
    await expect("binary_sensor", "rf_problem", STATE_ON)
    mcp.audio_peak()
    await expect("sensor", "status", "audio_peak")
    mcp.rename("BASS")
    await expect("sensor", "channel_name", "BASS")


async def test_mcp_unavailable_and_recovery(
    hass: HomeAssistant, mcp: McpSimulator, local_port: int
) -> None:
    host, port = mcp.address
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"{host}:{port}",
        data={
            CONF_MANUFACTURER: "sennheiser_mcp",
            CONF_HOST: host,
            CONF_PORT: port,
            "local_port": local_port,
        },
    )
    coordinator = await setup_entry(hass, entry)
    state = reader(hass, coordinator.plugin.receiver_id)  # type: ignore[attr-defined]
    mcp.stop_answering()
    await wait_for(lambda: state("sensor", 1, "battery") == STATE_UNAVAILABLE, hass=hass)
    mcp.resume()
    await wait_for(lambda: state("sensor", 1, "battery") == "100", hass=hass, timeout=10)
    assert state("binary_sensor", None, "connectivity") == STATE_ON
    assert await hass.config_entries.async_unload(entry.entry_id)
    await wait_for(lambda: not mcp.pushes)  # "Push 0 0 0" on unload
