"""The contract every protocol's plugin fulfils (the seed's ManufacturerPlugin, made async)."""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, Unpack

from .errors import DifferentDevice, NotSupported
from .health import ConnectionHealth
from .model import Receiver, Referral, UpdateCallback, merge_receiver
from .options import NetworkOptions, PluginOptions
from .runtime_estimate import BatteryLife
from .validate import DEFAULT_LIMITS, Limits, ValueGate

if TYPE_CHECKING:
    import aiohttp


class PluginArgs(TypedDict, total=False):
    """What every plugin's constructor takes besides its options (see :class:`ManufacturerPlugin`).

    Subclasses pass them on as ``**kwargs: Unpack[PluginArgs]``, so the contract is written
    once and a new argument reaches every plugin without touching each signature.
    """

    meter_interval: float
    session: aiohttp.ClientSession | None


class ManufacturerPlugin[OptionsT: PluginOptions](ABC):
    """One protocol's client, shaped like a small async device library.

    Lifecycle: ``get_devices()`` connects if needed and returns the full model (the coordinator
    calls it for set-up and resyncs); ``listen()`` then pushes incremental changes until the
    connection ends, by returning or by raising a :class:`MicboardError`; ``close()`` releases
    everything. The plugin owns its model objects and updates them in place, reporting what
    changed through :class:`ModelUpdate`, so a meter message costs one attribute write and no
    copies.

    The rest of the contract:

    - map every device sentinel to ``None`` and convert units to the model's (MHz, dBm, dBFS,
      minutes, %); ``transform_device_data`` is pure and unit-tested per dialect;
    - report :data:`STRUCTURE_FIELD` after receivers or channels were added or removed, and
      ``online`` for a receiver a server reports offline (one plugin may serve many);
    - keep ``self.health`` current: ``connecting()``/``connected()``/``disconnected(err)`` as
      the link changes, ``message()`` per protocol message (cheap, it is on the hot path);
    - raise only :class:`MicboardError` subclasses: :class:`InvalidAuth` is never retried by the
      plugin itself (devices lock clients out); bad input is logged once at debug and dropped;
    - never put a password or key in a log line, an exception message or the model.
    """

    manufacturer_code: ClassVar[str]
    manufacturer_name: ClassVar[str]
    #: Full resync while push is healthy; push protocols keep this slow.
    resync_interval: ClassVar[float] = 300.0
    #: How long one ``get_devices()`` may take: one device answers in a few seconds, a
    #: server fronting a whole installation may need longer.
    snapshot_timeout: ClassVar[float] = 10.0
    #: What this protocol's devices can report; every value passes :attr:`gate` against it.
    limits: ClassVar[Limits] = DEFAULT_LIMITS
    #: How long a full transmitter pack plausibly lasts on this family: the bounds of the
    #: runtime learnt for transmitters that report no runtime (``runtime_estimate``).
    battery_life: ClassVar[BatteryLife] = BatteryLife()

    def __init__(
        self,
        options: OptionsT,
        *,
        meter_interval: float = 1.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """Keep the options; never connect from the constructor.

        ``options`` says where the device is and how to log in (each protocol has its own
        options class). ``meter_interval`` is the user's choice in seconds: the rate to ask
        devices to meter at, where they can. HTTP-based plugins must use the injected
        ``session`` (the application's shared one) rather than creating their own.
        """
        self.options = options
        self.meter_interval = meter_interval
        self.session = session
        self.health = ConnectionHealth()
        #: The one way values enter the model: ``self.gate.apply(channel, values)`` instead of
        #: setting attributes, so nothing out of range or unprintable gets in (and it is counted).
        self.gate = ValueGate(self.limits, self.health)
        self.receivers: dict[str, Receiver] = {}
        #: Devices to hand over to another protocol, by an id of this plugin's choosing;
        #: kept current by the plugin, read after snapshots and structure updates.
        self.referrals: dict[str, Referral] = {}

    @property
    @abstractmethod
    def stable_id(self) -> str:
        """Who the device (or server) is, whatever its address or name: serial, device id...

        Known once a connection identified the device (or from the options, where they
        carry the identity a caller already knows).
        """

    @property
    @abstractmethod
    def display_name(self) -> str:
        """A human name for the device: its own name and model where it reports them."""

    @abstractmethod
    async def get_devices(self) -> dict[str, Receiver]:
        """Connect if needed and return a full, fresh snapshot of every receiver."""

    @abstractmethod
    def transform_device_data(self, raw: Mapping[str, Any]) -> Receiver:
        """Turn one device's raw data (protocol dialect) into the normalized model; pure."""

    @abstractmethod
    async def listen(self, on_update: UpdateCallback) -> None:
        """Deliver incremental updates until the connection ends."""

    @abstractmethod
    async def close(self) -> None:
        """Stop metering, close sockets and tasks; safe to call twice."""

    def confirm_identity(self, found: str, name: str | None = None) -> None:
        """Raise :class:`DifferentDevice` if ``found`` is not the device the options expect.

        Protocols call this on every (re)connect as soon as the device has said who it is,
        before any of its values reach the model.
        """
        expected = getattr(self.options, "expected_id", None)
        if expected is None or found == expected:
            return
        host = str(getattr(self.options, "host", ""))
        raise DifferentDevice(
            f"{host} is now {found!r}, not the expected {expected!r}",
            host=host,
            expected=expected,
            found=found,
            found_name=name,
        )

    async def identify(self, receiver_id: str, channel: int | None) -> None:
        """Make the receiver (or one channel) flash, where the protocol can."""
        raise NotSupported(f"{self.manufacturer_name} cannot identify a device")

    def can_identify(self, receiver_id: str) -> bool:
        """Whether :meth:`identify` can work for this receiver (an identify button shows).

        By default: whether the plugin implements it at all; plugins whose devices differ
        (one server, many models) answer per receiver.
        """
        return type(self).identify is not ManufacturerPlugin.identify

    @property
    def inventory(self) -> frozenset[str] | None:
        """Ids the integration keeps with its entry to recognise the installation later.

        None (the default): the plugin needs nothing kept. A server of many devices (the
        System API) returns the device ids it listed, and gets them back in its options
        after a restart, when it has not seen the server yet.
        """
        return None

    def diagnostics(self) -> dict[str, Any]:
        """Protocol-specific plain data for diagnostics (never a secret); none by default."""
        return {}

    def health_for(self, receiver_id: str) -> ConnectionHealth:
        """Health of the connection that serves ``receiver_id`` (one shared link by default)."""
        return self.health

    async def check_health(self) -> ConnectionHealth:
        """Current connection health (a copy)."""
        return self.health.snapshot()

    def store_snapshot(self, fresh: list[Receiver]) -> dict[str, Receiver]:
        """Merge a full snapshot into the live model and return it.

        Existing objects are updated in place rather than replaced, so derived state kept on
        them (status, last known transmitter) survives a resync, and anyone holding the
        receivers dict keeps seeing current data. The snapshot passes the value gate first.
        """
        seen: set[str] = set()
        for receiver in fresh:
            current = self.receivers.get(receiver.id)
            self.gate.receiver(receiver, current)
            seen.add(receiver.id)
            if current is None:
                self.receivers[receiver.id] = receiver
            else:
                merge_receiver(current, receiver)
        for gone in set(self.receivers) - seen:
            del self.receivers[gone]
        return self.receivers


class NetworkPlugin[OptionsT: NetworkOptions](ManufacturerPlugin[OptionsT]):
    """A plugin for one device (or server) at an address: every plugin but the demo's.

    ``host`` (the address, blanks trimmed) and ``port`` name the device in every log line
    and error message, so they are plain attributes; the repr shows them and nothing else,
    so a password or key in the options never reaches a log through it.
    """

    def __init__(self, options: OptionsT, **kwargs: Unpack[PluginArgs]) -> None:
        """Keep the options and the address; never connect from the constructor."""
        super().__init__(options, **kwargs)
        self.host = options.host.strip()
        self.port = options.port

    def __repr__(self) -> str:
        """``SennheiserSsc2Plugin(10.0.0.5:443)``: never the credentials."""
        return f"{type(self).__name__}({self.host}:{self.port})"


class BackgroundTasks:
    """Work a plugin starts and does not wait for (a re-read after a change), until ``close``.

    The event loop keeps only weak references to tasks, so they are held here until done;
    ``cancel`` ends whatever still runs when the plugin closes.
    """

    __slots__ = ("_tasks",)

    def __init__(self) -> None:
        """No work yet."""
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        """Cancel everything still running."""
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
