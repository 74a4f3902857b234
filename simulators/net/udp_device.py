"""The UDP side of the simulated Sennheiser receivers (SSC v1 on port 45, MCP on 53212).

Both are one datagram socket plus a ticker task (pushes, subscription expiry, animation) and
answer each datagram as it comes; the socket, the ticker and their lifecycle live here once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
import contextlib
from typing import Self

type Address = tuple[str, int]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, device: UdpDevice) -> None:
        self.device = device

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.device.received(data, (str(addr[0]), int(addr[1])))


class UdpDevice(ABC):
    """A simulated device on one UDP socket, with a ticker running while it serves."""

    def __init__(self) -> None:
        """Nothing is bound until :meth:`start`."""
        self._transport: asyncio.DatagramTransport | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._bound: Address | None = None
        #: Fault knobs shared by every UDP device: answer each request this many seconds
        #: late (a slow device or network); take requests in but answer none (stalled).
        self.reply_delay = 0.0
        self.stalled = False
        self._delayed: set[asyncio.TimerHandle] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        """Bind and start ticking."""
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(host, port)
        )
        self._bound = self.address
        self._ticker = loop.create_task(self._tick_forever())
        return self

    def received(self, data: bytes, client: Address) -> None:
        """A datagram arrived: answer it now, later (``reply_delay``) or never (stalled)."""
        if self.stalled:
            return
        if self.reply_delay <= 0:
            self.handle(data, client)
            return
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle | None = None

        def answer() -> None:
            if handle is not None:
                self._delayed.discard(handle)
            if self._transport is not None and not self.stalled:
                self.handle(data, client)

        handle = loop.call_later(self.reply_delay, answer)
        self._delayed.add(handle)

    async def kill(self) -> None:
        """The device is switched off: the socket closes (the port answers unreachable)."""
        await self.close()

    async def restart(self) -> Self:
        """Switched on again at the same address, with its state but no subscriptions."""
        if self._bound is None:
            raise RuntimeError("the simulator never started")
        self.forget_clients()
        return await self.start(*self._bound)

    @abstractmethod
    def forget_clients(self) -> None:
        """What a power cycle clears: subscriptions, pushes."""

    @property
    def address(self) -> Address:
        """Where the simulator listens."""
        if self._transport is None:
            raise RuntimeError("the simulator has not started")
        sockname = self._transport.get_extra_info("sockname")
        return str(sockname[0]), int(sockname[1])

    async def close(self) -> None:
        """Stop ticking, drop delayed answers and close the socket."""
        for handle in self._delayed:
            handle.cancel()
        self._delayed.clear()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def _send_datagram(self, payload: bytes, target: Address) -> None:
        """One datagram, unless the socket is closed or closing."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(payload, target)

    @abstractmethod
    def handle(self, data: bytes, client: Address) -> None:
        """Answer one datagram from ``client``."""

    @abstractmethod
    async def _tick_forever(self) -> None:
        """Periodic work while serving (pushes, expiry, animation)."""
