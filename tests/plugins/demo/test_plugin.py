"""The Demo rack plugin: deterministic, realistic, and able to fail on demand."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.micboard.plugins.demo import DemoOptions
from custom_components.micboard.plugins.demo.plugin import (
    DemoRackPlugin,
    rack_slug,
)
from custom_components.micboard.plugins.errors import CannotConnect
from custom_components.micboard.plugins.model import (
    METER_FIELDS,
    STRUCTURE_FIELD,
    ChannelStatus,
    Feature,
    ModelUpdate,
)


def _plugin(**config: object) -> DemoRackPlugin:
    fields = {"name": "Stage", "receivers": 2, "channels": 4, "seed": 7} | config
    return DemoRackPlugin(DemoOptions(**fields))  # type: ignore[arg-type]


async def test_same_seed_same_rack() -> None:
    first, second = _plugin(), _plugin()
    a = await first.get_devices()
    b = await second.get_devices()
    assert a == b
    first.advance(30.0)
    second.advance(30.0)
    assert a == b
    other = await _plugin(seed=8).get_devices()
    assert other != a


async def test_rack_shape_and_identity() -> None:
    plugin = _plugin()
    receivers = await plugin.get_devices()
    assert plugin.stable_id == "demo_stage"
    assert plugin.display_name == "Stage"
    assert list(receivers) == ["demo_stage_rx01", "demo_stage_rx02"]
    receiver = receivers["demo_stage_rx01"]
    assert receiver.model == "DR-4 quad"
    assert receiver.name == "Stage RX 1"
    assert sorted(receiver.channels) == [1, 2, 3, 4]
    names = [ch.name for rx in receivers.values() for ch in rx.channels.values()]
    assert len(set(names)) == 8
    for channel in receiver.channels.values():
        assert channel.frequency_mhz is not None
        assert 470.0 <= channel.frequency_mhz <= 608.0
        if channel.transmitter is not None:
            assert channel.transmitter.battery_bars is not None
            assert 0 <= channel.transmitter.battery_bars <= 5
    assert rack_slug("  Main Stage!! ") == "main_stage"
    assert rack_slug("!!!") == "rack"


async def test_name_seeds_the_rack() -> None:
    a = await DemoRackPlugin(DemoOptions(name="A", receivers=1, channels=2)).get_devices()
    a_again = await DemoRackPlugin(DemoOptions(name="a ", receivers=1, channels=2)).get_devices()
    assert next(iter(a.values())).channels == next(iter(a_again.values())).channels


@pytest.mark.parametrize("config", [{"receivers": 0}, {"receivers": 65}, {"channels": 3}])
def test_rejects_bad_size(config: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        _plugin(**config)


async def test_batteries_drain_and_transmitters_switch() -> None:
    plugin = _plugin(receivers=4)
    receivers = await plugin.get_devices()
    channels = [ch for rx in receivers.values() for ch in rx.channels.values()]
    percent_before = {
        id(ch): ch.transmitter.battery_percent
        for ch in channels
        if ch.transmitter and ch.transmitter.battery_percent is not None
    }
    seen_off = seen_on_again = False
    was_off: set[int] = set()
    for _ in range(240):  # 4 simulated minutes in 1 s steps
        plugin.advance(1.0)
        for ch in channels:
            if ch.transmitter is None:
                seen_off = True
                was_off.add(id(ch))
            elif id(ch) in was_off:
                seen_on_again = True
    assert seen_off
    assert seen_on_again
    drained = [
        ch
        for ch in channels
        if id(ch) in percent_before
        and ch.transmitter is not None
        and ch.transmitter.battery_percent is not None
        and ch.transmitter.battery_percent < percent_before[id(ch)]
    ]
    assert drained


async def test_advance_reports_meter_and_status_changes() -> None:
    plugin = _plugin()
    await plugin.get_devices()
    updates = plugin.advance(0.25)
    assert updates
    assert all(isinstance(update, ModelUpdate) for update in updates)
    assert any(not update.fields.isdisjoint(METER_FIELDS) for update in updates)
    plugin.set_transmitter(1, 1, on=False, hold=10)
    off = [u for u in plugin.advance(0.25) if u.channel == 1 and u.receiver_id.endswith("01")]
    assert off
    assert "transmitter" in off[0].fields
    receiver = plugin.receivers["demo_stage_rx01"]
    assert receiver.channels[1].transmitter is None
    assert receiver.channels[1].antenna is None
    assert receiver.channels[1].status is ChannelStatus.UNKNOWN  # derived later, not here
    plugin.set_transmitter(1, 1, on=True)
    plugin.advance(0.25)
    assert receiver.channels[1].transmitter is not None
    assert plugin.health.messages_received > 0


async def test_listen_pushes_until_fault() -> None:
    plugin = _plugin()
    plugin.tick_seconds = 0.01
    await plugin.get_devices()
    received: list[ModelUpdate] = []
    task = asyncio.create_task(plugin.listen(received.append))
    while len(received) < 10:
        await asyncio.sleep(0.01)
    plugin.inject_fault(CannotConnect("cable pulled"))
    with pytest.raises(CannotConnect, match="cable pulled"):
        await task
    assert plugin.health.state.value == "error"
    with pytest.raises(CannotConnect):
        await plugin.get_devices()
    plugin.inject_fault(None)
    await plugin.get_devices()
    assert plugin.health.state.value == "connected"
    await plugin.close()
    assert plugin.health.state.value == "stopped"


async def test_resize_reports_structure() -> None:
    plugin = _plugin()
    receivers = await plugin.get_devices()
    received: list[ModelUpdate] = []
    plugin._listener = received.append
    updates = plugin.resize(3)
    assert [u.receiver_id for u in updates] == ["demo_stage_rx03"]
    assert updates[0].fields == {STRUCTURE_FIELD}
    assert received == updates
    assert len(receivers) == 3
    plugin.resize(1)
    assert list(receivers) == ["demo_stage_rx01"]
    with pytest.raises(ValueError, match="must be"):
        plugin.resize(0)


async def test_alkaline_channels_report_bars_only() -> None:
    """An AA pack reports bars: no percent or runtime feature, so runtime is estimated."""
    plugin = _plugin(receivers=4)
    receivers = await plugin.get_devices()
    kinds: set[str] = set()
    for receiver_id, receiver in receivers.items():
        for index, channel in receiver.channels.items():
            truth = plugin.battery_truth(receiver_id, index)
            kinds.add(truth.battery_type)
            alkaline = truth.battery_type == "ALKA"
            assert (Feature.BATTERY_PERCENT in channel.features) is not alkaline
            assert (Feature.BATTERY_RUNTIME in channel.features) is not alkaline
            assert Feature.BATTERY_BARS in channel.features
            if channel.transmitter is not None and alkaline:
                assert channel.transmitter.battery_percent is None
                assert channel.transmitter.runtime_minutes is None
    assert kinds == {"ALKA", "LION"}


async def test_battery_truth_follows_the_simulation() -> None:
    """The ground truth a runtime estimate is checked against drains as the rack runs."""
    plugin = _plugin()
    await plugin.get_devices()
    receiver_id = plugin.receiver_id(1)
    index = next(i for i in range(1, 5) if plugin.battery_truth(receiver_id, i).on)
    before = plugin.battery_truth(receiver_id, index)
    plugin.set_transmitter(1, index, on=True)
    plugin.advance(1.0)
    after = plugin.battery_truth(receiver_id, index)
    assert after.percent == pytest.approx(before.percent - before.drain_per_second)
    assert after.remaining_minutes == pytest.approx(after.percent / after.drain_per_second / 60)
    assert DemoRackPlugin.battery_life.shortest_minutes < 100 / 0.12 / 60
    assert DemoRackPlugin.battery_life.longest_minutes > 100 / 0.03 / 60


async def test_fade_and_clip_on_demand() -> None:
    """The controls a test (or a demo) uses to make an RF dropout or a clip happen now."""
    plugin = _plugin()
    receivers = await plugin.get_devices()
    channel = receivers[plugin.receiver_id(1)].channels[1]
    plugin.set_transmitter(1, 1, on=True)
    plugin.advance(0.25)
    assert channel.rf_level is not None
    assert channel.rf_level > -90
    plugin.fade_rf(1, 1, depth_db=60.0, seconds=10.0)
    plugin.advance(0.25)
    assert channel.rf_level < -90
    plugin.fade_rf(1, 1, depth_db=0.0, seconds=0.0)
    plugin.advance(0.25)
    assert channel.rf_level > -90
    plugin.clip_audio(1, 1)
    plugin.advance(0.25)
    assert channel.audio_clipping is True
    assert channel.audio_peak == 0.0
