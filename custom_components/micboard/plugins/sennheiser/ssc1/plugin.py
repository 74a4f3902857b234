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
from dataclasses import dataclass, replace
import logging
import time
from typing import Any, ClassVar, Final, Unpack

from ...errors import (
    CannotConnect,
    ConnectionClosed,
    DifferentDevice,
    MicboardError,
    ProtocolError,
    UnsupportedDevice,
)
from ...model import (
    ModelUpdate,
    Receiver,
    UpdateCallback,
)
from ...net.liveness import Liveness
from ...options import NetworkOptions
from ...plugin import BackgroundTasks, NetworkPlugin, PluginArgs
from ...validate import DEFAULT_LIMITS, MAX_TEXT_LENGTH, Limits, clean_text
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
#: Tries of the first request of a (re)connect.
PROBE_ATTEMPTS: Final = 2
#: Longest subscription lifetime asked for (s), however slow the device.
MAX_LIFETIME: Final = 120
#: Meter subscriptions are never asked to notify faster than this (ms).
MIN_METER_MS: Final = 100
#: Shortest gap between two reads of everything when a device's subscriptions stay silent.
MIN_POLL_SECONDS: Final = 1.0

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
    """A device-supplied text, cleaned and capped; a number is never a name."""
    return clean_text(value, MAX_TEXT_LENGTH)


def _serial(value: Any) -> str | None:
    """The serial: text, or a number (some firmware sends it so; at most 20 digits decode)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return _text(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ssc1Options(NetworkOptions):
    """Where the receiver listens for SSC v1 (UDP 45 unless changed on the device)."""

    port: int = DEFAULT_PORT


class SennheiserSsc1Plugin(NetworkPlugin[Ssc1Options]):
    """One SSC v1 receiver (all its channels) over UDP."""

    manufacturer_code: ClassVar[str] = "sennheiser_ssc1"
    manufacturer_name: ClassVar[str] = "Sennheiser"
    #: EW-DX: RSSI -107..0 dBm and AF -138.5..0 dBFS (the same hardware's SSCv2 documents
    #: them), frequency ranges Q1-9 (470.2 MHz) up to Y1-3 (1800 MHz). SpeechLine DW
    #: reports no RF, audio or frequency.
    limits: ClassVar[Limits] = replace(
        DEFAULT_LIMITS,
        rf_dbm=(-107.0, 0.0),
        audio_dbfs=(-138.5, 0.0),
        frequency_mhz=(470.0, 1800.0),
    )
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
            on_rejected=self._on_rejected,
        )
        self.identity: dict[str, str | None] | None = None
        self.dialect: Dialect | None = None
        self.channel_count = 0
        self.supported: frozenset[str] = frozenset()
        self.renewals = 0
        #: Whether this connection reads the device instead of waiting for notifications.
        self.polling = False
        #: The lifetime asked for now: ``subscription_lifetime``, longer for a slow device.
        self.lifetime = self.subscription_lifetime
        self._leaves: dict[int, dict[str, Any]] = {}
        self._addresses: dict[Path, tuple[int, str]] = {}
        self._active: frozenset[int] | None = None
        self._linked: dict[int, bool] = {}
        self._fetching: set[int] = set()
        self._listener: UpdateCallback | None = None
        self._resubscribe = asyncio.Event()
        self._tasks = BackgroundTasks()
        self._liveness = Liveness()
        #: Whether the device answering now was confirmed as the expected one; until then
        #: nothing it sends is applied.
        self._confirmed = False

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
            self._confirmed = False
        with self.health.errors_recorded():
            await self.client.open()
            await self._identify()
            if self.dialect is None:
                await self._detect()
            await self._read_all()
        self.health.connected()
        return self.store_snapshot([self.transform_device_data(self._raw())])

    async def _identify(self) -> None:
        """Who answers, on every (re)connect and resync, before any of its values are taken.

        Another serial than the entry's (or than the one this plugin talked to before) is
        another receiver: :class:`DifferentDevice`, and nothing it sends reaches the model.
        """
        self._confirmed = False
        # Two tries (1 s, then 2 s): enough for a device answering in 2 s, and a device that
        # is still away fails a reconnect attempt in 3 s rather than 7.
        result = await self.client.get_tolerant(
            _IDENTITY.values(), attempts=min(PROBE_ATTEMPTS, self.request_attempts)
        )
        identity = {
            key: (_serial if key == "serial" else _text)(result.values.get(path))
            for key, path in _IDENTITY.items()
        }
        serial = identity["serial"]
        if serial is None:
            code = result.errors.get(_IDENTITY["serial"])
            if code in {UNAVAILABLE, SERVER_ERROR} or result.missing:
                raise CannotConnect(f"{self.host} did not give its serial number ({code})")
            raise UnsupportedDevice(f"{self.host} speaks SSC but reports no serial number")
        self.confirm_identity(serial, identity.get("name"))
        known = (self.identity or {}).get("serial")
        if known is not None and known != serial:
            raise DifferentDevice(
                f"{self.host} now answers as serial {serial}, not {known}",
                host=self.host,
                expected=known,
                found=serial,
                found_name=identity.get("name"),
            )
        self.identity = identity
        self._confirmed = True

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
        count = await self._count_channels(dialect)
        if count == 0:
            raise UnsupportedDevice(f"{self.host}: no receiver channel found")
        self.dialect = dialect
        self.channel_count = count
        self.supported = frozenset(key for _template, key in dialect.channel_leaves)
        self._rebuild_addresses()
        _LOGGER.debug(
            "%s is %s with %d channel(s), serial %s", self.host, dialect.family, count, self.serial
        )

    async def _count_channels(self, dialect: Dialect) -> int:
        """How many channels: every channel's probe address asked in one message.

        Channels are numbered without gaps and a device rejects a message naming the first
        address it lacks, so an answer rejecting channel k's address leaves 1..k-1 to
        confirm: two round trips where asking channel by channel took up to nine.
        """
        count = MAX_CHANNELS
        while count > 0:
            probes = {dialect.address(dialect.channel_probe, n): n for n in range(1, count + 1)}
            result = await self.client.get(probes)
            absent = [
                probes[path]
                for path, code in result.errors.items()
                if path in probes and code in UNKNOWN_ADDRESS_CODES | SPLIT_CODES
            ]
            if absent:
                count = min(absent) - 1
                continue
            if result.rejected or result.message_error is not None:
                result = await self.client.get_tolerant(probes)  # too long: smaller groups
            found = 0
            for path, channel in probes.items():
                code = result.errors.get(path)
                if path not in result.values and (
                    code is None or code in UNKNOWN_ADDRESS_CODES | SPLIT_CODES
                ):
                    break
                found = channel
            return found
        return 0

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
        """Every address of every channel in one GET (split only if the device refuses)."""
        paths: list[Path] = list(self._addresses)
        if self.dialect is not None and self.dialect.active_mates is not None:
            paths.append(self.dialect.active_mates)
        result = await self.client.get_tolerant(paths)
        dropped = self._unknown_keys(result)
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

    def _on_rejected(self, reason: str, data: bytes) -> None:
        """A datagram that is not SSC: counted, the first per connection logged (escaped)."""
        self.health.rejected(self.host, f"a datagram that is not SSC ({reason})", data)

    def _on_message(self, message: SscMessage) -> None:
        """Apply every answer and notification to the model (called per datagram).

        The leaves a datagram sets are kept only if the channels they touch still map to
        model values; should the mapping fail on some value nobody foresaw, the datagram is
        dropped as a whole and counted, so a bad value never stays stored to fail again on
        every later datagram of the channel.
        """
        self.health.message()
        if message.values or message.errors:
            # Acknowledgements alone do not count: each renewal must bring the values again.
            self._liveness.arrived()
        if not self._confirmed:
            return  # who sends it is not confirmed (yet, or it is another receiver)
        saved = {channel: dict(leaves) for channel, leaves in self._leaves.items()}
        saved_active, saved_name = self._active, (self.identity or {}).get("name")
        try:
            self._apply_message(message)
        except (ArithmeticError, ValueError, TypeError, KeyError) as err:
            for channel, leaves in saved.items():
                self._leaves[channel] = leaves
            self._active = saved_active
            if self.identity is not None:
                self.identity["name"] = saved_name
            self.health.rejected(
                self.host, f"a datagram whose values cannot be used ({err!r})", repr(message)
            )

    def _apply_message(self, message: SscMessage) -> None:
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
        return self.gate.apply(receiver, {"name": name})

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
        took = 0.0
        self.polling = False
        try:
            while True:
                self._resubscribe.clear()
                # A slow device (2 s per request) needs longer than half a lifetime to renew
                # every channel: ask for a lifetime four rounds long, so none lapses; the
                # first round's length is estimated from the measured round trip.
                rtt = self.client.round_trip
                estimate = (self.channel_count + 1) * (rtt.smoothed or rtt.timeout)
                self.lifetime = min(
                    MAX_LIFETIME, max(self.subscription_lifetime, 4 * estimate, 4 * took)
                )
                started = time.monotonic()
                await self._subscribe_all()
                took = time.monotonic() - started
                # A subscription that ends early (310) sets _resubscribe: renew at once.
                renew_at = started + self.lifetime / 2
                if self.polling:
                    await self._poll_until(renew_at)
                    continue
                silent = await liveness.watch(renew_at, self.lifetime, self._resubscribe)
                if silent is not None:
                    await self._fall_back_to_polling(silent)
        finally:
            self._listener = None

    @property
    def poll_seconds(self) -> float:
        """How often everything is read when notifications do not come."""
        return max(MIN_POLL_SECONDS, self.meter_interval)

    async def _fall_back_to_polling(self, silent: float) -> None:
        """A device that acknowledges subscriptions but never notifies: read it instead.

        Such a unit (a firmware or a filter between us that lets answers through but not
        notifications) answers every GET, so ending the connection only made the entities
        flap: unavailable after one lifetime, back with the next snapshot, again and again.
        If it still answers, its values are read every :attr:`poll_seconds` for the rest of
        this connection (subscriptions are still renewed, in case notifications start); if
        it does not, the connection is lost as before.
        """
        try:
            await self._read_all()
        except MicboardError as err:
            raise ConnectionClosed(
                f"{self.host} acknowledges but sends no data ({silent:.1f} s)"
            ) from err
        _LOGGER.debug(
            "%s acknowledges subscriptions but sends no data; reading it every %.1f s",
            self.host,
            self.poll_seconds,
        )
        self.polling = True

    async def _poll_until(self, renew_at: float) -> None:
        """Read everything every :attr:`poll_seconds` until the subscriptions are due."""
        while (now := time.monotonic()) < renew_at and not self._resubscribe.is_set():
            await asyncio.sleep(min(self.poll_seconds, renew_at - now))
            try:
                await self._read_all()
            except MicboardError as err:
                raise ConnectionClosed(f"{self.host} stopped answering: {err}") from err

    def subscription_groups(self, channel: int) -> list[tuple[dict[str, Any], list[Path]]]:
        """The subscribe trees of one channel: status addresses, and throttled meters."""
        lifetime = round(self.lifetime)
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
        return [({"lifetime": round(self.lifetime)}, paths)]

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
