"""A device that keeps talking while the plugin's event loop is stalled.

Home Assistant's event loop can stop for seconds (a blocking call in some integration, a
saturated loop working off a backlog) while the microphone receivers keep sending. To test
that, the simulator runs on its own event loop in a thread, so it goes on sending while the
test blocks the plugin's loop with ``time.sleep`` in a callback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future
import contextlib
import threading
import time
from typing import Any, Protocol


class Simulator(Protocol):
    """What the helpers need of a simulator."""

    async def close(self) -> None:
        """Stop serving."""


@contextlib.contextmanager
def simulator_in_thread[S: Simulator](
    start: Callable[[], Awaitable[S]],
) -> Iterator[tuple[S, Callable[[Callable[[], Any]], None]]]:
    """Start a simulator on a fresh event loop in a thread.

    Yields the simulator and a function that runs a callable on the simulator's loop (use it
    for anything that changes the simulator while it serves).
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="simulator", daemon=True)
    thread.start()

    def call(function: Callable[[], Any]) -> None:
        done: Future[None] = Future()

        def run() -> None:
            try:
                function()
            except Exception as err:  # noqa: BLE001  handed to the calling thread
                done.set_exception(err)
            else:
                done.set_result(None)

        loop.call_soon_threadsafe(run)
        done.result(timeout=10)

    try:
        simulator = asyncio.run_coroutine_threadsafe(_awaited(start), loop).result(timeout=10)
        try:
            yield simulator, call
        finally:
            asyncio.run_coroutine_threadsafe(simulator.close(), loop).result(timeout=10)
    finally:
        # The simulator's loop may have started a default-executor thread (name lookups,
        # TLS set-up); it is joined here, or the test harness sees a thread left behind.
        asyncio.run_coroutine_threadsafe(loop.shutdown_default_executor(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def _awaited[S](start: Callable[[], Awaitable[S]]) -> S:
    return await start()


@contextlib.asynccontextmanager
async def stalling_event_loop(stall: float) -> AsyncIterator[None]:
    """Block the running loop for ``stall`` seconds, over and over, while the body runs.

    Between stalls the loop gets one turn: it polls its sockets and runs what is ready, as a
    saturated Home Assistant does.
    """
    loop = asyncio.get_running_loop()
    handle: asyncio.Handle | None = None

    def block() -> None:
        nonlocal handle
        time.sleep(stall)  # what a blocking call in some other integration does
        handle = loop.call_soon(block)

    handle = loop.call_soon(block)
    try:
        yield
    finally:
        handle.cancel()


async def run_for(seconds: float) -> None:
    """Let the loop run for ``seconds`` of wall time, however long its turns take."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(0.05)
