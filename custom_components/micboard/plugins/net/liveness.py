"""When a device last sent something, and whether its silence is real.

Watchdogs wake on a timer, and a timer's wake-up can run before the read callbacks of the
same event-loop turn. After Home Assistant's loop was blocked or saturated for longer than
the silence limit (a blocking call elsewhere, a backlog of work), the device's data is
waiting in the socket, unread, and a plain clock comparison would drop a healthy connection:
on a busy system, every receiver at once, in the middle of a show. So before a watchdog
declares silence it lets the loop poll its sockets once more and looks whether anything
arrived meanwhile.
"""

from __future__ import annotations

import asyncio
import time


class Liveness:
    """Arrival clock and counter of one connection; ``arrived`` is cheap (called per read)."""

    __slots__ = ("_arrivals", "last")

    def __init__(self) -> None:
        """Silence counts from now."""
        self.last = time.monotonic()
        self._arrivals = 0

    def arrived(self) -> None:
        """Something came in from the device."""
        self.last = time.monotonic()
        self._arrivals += 1

    def restart(self) -> None:
        """Count silence from now (a new connection or subscription)."""
        self.last = time.monotonic()

    def silent_for(self) -> float:
        """Seconds since anything arrived (or since the last restart)."""
        return time.monotonic() - self.last

    async def confirm_silence(self) -> bool:
        """Whether nothing arrived even after the event loop polled its sockets again.

        After the first yield the loop starts its next turn, polls the sockets and queues
        their read callbacks behind this task; the second yield lets them run first.
        When something did arrive, silence counts from now: the device was talking, the
        loop was late.
        """
        before = self._arrivals
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        if self._arrivals != before:
            self.last = time.monotonic()
            return False
        return True

    async def watch(
        self, until: float, limit: float, wake: asyncio.Event | None = None
    ) -> float | None:
        """Wait until ``until`` (``time.monotonic()``), or ``wake``, while data keeps coming.

        What a lease-based protocol (a subscription or a push that must be renewed) does
        between two renewals. Returns ``None`` when it is time to renew (or ``wake`` was
        set); returns the seconds of silence as soon as nothing has arrived for ``limit``
        seconds and :meth:`confirm_silence` agrees, for the caller to end the connection.
        """
        while (now := time.monotonic()) < until:
            silent = self.silent_for()
            if silent >= limit:
                if await self.confirm_silence():
                    return silent
                continue
            wait = min(until - now, limit - silent)
            if wake is None:
                await asyncio.sleep(wait)
                continue
            try:
                async with asyncio.timeout(wait):
                    await wake.wait()
            except TimeoutError:
                continue
            return None
        return None
