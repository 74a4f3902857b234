"""The micboard/subscribe websocket command: snapshot, deltas, meters, filters, lifecycle."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    label_registry as lr,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.coordinator import MicboardCoordinator
from custom_components.micboard.live import get_live
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from custom_components.micboard.plugins.errors import CannotConnect
from custom_components.micboard.plugins.model import (
    ChannelStatus,
    ModelUpdate,
)
from custom_components.micboard.websocket_api import MAX_METER_RATE, Subscription
from tests.integration.common import StateWrites, advance_time, setup_entry
from tests.integration.entries import demo_entry
from tests.support.helpers import wait_for

RX1 = "demo_test_rack_rx01"
RX2 = "demo_test_rack_rx02"

type Rack = tuple[MockConfigEntry, MicboardCoordinator]


def _plugin(coordinator: MicboardCoordinator) -> DemoRackPlugin:
    assert isinstance(coordinator.plugin, DemoRackPlugin)
    return coordinator.plugin


class Client:
    """A websocket client that sorts the subscription's events by type."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 1
        self.events: list[dict[str, Any]] = []

    async def subscribe(self, **fields: Any) -> dict[str, Any]:
        """Send micboard/subscribe and return the result message."""
        self.sub_id = self.next_id
        self.next_id += 1
        await self.ws.send_json({"id": self.sub_id, "type": "micboard/subscribe", **fields})
        async with asyncio.timeout(20):  # a bound for a loaded machine
            return await self.ws.receive_json()

    async def next(self, kind: str) -> dict[str, Any]:
        """The next event of ``kind`` (earlier events of other kinds are kept)."""
        async with asyncio.timeout(20):  # a bound for a loaded machine
            while True:
                msg = await self.ws.receive_json()
                assert msg["type"] == "event"
                assert msg["id"] == self.sub_id
                self.events.append(msg["event"])
                if msg["event"]["type"] == kind:
                    return msg["event"]

    async def unsubscribe(self) -> None:
        await self.ws.send_json(
            {"id": self.next_id, "type": "unsubscribe_events", "subscription": self.sub_id}
        )
        self.next_id += 1
        async with asyncio.timeout(20):  # a bound for a loaded machine
            while True:
                msg = await self.ws.receive_json()
                if msg["type"] == "result":
                    assert msg["success"]
                    return


@pytest.fixture
async def client(hass: HomeAssistant, hass_ws_client: WebSocketGenerator) -> Client:
    return Client(await hass_ws_client(hass))


def _subscription(hass: HomeAssistant) -> Subscription:
    clients = get_live(hass)._clients
    assert len(clients) == 1
    subscription = clients[0]
    assert isinstance(subscription, Subscription)
    return subscription


def _by_key(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["key"]: record for record in records}


def _key(entry: MockConfigEntry, receiver: str, channel: int) -> str:
    return f"{entry.entry_id}/{receiver}/{channel}"


def _channel_device(hass: HomeAssistant, entry: MockConfigEntry, receiver: str, index: int) -> str:
    device = dr.async_get(hass).async_get_child_device_by_identifier(
        (DOMAIN, f"{receiver}-ch{index}"), entry.entry_id
    )
    assert device is not None
    return device.id


def _receiver_device(hass: HomeAssistant, entry: MockConfigEntry, receiver: str) -> str:
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, receiver), entry.entry_id)
    assert device is not None
    return device.id


async def test_snapshot_reflects_the_model(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    entry, coordinator = demo_rack
    result = await client.subscribe()
    assert result["success"]
    snapshot = await client.next("snapshot")

    assert snapshot["meter_rate"] == 5.0
    assert snapshot["entries"] == [
        {
            "entry_id": entry.entry_id,
            "title": "Test rack",
            "state": "loaded",
            "available": True,
            "manufacturer": "Demo rack",
            "protocol": "demo",
            "connection": "connected",
        }
    ]
    assert [r["id"] for r in snapshot["receivers"]] == [RX1, RX2]
    receiver = snapshot["receivers"][0]
    assert receiver["name"] == "Test rack RX 1"
    assert receiver["device_id"] == _receiver_device(hass, entry, RX1)
    assert receiver["online"] is True
    keys = [c["key"] for c in snapshot["channels"]]
    assert keys == [_key(entry, rx, ch) for rx in (RX1, RX2) for ch in (1, 2)]
    for record in snapshot["channels"]:
        model = coordinator.data[record["receiver_id"]].channels[record["index"]]
        assert record["name"] == model.name
        assert record["status"] == model.status.value
        assert record["frequency_mhz"] == model.frequency_mhz
        assert record["rf_level"] == model.rf_level
        assert record["audio_level"] == model.audio_level
        assert record["device_id"] == _channel_device(
            hass, entry, record["receiver_id"], record["index"]
        )
        assert record["device_name"] is None  # not renamed in Home Assistant
        rx = "1" if record["receiver_id"] == RX1 else "2"
        assert (
            record["status_entity_id"]
            == f"sensor.test_rack_rx_{rx}_channel_{record['index']}_status"
        )
        if model.transmitter is None:
            assert record["transmitter"] is None
        else:
            assert record["transmitter"]["battery_percent"] == model.transmitter.battery_percent
            assert record["transmitter"]["model"] == model.transmitter.model
        assert "battery_bars" in record["features"]
    assert snapshot["areas"] == {}
    assert snapshot["labels"] == {}


async def test_status_delta_when_a_transmitter_goes_off(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    channel = coordinator.data[RX1].channels[1]
    assert channel.transmitter is not None
    battery = channel.transmitter.battery_percent
    await client.subscribe(meter_rate=0)
    await client.next("snapshot")

    plugin.set_transmitter(1, 1, on=False)
    plugin.advance(0.25)
    await advance_time(hass, 0.01)
    delta = await client.next("delta")
    record = _by_key(delta["channels"])[_key(entry, RX1, 1)]
    assert record["status"] == ChannelStatus.TX_OFF.value
    assert record["transmitter"] is None
    # The last known battery stays available for the greyed display.
    assert record["last_transmitter"]["battery_percent"] == battery
    # With meters off, nothing but status was sent.
    assert all(event["type"] != "meters" for event in client.events)


async def test_meters_stream_at_the_requested_rate(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    _entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    writes = StateWrites(hass)
    await client.subscribe(meter_rate=2)
    snapshot = await client.next("snapshot")
    assert snapshot["meter_rate"] == 2.0
    before = _by_key(snapshot["channels"])

    plugin.advance(0.25)
    await advance_time(hass, 0.6)
    meters = await client.next("meters")
    changed = _by_key(meters["channels"])
    assert changed
    for key, record in changed.items():
        assert set(record) == {
            "key",
            "audio_level",
            "audio_peak",
            "audio_clipping",
            "rf_level",
            "rf_levels",
            "rf_quality",
            "antenna",
            "rf_problem",
        }
        _entry_id, receiver_id, index = key.split("/")
        model = coordinator.data[receiver_id].channels[int(index)]
        assert record["rf_levels"] == list(model.rf_levels)
        assert record["audio_level"] == model.audio_level
        # Only channels whose meters moved since the snapshot are sent.
        assert {k: v for k, v in record.items() if k != "key"} != {
            k: before[key][k] for k in record if k != "key"
        }
    # The meter entities are disabled by default: the stream does not need them, and no
    # meter value went through the state machine.
    assert not [
        entity for entity in writes.counts if entity.endswith(("_rf_level", "_audio_level"))
    ]


async def test_meter_rate_is_capped_and_coalesced(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    _entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    await client.subscribe(meter_rate=1000)
    snapshot = await client.next("snapshot")
    assert snapshot["meter_rate"] == MAX_METER_RATE
    subscription = _subscription(hass)

    plugin.advance(0.25)
    await advance_time(hass, 0.01)  # the first send may go at once
    await client.next("meters")
    sent = subscription.messages_sent["meters"]

    # A burst of 100 meter steps before the next send: one message, each channel once.
    for _ in range(100):
        plugin.advance(0.25)
    assert subscription.pending_size <= 4
    handle = subscription._meter_handle
    assert handle is not None
    # The next send is due one capped period (1 / 10 Hz) after the previous one.
    assert handle.when() - subscription._last_meter_send == pytest.approx(
        1 / MAX_METER_RATE, abs=1e-3
    )
    await advance_time(hass, 1.0)
    meters = await client.next("meters")
    assert subscription.messages_sent["meters"] == sent + 1
    keys = [record["key"] for record in meters["channels"]]
    assert len(keys) == len(set(keys)) <= 4


async def test_slow_client_memory_is_bounded(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    """A client that reads nothing for a long time costs one pending record per channel."""
    _entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    await client.subscribe(meter_rate=10)
    await client.next("snapshot")
    subscription = _subscription(hass)
    for _ in range(2000):
        plugin.advance(0.25)
        assert subscription.pending_size <= 4
    # Status changes in between are coalesced per channel as well.
    for _ in range(50):
        plugin.set_transmitter(1, 1, on=False)
        plugin.advance(0.25)
        plugin.set_transmitter(1, 1, on=True)
        plugin.advance(0.25)
    assert subscription.pending_size <= 4
    sent = subscription.messages_sent.copy()
    await advance_time(hass, 1.0)
    assert subscription.messages_sent["meters"] - sent["meters"] == 1
    assert subscription.messages_sent["delta"] - sent["delta"] == 1


async def test_unsubscribe_detaches_everything(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    _entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    hub = get_live(hass)
    assert not hub.observing
    assert coordinator.listeners.observers == []
    await client.subscribe()
    await client.next("snapshot")
    assert hub.observing
    assert coordinator.listeners.observers == [hub]
    subscription = _subscription(hass)

    await client.unsubscribe()
    assert hub._clients == []
    assert not hub.observing
    assert coordinator.listeners.observers == []
    sent = subscription.messages_sent.copy()
    plugin.set_transmitter(1, 1, on=False)
    plugin.advance(0.25)
    await advance_time(hass, 1.0)
    assert subscription.messages_sent == sent
    assert subscription.pending_size == 0


async def test_closing_the_connection_unsubscribes(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    _entry, coordinator = demo_rack
    await client.subscribe()
    await client.next("snapshot")
    await client.ws.close()
    await wait_for(lambda: not get_live(hass)._clients)
    assert coordinator.listeners.observers == []


async def test_filter_by_config_entry(
    hass: HomeAssistant, frozen_demo: None, client: Client
) -> None:
    first = demo_entry()
    await setup_entry(hass, first)
    second = demo_entry(name="Other rack", receivers=1, channels=1)
    await setup_entry(hass, second)

    await client.subscribe(filter={"config_entry_id": second.entry_id})
    snapshot = await client.next("snapshot")
    assert [e["entry_id"] for e in snapshot["entries"]] == [second.entry_id]
    assert [c["key"] for c in snapshot["channels"]] == [_key(second, "demo_other_rack_rx01", 1)]


async def test_filter_by_device(hass: HomeAssistant, demo_rack: Rack, client: Client) -> None:
    entry, _coordinator = demo_rack
    receiver = _receiver_device(hass, entry, RX2)
    channel = _channel_device(hass, entry, RX1, 1)
    await client.subscribe(filter={"device_id": [receiver, channel]})
    snapshot = await client.next("snapshot")
    assert sorted(c["key"] for c in snapshot["channels"]) == sorted(
        [_key(entry, RX1, 1), _key(entry, RX2, 1), _key(entry, RX2, 2)]
    )
    assert [r["id"] for r in snapshot["receivers"]] == [RX1, RX2]


async def test_filter_by_area_follows_the_registry(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    entry, coordinator = demo_rack
    stage = ar.async_get(hass).async_create("Stage")
    foh = ar.async_get(hass).async_create("FOH")
    devices = dr.async_get(hass)
    # A receiver in an area puts its channels there, unless a channel has its own area.
    devices.async_update_device(_receiver_device(hass, entry, RX1), area_id=stage.id)
    devices.async_update_child_device(_channel_device(hass, entry, RX1, 2), area_id=foh.id)

    await client.subscribe(filter={"area_id": stage.id})
    snapshot = await client.next("snapshot")
    assert [c["key"] for c in snapshot["channels"]] == [_key(entry, RX1, 1)]
    assert snapshot["channels"][0]["area_id"] == stage.id
    assert snapshot["areas"] == {stage.id: "Stage"}

    # Moving a channel into the area while subscribed sends a new snapshot with it.
    devices.async_update_child_device(_channel_device(hass, entry, RX2, 1), area_id=stage.id)
    await advance_time(hass, 1.0)
    snapshot = await client.next("snapshot")
    assert [c["key"] for c in snapshot["channels"]] == [
        _key(entry, RX1, 1),
        _key(entry, RX2, 1),
    ]
    # An unrelated registry change does not resend anything.
    subscription = _subscription(hass)
    sent = subscription.messages_sent["snapshot"]
    ar.async_get(hass).async_create("Lobby")
    await advance_time(hass, 1.0)
    assert subscription.messages_sent["snapshot"] == sent
    # Renaming the area resends the names.
    ar.async_get(hass).async_update(stage.id, name="Main stage")
    await advance_time(hass, 1.0)
    snapshot = await client.next("snapshot")
    assert snapshot["areas"] == {stage.id: "Main stage"}
    assert sorted(coordinator.data) == [RX1, RX2]  # the model itself was untouched


async def test_devices_of_other_integrations_are_not_followed(
    hass: HomeAssistant, demo_rack: Rack, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    entry, _coordinator = demo_rack
    await client.subscribe()
    await client.next("snapshot")
    calls: list[str] = []
    subscription = _subscription(hass)
    subscription.registry_changed = lambda: calls.append("registry")  # type: ignore[method-assign]
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    devices = dr.async_get(hass)
    lamp = devices.async_get_or_create(config_entry_id=other.entry_id, identifiers={("o", "1")})
    devices.async_update_device(lamp.id, name_by_user="Lamp")
    await hass.async_block_till_done()
    assert calls == []
    # The filter reads the device's one config entry, not the deprecated entry set.
    assert "deprecated" not in caplog.text
    # A Micboard device, and a removed device (which may have been one), are followed.
    devices.async_update_device(_receiver_device(hass, entry, RX1), name_by_user="Rack A")
    await hass.async_block_till_done()
    assert calls == ["registry"]
    devices.async_remove_device(lamp.id)
    await hass.async_block_till_done()
    assert calls == ["registry", "registry"]


async def test_filter_by_label(hass: HomeAssistant, demo_rack: Rack, client: Client) -> None:
    entry, _coordinator = demo_rack
    band = lr.async_get(hass).async_create("Band")
    vocals = lr.async_get(hass).async_create("Vocals")
    devices = dr.async_get(hass)
    devices.async_update_device(_receiver_device(hass, entry, RX2), labels={band.label_id})
    devices.async_update_child_device(
        _channel_device(hass, entry, RX1, 1), labels={vocals.label_id}
    )
    await client.subscribe(filter={"label_id": [band.label_id]})
    snapshot = await client.next("snapshot")
    assert [c["key"] for c in snapshot["channels"]] == [_key(entry, RX2, 1), _key(entry, RX2, 2)]
    assert snapshot["labels"] == {band.label_id: "Band"}

    await client.unsubscribe()
    await client.subscribe(filter={"label_id": [vocals.label_id], "area_id": []})
    snapshot = await client.next("snapshot")
    assert [c["key"] for c in snapshot["channels"]] == [_key(entry, RX1, 1)]
    assert snapshot["channels"][0]["labels"] == [vocals.label_id]


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"filter": {"floor_id": "x"}}, "invalid_filter", "Unknown filter 'floor_id'"),
        ({"filter": {"area_id": 3}}, "invalid_filter", "takes an id or a list of ids"),
        ({"filter": {"config_entry_id": "nope"}}, "invalid_filter", "not a Micboard config"),
        ({"filter": {"device_id": ["nope"]}}, "invalid_filter", "not a Micboard receiver"),
        ({"filter": {"area_id": ["nowhere"]}}, "invalid_filter", "Unknown area 'nowhere'"),
        ({"filter": {"label_id": "nolabel"}}, "invalid_filter", "Unknown label 'nolabel'"),
        ({"filter": {"manufacturer": "acme"}}, "invalid_filter", "Unknown manufacturer 'acme'"),
        ({"filter": {"manufacturer": [1]}}, "invalid_filter", "takes an id or a list of ids"),
        ({"meter_rate": -1}, "invalid_format", "meter_rate"),
        ({"meter_rate": "nan"}, "invalid_format", "meter_rate"),
        ({"filter": "all"}, "invalid_format", "filter"),
    ],
)
async def test_invalid_requests_are_refused_clearly(
    hass: HomeAssistant,
    demo_rack: Rack,
    client: Client,
    *,
    fields: dict[str, Any],
    code: str,
    message: str,
) -> None:
    result = await client.subscribe(**fields)
    assert not result["success"]
    assert result["error"]["code"] == code
    assert message in result["error"]["message"]
    assert get_live(hass)._clients == []


async def test_other_integrations_devices_and_entries_are_refused(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    result = await client.subscribe(filter={"device_id": device.id})
    assert result["error"]["code"] == "invalid_filter"
    result = await client.subscribe(filter={"config_entry_id": other.entry_id})
    assert result["error"]["code"] == "invalid_filter"


async def test_connection_loss_and_recovery_are_sent(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    entry, coordinator = demo_rack
    plugin = _plugin(coordinator)
    await client.subscribe(meter_rate=0)
    await client.next("snapshot")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coordinator.backoff, "next_delay", lambda: 3600.0)
        plugin.inject_fault(CannotConnect("cable pulled"))
        delta = await client.next("delta")
        assert delta["entries"] == [
            {
                "entry_id": entry.entry_id,
                "title": "Test rack",
                "state": "loaded",
                "available": False,
                "manufacturer": "Demo rack",
                "protocol": "demo",
                "connection": "error",
            }
        ]
        # Every channel is resent with the entry, so the card can grey them all at once.
        assert len(delta["channels"]) == 4
        plugin.inject_fault(None)
        await advance_time(hass, 3601)
        delta = await client.next("delta")
        while delta.get("entries", [{}])[0].get("available") is not True:
            delta = await client.next("delta")


async def test_reload_and_resize_send_a_new_snapshot(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    entry, coordinator = demo_rack
    await client.subscribe()
    await client.next("snapshot")

    _plugin(coordinator).resize(3)
    await advance_time(hass, 0.01)
    snapshot = await client.next("snapshot")
    assert len(snapshot["channels"]) == 6

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    snapshot = await client.next("snapshot")
    while not snapshot["entries"][0]["available"]:
        snapshot = await client.next("snapshot")
    new = entry.runtime_data
    assert new is not coordinator
    hub = get_live(hass)
    assert new.listeners.observers == [hub]
    assert coordinator.listeners.observers == []
    # Updates of the new coordinator reach the client.
    plugin = _plugin(new)
    plugin.set_transmitter(1, 2, on=False)
    plugin.advance(0.25)
    await advance_time(hass, 0.01)
    delta = await client.next("delta")
    assert _by_key(delta["channels"])[_key(entry, RX1, 2)]["status"] == "tx_off"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    snapshot = await client.next("snapshot")
    assert snapshot["channels"] == []
    assert snapshot["entries"][0]["available"] is False


async def test_resync_resends_the_entry(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    entry, coordinator = demo_rack
    await client.subscribe(meter_rate=0, filter={"device_id": _channel_device(hass, entry, RX1, 1)})
    await client.next("snapshot")
    await coordinator.async_refresh()
    delta = await client.next("delta")
    assert [e["entry_id"] for e in delta["entries"]] == [entry.entry_id]
    assert [r["id"] for r in delta["receivers"]] == [RX1]
    assert [c["key"] for c in delta["channels"]] == [_key(entry, RX1, 1)]


async def test_receiver_changes_are_sent_as_receiver_records(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    entry, coordinator = demo_rack
    await client.subscribe()
    await client.next("snapshot")
    receiver = coordinator.data[RX1]
    receiver.name = "Stage left rack"
    # A receiver-level message (as a System API server sends on a rename).
    coordinator.handle_update(ModelUpdate(RX1, None, frozenset({"name"})))
    await advance_time(hass, 0.01)
    delta = await client.next("delta")
    assert delta["receivers"] == [
        {
            "key": f"{entry.entry_id}/{RX1}",
            "entry_id": entry.entry_id,
            "id": RX1,
            "name": "Stage left rack",
            "device_name": None,
            "manufacturer": "Demo rack",
            "model": "DR-2 dual",
            "online": True,
            "device_id": _receiver_device(hass, entry, RX1),
            "area_id": None,
        }
    ]
    assert "channels" not in delta

    # The receiver drops out: its record, and every channel's, now "receiver offline".
    receiver.online = False
    coordinator.handle_update(ModelUpdate(RX1, None, frozenset({"online"})))
    await advance_time(hass, 0.01)
    delta = await client.next("delta")
    assert [record["online"] for record in delta["receivers"]] == [False]
    assert sorted(record["index"] for record in delta["channels"]) == [1, 2]
    assert {record["status"] for record in delta["channels"]} == {"rx_offline"}


async def test_other_entries_are_not_followed(
    hass: HomeAssistant, frozen_demo: None, client: Client
) -> None:
    first = demo_entry()
    await setup_entry(hass, first)
    second = demo_entry(name="Other rack", receivers=1, channels=1)
    other = await setup_entry(hass, second)
    await client.subscribe(filter={"config_entry_id": [first.entry_id]})
    await client.next("snapshot")
    subscription = _subscription(hass)
    sent = subscription.messages_sent.copy()

    plugin = _plugin(other)
    plugin.set_transmitter(1, 1, on=False)
    plugin.advance(0.25)
    other.handle_update(ModelUpdate("demo_other_rack_rx01", None, frozenset({"name"})))
    await other.async_refresh()
    await advance_time(hass, 1.0)
    assert subscription.messages_sent == sent
    assert subscription.pending_size == 0


async def test_status_only_updates_do_not_wake_the_meter_timer(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    _entry, coordinator = demo_rack
    await client.subscribe(meter_rate=10)
    await client.next("snapshot")
    subscription = _subscription(hass)
    coordinator.handle_update(ModelUpdate(RX1, 1, frozenset({"name"})))
    coordinator.handle_update(ModelUpdate(RX1, None, frozenset({"firmware"})))
    assert subscription._meter_handle is None
    assert subscription._pending_meters == set()


async def test_unsubscribe_with_work_pending(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    _entry, coordinator = demo_rack
    await client.subscribe(meter_rate=1)
    await client.next("snapshot")
    subscription = _subscription(hass)
    plugin = _plugin(coordinator)
    plugin.advance(0.25)
    await advance_time(hass, 0.01)
    await client.next("meters")
    plugin.advance(0.25)  # the next meter send is a second away
    assert subscription._meter_handle is not None
    subscription.registry_changed()
    assert subscription._registry_handle is not None
    await client.unsubscribe()
    assert subscription._meter_handle is None
    assert subscription._registry_handle is None
    assert subscription.pending_size == 0


async def test_meters_of_removed_channels_are_dropped(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    _entry, coordinator = demo_rack
    await client.subscribe(meter_rate=10)
    await client.next("snapshot")
    subscription = _subscription(hass)
    plugin = _plugin(coordinator)
    plugin.advance(0.25)
    await advance_time(hass, 0.01)
    await client.next("meters")
    # Meters move on RX2, then RX2 is pulled before the next meter send.
    for _ in range(4):
        plugin.advance(0.25)
    assert any(ref[1] == RX2 for ref in subscription._pending_meters)
    del coordinator.data[RX2]
    sent = subscription.messages_sent["meters"]
    await advance_time(hass, 1.0)
    assert subscription.messages_sent["meters"] == sent + 1
    meters = await client.next("meters")
    assert all(RX2 not in record["key"] for record in meters["channels"])
    # Nothing moved since: a send finds nothing new and sends nothing.
    subscription._pending_meters.update(subscription._sent_meters)
    subscription._send_meters()
    assert subscription.messages_sent["meters"] == sent + 1


async def test_filter_by_manufacturer(hass: HomeAssistant, demo_rack: Rack, client: Client) -> None:
    entry, _coordinator = demo_rack
    # A Shure receiver entry that is not loaded (its receiver is switched off, say).
    shure = MockConfigEntry(
        domain=DOMAIN, title="RX-A", data={"manufacturer": "shure_tcp", "host": "192.0.2.1"}
    )
    shure.add_to_hass(hass)

    await client.subscribe(filter={"manufacturer": "shure"})
    snapshot = await client.next("snapshot")
    assert snapshot["channels"] == []
    assert snapshot["entries"] == [
        {
            "entry_id": shure.entry_id,
            "title": "RX-A",
            "state": "not_loaded",
            "available": False,
            "manufacturer": "Shure",
            "protocol": "shure_tcp",
            "connection": None,
        }
    ]
    await client.unsubscribe()

    # A brand and a protocol code select the same Demo rack.
    for value in ("demo_rack", ["demo", "sennheiser"]):
        await client.subscribe(filter={"manufacturer": value})
        snapshot = await client.next("snapshot")
        assert [e["entry_id"] for e in snapshot["entries"]] == [entry.entry_id]
        assert len(snapshot["channels"]) == 4
        await client.unsubscribe()


async def test_names_and_status_entity_follow_the_registries(
    hass: HomeAssistant, demo_rack: Rack, client: Client
) -> None:
    entry, _coordinator = demo_rack
    await client.subscribe(meter_rate=0)
    await client.next("snapshot")
    devices = dr.async_get(hass)
    devices.async_update_child_device(
        _channel_device(hass, entry, RX1, 2), name_by_user="Lead vocal"
    )
    devices.async_update_device(_receiver_device(hass, entry, RX2), name_by_user="Rack B")
    await advance_time(hass, 1.0)
    snapshot = await client.next("snapshot")
    channels = _by_key(snapshot["channels"])
    assert channels[_key(entry, RX1, 2)]["device_name"] == "Lead vocal"
    # The receiver's own channel name is still there, for the small line.
    assert channels[_key(entry, RX1, 2)]["name"] is not None
    assert channels[_key(entry, RX1, 1)]["device_name"] is None
    receivers = {r["id"]: r for r in snapshot["receivers"]}
    assert receivers[RX2]["device_name"] == "Rack B"
    assert receivers[RX1]["device_name"] is None

    # A new entity id for a status sensor reaches the card (a tap opens it).
    er.async_get(hass).async_update_entity(
        "sensor.test_rack_rx_1_channel_1_status", new_entity_id="sensor.lead_vox_status"
    )
    await advance_time(hass, 1.0)
    snapshot = await client.next("snapshot")
    assert _by_key(snapshot["channels"])[_key(entry, RX1, 1)]["status_entity_id"] == (
        "sensor.lead_vox_status"
    )

    # Other edits of our entities (an icon, say) are not followed.
    subscription = _subscription(hass)
    sent = subscription.messages_sent["snapshot"]
    er.async_get(hass).async_update_entity("sensor.lead_vox_status", icon="mdi:microphone")
    await advance_time(hass, 1.0)
    assert subscription.messages_sent["snapshot"] == sent
