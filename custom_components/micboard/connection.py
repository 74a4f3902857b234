"""The life of an entry's push connection: listen, lose it, back off, resync, listen again.

The listener runs as the entry's background task. A lost connection makes the entities
unavailable at once; reconnecting is a full resync (``async_refresh``), tried every few seconds
while the device is away (see :class:`Backoff`). Auth failures start a reauth and are never
retried in a loop (an EW-DX locks a client out after repeated bad logins); what only the user
can fix becomes a repair issue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import random
import time
from typing import TYPE_CHECKING

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import (
    BACKOFF_INITIAL_SECONDS,
    BACKOFF_MAX_SECONDS,
    DOMAIN,
    LOGGER,
)
from .plugins.errors import (
    ConnectionClosed,
    DifferentDevice,
    InvalidAuth,
    MicboardError,
    NeedsUserAction,
)

if TYPE_CHECKING:
    from .coordinator import MicboardCoordinator


class Backoff:
    """When to try again while a device is away.

    The first retry after a loss comes after a random delay between ``initial`` and
    ``maximum`` seconds (a blip recovers quickly; many entries that lost their devices at
    once do not retry in lockstep); after that, every ``maximum`` seconds. So a device is
    asked at most once per ``maximum`` seconds while it is away, and data flows again within
    ``maximum`` seconds of it answering, however long the outage was.
    """

    def __init__(
        self,
        initial: float = BACKOFF_INITIAL_SECONDS,
        maximum: float = BACKOFF_MAX_SECONDS,
        rng: random.Random | None = None,
    ) -> None:
        """First retry within ``initial``..``maximum`` seconds, then every ``maximum``."""
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0
        self._rng = rng or random.Random()  # noqa: S311  jitter, not security

    def next_delay(self) -> float:
        """Delay before the next attempt."""
        self.attempt += 1
        if self.attempt == 1:
            return self._rng.uniform(min(self.initial, self.maximum), self.maximum)
        return self.maximum

    def reset(self) -> None:
        """A new outage starts."""
        self.attempt = 0


class ConnectionLifecycle:
    """Runs the plugin's listener for one coordinator until the entry closes.

    The backoff, the repairs and the entry's connection health are the coordinator's (tests
    and diagnostics look at them there); this object only drives them.
    """

    def __init__(self, coordinator: MicboardCoordinator) -> None:
        """Not started; :meth:`start` runs the listener."""
        self._coordinator = coordinator
        self._task: asyncio.Task[None] | None = None
        self.closed = False
        #: The clock and the wait between reconnect attempts (tests replace both).
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def start(self) -> None:
        """Start the listener as the entry's background task; stop with Home Assistant."""
        coordinator = self._coordinator
        entry = coordinator.config_entry
        self._task = entry.async_create_background_task(
            coordinator.hass, self._listen_loop(), f"{DOMAIN}-listen-{entry.entry_id}"
        )

        async def _on_stop(_event: Event) -> None:
            await coordinator.async_close()

        entry.async_on_unload(
            coordinator.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _on_stop)
        )

    async def close(self) -> None:
        """Cancel the listener and let the plugin release the device."""
        self.closed = True
        if self._task is not None:
            self._task.cancel()
        plugin = self._coordinator.plugin
        try:
            await plugin.close()
        except MicboardError as err:
            LOGGER.debug("Error while closing %s: %s", plugin.manufacturer_name, err)

    async def _listen_loop(self) -> None:
        """Listen; on loss go unavailable, retry, resync, listen again."""
        coordinator = self._coordinator
        while True:
            error: BaseException
            received_before = coordinator.plugin.health.messages_received
            try:
                await coordinator.plugin.listen(coordinator.handle_update)
                error = ConnectionClosed("connection closed by the device")
            except MicboardError as err:
                if self._must_stop(err):
                    return
                error = err
            except Exception as err:  # noqa: BLE001  a plugin bug must not end monitoring
                LOGGER.exception(
                    "Unexpected error in the %s listener", coordinator.plugin.manufacturer_name
                )
                error = err
            if self.closed:
                return
            self._connection_lost(error)
            if coordinator.plugin.health.messages_received > received_before:
                # Data flowed since the last reconnect: this is a new outage. A device that
                # accepts every reconnect but never sends anything stays in the old one, so
                # it is asked once per period instead of at the quick first-retry pace.
                coordinator.backoff.reset()
            if not await self._reconnect():
                return
            coordinator.connection_health.reconnects += 1
            coordinator.listeners.notify_health(coordinator.data or {})

    def _must_stop(self, err: MicboardError) -> bool:
        """Whether ``err`` ends monitoring until the user acts (after telling them how)."""
        coordinator = self._coordinator
        if isinstance(err, InvalidAuth):
            self._connection_lost(err)
            coordinator.config_entry.async_start_reauth_if_available(coordinator.hass)
            return True
        if isinstance(err, DifferentDevice):
            # Another unit answers: take nothing from it, keep the devices, let the user
            # decide (a repair issue with a fix flow).
            coordinator.repairs.raise_for(err)
            self._connection_lost(err)
            return True
        if isinstance(err, NeedsUserAction):
            coordinator.repairs.raise_for(err)
            if not err.retry:
                self._connection_lost(err)
                return True
        return False

    async def _reconnect(self) -> bool:
        """Retry until a resync works; False if we must stop (auth, repair, shutdown)."""
        coordinator = self._coordinator
        last_attempt: float | None = None
        while not self.closed:
            # Attempts start on the backoff's cadence, counted from the start of the last
            # one: an attempt that takes seconds to fail (a UDP device asked twice) must not
            # stretch the gap between attempts, or recovery would take longer than it says.
            delay = coordinator.backoff.next_delay()
            if last_attempt is not None:
                delay = max(0.0, delay - (self.clock() - last_attempt))
            await self.sleep(delay)
            last_attempt = self.clock()
            coordinator.connection_health.reconnect_attempts += 1
            await coordinator.async_refresh()
            if coordinator.last_update_success:
                return True
            if isinstance(coordinator.last_exception, (ConfigEntryAuthFailed, ConfigEntryError)):
                return False  # reauth already started, or only the user can fix it
        return False

    def _connection_lost(self, error: BaseException) -> None:
        coordinator = self._coordinator
        coordinator.connection_health.disconnected(error)
        coordinator.async_set_update_error(
            UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="connection_lost",
                translation_placeholders={"error": str(error) or type(error).__name__},
            )
        )
        coordinator.listeners.notify_health(coordinator.data or {})
