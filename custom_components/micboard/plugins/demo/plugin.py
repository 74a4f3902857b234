"""Demo rack: a simulated set of wireless receivers, so anyone can see the integration work.

It behaves like a busy stage: rechargeable and AA transmitters drain (fast, so the change is
visible within minutes), get switched off and back on, packs are swapped when flat, RF fades
now and then and audio follows speech with the occasional clip. Everything comes from one
seeded random generator and a simulated clock, so the same seed and the same sequence of
``advance()`` steps give exactly the same rack; tests rely on that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import math
import random
import re
from typing import Any, ClassVar, Unpack
import zlib

from ..errors import MicboardError
from ..model import (
    RECEIVER_CHANNEL_FEATURES,
    STRUCTURE_FIELD,
    Feature,
    ModelUpdate,
    Receiver,
    Transmitter,
    UpdateCallback,
)
from ..options import PluginOptions
from ..plugin import ManufacturerPlugin, PluginArgs
from ..runtime_estimate import BatteryLife
from ..status import bars_from_percent

MAX_RECEIVERS = 64
CHANNEL_CHOICES = (1, 2, 4)
DEFAULT_RACK_NAME = "Demo rack"
#: How often the simulated receivers send meters (4 Hz: "several times per second").
TICK_SECONDS = 0.25

_MODELS = {1: "DR-1 single", 2: "DR-2 dual", 4: "DR-4 quad"}
_FIRMWARE = "2.4.1"
_NAMES = (
    "Lead Vox", "Pastor", "Worship Leader", "Guitar", "Bass", "Keys", "Choir L", "Choir R",
    "Presenter", "Lectern", "MC", "Host", "Sax", "Trumpet", "Drum Talkback", "Announcer",
    "Reader 1", "Reader 2", "Panel 1", "Panel 2", "Panel 3", "Panel 4", "Stage Manager",
    "Spare HH",
)  # fmt: skip
_BAND_MHZ = (470.0, 608.0)

# Behaviour of the simulation, per simulated second.
_MEAN_SECONDS_ON = 900.0  # a transmitter is switched off now and then
_MEAN_SECONDS_BETWEEN_FADES = 240.0
_MEAN_SECONDS_BETWEEN_CLIPS = 90.0
_MEAN_TALK_SECONDS = 4.0
_MEAN_PAUSE_SECONDS = 3.0

#: What an alkaline channel reports: bars only, no percent and no runtime (an AA pack).
_ALKALINE_FEATURES = RECEIVER_CHANNEL_FEATURES - {Feature.BATTERY_PERCENT, Feature.BATTERY_RUNTIME}


@dataclass(frozen=True, slots=True)
class BatteryTruth:
    """What the simulation knows of a pack and no receiver reports: for validating estimates."""

    battery_type: str
    percent: float  # charge left, continuous
    drain_per_second: float  # percent per second while the transmitter is on
    on: bool

    @property
    def remaining_minutes(self) -> float:
        """On-air minutes until the pack is flat at the simulated drain."""
        return self.percent / self.drain_per_second / 60.0


@dataclass(slots=True)
class _SimChannel:
    """Simulation state of one channel; the model is derived from it after each step."""

    name: str
    frequency_mhz: float
    tx_model: str
    battery_type: str  # "LION" (reports percent and runtime) or "ALKA" (bars only)
    battery: float  # percent, continuous
    drain_per_second: float
    full_runtime_minutes: int
    tx_on: bool = True
    off_for: float = 0.0
    rf_base: float = -55.0
    fade_depth: float = 0.0
    fade_for: float = 0.0
    rf_a: float = -55.0
    rf_b: float = -58.0
    talking: bool = False
    audio_rms: float = -60.0
    audio_peak: float = -55.0
    clipping: bool = False
    muted: bool = False
    clip_next: bool = False  # the next audio sample clips (clip_audio)


def rack_seed(name: str) -> int:
    """Seed derived from the rack name, so a given rack always looks the same."""
    return zlib.crc32(name.strip().lower().encode())


def rack_slug(name: str) -> str:
    """Id-safe form of the rack name."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") or "rack"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoOptions(PluginOptions):
    """A simulated rack: its name (which also seeds it), its size, and an optional seed."""

    name: str = DEFAULT_RACK_NAME
    receivers: int
    channels: int
    seed: int | None = None

    def __post_init__(self) -> None:
        """Refuse a rack the simulation cannot build."""
        if not 1 <= self.receivers <= MAX_RECEIVERS:
            raise ValueError(f"receivers must be 1-{MAX_RECEIVERS}")
        if self.channels not in CHANNEL_CHOICES:
            raise ValueError(f"channels must be one of {CHANNEL_CHOICES}")


class DemoRackPlugin(ManufacturerPlugin[DemoOptions]):
    """A rack of simulated receivers; no hardware, no network."""

    manufacturer_code: ClassVar[str] = "demo"
    manufacturer_name: ClassVar[str] = "Demo rack"
    #: The simulation drains packs in 14-56 minutes (about twenty times real life); the bounds
    #: a runtime estimate may assume are a real transmitter's (1 h-48 h) scaled down tenfold.
    battery_life: ClassVar[BatteryLife] = BatteryLife(shortest_minutes=6.0, longest_minutes=288.0)

    def __init__(self, options: DemoOptions, **kwargs: Unpack[PluginArgs]) -> None:
        """Build the simulated rack from its name, size and optional seed."""
        super().__init__(options, **kwargs)
        self.rack_name = options.name.strip() or DEFAULT_RACK_NAME
        self.receiver_count = options.receivers
        self.channel_count = options.channels
        seed = options.seed
        self._rng = random.Random(rack_seed(self.rack_name) if seed is None else seed)
        self.tick_seconds = TICK_SECONDS
        self.elapsed = 0.0
        self.fault: MicboardError | None = None
        self._wake = asyncio.Event()
        self._listener: UpdateCallback | None = None
        self._sim: dict[str, list[_SimChannel]] = {}
        self._serials: dict[str, str] = {}
        self._frequency = 0.0
        self._names_used = 0
        self._build()

    @property
    def stable_id(self) -> str:
        """A rack is identified by its name."""
        return f"demo_{rack_slug(self.rack_name)}"

    @property
    def display_name(self) -> str:
        """The rack's name."""
        return self.rack_name

    def receiver_id(self, number: int) -> str:
        """Id of the n-th (1-based) receiver of this rack."""
        return f"{self.stable_id}_rx{number:02d}"

    # -- simulation -------------------------------------------------------------------------

    def _build(self) -> None:
        self._frequency = _BAND_MHZ[0] + self._rng.uniform(0.5, 4.0)
        self._names_used = 0
        for number in range(1, self.receiver_count + 1):
            self._add_receiver(number)

    def _add_receiver(self, number: int) -> None:
        rng = self._rng
        channels: list[_SimChannel] = []
        for _ in range(self.channel_count):
            index = self._names_used
            self._names_used += 1
            name = _NAMES[index] if index < len(_NAMES) else f"Wireless {index + 1}"
            self._frequency += rng.uniform(0.4, 1.2)
            if self._frequency > _BAND_MHZ[1]:
                self._frequency = _BAND_MHZ[0] + rng.uniform(0.1, 0.4)
            handheld = rng.random() < 0.5
            alkaline = rng.random() < 0.25
            sim = _SimChannel(
                name=name,
                frequency_mhz=round(round(self._frequency * 40) / 40, 3),  # 25 kHz raster
                tx_model="DH-2 handheld" if handheld else "DB-1 bodypack",
                battery_type="ALKA" if alkaline else "LION",
                battery=rng.uniform(35.0, 100.0),
                drain_per_second=rng.uniform(0.03, 0.12),
                full_runtime_minutes=480 if alkaline else 540,
                rf_base=rng.uniform(-68.0, -48.0),
            )
            sim.tx_on = rng.random() > 0.1
            if not sim.tx_on:
                sim.off_for = rng.uniform(10.0, 60.0)
            self._step_meters(sim, 0.0)
            channels.append(sim)
        receiver_id = self.receiver_id(number)
        self._sim[receiver_id] = channels
        self._serials[receiver_id] = f"DR{rng.randrange(10**7):07d}"

    def resize(self, receivers: int) -> list[ModelUpdate]:
        """Add or remove receivers while running, as when gear is patched in or pulled.

        New receivers appear in the model at once and are reported as structure changes, so
        the integration adds their devices and entities without a reload.
        """
        if not 1 <= receivers <= MAX_RECEIVERS:
            raise ValueError(f"receivers must be 1-{MAX_RECEIVERS}")
        changed: list[str] = []
        for number in range(self.receiver_count + 1, receivers + 1):
            self._add_receiver(number)
            changed.append(self.receiver_id(number))
        for number in range(receivers + 1, self.receiver_count + 1):
            receiver_id = self.receiver_id(number)
            del self._sim[receiver_id]
            changed.append(receiver_id)
        self.receiver_count = receivers
        self.store_snapshot([self.transform_device_data(self._raw(rid)) for rid in self._sim])
        updates = [ModelUpdate(rid, None, frozenset({STRUCTURE_FIELD})) for rid in changed]
        if self._listener is not None:
            for update in updates:
                self._listener(update)
        return updates

    def _step_channel(self, sim: _SimChannel, dt: float) -> None:
        rng = self._rng
        if not sim.tx_on:
            sim.off_for -= dt
            if sim.off_for <= 0:
                sim.tx_on = True
                if sim.battery < 10:
                    sim.battery = 100.0  # a fresh pack went in
        else:
            sim.battery = max(0.0, sim.battery - sim.drain_per_second * dt)
            if sim.battery <= 0:
                sim.tx_on = False
                sim.off_for = rng.uniform(20.0, 60.0)
            elif rng.random() < dt / _MEAN_SECONDS_ON:
                sim.tx_on = False
                sim.off_for = rng.uniform(8.0, 40.0)
        self._step_meters(sim, dt)

    def _step_meters(self, sim: _SimChannel, dt: float) -> None:
        rng = self._rng
        if sim.fade_for > 0:
            sim.fade_for -= dt
            if sim.fade_for <= 0:
                sim.fade_depth = 0.0
        elif rng.random() < dt / _MEAN_SECONDS_BETWEEN_FADES:
            sim.fade_depth = rng.uniform(28.0, 45.0)
            sim.fade_for = rng.uniform(2.0, 6.0)
        if sim.talking:
            sim.talking = rng.random() >= dt / _MEAN_TALK_SECONDS
        else:
            sim.talking = rng.random() < dt / _MEAN_PAUSE_SECONDS
        if not sim.tx_on:
            sim.rf_a = rng.uniform(-112.0, -106.0)
            sim.rf_b = rng.uniform(-112.0, -106.0)
            sim.audio_rms = sim.audio_peak = -120.0
            sim.clipping = False
            return
        sim.rf_a = sim.rf_base - sim.fade_depth + rng.gauss(0.0, 1.5)
        sim.rf_b = sim.rf_base - 3.0 - sim.fade_depth * 0.8 + rng.gauss(0.0, 1.5)
        if sim.talking:
            sim.audio_rms = rng.uniform(-32.0, -12.0)
            sim.clipping = rng.random() < dt / _MEAN_SECONDS_BETWEEN_CLIPS
            sim.audio_peak = 0.0 if sim.clipping else min(-1.0, sim.audio_rms + rng.uniform(4, 11))
        else:
            sim.audio_rms = rng.uniform(-64.0, -56.0)
            sim.audio_peak = sim.audio_rms + rng.uniform(2.0, 6.0)
            sim.clipping = False
        if sim.clip_next:
            sim.clip_next = False
            sim.clipping = True
            sim.audio_peak = 0.0

    # -- model --------------------------------------------------------------------------------

    def _raw(self, receiver_id: str) -> dict[str, Any]:
        """The 'device dialect' of the demo: what a receiver would answer to a full query."""
        number = int(receiver_id.rsplit("rx", 1)[1])
        return {
            "id": receiver_id,
            "serial": self._serials[receiver_id],
            "model": _MODELS[self.channel_count],
            "name": f"{self.rack_name} RX {number}",
            "firmware": _FIRMWARE,
            "channels": [
                _raw_channel(index, sim)
                for index, sim in enumerate(self._sim[receiver_id], start=1)
            ],
        }

    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """Demo dialect -> normalized model."""
        receiver = Receiver(
            id=raw["id"],
            manufacturer=self.manufacturer_name,
            model=raw["model"],
            name=raw["name"],
            firmware=raw["firmware"],
            serial=raw["serial"],
        )
        for item in raw["channels"]:
            alkaline = item["battery_type"] == "ALKA"
            features = _ALKALINE_FEATURES if alkaline else RECEIVER_CHANNEL_FEATURES
            receiver.add_channel(item["index"], features, _channel_values(item))
        return receiver

    async def get_devices(self) -> dict[str, Receiver]:
        """Full snapshot of the rack."""
        self._raise_fault()
        self.health.connected()
        return self.store_snapshot(
            [self.transform_device_data(self._raw(rid)) for rid in self._sim]
        )

    def advance(self, seconds: float) -> list[ModelUpdate]:
        """Run the simulation for ``seconds`` in ticks; apply and report what changed.

        The updates go to the running listener too, so a test can drive a live integration.
        """
        updates: list[ModelUpdate] = []
        steps = max(1, round(seconds / self.tick_seconds))
        dt = seconds / steps
        for _ in range(steps):
            self.elapsed += dt
            for receiver_id, sims in self._sim.items():
                receiver = self.receivers.get(receiver_id)
                for index, sim in enumerate(sims, start=1):
                    self._step_channel(sim, dt)
                    if receiver is None or (channel := receiver.channels.get(index)) is None:
                        continue
                    changed = self.gate.apply(channel, _channel_values(_raw_channel(index, sim)))
                    if changed:
                        update = ModelUpdate(receiver_id, index, frozenset(changed))
                        updates.append(update)
                        if self._listener is not None:
                            self._listener(update)
        self.health.message(len(updates))
        return updates

    def set_transmitter(self, number: int, channel: int, *, on: bool, hold: float = 60.0) -> None:
        """Switch a transmitter off (for ``hold`` simulated seconds) or on, like a performer."""
        sim = self._sim[self.receiver_id(number)][channel - 1]
        sim.tx_on = on
        sim.off_for = 0.0 if on else hold

    def fade_rf(self, number: int, channel: int, *, depth_db: float, seconds: float) -> None:
        """Weaken a transmitter's RF by ``depth_db`` for ``seconds`` (0 dB ends a fade now).

        As a performer walking behind a wall; the fade shows from the next tick.
        """
        sim = self._sim[self.receiver_id(number)][channel - 1]
        sim.fade_depth = max(0.0, depth_db)
        sim.fade_for = seconds if depth_db > 0 else 0.0

    def clip_audio(self, number: int, channel: int) -> None:
        """Make a transmitter's next audio sample clip (someone shouts into the microphone)."""
        self._sim[self.receiver_id(number)][channel - 1].clip_next = True

    def battery_truth(self, receiver_id: str, channel: int) -> BatteryTruth:
        """The simulated pack of a channel, as the receiver never reports it."""
        sim = self._sim[receiver_id][channel - 1]
        return BatteryTruth(sim.battery_type, sim.battery, sim.drain_per_second, sim.tx_on)

    def inject_fault(self, fault: MicboardError | None) -> None:
        """Make the rack unreachable (or reachable again with ``None``); for tests and demos."""
        self.fault = fault
        self._wake.set()

    def _raise_fault(self) -> None:
        if self.fault is not None:
            self.health.disconnected(self.fault)
            raise self.fault

    async def listen(self, on_update: UpdateCallback) -> None:
        """Push simulated changes at the tick rate until a fault is injected or closed."""
        self._raise_fault()
        self.health.connected()
        self._listener = on_update
        try:
            while True:
                self._wake.clear()
                try:
                    async with asyncio.timeout(self.tick_seconds):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                self._raise_fault()
                self.advance(self.tick_seconds)
        finally:
            self._listener = None

    async def close(self) -> None:
        """Nothing to release but the listener."""
        self._listener = None
        self.health.stopped()


def _raw_transmitter(sim: _SimChannel) -> dict[str, Any] | None:
    if not sim.tx_on:
        return None
    percent = math.ceil(sim.battery)
    raw: dict[str, Any] = {
        "model": sim.tx_model,
        "battery_type": sim.battery_type,
        "bars": bars_from_percent(percent),
        "mute": False,
    }
    if sim.battery_type == "LION":
        raw["percent"] = percent
        raw["runtime"] = int(sim.battery / 100 * sim.full_runtime_minutes)
    return raw


def _channel_values(item: Mapping[str, Any]) -> dict[str, object]:
    tx = item["tx"]
    transmitter = (
        None
        if tx is None
        else Transmitter(
            model=tx["model"],
            battery_bars=tx["bars"],
            battery_percent=tx.get("percent"),
            runtime_minutes=tx.get("runtime"),
            battery_type=tx["battery_type"],
            power_source="battery",
            muted=tx["mute"],
            locked=False,
        )
    )
    rf = item["rf"]
    linked = transmitter is not None
    best = max(rf)
    return {
        "name": item["name"],
        "frequency_mhz": item["frequency_khz"] / 1000,
        "transmitter": transmitter,
        "rf_levels": (float(rf[0]), float(rf[1])),
        "rf_level": float(best),
        "antenna": ("A" if rf[0] >= rf[1] else "B") if linked else None,
        "rf_quality": _quality(best) if linked else 0,
        "rf_warning": None,
        "audio_level": float(item["audio_rms"]),
        "audio_peak": float(item["audio_peak"]),
        "audio_clipping": bool(item["clip"]),
        "muted": item["mute"],
        "interference": False,
        "encryption_warning": False,
    }


def _quality(rf_dbm: float) -> int:
    """Link quality in %: full above -60 dBm, none at -100 dBm, in 5 % steps."""
    percent = (rf_dbm + 100.0) / 40.0 * 100.0
    return int(max(0.0, min(100.0, percent)) // 5 * 5)


def _raw_channel(index: int, sim: _SimChannel) -> dict[str, Any]:
    return {
        "index": index,
        "name": sim.name,
        "battery_type": sim.battery_type,
        "frequency_khz": round(sim.frequency_mhz * 1000),
        "tx": _raw_transmitter(sim),
        "rf": [round(sim.rf_a), round(sim.rf_b)],
        "audio_rms": round(sim.audio_rms),
        "audio_peak": round(sim.audio_peak),
        "clip": sim.clipping,
        "mute": sim.muted,
    }
