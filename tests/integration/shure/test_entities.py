"""What Home Assistant shows for each Shure family through a scripted scenario."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.identifiers import receiver_identifier
from tests.integration.common import entity_id, state
from tests.integration.entries import setup_shure
from tests.support.helpers import wait_for
from tests.support.shure import receiver_id, running_simulator

#: Features the scenario can exercise, per family (what the family really has).
BATTERY = {"ulxd", "qlxd", "slxd", "ad", "uhfr"}
RUNTIME = {"ulxd", "qlxd", "slxd", "ad"}
PERCENT = {"ulxd", "qlxd", "ad"}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("family", ["ulxd", "qlxd", "slxd", "ad", "uhfr"])
async def test_microphone_scenario(hass: HomeAssistant, family: str) -> None:  # noqa: PLR0915
    """One script, read top to bottom like a rehearsal; splitting it would hide the story."""
    async with running_simulator(family) as sim:
        entry, _ = await setup_shure(hass, sim)
        rid = receiver_id(sim)
        assert channel_entity_keys(hass, entry.entry_id, rid) == expected_keys(family)

        def ch(key: str, platform: str = "sensor", channel: int = 1) -> str | None:
            return state(hass, platform, f"{rid}-{channel}-{key}")

        async def until(key: str, value: str, platform: str = "sensor") -> None:
            await wait_for(lambda: ch(key, platform) == value)

        # Battery draining: good -> replace -> critical.
        sim.set_battery(1, 90)
        if family in PERCENT:
            await until("battery", "90")
        if family in RUNTIME:
            await until("battery_runtime", "540")
        await until("status", "good")
        assert ch("battery_bars") == "5"
        assert ch("transmitter", "binary_sensor") == STATE_ON
        assert ch("low_battery", "binary_sensor") == STATE_OFF
        sim.set_battery(1, 50)
        await until("status", "replace")
        assert ch("battery_bars") == "3"
        sim.set_battery(1, 5)  # 1 bar, 30 min left
        await until("status", "critical")
        assert ch("low_battery", "binary_sensor") == STATE_ON

        # RF fade: the RF problem sensor turns on, and off again when the signal returns.
        sim.set_battery(1, 90)
        await until("status", "good")
        await until("rf_problem", STATE_OFF, "binary_sensor")
        sim.set_rf(1, -100)
        await until("rf_problem", STATE_ON, "binary_sensor")
        # UHF-R's weakest end of the scale (raw 100) is 0 % quality; it has no dBm.
        assert ch("rf_quality" if family == "uhfr" else "rf_level") == (
            "0" if family == "uhfr" else "-100.0"
        )
        sim.set_rf(1, -55)
        await until("rf_problem", STATE_OFF, "binary_sensor")

        # Audio peak.
        sim.set_audio(1, peak=0, clip=True)
        await until("status", "audio_peak")
        sim.set_audio(1, peak=-30, clip=False)

        # Transmitter switched off: tx_off, runtime unknown.
        sim.set_transmitter(1, on=False)
        await until("status", "tx_off")
        assert ch("transmitter", "binary_sensor") == STATE_OFF
        assert ch("battery_bars") == STATE_UNKNOWN
        if family in RUNTIME:
            assert ch("battery_runtime") == STATE_UNKNOWN
        if family != "uhfr":
            assert ch("transmitter_model") == STATE_UNKNOWN

        # A name changed on the device shows up at once.
        sim.set_name(1, "Pastor")
        await until("channel_name", "Pastor")
        # ... as does the receiver's own name (it does not change any id).
        if sim.device.device_id:
            sim.set_device_id("RACK-2")
            registry = dr.async_get(hass)

            def device_name() -> str | None:
                device = registry.async_get_device_by_identifier(
                    receiver_identifier(rid), entry.entry_id
                )
                return None if device is None else device.name

            await wait_for(lambda: device_name() == "RACK-2")

        # Other channels were never touched.
        if len(sim.device.channels) > 1:
            assert state(hass, "sensor", f"{rid}-2-channel_name") == "Mic 2"

        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


def channel_entity_keys(hass: HomeAssistant, entry_id: str, rid: str) -> set[str]:
    """Entity keys of channel 1: what Home Assistant offers for this family."""
    return {
        entity.unique_id.removeprefix(f"{rid}-1-")
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
        if entity.unique_id.startswith(f"{rid}-1-")
    }


def expected_keys(family: str) -> set[str]:
    """The entities each family honestly has (an SLX-D has no RF quality...)."""
    common = {"status", "channel_name", "frequency"}
    return {
            "ulxd": common | {"battery", "battery_bars", "battery_runtime", "battery_type",
                              "transmitter_model", "rf_level", "antenna", "audio_level",
                              "transmitter", "low_battery", "rf_problem", "muted",
                              "transmitter_muted", "interference", "encryption_warning"},
            "qlxd": common | {"battery", "battery_bars", "battery_runtime", "battery_type",
                              "transmitter_model", "rf_level", "antenna", "audio_level",
                              "transmitter", "low_battery", "rf_problem",
                              "transmitter_muted", "encryption_warning"},
            "slxd": common | {"battery_bars", "battery_runtime", "transmitter_model",
                              "rf_level", "audio_level", "transmitter", "low_battery",
                              "rf_problem"},
            "ad": common | {"battery", "battery_bars", "battery_runtime", "battery_type",
                            "transmitter_model", "rf_level", "rf_quality", "antenna",
                            "audio_level", "transmitter", "low_battery", "rf_problem", "muted",
                            "transmitter_muted", "interference", "encryption_warning"},
            # UHF-R's RF is a quality percentage: no dBm is documented for it.
            "uhfr": common | {"battery_bars", "battery_runtime_estimated", "rf_quality",
                              "antenna", "transmitter", "low_battery", "rf_problem", "muted"},
            "psm1000": common | {"muted"},
        }[family]  # fmt: skip


async def test_psm1000_scenario(hass: HomeAssistant) -> None:
    """An IEM transmitter: name and RF mute; no battery, no transmitter, never tx_off."""
    async with running_simulator("psm1000") as sim:
        entry, _ = await setup_shure(hass, sim)
        rid = receiver_id(sim)
        assert channel_entity_keys(hass, entry.entry_id, rid) == expected_keys("psm1000")
        assert state(hass, "sensor", f"{rid}-1-status") == "unknown"
        assert state(hass, "sensor", f"{rid}-1-frequency") == "519.375"
        assert state(hass, "binary_sensor", f"{rid}-1-muted") == STATE_OFF
        sim.set_muted(1, muted=True)
        await wait_for(lambda: state(hass, "binary_sensor", f"{rid}-1-muted") == STATE_ON)
        sim.set_name(1, "Drums")
        await wait_for(lambda: state(hass, "sensor", f"{rid}-1-channel_name") == "Drums")
        assert state(hass, "sensor", f"{rid}-1-status") == "unknown"
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_receiver_device(hass: HomeAssistant) -> None:
    async with running_simulator("ad") as sim:
        entry, _ = await setup_shure(hass, sim)
        rid = receiver_id(sim)
        device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, rid), entry.entry_id)
        assert device is not None
        assert device.manufacturer == "Shure"
        assert device.model == "AD4Q-A"
        assert device.name == "SIM-RX1"
        assert device.sw_version == "1.1.43.0"
        assert state(hass, "sensor", f"{rid}-firmware") == "1.1.43.0"
        assert state(hass, "binary_sensor", f"{rid}-connectivity") == STATE_ON
        assert hass.states.get(entity_id(hass, "sensor", f"{rid}-connection_state")) is not None
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_runtime_status_attribute(hass: HomeAssistant) -> None:
    """A receiver that says "calculating" shows it on the runtime sensor (state unknown)."""
    async with running_simulator("ulxd", 1) as sim:
        entry, _ = await setup_shure(hass, sim)
        rid = receiver_id(sim)

        def runtime() -> tuple[str, object] | None:
            current = hass.states.get(entity_id(hass, "sensor", f"{rid}-1-battery_runtime"))
            if current is None:
                return None
            return current.state, current.attributes.get("runtime_status")

        await wait_for(lambda: runtime() is not None and runtime()[1] is None)  # type: ignore[index]
        sim.inject_garbage(b"< REP 1 BATT_RUN_TIME 65534 >")
        await wait_for(lambda: runtime() == (STATE_UNKNOWN, "calculating"))
        sim.inject_garbage(b"< REP 1 BATT_RUN_TIME 65533 >")
        await wait_for(lambda: runtime() == (STATE_UNKNOWN, "error"))
        sim.inject_garbage(b"< REP 1 BATT_RUN_TIME 00300 >")
        await wait_for(lambda: runtime() == ("300", None))
        assert state(hass, "binary_sensor", f"{rid}-1-transmitter") == STATE_ON
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
