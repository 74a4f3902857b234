"""Normalized model helpers, connection health and the plugin registry."""

from __future__ import annotations

import pytest

from custom_components.micboard.plugins import PLUGINS, UnknownPluginError, get_plugin
from custom_components.micboard.plugins.demo import DemoOptions
from custom_components.micboard.plugins.demo.plugin import DemoRackPlugin
from custom_components.micboard.plugins.errors import (
    AccessDisabled,
    CertificateChanged,
    NeedsUserAction,
    NotSupported,
)
from custom_components.micboard.plugins.health import (
    ConnectionHealth,
    ConnectionState,
)
from custom_components.micboard.plugins.model import (
    Channel,
    Feature,
    Receiver,
    Transmitter,
    apply_values,
    model_as_dict,
)
from custom_components.micboard.plugins.plugin import ManufacturerPlugin


def test_apply_values_reports_only_changes() -> None:
    channel = Channel(index=1, name="Vox", rf_level=-60.0)
    assert apply_values(channel, {"name": "Vox", "rf_level": -61.0}) == {"rf_level"}
    assert channel.rf_level == -61.0
    assert apply_values(channel, {"name": "Vox", "rf_level": -61.0}) == set()


def test_model_as_dict_is_plain_data() -> None:
    receiver = Receiver(id="rx", manufacturer="M", name="R")
    receiver.channels[1] = Channel(
        index=1,
        features=frozenset({Feature.NAME, Feature.AUDIO_LEVEL}),
        rf_levels=(-50.0, None),
        transmitter=Transmitter(model="HH", battery_bars=3),
    )
    data = model_as_dict(receiver)
    channel = data["channels"][1]
    assert channel["features"] == ["audio_level", "name"]
    assert channel["rf_levels"] == [-50.0, None]
    assert channel["transmitter"]["battery_bars"] == 3
    assert channel["status"] == "unknown"
    assert data["name"] == "R"


def test_connection_health_lifecycle() -> None:
    health = ConnectionHealth()
    assert health.state is ConnectionState.STOPPED
    health.connecting()
    assert health.state is ConnectionState.CONNECTING
    health.connected()
    since = health.since
    health.connected()
    assert health.since == since  # unchanged state keeps its timestamp
    health.message(3)
    assert health.messages_received == 3
    assert health.last_message_at is not None
    health.disconnected(OSError("reset"))
    assert health.state is ConnectionState.ERROR
    assert health.last_error == "reset"
    health.disconnected(TimeoutError())
    assert health.last_error == "TimeoutError"
    health.disconnected()
    assert health.state is ConnectionState.DISCONNECTED
    copy = health.snapshot()
    health.message()
    assert copy.messages_received == 3
    health.stopped()
    as_dict = health.as_dict()
    assert as_dict["state"] == "stopped"
    assert as_dict["messages_received"] == 4
    assert as_dict["last_message_at"] is not None
    assert ConnectionHealth().as_dict()["last_message_at"] is None


def test_registry() -> None:
    assert get_plugin("demo") is DemoRackPlugin
    assert PLUGINS["demo"] is DemoRackPlugin
    with pytest.raises(UnknownPluginError) as err:
        get_plugin("nope")
    assert "nope" in str(err.value)
    assert "demo" in str(err.value)


def test_errors_needing_the_user_carry_what_to_show() -> None:
    err = AccessDisabled("forbidden", host="h")
    assert (err.host, err.retry) == ("h", True)
    assert str(err) == "forbidden"
    changed = CertificateChanged("changed", host="h", expected="AA", received="BB")
    assert (changed.host, changed.expected, changed.received, changed.retry) == (
        "h",
        "AA",
        "BB",
        False,
    )
    assert isinstance(changed, NeedsUserAction)


async def test_plugin_defaults() -> None:
    plugin: ManufacturerPlugin = DemoRackPlugin(DemoOptions(receivers=1, channels=1))
    with pytest.raises(NotSupported):
        await plugin.identify("x", None)
    assert plugin.health_for("anything") is plugin.health
    health = await plugin.check_health()
    assert health is not plugin.health
    assert health.state is plugin.health.state


async def test_store_snapshot_merges_in_place() -> None:
    plugin = DemoRackPlugin(DemoOptions(receivers=1, channels=2, seed=1))
    receivers = await plugin.get_devices()
    receiver = next(iter(receivers.values()))
    channel = receiver.channels[1]
    channel.last_transmitter = Transmitter(model="kept")
    fresh = Receiver(id=receiver.id, manufacturer="M", name="Renamed")
    fresh.channels[1] = Channel(index=1, name="New name")
    fresh.channels[3] = Channel(index=3, name="Added")
    other = Receiver(id="other", manufacturer="M")
    result = plugin.store_snapshot([fresh, other])
    assert result is receivers
    assert receivers[receiver.id] is receiver  # same object, updated in place
    assert receiver.name == "Renamed"
    assert receiver.channels[1] is channel
    assert channel.name == "New name"
    assert channel.last_transmitter == Transmitter(model="kept")  # derived state survives
    assert set(receiver.channels) == {1, 3}
    assert receivers["other"] is other
    plugin.store_snapshot([other])
    assert set(receivers) == {"other"}
