"""Sennheiser SSC v1 (JSON over UDP 45): EW-DX in Legacy mode / older firmware, SpeechLine DW.

Flow: identify the device (``/device/identity/*``; unique id = serial), pick the address map
by probing which addresses exist (:mod:`.model`), count the channels by
probing ``rx1``, ``rx2``…, read everything, then subscribe. Subscriptions have a lifetime and
are renewed at half of it; every renewal makes the device send the current values again, so
a lost notification heals by itself. SSC v1 has no documented way to cancel a subscription:
``close()`` stops renewing and the device drops it when its lifetime ends.

Liveness: each renewal must be acknowledged (bounded retries), and subscribed data (every
renewal makes the device send the values again) must arrive within one lifetime; otherwise
:meth:`listen` raises :class:`ConnectionClosed`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import logging
import time
from typing import Any, ClassVar, Final, Unpack

from ...errors import (
    CannotConnect,
    ConnectionClosed,
    MicboardError,
    ProtocolError,
    UnsupportedDevice,
)
from ...model import (
    ModelUpdate,
    Receiver,
    UpdateCallback,
    apply_values,
)
from ...net.liveness import Liveness
from ...options import NetworkOptions
from ...plugin import BackgroundTasks, NetworkPlugin, PluginArgs
from .client import (
    GetResult,
    Ssc1Client,
)
from .codec import (
    FAILED_DEPENDENCY,
    SERVER_ERROR,
    SPLIT_CODES,
    SUBSCRIPTION_ENDED,
    UNAVAILABLE,
    UNKNOWN_ADDRESS_CODES,
    Path,
    SscError,
    SscMessage,
    path_text,
)
from .model import (
    DIALECTS,
    TX_LEAVES,
    Dialect,
    channel_values,
    parse_active_mates,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT: Final = 45
#: Channels probed at most (EW-DX has 2 or 4, SL MCR DW up to 4).
MAX_CHANNELS: Final = 8
#: Meter subscriptions are never asked to notify faster than this (ms).
MIN_METER_MS: Final = 100

_IDENTITY: Final = {
    "product": ("device", "identity", "product"),
    "serial": ("device", "identity", "serial"),
    "version": ("device", "identity", "version"),
    "vendor": ("device", "identity", "vendor"),
    "name": ("device", "name"),
}
_DEVICE_NAME: Final = ("device", "name")
_METER_ROOT: Final = "m"


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # some firmware sends the serial as a number
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ssc1Options(NetworkOptions):
    """Where the receiver listens for SSC v1 (UDP 45 unless changed on the device)."""

    port: int = DEFAULT_PORT


class SennheiserSsc1Plugin(NetworkPlugin[Ssc1Options]):
    """One SSC v1 receiver (all its channels) over UDP."""

    manufacturer_code: ClassVar[str] = "sennheiser_ssc1"
    manufacturer_name: ClassVar[str] = "Sennheiser"
    #: Subscription lifetime asked for (s); renewed at half of it.
    subscription_lifetime: ClassVar[float] = 10.0
    #: Per-attempt answer timeout (s) and attempts per request.
    request_timeout: ClassVar[float] = 1.0
    request_attempts: ClassVar[int] = 3

    def __init__(self, options: Ssc1Options, **kwargs: Unpack[PluginArgs]) -> None:
        """Remember where the device is; nothing is sent until :meth:`get_devices`."""
        super().__init__(options, **kwargs)
        self.client = Ssc1Client(
            self.host,
            self.port,
            self._on_message,
            timeout=self.request_timeout,
            attempts=self.request_attempts,
        )
        self.identity: dict[str, str | None] | None = None
        self.dialect: Dialect | None = None
        self.channel_count = 0
        self.supported: frozenset[str] = frozenset()
        self.renewals = 0
        self._leaves: dict[int, dict[str, Any]] = {}
        self._addresses: dict[Path, tuple[int, str]] = {}
        self._active: frozenset[int] | None = None
        self._linked: dict[int, bool] = {}
        self._fetching: set[int] = set()
        self._listener: UpdateCallback | None = None
        self._resubscribe = asyncio.Event()
        self._tasks = BackgroundTasks()
        self._liveness = Liveness()

    # -- identity -----------------------------------------------------------------------------

    @property
    def serial(self) -> str:
        """Serial number (known after the first successful :meth:`get_devices`)."""
        if self.identity is None or not self.identity.get("serial"):
            raise ProtocolError("the device has not been identified yet")
        return str(self.identity["serial"])

    @property
    def stable_id(self) -> str:
        """The device serial: stable across address changes."""
        return self.serial

    @property
    def display_name(self) -> str:
        """Device name, else product, with the serial."""
        identity = self.identity or {}
        label = identity.get("name") or identity.get("product") or self.host
        return f"{label} ({self.serial})"

    @property
    def receiver_id(self) -> str:
        """Model id of the receiver: its serial."""
        return self.serial

    @property
    def meter_ms(self) -> int:
        """Notification period asked for meter addresses, from the user's meter interval."""
        return max(MIN_METER_MS, round(self.meter_interval * 1000))

    # -- snapshot -----------------------------------------------------------------------------

    async def get_devices(self) -> dict[str, Receiver]:
        """Connect if needed, (re)identify, read every address, return the receiver."""
        if not self.client.is_open:
            self.health.connecting()
        with self.health.errors_recorded():
            await self.client.open()
            await self._identify()
            if self.dialect is None:
                await self._detect()
            await self._read_all()
        self.health.connected()
        return self.store_snapshot([self.transform_device_data(self._raw())])

    async def _identify(self) -> None:
        result = await self.client.get_tolerant(_IDENTITY.values())
        identity = {key: _text(result.values.get(path)) for key, path in _IDENTITY.items()}
        serial = identity["serial"]
        if serial is None:
            code = result.errors.get(_IDENTITY["serial"])
            if code in {UNAVAILABLE, SERVER_ERROR} or result.missing:
                raise CannotConnect(f"{self.host} did not give its serial number ({code})")
            raise UnsupportedDevice(f"{self.host} speaks SSC but reports no serial number")
        if self.identity is not None and self.identity.get("serial") != serial:
            raise ProtocolError(
                f"{self.host} now answers as serial {serial}, not {self.identity.get('serial')}"
            )
        self.identity = identity

    async def _detect(self) -> None:
        """Pick the address map whose probe address exists, then count channels."""
        for dialect in DIALECTS:
            result = await self.client.get([dialect.probe])
            code = result.errors.get(dialect.probe)
            if dialect.probe in result.values or (
                code is not None and code not in UNKNOWN_ADDRESS_CODES | SPLIT_CODES
            ):
                break
        else:
            product = (self.identity or {}).get("product") or "this device"
            raise UnsupportedDevice(
                f"{product}: its SSC v1 address tree is not one this version maps "
                "(EW-DX, SpeechLine Digital Wireless)"
            )
        count = 0
        for channel in range(1, MAX_CHANNELS + 1):
            probe = dialect.address(dialect.channel_probe, channel)
            result = await self.client.get([probe])
            code = result.errors.get(probe)
            exists = probe in result.values or (
                code is not None and code not in UNKNOWN_ADDRESS_CODES | SPLIT_CODES
            )
            if not exists:
                break
            count = channel
        if count == 0:
            raise UnsupportedDevice(f"{self.host}: no receiver channel found")
        self.dialect = dialect
        self.channel_count = count
        self.supported = frozenset(key for _template, key in dialect.channel_leaves)
        self._rebuild_addresses()
        _LOGGER.debug(
            "%s is %s with %d channel(s), serial %s", self.host, dialect.family, count, self.serial
        )

    def _rebuild_addresses(self) -> None:
        assert self.dialect is not None  # noqa: S101  called after detection
        self._addresses = {
            path: (channel, key)
            for channel in range(1, self.channel_count + 1)
            for path, key in self.dialect.leaves_for(channel, self.supported).items()
        }
        for channel in range(1, self.channel_count + 1):
            self._leaves.setdefault(channel, {})

    def _groups(self, channel: int) -> list[list[Path]]:
        """A channel's addresses grouped by subtree, as the device answers them."""
        groups: dict[str, list[Path]] = {}
        for path, (owner, _key) in self._addresses.items():
            if owner == channel:
                groups.setdefault(path[0], []).append(path)
        return list(groups.values())

    async def _read_all(self) -> None:
        dropped: set[str] = set()
        for channel in range(1, self.channel_count + 1):
            for group in self._groups(channel):
                result = await self.client.get_tolerant(group)
                dropped |= self._unknown_keys(result)
        if self.dialect is not None and self.dialect.active_mates is not None:
            await self.client.get_tolerant([self.dialect.active_mates])
        if dropped:
            _LOGGER.debug("%s has no %s; not asking again", self.host, sorted(dropped))
            self.supported -= dropped
            self._rebuild_addresses()

    def _unknown_keys(self, result: GetResult) -> set[str]:
        return {
            self._addresses[path][1]
            for path, code in result.errors.items()
            if code in UNKNOWN_ADDRESS_CODES and path in self._addresses
        }

    def _raw(self) -> dict[str, Any]:
        assert self.dialect is not None  # noqa: S101  called after detection
        return {
            **(self.identity or {}),
            "host": self.host,
            "dialect": self.dialect.key,
            "supported": sorted(self.supported),
            "active": None if self._active is None else sorted(self._active),
            "channels": {
                channel: dict(self._leaves.get(channel, {}))
                for channel in range(1, self.channel_count + 1)
            },
        }

    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """SSC v1 leaves (per channel, by leaf key; errors as SscError) -> receiver model."""
        dialect = next(item for item in DIALECTS if item.key == raw["dialect"])
        active = raw.get("active")
        active_set = None if active is None else frozenset(int(item) for item in active)
        features = dialect.features(frozenset(raw["supported"]))
        serial = str(raw["serial"])
        receiver = Receiver(
            id=serial,
            manufacturer=self.manufacturer_name,
            model=raw.get("product") or dialect.family,
            name=raw.get("name") or raw.get("product") or serial,
            host=raw.get("host"),
            firmware=raw.get("version"),
            serial=serial,
        )
        for index, leaves in raw["channels"].items():
            values = channel_values(dialect, int(index), leaves, active_set)
            receiver.add_channel(int(index), features, values)
        return receiver

    # -- incoming -----------------------------------------------------------------------------

    def _on_message(self, message: SscMessage) -> None:
        """Apply every answer and notification to the model (called per datagram)."""
        self.health.message()
        if message.values or message.errors:
            # Acknowledgements alone do not count: each renewal must bring the values again.
            self._liveness.arrived()
        receiver_changed: set[str] = set()
        touched = self._apply_errors(message.errors)
        for path, value in message.values.items():
            target = self._addresses.get(path)
            if target is not None:
                self._leaves[target[0]][target[1]] = value
                touched.add(target[0])
            elif self.dialect is not None and path == self.dialect.active_mates:
                touched |= self._set_active(value)
            elif path == _DEVICE_NAME:
                receiver_changed |= self._set_device_name(value)
        if message.message_error is not None:
            _LOGGER.debug("%s rejected a message with error %s", self.host, message.message_error)
        for channel in touched:
            self._refresh_channel(channel)
        if receiver_changed and self._listener is not None and self.identity is not None:
            self._listener(ModelUpdate(self.receiver_id, None, frozenset(receiver_changed)))

    def _apply_errors(self, errors: Mapping[Path, int]) -> set[int]:
        """Store per-address errors as values; 310 asks for a renewal. Returns channels hit."""
        touched: set[int] = set()
        for path, code in errors.items():
            if code == SUBSCRIPTION_ENDED:
                self._resubscribe.set()
                continue
            target = self._addresses.get(path)
            if target is not None:
                self._leaves[target[0]][target[1]] = SscError(code)
                touched.add(target[0])
            if code != FAILED_DEPENDENCY:
                _LOGGER.debug("%s reports error %s for %s", self.host, code, path_text(path))
        return touched

    def _set_active(self, value: Any) -> set[int]:
        active = parse_active_mates(value)
        if active is None:
            _LOGGER.debug("Ignoring active mates %r from %s", value, self.host)
            return set()
        if active == self._active:
            return set()
        self._active = active
        return set(self._leaves)

    def _set_device_name(self, value: Any) -> set[str]:
        name = _text(value)
        if self.identity is None or name is None or name == self.identity.get("name"):
            return set()
        self.identity["name"] = name
        receiver = self.receivers.get(self.receiver_id)
        if receiver is None:
            return set()
        return apply_values(receiver, {"name": name})

    def _refresh_channel(self, index: int) -> None:
        dialect = self.dialect
        assert dialect is not None  # noqa: S101  channels have addresses only after detection
        leaves = self._leaves[index]
        values = channel_values(dialect, index, leaves, self._active)
        linked = values["transmitter"] is not None
        if self._linked.get(index) and not linked:
            # Forget the departed transmitter, so a new one never shows the old battery.
            for key in [
                k for k, v in leaves.items() if k in TX_LEAVES and not isinstance(v, SscError)
            ]:
                del leaves[key]
        self._linked[index] = linked
        if (
            self._listener is not None  # while reading everything, the read covers it
            and index not in self._fetching
            and self._transmitter_unread(dialect, index, leaves)
        ):
            self._tasks.spawn(self._fetch_transmitter(index))
        receiver = self.receivers.get(self.receiver_id)
        channel = receiver.channels.get(index) if receiver is not None else None
        if channel is None:
            return
        changed = self.gate.apply(channel, values)  # the same rules as the snapshot
        if changed and self._listener is not None:
            self._listener(ModelUpdate(self.receiver_id, index, frozenset(changed)))

    def _transmitter_unread(self, dialect: Dialect, index: int, leaves: Mapping[str, Any]) -> bool:
        """The channel says a transmitter is linked, but its addresses are gone or say 424.

        Devices need not notify a 424 turning into a value, and a departed transmitter's
        values are forgotten, so a newly linked transmitter is read explicitly.
        """
        wanted = [
            key
            for path, (owner, key) in self._addresses.items()
            if owner == index and key in TX_LEAVES
        ]
        if not wanted or all(
            key in leaves and not isinstance(leaves[key], SscError) for key in wanted
        ):
            return False
        warnings = leaves.get("rx_warnings")
        if isinstance(warnings, list | str):
            listed = {warnings} if isinstance(warnings, str) else set(warnings)
            if not listed & dialect.no_link:
                return True
        return self._active is not None and index in self._active

    async def _fetch_transmitter(self, index: int) -> None:
        """Read a newly linked transmitter's addresses (answers flow through _on_message)."""
        self._fetching.add(index)
        try:
            paths = [
                path
                for path, (owner, key) in self._addresses.items()
                if owner == index and key in TX_LEAVES
            ]
            await self.client.get_tolerant(paths)
        except MicboardError as err:
            _LOGGER.debug(
                "Reading the transmitter of %s channel %d failed: %s", self.host, index, err
            )
        finally:
            self._fetching.discard(index)

    # -- push ---------------------------------------------------------------------------------

    async def listen(self, on_update: UpdateCallback) -> None:
        """Subscribe, renew before expiry, and raise ConnectionClosed when the device goes quiet."""
        if not self.client.is_open or self.dialect is None:
            raise ConnectionClosed("not connected")
        self._listener = on_update
        liveness = self._liveness
        liveness.restart()
        lifetime = self.subscription_lifetime
        try:
            while True:
                self._resubscribe.clear()
                await self._subscribe_all()
                # A subscription that ends early (310) sets _resubscribe: renew at once.
                renew_at = time.monotonic() + lifetime / 2
                silent = await liveness.watch(renew_at, lifetime, self._resubscribe)
                if silent is not None:
                    raise ConnectionClosed(
                        f"{self.host} acknowledges but sends no data ({silent:.1f} s)"
                    )
        finally:
            self._listener = None

    def subscription_groups(self, channel: int) -> list[tuple[dict[str, Any], list[Path]]]:
        """The subscribe trees of one channel: status addresses, and throttled meters."""
        lifetime = round(self.subscription_lifetime)
        status: list[Path] = []
        meters: list[Path] = []
        for path, (owner, _key) in self._addresses.items():
            if owner == channel:
                (meters if path[0] == _METER_ROOT else status).append(path)
        groups: list[tuple[dict[str, Any], list[Path]]] = []
        if status:
            groups.append(({"lifetime": lifetime}, status))
        if meters:
            groups.append(({"min": 0, "max": self.meter_ms, "lifetime": lifetime}, meters))
        return groups

    def _device_groups(self) -> list[tuple[dict[str, Any], list[Path]]]:
        paths: list[Path] = [_DEVICE_NAME]
        if self.dialect is not None and self.dialect.active_mates is not None:
            paths.append(self.dialect.active_mates)
        return [({"lifetime": round(self.subscription_lifetime)}, paths)]

    async def _subscribe_all(self) -> None:
        """One subscribe message per channel, one for the device; renewals are the same."""
        for channel in [*range(1, self.channel_count + 1), None]:
            # A refused message is sent again at once without the addresses the device
            # named; one retry, because the device rejects whole messages.
            for _attempt in range(2):
                groups = (
                    self._device_groups() if channel is None else self.subscription_groups(channel)
                )
                try:
                    result = await self.client.subscribe(groups)
                except CannotConnect as err:
                    raise ConnectionClosed(f"{self.host} stopped answering: {err}") from err
                if not result.rejected:
                    break
                keys = self._unknown_keys(result)
                _LOGGER.debug(
                    "%s refused a subscription (%s); dropping %s",
                    self.host,
                    result.message_error or result.errors,
                    sorted(keys),
                )
                if not keys:
                    break
                self.supported -= keys
                self._rebuild_addresses()
        self.renewals += 1

    # -- actions ------------------------------------------------------------------------------

    async def identify(self, receiver_id: str, channel: int | None) -> None:
        """Flash the receiver (``/device/identification/visual``) or one EW-DX channel."""
        path: Path = ("device", "identification", "visual")
        if channel is not None and self.dialect is not None and self.dialect.key == "ewdx":
            path = (f"rx{channel}", "identification", "visual")
        result = await self.client.set({path: True})
        if path in result.errors:
            raise ProtocolError(f"{self.host} refused to identify: error {result.errors[path]}")

    async def close(self) -> None:
        """Stop renewing (subscriptions lapse on the device), cancel work, close the socket."""
        self._listener = None
        self._tasks.cancel()
        self.client.close()
        self.health.stopped()
