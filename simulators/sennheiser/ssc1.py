"""Simulated Sennheiser SSC v1 receiver (JSON over UDP): EW-DX, or SpeechLine DW.

Behaves like the devices in the SSC guides: GETs with ``null`` leaves answered from the
address tree, SETs echoed, one unknown address rejects the whole message with a 404 error
tree, bad JSON gets ``[400,{"desc":"message not understood"}]``, transmitter addresses
answer 424 while no transmitter is linked, subscriptions carry ``#`` parameters (``lifetime``
in seconds, ``max`` as a notification throttle in ms), are acknowledged, send the current
values at once and changes afterwards, and end with a 310 error when not renewed in time.

The test API (``set_battery``, ``tx_off``, ``rf_fade``, ``stop_answering``…) changes the
simulated world; changes reach subscribers on the next tick, as they would on hardware.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import json
import logging
import random
import time
from typing import Any

from ..net.udp_device import (
    Address,
    UdpDevice,
)

_LOGGER = logging.getLogger(__name__)

type Path = tuple[str, ...]

TICK_SECONDS = 0.05
DEFAULT_LIFETIME = 10.0
NOT_FOUND = 404
FAILED_DEPENDENCY = 424
READ_ONLY = 405
NOT_UNDERSTOOD = 400
SUBSCRIPTION_ENDED = 310
ANSWER_TOO_LONG = 450
UNAVAILABLE = 503
LOW_BATTERY_PERCENT = 10
LOW_SIGNAL_QUALITY = 30
_MISSING = object()


@dataclass(slots=True)
class SimChannel:
    """One receiver channel and the transmitter linked to it."""

    name: str
    frequency_khz: int
    mute: bool = False
    tx_on: bool = True
    tx_type: str = "SKM"
    capsule: str = "MMD 935"
    device_type: int = 0  # SpeechLine: 0 handheld
    battery_percent: int = 90
    battery_minutes: int = 420
    battery_type: str = "Battery"
    tx_mute: bool = False
    tx_lock: bool = False
    rssi: float = -55.0
    rsqi: int = 95
    divi: int = 1
    af: float = -30.0
    af_peak: bool = False
    encryption_error: bool = False


@dataclass(slots=True)
class _Subscription:
    client: Address
    paths: tuple[Path, ...]
    params: dict[str, Any]
    expires: float
    last: dict[Path, Any] = field(default_factory=dict)
    last_sent: float = 0.0


def _tree(items: dict[Path, Any]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path, value in items.items():
        node = root
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return root


def _flatten(tree: dict[str, Any], prefix: Path = ()) -> dict[Path, Any]:
    result: dict[Path, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            result.update(_flatten(value, (*prefix, key)))
        else:
            result[(*prefix, key)] = value
    return result


def _merge_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if isinstance(result.get(key), dict) and isinstance(value, dict):
            result[key] = {**result[key], **value}
        else:
            result[key] = value
    return result


class _Error:
    """An address answering with an error code instead of a value."""

    __slots__ = ("code",)

    def __init__(self, code: int) -> None:
        self.code = code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Error) and other.code == self.code

    def __hash__(self) -> int:
        return hash(self.code)


class Ssc1Simulator(UdpDevice):
    """An SSC v1 receiver on a UDP socket."""

    def __init__(
        self,
        *,
        channels: int = 4,
        variant: str = "ewdx",
        serial: str = "1234567890",
        product: str | None = None,
        version: str = "3.4.2",
        name: str = "EWDXRACK",
        animate: bool = False,
        seed: int = 0,
    ) -> None:
        """Build the device; ``variant`` is ``ewdx`` or ``sldw`` (SpeechLine DW)."""
        super().__init__()
        if variant not in {"ewdx", "sldw"}:
            raise ValueError("variant must be ewdx or sldw")
        self.variant = variant
        self.serial = serial
        self.version = version
        self.device_name = name
        default_product = (
            f"EWDX{channels}CH"
            if variant == "ewdx"
            else ("SLDW" if channels == 1 else f"SLDW{channels}CH")
        )
        self.product = product or default_product
        self.channels = [
            SimChannel(name=f"CH {n}", frequency_khz=520_000 + 400 * n)
            for n in range(1, channels + 1)
        ]
        self.animate = animate
        self._rng = random.Random(seed)
        self.answering = True
        #: Fault knobs: answer 450 to GETs of more addresses than this; answer 503 to all;
        #: never notify changes of addresses under these prefixes (GETs still work).
        self.max_answer_leaves: int | None = None
        self.busy = False
        self.quiet_prefixes: set[Path] = set()
        #: Acknowledge subscriptions but never send notifications (a half-broken device).
        self.mute_notifications = False
        self.requests = 0
        self.subscribes = 0
        self.renewals = 0
        self.expirations = 0
        self.bad_requests = 0
        self.subscriptions: list[_Subscription] = []
        self.clients: set[Address] = set()
        self._leaves = self._build_leaves()

    # -- lifecycle ----------------------------------------------------------------------------

    def describe(self) -> list[str]:
        """What the command line prints."""
        host, port = self.address
        summary = f"{self.product}, {len(self.channels)} channels, serial {self.serial}"
        return [f"Sennheiser SSC v1 simulator ({summary}) listening on udp://{host}:{port}"]

    # -- test API -----------------------------------------------------------------------------

    def channel(self, index: int) -> SimChannel:
        """Channel by its 1-based number."""
        return self.channels[index - 1]

    def set_battery(self, index: int, percent: int, minutes: int | None = None) -> None:
        """Set the transmitter's charge (and runtime)."""
        channel = self.channel(index)
        channel.battery_percent = percent
        if minutes is not None:
            channel.battery_minutes = minutes

    def drain(self, index: int, percent: int) -> None:
        """Take ``percent`` off the battery, with runtime following."""
        channel = self.channel(index)
        channel.battery_percent = max(0, channel.battery_percent - percent)
        channel.battery_minutes = channel.battery_percent * 480 // 100

    def tx_off(self, index: int) -> None:
        """Switch the transmitter off: no link, silence, noise-floor RF."""
        channel = self.channel(index)
        channel.tx_on = False
        channel.rssi, channel.rsqi, channel.divi, channel.af = -104.0, 0, 0, -138.5

    def tx_on(self, index: int) -> None:
        """Switch the transmitter on again."""
        channel = self.channel(index)
        channel.tx_on = True
        channel.rssi, channel.rsqi, channel.divi, channel.af = -55.0, 95, 1, -30.0

    def rf_fade(self, index: int, rssi: float = -97.0, rsqi: int = 12) -> None:
        """Weak RF (low signal warning when quality drops under 30 %)."""
        channel = self.channel(index)
        channel.rssi, channel.rsqi = rssi, rsqi

    def audio_peak(self, index: int, on: bool = True) -> None:
        """Audio at full scale with the AfPeak warning (or back to normal)."""
        channel = self.channel(index)
        channel.af_peak = on
        channel.af = 0.0 if on else -30.0

    def rename(self, index: int, name: str) -> None:
        """Rename a channel as Control Cockpit would (upper case, 8 characters)."""
        self.channel(index).name = name.upper()[:8]

    def remove_addresses(self, *paths: Path) -> None:
        """Make addresses unknown (404), like a product or firmware without them."""
        for path in paths:
            self._leaves.pop(path, None)

    def end_subscriptions(self) -> None:
        """End every subscription now with a 310 error (as when a notification count runs out)."""
        for subscription in self.subscriptions:
            subscription.expires = 0.0
        self.tick()

    def stop_answering(self) -> None:
        """Behave like an unplugged device: ignore requests, forget subscriptions."""
        self.answering = False
        self.subscriptions.clear()

    def resume(self) -> None:
        """Plugged back in."""
        self.answering = True

    def forget_clients(self) -> None:
        """A power cycle ends every subscription."""
        self.subscriptions.clear()

    def become(self, serial: str, name: str | None = None) -> None:
        """Another unit at this address (a swapped receiver): another serial and name."""
        self.serial = serial
        if name is not None:
            self.device_name = name

    def send_garbage(self, payloads: list[bytes] | None = None) -> None:
        """Send malformed datagrams to every client seen so far."""
        junk = payloads or [
            b"\xff\xfe\x00garbage",
            b'{"rx1":{"name":',
            b"[1,2,3]",
            b'{"osc":{"error":["x"]}}',
            b'{"m":{"rx1":{"rssi":"loud"}}}',
            b"{" * 5000,
        ]
        for client in self.clients:
            for payload in junk:
                self._send_datagram(payload, client)

    # -- address tree -------------------------------------------------------------------------

    def _build_leaves(self) -> dict[Path, tuple[Callable[[], Any], Callable[[Any], None] | None]]:
        leaves: dict[Path, tuple[Callable[[], Any], Callable[[Any], None] | None]] = {
            ("device", "identity", "product"): (lambda: self.product, None),
            ("device", "identity", "serial"): (lambda: self.serial, None),
            ("device", "identity", "version"): (lambda: self.version, None),
            ("device", "identity", "vendor"): (lambda: "Sennheiser electronic SE & Co. KG", None),
            ("device", "name"): (lambda: self.device_name, self._set_device_name),
            ("device", "identification", "visual"): (lambda: False, lambda _v: None),
            ("mates", "active"): (self._active_mates, None),
        }
        for index, channel in enumerate(self.channels, start=1):
            leaves.update(self._channel_leaves(index, channel))
        return leaves

    def _set_device_name(self, value: Any) -> None:
        self.device_name = str(value)

    def _active_mates(self) -> list[str]:
        linked = [n for n, ch in enumerate(self.channels, start=1) if ch.tx_on]
        if self.variant == "sldw" and len(self.channels) == 1:
            return [f"tx{n}" for n in linked]
        return [f"mates/tx{n}" for n in linked]

    def _channel_leaves(
        self, n: int, ch: SimChannel
    ) -> dict[Path, tuple[Callable[[], Any], Callable[[Any], None] | None]]:
        def tx(getter: Callable[[], Any]) -> Callable[[], Any]:
            return lambda: getter() if ch.tx_on else _Error(FAILED_DEPENDENCY)

        def set_name(value: Any) -> None:
            ch.name = str(value).upper()[:8]

        def set_mute(value: Any) -> None:
            ch.mute = bool(value)

        rx, tx_key = f"rx{n}", f"tx{n}"
        if self.variant == "sldw":
            return {
                (rx, "name"): (lambda: ch.name, set_name),
                (rx, "warnings"): (lambda: [] if ch.tx_on else ["No Link"], None),
                (rx, "mute_state"): (lambda: ch.tx_mute, None),
                ("mates", tx_key, "bat_gauge"): (tx(lambda: ch.battery_percent), None),
                ("mates", tx_key, "bat_lifetime"): (tx(lambda: ch.battery_minutes * 60), None),
                ("mates", tx_key, "bat_bars"): (tx(lambda: ch.battery_percent // 20), None),
                ("mates", tx_key, "device_type"): (tx(lambda: ch.device_type), None),
                ("mates", tx_key, "warnings"): (
                    tx(lambda: "Low Bat" if ch.battery_percent <= LOW_BATTERY_PERCENT else ""),
                    None,
                ),
            }
        return {
            (rx, "name"): (lambda: ch.name, set_name),
            (rx, "frequency"): (lambda: ch.frequency_khz, None),
            (rx, "mute"): (lambda: ch.mute, set_mute),
            (rx, "warnings"): (lambda: self._rx_warnings(ch), None),
            (rx, "identification", "visual"): (lambda: False, lambda _v: None),
            ("m", rx, "rssi"): (lambda: ch.rssi, None),
            ("m", rx, "rsqi"): (lambda: ch.rsqi, None),
            ("m", rx, "divi"): (lambda: ch.divi, None),
            ("m", rx, "af"): (lambda: ch.af, None),
            ("mates", tx_key, "battery", "gauge"): (tx(lambda: ch.battery_percent), None),
            ("mates", tx_key, "battery", "lifetime"): (tx(lambda: ch.battery_minutes), None),
            ("mates", tx_key, "battery", "type"): (tx(lambda: ch.battery_type), None),
            ("mates", tx_key, "type"): (tx(lambda: ch.tx_type), None),
            ("mates", tx_key, "capsule"): (tx(lambda: ch.capsule), None),
            ("mates", tx_key, "mute"): (tx(lambda: ch.tx_mute), None),
            ("mates", tx_key, "lock"): (tx(lambda: ch.tx_lock), None),
            ("mates", tx_key, "warnings"): (
                tx(
                    lambda: (
                        (["LowBattery"] if ch.battery_percent <= LOW_BATTERY_PERCENT else [])
                        + (["AfPeak"] if ch.af_peak else [])
                    )
                ),
                None,
            ),
        }

    @staticmethod
    def _rx_warnings(ch: SimChannel) -> list[str]:
        if not ch.tx_on:
            return ["NoLink"]
        warnings: list[str] = []
        if ch.rsqi < LOW_SIGNAL_QUALITY:
            warnings.append("LowSignal")
        if ch.af_peak:
            warnings.append("AfPeak")
        if ch.encryption_error:
            warnings.append("Aes256Error")
        return warnings

    def _read(self, path: Path) -> Any:
        return self._leaves[path][0]()

    # -- protocol -----------------------------------------------------------------------------

    def _send(self, document: dict[str, Any], client: Address) -> None:
        self._send_datagram(json.dumps(document, separators=(",", ":")).encode(), client)

    def _notify(self, items: dict[Path, Any], client: Address) -> None:
        if not self.mute_notifications:
            self._send_values(items, client)

    def _send_values(self, items: dict[Path, Any], client: Address) -> None:
        """Values in one datagram, errors in another (as the device splits them)."""
        values = {p: v for p, v in items.items() if not isinstance(v, _Error)}
        errors = {
            p: [v.code, {"desc": "failed dependency"}]
            for p, v in items.items()
            if isinstance(v, _Error)
        }
        if values:
            self._send(_tree(values), client)
        if errors:
            self._send({"osc": {"error": [_tree(errors)]}}, client)

    def _reject(self, code: int, desc: str, client: Address) -> None:
        self.bad_requests += 1
        self._send({"osc": {"error": [code, {"desc": desc}]}}, client)

    def handle(self, data: bytes, client: Address) -> None:
        """Answer one datagram."""
        if not self.answering:
            return
        self.requests += 1
        self.clients.add(client)
        try:
            document = json.loads(data.decode(), object_pairs_hook=_merge_pairs)
        except UnicodeDecodeError, ValueError:
            self._reject(NOT_UNDERSTOOD, "message not understood", client)
            return
        if not isinstance(document, dict):
            self._reject(NOT_UNDERSTOOD, "message not understood", client)
            return
        if self.busy:
            self._reject(UNAVAILABLE, "service unavailable", client)
            return
        osc = document.pop("osc", None)
        if isinstance(osc, dict):
            state = osc.get("state")
            if isinstance(state, dict) and isinstance(state.get("subscribe"), list):
                self._subscribe(state["subscribe"], client)
            elif "xid" not in osc:
                self._reject(NOT_UNDERSTOOD, "message not understood", client)
        if document:
            self._get_set(_flatten(document), client)

    def _unknown(self, leaves: dict[Path, Any], client: Address) -> bool:
        unknown = [path for path in leaves if path not in self._leaves]
        if unknown:
            self.bad_requests += 1
            error = _tree({unknown[0]: [NOT_FOUND, {"desc": "address not found"}]})
            self._send({"osc": {"error": [error]}}, client)
        return bool(unknown)

    def _get_set(self, leaves: dict[Path, Any], client: Address) -> None:
        if self._unknown(leaves, client):
            return
        if self.max_answer_leaves is not None and len(leaves) > self.max_answer_leaves:
            self._reject(ANSWER_TOO_LONG, "answer too long", client)
            return
        answer: dict[Path, Any] = {}
        for path, value in leaves.items():
            if value is not None:
                setter = self._leaves[path][1]
                if setter is None:
                    answer[path] = _Error(READ_ONLY)
                    continue
                setter(value)
            answer[path] = self._read(path)
        self._send_values(answer, client)

    def _subscribe(self, trees: list[Any], client: Address) -> None:
        parsed: list[tuple[dict[str, Any], dict[Path, Any]]] = []
        for tree in trees:
            if not isinstance(tree, dict):
                self._reject(NOT_UNDERSTOOD, "message not understood", client)
                return
            params = tree.get("#", {})
            leaves = _flatten({k: v for k, v in tree.items() if k != "#"})
            if self._unknown(leaves, client):
                return
            parsed.append((params if isinstance(params, dict) else {}, leaves))
        self._send({"osc": {"state": {"subscribe": trees}}}, client)
        now = time.monotonic()
        for params, leaves in parsed:
            paths = tuple(sorted(leaves))
            lifetime = float(params.get("lifetime", DEFAULT_LIFETIME))
            existing = next(
                (s for s in self.subscriptions if s.client == client and s.paths == paths), None
            )
            if existing is not None:
                self.renewals += 1
                existing.expires = now + lifetime
                existing.params = params
                subscription = existing
            else:
                self.subscribes += 1
                subscription = _Subscription(client, paths, params, now + lifetime)
                self.subscriptions.append(subscription)
            # Initial notification: the current value of every subscribed address.
            current = {path: self._read(path) for path in paths}
            subscription.last = current
            subscription.last_sent = now
            self._notify(current, client)

    def _quiet(self, path: Path) -> bool:
        return any(path[: len(prefix)] == prefix for prefix in self.quiet_prefixes)

    # -- time ---------------------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            self.tick()

    def _animate(self) -> None:
        for channel in self.channels:
            if channel.tx_on and not channel.af_peak:
                channel.af = round(min(-6.0, max(-70.0, channel.af + self._rng.uniform(-4, 4))), 1)
                channel.rssi = round(
                    min(-30.0, max(-80.0, channel.rssi + self._rng.uniform(-1, 1))), 1
                )

    def tick(self) -> None:
        """Expire subscriptions and notify changes (called every TICK_SECONDS)."""
        if not self.answering or self.stalled:
            return
        if self.animate:
            self._animate()
        now = time.monotonic()
        for subscription in list(self.subscriptions):
            if now >= subscription.expires:
                self.subscriptions.remove(subscription)
                self.expirations += 1
                ended = _tree({path: [SUBSCRIPTION_ENDED] for path in subscription.paths})
                self._send({"osc": {"error": [ended]}}, subscription.client)
                continue
            throttle = float(subscription.params.get("max", 0) or 0) / 1000
            if now - subscription.last_sent < throttle:
                continue
            current = {path: self._read(path) for path in subscription.paths}
            changed = {
                path: value
                for path, value in current.items()
                if subscription.last.get(path, _MISSING) != value and not self._quiet(path)
            }
            if changed:
                subscription.last = current
                subscription.last_sent = now
                self._notify(changed, subscription.client)


async def start(args: argparse.Namespace) -> Ssc1Simulator:
    """Start from command-line arguments (``--channels``, ``--product``)."""
    product = getattr(args, "product", None)
    variant = "sldw" if product == "sldw" else "ewdx"
    simulator = Ssc1Simulator(
        channels=args.channels or (1 if variant == "sldw" else 4), variant=variant, animate=True
    )
    return await simulator.start(args.host, args.port)
