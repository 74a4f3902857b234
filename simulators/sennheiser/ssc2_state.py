"""State of a simulated EW-DX receiver and its SSCv2 resource bodies (no I/O).

Shapes and ranges follow the EW-DX service API 1.7 as summarised in
``shared/research/sennheiser_and_others.md`` §1.3-§1.6: ids are the 0-based channel, the
transmitter index equals the channel index, frequencies are kHz, a missing transmitter is a
422. The server module turns these bodies into HTTP answers and subscription events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any, Final

PRODUCTS: Final = {2: "EWDX2CHS", 4: "EWDX4CHDS"}
VENDOR: Final = "Sennheiser electronic SE & Co. KG"
FIRMWARE: Final = "4.1.0"
TRANSMITTERS: Final = "/api/transmitters"

#: Below these the simulated receiver raises ``LowSignal`` (the simulator's own thresholds).
LOW_SIGNAL_DBM: Final = -85.0
LOW_SIGNAL_QUALITY: Final = 30

_METERS: Final = (
    "signalStrengthIndicator",
    "signalQualityIndicator",
    "diversityIndicator",
    "level",
)
_CHANNEL: Final = re.compile(r"^/api/channel/(\d+)(?:/(\w+))?$")
_RF_CHANNEL: Final = re.compile(r"^/api/rf/channels/(\d+)$")
_TRANSMITTER: Final = re.compile(r"^/api/transmitters/(\d+)(?:/(battery|warnings))?$")
_NAME: Final = re.compile(r"^[\x20#*+,;\x2D\x2F<=|>0-9A-Z]{0,8}$")

#: GET-able resources that are not per channel, and their bodies' builders (below).
STATIC_PATHS: Final = (
    "/api/ssc/version",
    "/api/device/identity",
    "/api/device/site",
    "/api/device/state",
    "/api/device/identification",
    "/api/firmware/update/state",
    "/api/ssc/legacyMode",
    "/api/rf",
    TRANSMITTERS,
)


class Unprocessable(Exception):
    """The resource exists but cannot answer now (422: e.g. no transmitter linked)."""


class NotFound(Exception):
    """No such resource (404)."""


@dataclass(slots=True)
class SimTransmitter:
    """A linked body-pack or handheld."""

    type: str = "EW_DX_SKM"
    name: str = "VOX"
    mute: bool = False
    lock: bool = False
    version: str = "2.1.0"
    battery_type: str = "Battery"
    gauge: int = 80
    lifetime: int = 420
    warnings: set[str] = field(default_factory=set)
    announcing: bool = False  # linked, details not yet known (the device pushes {})

    def body(self) -> dict[str, Any]:
        """``/api/transmitters/{id}``: the SKM shape of §1.6."""
        if self.announcing:
            return {}
        return {
            "type": self.type,
            "capsule": "MMD_935",
            "name": self.name,
            "trim": 0,
            "lowcut": "80Hz",
            "led": True,
            "version": self.version,
            "lock": self.lock,
            "mute": self.mute,
            "identification": False,
        }

    def battery(self) -> dict[str, Any]:
        """``/api/transmitters/{id}/battery``."""
        return {"type": self.battery_type, "lifetime": self.lifetime, "gauge": self.gauge}


@dataclass(slots=True)
class SimChannel:
    """One receiver channel and what its transmitter is doing."""

    name: str
    frequency_khz: int
    mute: bool = False
    rssi: float = -55.0
    quality: int = 96
    diversity: int = 1
    level: float = -42.0
    peak: bool = False
    extra_warnings: set[str] = field(default_factory=set)  # e.g. Aes256Error, RfPeak
    tx: SimTransmitter | None = None
    identifying: bool = False
    event_counter: int = 0

    def warnings(self) -> list[str]:
        """``/api/channel/{id}/warnings``: derived from the link, RF and audio state."""
        found = set(self.extra_warnings)
        if self.tx is None:
            found.add("NoLink")
        elif self.rssi < LOW_SIGNAL_DBM or self.quality < LOW_SIGNAL_QUALITY:
            found.add("LowSignal")
        if self.peak:
            found.add("AfPeak")
        return sorted(found)

    def body(self) -> dict[str, Any]:
        """``/api/channel/{id}``."""
        return {
            "name": self.name,
            "mute": self.mute,
            "mates": ["TX1"] if self.tx is not None else [],
            "gain": 24,
            "audio": ["Out1"],
            "outputLevel": 0,
            "eventCounter": self.event_counter,
        }


@dataclass(slots=True)
class DeviceState:
    """The whole simulated receiver."""

    serial: str
    channels: list[SimChannel]
    site_name: str = "EWDXEM"
    busy: bool = False
    identifying: bool = False
    firmware: str = FIRMWARE
    product_code: str | None = None  # pretend to be another SSCv2 product (e.g. "TCCM")
    #: Resources this firmware does not have (404 on GET, refused on subscribe).
    hidden_paths: set[str] = field(default_factory=set)

    @classmethod
    def create(cls, channels: int, serial: str) -> DeviceState:
        """A receiver with every transmitter on and charged, on a 25 kHz raster."""
        if channels not in PRODUCTS:
            raise ValueError(f"an EW-DX receiver has {' or '.join(map(str, PRODUCTS))} channels")
        return cls(
            serial=serial,
            channels=[
                SimChannel(
                    name=f"MIC {index + 1}",
                    frequency_khz=470_200 + 1_225 * index,
                    tx=SimTransmitter(name=f"MIC {index + 1}", gauge=90 - 10 * index),
                )
                for index in range(channels)
            ],
        )

    @property
    def product(self) -> str:
        """Product code, from the channel count."""
        return self.product_code or PRODUCTS[len(self.channels)]

    def channel(self, index: int) -> SimChannel:
        """Channel by 0-based id; :class:`NotFound` for a bad id."""
        if not 0 <= index < len(self.channels):
            raise NotFound(f"no channel {index}")
        return self.channels[index]

    # -- resources ------------------------------------------------------------------------------

    def is_resource(self, path: str) -> bool:
        """Whether ``path`` names a resource of this device (present or not right now)."""
        try:
            self.get(path)
        except NotFound:
            return False
        except Unprocessable:
            return True
        return True

    def get(self, path: str) -> Any:
        """Body of ``GET path``; raises :class:`NotFound` or :class:`Unprocessable`."""
        if path in self.hidden_paths:
            raise NotFound(path)
        if path in STATIC_PATHS:
            return self._static(path)
        if match := _CHANNEL.match(path):
            return self._channel(self.channel(int(match.group(1))), match.group(2))
        if match := _RF_CHANNEL.match(path):
            channel = self.channel(int(match.group(1)))
            return {"frequency": channel.frequency_khz, "presets": {"type": "None"}}
        if match := _TRANSMITTER.match(path):
            channel = self.channel(int(match.group(1)))
            if channel.tx is None:
                raise Unprocessable("Missing property values as no Transmitter is linked")
            sub = match.group(2)
            if sub == "battery":
                return channel.tx.battery()
            if sub == "warnings":
                return sorted(channel.tx.warnings)
            return channel.tx.body()
        raise NotFound(path)

    def _static(self, path: str) -> Any:
        bodies: dict[str, Any] = {
            "/api/ssc/version": {"protocol": "2.3", "schema": "1.0"},
            "/api/device/identity": {
                "product": self.product,
                "hardwareRevision": "0596715-06",
                "serial": self.serial,
                "vendor": VENDOR,
            },
            "/api/device/site": {"deviceName": self.site_name, "location": "", "position": ""},
            "/api/device/state": {"state": "Busy" if self.busy else "Normal", "warnings": []},
            "/api/device/identification": {"visual": self.identifying},
            "/api/firmware/update/state": {
                "deviceVersion": self.firmware,
                "state": "Idle",
                "progress": 0,
                "lastStatus": "None",
            },
            "/api/ssc/legacyMode": {"enabled": False},
            "/api/rf": {
                "code": "Q1-9",
                "ranges": [{"start": 470_200, "end": 550_000, "stepSize": 25}],
            },
            TRANSMITTERS: [
                {"id": index, "transmitter": channel.tx.body()}
                for index, channel in enumerate(self.channels)
                if channel.tx is not None
            ],
        }
        return bodies[path]

    @staticmethod
    def _channel(channel: SimChannel, sub: str | None) -> Any:
        meters: dict[str, Any] = {
            "signalStrengthIndicator": channel.rssi,
            "signalQualityIndicator": channel.quality,
            "diversityIndicator": channel.diversity,
            "level": channel.level,
        }
        if sub is None:
            return channel.body()
        if sub == "warnings":
            return channel.warnings()
        if sub == "identify":
            return {"enabled": channel.identifying}
        if sub in meters:
            return {"value": meters[sub]}
        raise NotFound(sub)

    def transmitter_paths(self, index: int) -> list[str]:
        """The three resources the dynamic ``/api/transmitters`` subscription covers."""
        base = f"{TRANSMITTERS}/{index}"
        return [base, f"{base}/battery", f"{base}/warnings"]

    # -- writes ---------------------------------------------------------------------------------

    def put_channel(self, index: int, body: Any) -> None:
        """``PUT /api/channel/{id}``: name, mute (the fields a client may change)."""
        channel = self.channel(index)
        if not isinstance(body, dict) or not set(body) <= {"name", "mute", "gain", "outputLevel"}:
            raise ValueError("unknown fields")
        name = body.get("name", channel.name)
        mute = body.get("mute", channel.mute)
        if not isinstance(name, str) or not _NAME.match(name) or not isinstance(mute, bool):
            raise Unprocessable("value out of range")
        channel.name, channel.mute = name, mute
        channel.event_counter += 1
