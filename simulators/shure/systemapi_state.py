"""Devices behind the simulated Shure System API server, and the JSON bodies the API gives.

Shapes follow the public facts (``shared/research/shure.md`` §1.3): device nodes with
``hardwareIdentity`` / ``softwareIdentity`` / ``communicationProtocol`` / ``capabilities``
(a DISCOVERED node without serial, firmware or capabilities), audio channel ids that are
base64 JSON carrying the index in ``i``, battery level with an ISO-8601 ``PT…M`` duration and
``currentState`` / ``targetState``. Capability sets per model are those seen on real servers
where known (ULXD4D, ADTQ, ANX4) and plausible guesses otherwise (packs, MXA, charger).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
import itertools
import json
from typing import Any, Final

_RECEIVER_CAPS: Final = (
    "audio-channels",
    "audio-channels-v2",
    "audio-network",
    "control-network",
    "dante-audio-network",
    "factory-reset",
    "hosted-firmware",
    "identify",
    "name",
    "reboot",
    "uptime",
)
_ADPSM_CAPS: Final = (*_RECEIVER_CAPS, "authentication", "available-firmware")
_PACK_CAPS: Final = ("battery-level", "battery-health", "control-network", "name", "identify")


@dataclass(frozen=True, slots=True)
class Profile:
    """What a model looks like on the API."""

    capabilities: tuple[str, ...]
    channels: int = 0
    channel_capabilities: tuple[str, ...] = ("activity", "gain", "name")
    battery: bool = False
    firmware: str = "1.2.1.1"


PROFILES: Final[dict[str, Profile]] = {
    # Receivers with command strings (handed over by the integration).
    "ULXD4D": Profile(_RECEIVER_CAPS, 2, ("name",), firmware="2.7.6.0"),
    "ULXD4Q": Profile(_RECEIVER_CAPS, 4, ("name",), firmware="2.10.0.0"),
    "AD4Q": Profile(_RECEIVER_CAPS, 4, ("name", "activity"), firmware="1.6.4.0"),
    # Devices the System API is the way to reach.
    "ADTQ": Profile(_ADPSM_CAPS, 4),
    "ADTD": Profile(_ADPSM_CAPS, 2),
    "ANX4": Profile(_ADPSM_CAPS, 4, ("activity", "gain", "mute", "name")),
    "MXA910": Profile((*_RECEIVER_CAPS, "audio-mute"), 2, ("activity", "mute", "name")),
    "SBC220": Profile(("control-network", "identify", "name", "uptime"), firmware="2.4.0.0"),
    "ULXD6": Profile(_PACK_CAPS, battery=True, firmware="2.4.2.0"),
    "ULXD8": Profile(_PACK_CAPS, battery=True, firmware="2.4.2.0"),
}

#: The mix ``--devices N`` takes the first N of (cycling): a bit of everything.
ROSTER: Final = ("ULXD4D", "ANX4", "ULXD6", "ADTQ", "MXA910", "ULXD8", "AD4Q", "SBC220")

ACTIVITY_LEVELS: Final = ("LOW", "GOOD", "CLIPPING")
BATTERY_STATES: Final = (
    "CHARGING",
    "DISCHARGING",
    "FULL",
    "EMPTY",
    "CALCULATING",
    "OPTIMAL_STORAGE",
)


def channel_id(model: str, index: int) -> str:
    """The opaque id the real server gives an audio channel (the ADTQ form)."""
    descriptor = {"t": "AudioChannel", "c": model, "v": 131088, "s": "CH", "i": index}
    return base64.b64encode(json.dumps(descriptor, separators=(",", ":")).encode()).decode()


def iso_minutes(minutes: float) -> str:
    """``PT<n>M``, as the server writes durations."""
    return f"PT{max(0, round(minutes))}M"


@dataclass(slots=True)
class SimChannel:
    """One audio channel."""

    model: str
    index: int  # 0-based, as encoded in the id
    capabilities: tuple[str, ...]
    name: str = ""
    muted: bool = False
    gain: float = 6.0
    activity: str = "LOW"
    role: str = "SOURCE"

    @property
    def id(self) -> str:
        """Opaque base64 id."""
        return channel_id(self.model, self.index)

    def listing(self) -> dict[str, Any]:
        """Entry of ``GET …/audio-channels``."""
        return {
            "id": self.id,
            "role": self.role,
            "group": "GENERIC",
            "capabilities": list(self.capabilities),
        }


@dataclass(slots=True)
class SimBattery:
    """A pack's cells."""

    percentage: float = 87.0
    state: str = "DISCHARGING"
    minutes: float | None = 385.0  # to the target state
    health: int = 96
    cycles: int = 42

    def level_body(self) -> dict[str, Any]:
        """``GET …/battery-level``."""
        target = {"CHARGING": "FULL", "DISCHARGING": "EMPTY"}.get(self.state)
        return {
            "percentage": round(self.percentage),
            "status": {
                "currentState": self.state,
                "targetState": target,
                "timeToTargetState": (
                    iso_minutes(self.minutes)
                    if target is not None and self.minutes is not None
                    else None
                ),
            },
        }

    def health_body(self) -> dict[str, Any]:
        """``GET …/battery-health``."""
        return {"percentage": self.health, "cycleCount": self.cycles}


@dataclass(slots=True)
class SimDevice:
    """One device the server fronts."""

    device_id: str
    serial: str
    model: str
    firmware: str
    address: str
    name: str
    capabilities: tuple[str, ...]
    state: str = "ONLINE"
    compatibility: str = "COMPATIBLE_LATEST"
    identifying: bool = False
    audio_mute: bool = False
    channels: list[SimChannel] = field(default_factory=list)
    battery: SimBattery | None = None

    def node(self) -> dict[str, Any]:
        """The device node of ``GET /v1/devices`` (reduced while DISCOVERED)."""
        node: dict[str, Any] = {
            "compatibility": self.compatibility,
            "deviceState": self.state,
            "hardwareIdentity": {"deviceId": self.device_id, "serialNumber": self.serial},
            "softwareIdentity": {
                "firmwareVersion": self.firmware,
                "firmwareValid": True,
                "model": self.model,
            },
            "communicationProtocol": {"name": "ESTA.DMP", "address": self.address},
            "capabilities": list(self.capabilities),
        }
        if self.state == "DISCOVERED":
            del node["hardwareIdentity"]["serialNumber"]
            del node["softwareIdentity"]["firmwareVersion"]
            del node["softwareIdentity"]["firmwareValid"]
            del node["capabilities"]
        return node

    def channel(self, channel_id: str) -> SimChannel | None:
        """The channel with this opaque id."""
        return next((ch for ch in self.channels if ch.id == channel_id), None)


class DeviceFactory:
    """Creates devices with distinct ids, serials and addresses."""

    def __init__(self, address_prefix: str = "192.0.2.") -> None:
        """Addresses are ``<prefix><n>`` (TEST-NET-1 by default: never a reachable host)."""
        self.address_prefix = address_prefix
        self._numbers = itertools.count(1)

    def create(
        self,
        model: str,
        *,
        name: str | None = None,
        address: str | None = None,
        state: str = "ONLINE",
        compatibility: str = "COMPATIBLE_LATEST",
    ) -> SimDevice:
        """A device of ``model`` (see :data:`PROFILES`) with default values."""
        profile = PROFILES[model]
        number = next(self._numbers)
        device = SimDevice(
            device_id=f"dd{number:06x}-0000-11dd-a000-000eddcccccc",
            serial=f"{4192630000 + number}",
            model=model,
            firmware=profile.firmware,
            address=address or f"{self.address_prefix}{10 + number}",
            name=name or f"{model}-{number:02d}",
            capabilities=profile.capabilities,
            state=state,
            compatibility=compatibility,
        )
        device.channels = [
            SimChannel(model, index, profile.channel_capabilities, name=f"Ch {index + 1}")
            for index in range(profile.channels)
        ]
        if profile.battery:
            device.battery = SimBattery()
        return device
