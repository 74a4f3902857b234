"""How long each turn of an asyncio event loop works: the instrument behind "no turn over 50 ms".

A *turn* is one iteration of the loop: everything it runs between two waits in the selector
(ready I/O callbacks, due timers, ready handles and task steps). A turn that works 0.8 s holds
every other integration, the frontend and the recorder for 0.8 s, whoever caused it.

The instrument wraps the loop's selector: the time from one ``select`` returning to the next
``select`` being called is one turn's work. That costs two clock reads per turn rather than
per callback (asyncio's own debug mode times every handle and slows everything down), so the
benchmark can leave it on while it measures CPU.

Each turn is measured twice:

- *wall* time (``perf_counter``): what the rest of Home Assistant waits;
- *CPU* time of the loop's thread (``thread_time``): the work itself. A machine busy with other
  processes stretches wall time (the thread is descheduled mid-turn) but not the thread's CPU
  time, which is what makes a threshold on it safe in a test on a loaded machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import time
from typing import Any

#: How many of the longest turns a :class:`TurnStats` keeps.
LONGEST_KEPT = 5


@dataclass
class TurnStats:
    """Turns seen while the instrument was on (times in seconds)."""

    threshold: float
    turns: int = 0
    max_wall: float = 0.0
    max_cpu: float = 0.0
    #: Turns whose wall time exceeded the threshold.
    slow_wall: int = 0
    #: Turns whose CPU time exceeded the threshold.
    slow_cpu: int = 0
    #: The longest turns by CPU time: (cpu, wall), longest first, at most five.
    longest: list[tuple[float, float]] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        """Count one turn."""
        self.turns += 1
        self.max_wall = max(self.max_wall, wall)
        self.max_cpu = max(self.max_cpu, cpu)
        if wall > self.threshold:
            self.slow_wall += 1
        if cpu > self.threshold:
            self.slow_cpu += 1
        if len(self.longest) < LONGEST_KEPT or cpu > self.longest[-1][0]:
            self.longest.append((cpu, wall))
            self.longest.sort(reverse=True)
            del self.longest[LONGEST_KEPT:]

    def as_dict(self) -> dict[str, Any]:
        """For the benchmark's JSON (milliseconds)."""
        return {
            "turns": self.turns,
            "max_wall_ms": round(self.max_wall * 1000.0, 1),
            "max_cpu_ms": round(self.max_cpu * 1000.0, 1),
            "over_threshold_wall": self.slow_wall,
            "over_threshold_cpu": self.slow_cpu,
            "threshold_ms": round(self.threshold * 1000.0, 1),
        }


class LoopTurns:
    """Times every turn of ``loop`` from :meth:`install` on; :meth:`window` collects them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, threshold: float = 0.05) -> None:
        """``threshold``: a turn working longer than this (seconds) counts as slow."""
        self._loop = loop
        self.threshold = threshold
        self._stats: TurnStats | None = None
        self._wall0 = 0.0
        self._cpu0 = 0.0
        self._original: Callable[..., Any] | None = None

    def install(self) -> LoopTurns:
        """Wrap the loop's selector (asyncio's selector event loops only)."""
        selector = getattr(self._loop, "_selector", None)
        if selector is None:
            raise TypeError(f"{type(self._loop).__name__} has no selector to time")
        original = selector.select
        self._original = original
        perf_counter, thread_time = time.perf_counter, time.thread_time

        def select(timeout: float | None = None) -> Any:
            stats = self._stats
            if stats is not None:
                stats.add(perf_counter() - self._wall0, thread_time() - self._cpu0)
            events = original(timeout)
            if self._stats is not None:
                self._wall0 = perf_counter()
                self._cpu0 = thread_time()
            return events

        selector.select = select
        return self

    def uninstall(self) -> None:
        """Give the loop its own selector method back."""
        selector = getattr(self._loop, "_selector", None)
        if selector is not None and self._original is not None:
            del selector.select  # the instance attribute; the class's method shows again
            self._original = None

    def start(self) -> TurnStats:
        """Count turns from the next one on, into a fresh :class:`TurnStats`."""
        self._stats = TurnStats(self.threshold)
        # The turn in progress (the caller's) is counted from here.
        self._wall0 = time.perf_counter()
        self._cpu0 = time.thread_time()
        return self._stats

    def stop(self) -> TurnStats:
        """Stop counting; the stats of the window that just ended."""
        stats = self._stats
        if stats is None:
            raise RuntimeError("not counting")
        self._stats = None
        return stats

    @contextlib.contextmanager
    def window(self) -> Iterator[TurnStats]:
        """Count the turns of a ``with`` block (the stats fill in as it runs)."""
        stats = self.start()
        try:
            yield stats
        finally:
            self.stop()
