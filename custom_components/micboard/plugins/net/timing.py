"""Timeouts that follow the device, and answers that a stalled event loop must not lose.

A fixed timeout is wrong both ways: a slow device on a congested network never sets up, a
dead one is noticed late. :class:`RoundTrip` learns each device's round-trip time the way TCP
does (RFC 6298: smoothed time plus four deviations) and bounds it. :func:`wait_answer` waits
for a reply, and when the timeout fires it lets the loop run its pending read callbacks once
more before giving up: after Home Assistant's loop was blocked, the timer and the answer are
due in the same turn, and the timer can run first.
"""

from __future__ import annotations

import asyncio
from typing import Final

#: RFC 6298's gains for the smoothed time and its deviation.
_ALPHA: Final = 1 / 8
_BETA: Final = 1 / 4


class RoundTrip:
    """Smoothed round-trip time of one device, and the timeout it implies."""

    __slots__ = ("ceiling", "floor", "initial", "samples", "smoothed", "variation")

    def __init__(self, *, initial: float, floor: float, ceiling: float) -> None:
        """Until a sample arrives the timeout is ``initial``; it never leaves floor..ceiling."""
        self.initial = initial
        self.floor = floor
        self.ceiling = ceiling
        self.smoothed: float | None = None
        self.variation = 0.0
        self.samples = 0

    def sample(self, seconds: float) -> None:
        """Record one measured request-to-answer time."""
        if seconds < 0:
            return
        self.samples += 1
        if self.smoothed is None:
            self.smoothed = seconds
            self.variation = seconds / 2
            return
        self.variation = (1 - _BETA) * self.variation + _BETA * abs(self.smoothed - seconds)
        self.smoothed = (1 - _ALPHA) * self.smoothed + _ALPHA * seconds

    @property
    def timeout(self) -> float:
        """How long to wait for the next answer."""
        if self.smoothed is None:
            return min(max(self.initial, self.floor), self.ceiling)
        return min(max(self.smoothed + 4 * self.variation, self.floor), self.ceiling)


async def wait_answer[T](answer: asyncio.Future[T], timeout: float) -> T:  # noqa: ASYNC109
    """The result of ``answer``, or :class:`TimeoutError` if none came within ``timeout``.

    ``answer`` is not cancelled on timeout (the caller decides: forget it, or keep waiting).
    An answer that was already waiting in a socket when the timer fired still counts.
    """
    try:
        async with asyncio.timeout(timeout):
            return await asyncio.shield(answer)
    except TimeoutError:
        # One turn polls the sockets and queues their read callbacks; the second runs them.
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        if answer.done() and not answer.cancelled() and answer.exception() is None:
            return answer.result()
        raise
