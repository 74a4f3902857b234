"""The System API's resources mapped onto the model: pure functions, one case per dialect quirk."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from custom_components.micboard.plugins.errors import (
    CannotConnect,
    CertificateChanged,
    InvalidAuth,
    NeedsUserAction,
    ProtocolError,
)
from custom_components.micboard.plugins.model import (
    STRUCTURE_FIELD,
    AudioActivity,
    BatteryState,
    Channel,
    Compatibility,
    Feature,
    Receiver,
    Transmitter,
    merge_receiver,
)
from custom_components.micboard.plugins.net.http import INVALID
from custom_components.micboard.plugins.shure.systemapi import (
    ShureSystemApiOptions,
    client as shure_systemapi_client,
    plugin as shure_systemapi,
)
from custom_components.micboard.plugins.shure.systemapi.client import (
    problem_title,
    segment,
)
from custom_components.micboard.plugins.shure.systemapi.model import (
    SYSTEMAPI_LIMITS,
    RawDevice,
    apply_event,
    assign_indexes,
    battery_values,
    build_receiver,
    decode_channel_index,
    device_nodes,
    is_command_string_receiver,
    iso_minutes,
    next_cursor,
    raw_device,
    referral_for,
)
from custom_components.micboard.plugins.shure.systemapi.plugin import ShureSystemApiPlugin
from custom_components.micboard.plugins.validate import ValueGate

DEVICE = "dd4c009a-0000-11dd-a000-000eddcccccc"
CONFIG = ShureSystemApiOptions(host="192.0.2.5", api_key="k", fingerprint=bytes(32))


def b64(data: object, *, urlsafe: bool = False, pad: bool = True) -> str:
    raw = json.dumps(data).encode()
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return text if pad else text.rstrip("=")


def node(**overrides: Any) -> dict[str, Any]:
    """The ULXD4D node from a real server log, with overrides."""
    data: dict[str, Any] = {
        "compatibility": "COMPATIBLE_OLD",
        "deviceState": "ONLINE",
        "hardwareIdentity": {"deviceId": DEVICE, "serialNumber": "4192630196"},
        "softwareIdentity": {"firmwareVersion": "2.7.6.0", "firmwareValid": True, "model": "ANX4"},
        "communicationProtocol": {"name": "ESTA.DMP", "address": "172.21.2.149"},
        "capabilities": ["audio-channels", "identify", "name", "audio-mute"],
    }
    data.update(overrides)
    return data


def transform(raw: dict[str, Any]) -> Receiver:
    return ShureSystemApiPlugin(CONFIG).transform_device_data(raw)


# -- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("PT853M", 853),
        ("pt10m", 10),
        ("PT1H5M", 65),
        ("P1DT2H", 1560),
        ("PT90S", 2),
        ("PT2.5M", 2),
        (" PT3M ", 3),
        ("PT", None),
        ("P", None),
        ("P30D", None),  # a month is no battery estimate
        ("853", None),
        ("", None),
        (None, None),
        (853, None),
    ],
)
def test_iso_minutes(text: object, minutes: int | None) -> None:
    assert iso_minutes(text) == minutes


@pytest.mark.parametrize(
    ("channel_id", "index"),
    [
        (b64({"t": "AudioChannel", "c": "ADTQ", "v": 131088, "s": "CH", "i": 0}), 0),
        (b64({"type": "AudioChannel", "index": 3}), 3),
        (b64({"i": 2, "pad": "??>>"}, urlsafe=True), 2),
        (b64({"i": 1}, pad=False), 1),
        (b64({"i": -1}), None),
        (b64({"i": True}), None),
        (b64({"name": "x"}), None),
        (b64([1, 2]), None),
        ("not base64 at all!", None),
        (base64.b64encode(b"\xff\xfe").decode(), None),
        ("A" * 5000, None),
    ],
)
def test_decode_channel_index(channel_id: str, index: int | None) -> None:
    assert decode_channel_index(channel_id) == index


def test_assign_indexes() -> None:
    ids = [b64({"i": 1}), b64({"i": 0})]
    assert assign_indexes(ids) == {ids[0]: 2, ids[1]: 1}
    clash = [b64({"i": 0}), b64({"index": 0})]
    assert assign_indexes(clash) == {clash[0]: 1, clash[1]: 2}
    assert assign_indexes(["opaque", "other", "opaque"]) == {"opaque": 1, "other": 2}


def test_device_nodes_and_pages() -> None:
    assert device_nodes([{"a": 1}, "x"]) == [{"a": 1}]
    assert device_nodes({"edges": [{"node": {"a": 1}}, {"cursor": "c"}, "x"]}) == [{"a": 1}]
    assert device_nodes({"items": [{"a": 1}]}) == [{"a": 1}]
    assert device_nodes({"data": []}) == []
    assert device_nodes(None) == []
    assert next_cursor({"pageInfo": {"hasNextPage": True, "endCursor": "c2"}}) == "c2"
    assert next_cursor({"pageInfo": {"hasNextPage": False, "endCursor": "c2"}}) is None
    assert next_cursor({"pageInfo": {"hasNextPage": True, "endCursor": ""}}) is None
    assert next_cursor([]) is None


@pytest.mark.parametrize(
    ("model", "handed_over"),
    [
        ("ULXD4D", True),
        ("ulxd4q", True),
        ("ULX-D4", True),  # a marketing spelling
        ("ULXD4", True),
        ("QLXD4", True),
        ("SLXD4D", True),
        ("AD4Q-A", True),
        ("AD4D", True),
        ("UR4D", True),
        ("P10T", True),
        ("ADTQ", False),
        ("ANX4", False),
        ("ULXD6", False),
        ("SBC220", False),
        (None, False),
        ("", False),
    ],
)
def test_command_string_receivers(model: str | None, handed_over: bool) -> None:
    assert is_command_string_receiver(model) is handed_over


def test_problem_title_and_segments() -> None:
    assert problem_title({"type": "", "title": "Request Unauthorized.", "status": 401}) == (
        "Request Unauthorized."
    )
    assert problem_title({"title": " ", "detail": "Key missing"}) == "Key missing"
    assert problem_title({"message": "Device not found"}) == "Device not found"
    assert problem_title("text") is None
    assert segment("ab/c+d==") == "ab%2Fc%2Bd%3D%3D"


# -- battery --------------------------------------------------------------------------------------


def level(
    state: str | None, target: str | None, time: object, percentage: object = 50
) -> dict[str, Any]:
    return {
        "percentage": percentage,
        "status": {"currentState": state, "targetState": target, "timeToTargetState": time},
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            level("DISCHARGING", "EMPTY", "PT385M", 87),
            {
                "battery_percent": 87,
                "battery_state": BatteryState.DISCHARGING,
                "runtime_minutes": 385,
                "charge_minutes": None,
            },
        ),
        (
            level("CHARGING", "FULL", "PT45M", 70.4),
            {
                "battery_percent": 70,
                "battery_state": BatteryState.CHARGING,
                "runtime_minutes": None,
                "charge_minutes": 45,
            },
        ),
        (
            level("DISCHARGING", None, "PT100M"),
            {
                "battery_state": BatteryState.DISCHARGING,
                "runtime_minutes": 100,
                "charge_minutes": None,
            },
        ),
        (
            level("CHARGING", None, "PT20M"),
            {"battery_state": BatteryState.CHARGING, "runtime_minutes": None, "charge_minutes": 20},
        ),
        (
            level("FULL", None, None, 100),
            {
                "battery_percent": 100,
                "battery_state": BatteryState.FULL,
                "runtime_minutes": None,
                "charge_minutes": None,
            },
        ),
        (level("OPTIMAL_STORAGE", None, None), {"battery_state": BatteryState.STORAGE}),
        (level("CALCULATING", None, None), {"battery_state": BatteryState.CALCULATING}),
        (
            level("EMPTY", None, None, 0),
            {"battery_percent": 0, "battery_state": BatteryState.EMPTY},
        ),
        (level("BOILING", "FULL", "PT5M"), {"battery_state": None, "charge_minutes": 5}),
        (level(None, None, None, 255), {"battery_percent": None}),
        (level(None, None, None, percentage=True), {"battery_percent": None}),
        (level(None, None, None, "87"), {"battery_percent": None}),
        (level(None, None, None, float("nan")), {"battery_percent": None}),
        ("garbage", {"battery_percent": None, "battery_state": None}),
    ],
)
def test_battery_level(body: object, expected: dict[str, Any]) -> None:
    """What the parser hands on, once the value gate has judged the numbers."""
    gate = ValueGate(SYSTEMAPI_LIMITS)
    checked = gate.transmitter(Transmitter(**battery_values(body, None)))
    assert checked is not None
    assert {key: getattr(checked, key) for key in expected} == expected


@pytest.mark.parametrize("percentage", [255, -3, float("nan"), float("inf"), 10**400])
def test_impossible_battery_levels_are_counted_by_the_gate(percentage: object) -> None:
    """The parser does not drop them silently: the gate refuses and counts them."""
    gate = ValueGate(SYSTEMAPI_LIMITS)
    values = battery_values({"percentage": percentage}, None)
    checked = gate.transmitter(Transmitter(**values))
    assert checked is not None
    assert checked.battery_percent is None
    assert gate.rejected == 1


def test_battery_health() -> None:
    assert battery_values(None, {"percentage": 96, "cycleCount": 42}) == {
        "battery_percent": None,
        "battery_state": None,
        "runtime_minutes": None,
        "charge_minutes": None,
        "battery_health": 96,
        "battery_cycles": 42,
    }
    gate = ValueGate(SYSTEMAPI_LIMITS)
    values = battery_values(None, {"percentage": 101, "cycleCount": -1})
    checked = gate.transmitter(Transmitter(**values))
    assert checked is not None
    assert (checked.battery_health, checked.battery_cycles) == (None, None)
    assert gate.rejected == 2


# -- devices --------------------------------------------------------------------------------------


def test_device_with_channels() -> None:
    ids = [b64({"t": "AudioChannel", "i": index}) for index in (1, 0)]
    receiver = transform(
        {
            "node": node(),
            "resources": {"name": {"name": " Stage box "}, "audio-mute": {"muted": True}},
            "audio_channels": [
                {
                    "id": ids[0],
                    "role": "SOURCE",
                    "capabilities": ["name", "mute", "gain", "activity"],
                    "resources": {
                        "name": {"name": "Kick"},
                        "mute": {"muted": "yes"},
                        "gain": {"gain": 250},
                        "activity": {"audioLevel": "GOOD"},
                    },
                },
                {"id": ids[1], "capabilities": "not a list"},
                {"id": ids[1], "capabilities": []},  # a repeated id counts once
                {"no": "id"},
                "junk",
            ],
        }
    )
    assert receiver.name == "Stage box"
    assert receiver.muted is True
    assert receiver.compatibility is Compatibility.OUTDATED
    assert receiver.features == {Feature.IDENTIFY, Feature.MUTE, Feature.COMPATIBILITY}
    assert sorted(receiver.channels) == [1, 2]
    kick = receiver.channels[2]
    assert (kick.name, kick.muted, kick.gain) == ("Kick", None, None)
    assert kick.audio_activity is AudioActivity.GOOD
    assert kick.audio_clipping is False
    assert receiver.channels[1].features == frozenset()


def test_unknown_values_are_none() -> None:
    receiver = transform(
        {
            "node": node(compatibility="SOMETHING_NEW", capabilities=["name", "audio-mute"]),
            "resources": {"name": {"name": 42}, "audio-mute": "x"},
        }
    )
    assert receiver.compatibility is None
    assert receiver.features == {Feature.MUTE}
    assert receiver.muted is None
    assert receiver.name == "ANX4 4192630196"  # no name yet: model and serial


def test_discovered_device() -> None:
    raw = node(deviceState="DISCOVERED", hardwareIdentity={"deviceId": DEVICE})
    raw["softwareIdentity"] = {}
    del raw["capabilities"]
    receiver = transform({"node": raw})
    assert receiver.online is False
    assert (receiver.model, receiver.serial, receiver.firmware) == (None, None, None)
    assert receiver.name == "Shure 172.21.2.149"
    assert receiver.channels == {}
    raw["communicationProtocol"] = None
    assert transform({"node": raw}).name == "Shure dd4c009a"


def test_pack_battery_lives_on_the_first_channel() -> None:
    pack = node(capabilities=["battery-level", "battery-health", "name"])
    pack["softwareIdentity"]["model"] = "ULXD6"
    receiver = transform({"node": pack})
    channel = receiver.channels[1]
    assert channel.transmitter is None  # nothing read yet
    assert Feature.BATTERY_PERCENT in channel.features
    assert Feature.BATTERY_CYCLES in channel.features
    assert Feature.TRANSMITTER not in channel.features

    receiver = transform(
        {
            "node": pack,
            "resources": {"battery-health": {"percentage": 80, "cycleCount": 300}},
        }
    )
    transmitter = receiver.channels[1].transmitter
    assert transmitter is not None
    assert (transmitter.model, transmitter.battery_health, transmitter.battery_cycles) == (
        "ULXD6",
        80,
        300,
    )

    # A transmitter that also has an audio channel: the battery joins that channel.
    with_audio = node(capabilities=["battery-level", "audio-channels"])
    channel_id = b64({"i": 0})
    receiver = transform(
        {
            "node": with_audio,
            "resources": {"battery-level": level("DISCHARGING", "EMPTY", "PT60M", 40)},
            "audio_channels": [{"id": channel_id, "capabilities": ["name"]}],
        }
    )
    assert list(receiver.channels) == [1]
    assert {Feature.NAME, Feature.BATTERY_STATE} <= receiver.channels[1].features
    assert receiver.channels[1].transmitter is not None
    assert receiver.channels[1].transmitter.runtime_minutes == 60


def test_referral_only_for_reachable_receivers() -> None:
    raw = node()
    raw["softwareIdentity"]["model"] = "ULXD4D"
    device = RawDevice(DEVICE, raw)
    referral = referral_for(device)
    assert referral is not None
    assert (referral.manufacturer_code, referral.host, referral.port) == (
        "shure_tcp",
        "172.21.2.149",
        2202,
    )
    device.node = {**raw, "deviceState": "OFFLINE"}
    assert referral_for(device) is None
    device.node = {**raw, "communicationProtocol": {}}
    assert referral_for(device) is None
    device.node = {**raw, "softwareIdentity": {"model": "ANX4"}}
    assert referral_for(device) is None


# -- events ---------------------------------------------------------------------------------------


def devices_with_channel() -> tuple[dict[str, RawDevice], str]:
    channel_id = b64({"i": 0})
    device = raw_device(
        {"node": node(), "audio_channels": [{"id": channel_id, "capabilities": ["mute"]}]}
    )
    return {DEVICE: device}, channel_id


def test_events_fill_the_raw_state() -> None:
    devices, channel_id = devices_with_channel()
    outcome = apply_event(
        devices,
        {"envelope": {"eventName": "DEVICE_NAME", "deviceId": DEVICE}, "body": {"name": "X"}},
    )
    assert outcome is not None
    assert (outcome.device_id, outcome.refresh) == (DEVICE, False)
    assert devices[DEVICE].name == "X"
    event = {
        "envelope": {
            "eventName": "AUDIO_CHANNEL_MUTE",
            "deviceId": DEVICE,
            "audioChannelId": channel_id,
        },
        "body": {"muted": True},
    }
    assert apply_event(devices, event) is not None
    assert devices[DEVICE].channels[channel_id].values["mute"] == {"muted": True}
    for bad in (
        None,
        [],
        {"envelope": {"eventName": 5}, "body": {}},
        {"envelope": {"eventName": "DEVICE_NAME", "deviceId": DEVICE}, "body": None},
        {"envelope": {"eventName": "DEVICE_NAME", "deviceId": "other"}, "body": {}},
        {"envelope": {"eventName": "DEVICE_REBOOTED", "deviceId": DEVICE}, "body": {}},
        {"envelope": {"eventName": "AUDIO_CHANNEL_MUTE", "deviceId": DEVICE}, "body": {}},
        {"envelope": {"eventName": "DEVICE_STATE_CHANGE"}, "body": {}},
    ):
        assert apply_event(devices, bad) is None


def test_state_changes() -> None:
    devices, _channel = devices_with_channel()
    change = {"eventName": "DEVICE_STATE_CHANGE", "deviceId": DEVICE}
    # A bare state change keeps the identity of the last full node.
    outcome = apply_event(devices, {"envelope": change, "body": {"deviceState": "OFFLINE"}})
    assert outcome is not None
    assert outcome.refresh is False
    assert devices[DEVICE].online is False
    assert devices[DEVICE].model == "ANX4"
    # Back online: read it afresh.
    outcome = apply_event(devices, {"envelope": change, "body": node()})
    assert outcome is not None
    assert outcome.refresh is True
    # Online and unchanged: nothing to read; new capabilities: read.
    outcome = apply_event(devices, {"envelope": change, "body": node()})
    assert outcome is not None
    assert outcome.refresh is False
    outcome = apply_event(devices, {"envelope": change, "body": node(capabilities=["name"])})
    assert outcome is not None
    assert outcome.refresh is True
    # A device never seen before.
    other = node(hardwareIdentity={"deviceId": "new-device"})
    outcome = apply_event(
        devices, {"envelope": {"eventName": "DEVICE_STATE_CHANGE"}, "body": other}
    )
    assert outcome is not None
    assert (outcome.device_id, outcome.refresh) == ("new-device", True)
    assert "new-device" in devices


def test_merge_reports_changes_and_structure() -> None:
    live = Receiver(id=DEVICE, manufacturer="Shure", name="A", channels={1: Channel(index=1)})
    live_channel = live.channels[1]
    fresh = Receiver(
        id=DEVICE,
        manufacturer="Shure",
        name="B",
        features=frozenset({Feature.MUTE}),
        channels={
            1: Channel(index=1, name="Kick", features=frozenset({Feature.NAME})),
            2: Channel(index=2),
        },
    )
    changes = merge_receiver(live, fresh)
    assert changes[None] == {"name", "features", STRUCTURE_FIELD}
    assert changes[1] == {"name", "features", STRUCTURE_FIELD}
    assert live.channels[1] is live_channel  # kept: derived state lives on it
    assert sorted(live.channels) == [1, 2]

    gone = Receiver(
        id=DEVICE,
        manufacturer="Shure",
        name="B",
        features=fresh.features,
        channels={2: Channel(index=2)},
    )
    assert merge_receiver(live, gone) == {None: {STRUCTURE_FIELD}}
    assert list(live.channels) == [2]
    assert merge_receiver(live, gone) == {}


def test_build_receiver_of_raw_device_without_values() -> None:
    device = RawDevice(DEVICE, node(capabilities=[1, "identify"]))
    assert device.capabilities == {"identify"}
    assert build_receiver(device).features == {Feature.IDENTIFY, Feature.COMPATIBILITY}
    device.set_channels({"items": [{"id": "x", "capabilities": ["name"]}]})
    assert list(device.channels) == ["x"]
    device.set_channels("nonsense")
    assert device.channels == {}
    device.set_channels({"items": [{"id": "x"}]})
    device.set_channels({"items": 5})  # not a list: no channels, no TypeError
    assert device.channels == {}


def test_error_order_and_markers() -> None:
    repair = CertificateChanged("x", host="h", expected="a", received="b")
    order = [ProtocolError("a"), CannotConnect("b"), repair, InvalidAuth("c")]
    with pytest.raises(InvalidAuth):
        shure_systemapi._raise_first_error([1, *order])
    with pytest.raises(NeedsUserAction):
        shure_systemapi._raise_first_error(order[:3])
    with pytest.raises(CannotConnect):
        shure_systemapi._raise_first_error(order[:2])
    with pytest.raises(ProtocolError):
        shure_systemapi._raise_first_error(order[:1])
    shure_systemapi._raise_first_error([204, None])
    assert repr(shure_systemapi_client.ABSENT) == "ABSENT"
    assert repr(INVALID) == "INVALID"
