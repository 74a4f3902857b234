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

Pauses of Python's cyclic garbage collector are taken out of both CPU figures and reported on
their own: a collection runs in whichever callback allocated last and lasts in proportion to
the whole process's heap (every integration's objects), not to that callback's work.

With ``callbacks=True`` a window also times every callback (a task step, an I/O callback, a
timer): what asyncio's debug mode reports as "Executing <Handle ...> took 0.8 seconds".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import gc
import threading
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
    #: Callbacks (handles) timed, when the window times them too.
    callbacks: int = 0
    #: The most CPU time one callback took, and what it was.
    max_callback_cpu: float = 0.0
    max_callback: str = ""
    #: Callbacks whose CPU time exceeded the threshold.
    slow_callbacks: int = 0
    #: The most units of work (:meth:`LoopTurns.count`) one callback did, and what it was.
    max_callback_work: int = 0
    max_work_callback: str = ""
    #: Cyclic garbage collections on the loop's thread, and the longest (CPU seconds).
    gc_runs: int = 0
    max_gc_pause: float = 0.0
    gc_seconds: float = 0.0

    def add_gc(self, cpu: float) -> None:
        """Count one pause of Python's cyclic garbage collector."""
        self.gc_runs += 1
        self.gc_seconds += cpu
        self.max_gc_pause = max(self.max_gc_pause, cpu)

    def add_callback(self, cpu: float, handle: asyncio.Handle, work: int = 0) -> None:
        """Count one callback (a task step, an I/O callback, a timer)."""
        self.callbacks += 1
        if work > self.max_callback_work:
            self.max_callback_work = work
            self.max_work_callback = _describe(handle)
        if cpu > self.threshold:
            self.slow_callbacks += 1
        if cpu > self.max_callback_cpu:
            self.max_callback_cpu = cpu
            self.max_callback = _describe(handle)

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
            "callbacks": self.callbacks,
            "max_callback_cpu_ms": round(self.max_callback_cpu * 1000.0, 1),
            "max_callback": self.max_callback,
            "callbacks_over_threshold": self.slow_callbacks,
            "max_callback_work": self.max_callback_work,
            "gc_runs": self.gc_runs,
            "max_gc_pause_ms": round(self.max_gc_pause * 1000.0, 1),
            "gc_ms": round(self.gc_seconds * 1000.0, 1),
        }


def _describe(handle: asyncio.Handle) -> str:
    """A short name for a handle's callback: a task's name, or the function's."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        return f"task {task.get_name()}"
    name = getattr(callback, "__qualname__", None)
    return str(name or callback)[:120]


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
        self._base_run: Callable[[asyncio.Handle], None] | None = None
        #: CPU seconds the garbage collector took on the loop's thread while counting.
        self._gc_cpu = 0.0
        self._gc_started = 0.0
        self._gc_turn0 = 0.0
        self._thread = threading.get_ident()
        #: Units of work counted in the callback that runs now (see :meth:`count`).
        self._work = 0

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
                gc_cpu = self._gc_cpu - self._gc_turn0
                stats.add(perf_counter() - self._wall0, thread_time() - self._cpu0 - gc_cpu)
            events = original(timeout)
            if self._stats is not None:
                self._wall0 = perf_counter()
                self._cpu0 = thread_time()
                self._gc_turn0 = self._gc_cpu
            return events

        selector.select = select
        return self

    def uninstall(self) -> None:
        """Give the loop its own selector method back."""
        selector = getattr(self._loop, "_selector", None)
        if selector is not None and self._original is not None:
            del selector.select  # the instance attribute; the class's method shows again
            self._original = None

    def start(self, *, callbacks: bool = False) -> TurnStats:
        """Count turns from the next one on, into a fresh :class:`TurnStats`.

        ``callbacks`` also times every callback (what asyncio's debug mode reports as slow
        callbacks): a clock read per callback, so the benchmark does it during set-ups only.
        """
        self._stats = TurnStats(self.threshold)
        gc.callbacks.append(self._on_gc)
        if callbacks:
            self._time_callbacks(self._stats)
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
        gc.callbacks.remove(self._on_gc)
        if self._base_run is not None:
            setattr(asyncio.Handle, "_run", self._base_run)  # noqa: B010
            self._base_run = None
        return stats

    def count(self, units: int = 1) -> None:
        """Count work done by the callback running now (with ``callbacks=True``).

        A test counts what a callback did (entities added, say) instead of how long it took:
        the count does not depend on the machine's speed or load.
        """
        self._work += units

    def _on_gc(self, phase: str, _info: dict[str, int]) -> None:
        """Python's collector starts or stops: its pause is kept apart from the loop's work.

        A collection runs inside whichever callback happened to allocate, and takes time in
        proportion to the whole process's heap (every integration's objects), not to what
        that callback did; it is reported on its own.
        """
        if threading.get_ident() != self._thread:
            return
        if phase == "start":
            self._gc_started = time.thread_time()
            return
        pause = time.thread_time() - self._gc_started
        self._gc_cpu += pause
        if self._stats is not None:
            self._stats.add_gc(pause)

    def _time_callbacks(self, stats: TurnStats) -> None:
        """Wrap ``Handle._run`` (every callback of every loop in this process)."""
        # asyncio's own debug mode times callbacks in the same place (Handle._run).
        base: Callable[[asyncio.Handle], None] = getattr(asyncio.Handle, "_run")  # noqa: B009
        self._base_run = base
        thread_time = time.thread_time
        loop = self._loop

        def _run(handle: asyncio.Handle) -> None:
            if getattr(handle, "_loop", None) is not loop:  # another thread's loop
                base(handle)
                return
            gc0 = self._gc_cpu
            self._work = 0
            started = thread_time()
            base(handle)
            cpu = thread_time() - started - (self._gc_cpu - gc0)
            stats.add_callback(cpu, handle, self._work)

        setattr(asyncio.Handle, "_run", _run)  # noqa: B010

    @contextlib.contextmanager
    def window(self, *, callbacks: bool = False) -> Iterator[TurnStats]:
        """Count the turns of a ``with`` block (the stats fill in as it runs)."""
        stats = self.start(callbacks=callbacks)
        try:
            yield stats
        finally:
            self.stop()
