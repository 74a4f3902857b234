"""SSC v1 request/response over UDP: matching answers to questions without transaction ids.

Not every SSC device echoes ``xid`` (and those that do may bundle it under a repeated ``osc``
key), so answers are matched by address: an answer to a GET carries the same addresses, with
values or per-address errors. Subscription notifications have exactly the shape of a GET
answer (the guides say so), so a notification that happens to cover a pending GET answers it
correctly. One request is outstanding at a time: that keeps the matching unambiguous and is
gentle on the device. Every request is retried a bounded number of times with a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
import logging
import time
from typing import Any

from ...errors import CannotConnect
from ...net.timing import RoundTrip, wait_answer
from ...net.udp import DatagramLink
from .codec import (
    NOT_UNDERSTOOD,
    SPLIT_CODES,
    UNKNOWN_ADDRESS_CODES,
    Path,
    SscDecodeError,
    SscMessage,
    decode,
    encode_get,
    encode_set,
    encode_subscribe,
)

_LOGGER = logging.getLogger(__name__)

type MessageHandler = Callable[[SscMessage], None]
#: Told about every datagram dropped as unparseable: (reason, the datagram).
type RejectHandler = Callable[[str, bytes], None]


@dataclass(slots=True)
class GetResult:
    """What the device said about the addresses asked for."""

    values: dict[Path, Any] = field(default_factory=dict)
    errors: dict[Path, int] = field(default_factory=dict)
    message_error: int | None = None
    rejected: bool = False  # the device refused the message because of some addresses
    missing: set[Path] = field(default_factory=set)  # no answer at all (after retries)

    def merge(self, other: GetResult) -> None:
        """Add another partial answer."""
        self.values.update(other.values)
        self.errors.update(other.errors)


@dataclass(slots=True)
class _Pending:
    kind: str  # "get", "set" (answered like a GET: the device echoes the values) or "subscribe"
    remaining: set[Path]
    future: asyncio.Future[GetResult]
    result: GetResult = field(default_factory=GetResult)


def _consume(future: asyncio.Future[GetResult]) -> None:
    """Mark an error as seen: a request given up on must not log "never retrieved"."""
    if not future.cancelled():
        future.exception()


class Ssc1Client:
    """One SSC v1 device over a connected UDP socket."""

    def __init__(
        self,
        host: str,
        port: int,
        on_message: MessageHandler,
        *,
        timeout: float,
        attempts: int,
        on_rejected: RejectHandler | None = None,
    ) -> None:
        """Talk to ``host:port``; ``on_message`` sees every decoded datagram (answers too).

        ``on_rejected`` hears of every datagram that is not SSC (the plugin counts it in its
        health and logs the first per connection); the client drops it and goes on.
        """
        self.host = host
        self.port = port
        self.timeout = timeout
        self.attempts = attempts
        #: The device's measured round trip: waits start at ``timeout``, never go below it,
        #: and grow to what a slow device needs (at most 5 s, or ``timeout`` if longer).
        self.round_trip = RoundTrip(initial=timeout, floor=timeout, ceiling=max(5.0, timeout))
        self.bad_datagrams = 0
        self._on_rejected = on_rejected
        self._on_message = on_message
        self._link: DatagramLink | None = None
        self._lock = asyncio.Lock()
        self._pending: _Pending | None = None

    @property
    def is_open(self) -> bool:
        """Whether the socket is open."""
        return self._link is not None and not self._link.closed

    async def open(self) -> None:
        """Open the socket (idempotent)."""
        if self.is_open:
            return
        self._link = await DatagramLink.open(
            self.host, self.port, self._datagram_received, self._error_received
        )

    def close(self) -> None:
        """Close the socket and fail a pending request."""
        if self._link is not None:
            self._link.close()
            self._link = None
        if self._pending is not None and not self._pending.future.done():
            self._pending.future.set_exception(CannotConnect("connection closed"))

    # -- inbound ------------------------------------------------------------------------------

    def _datagram_received(self, data: bytes) -> None:
        try:
            message = decode(data)
        except SscDecodeError as err:
            self.bad_datagrams += 1
            if self._on_rejected is not None:
                self._on_rejected(str(err), data)
            return
        self._match(message)
        self._on_message(message)

    def _error_received(self, error: OSError) -> None:
        _LOGGER.debug("Socket error from %s: %s", self.host, error)
        pending = self._pending
        if pending is not None and not pending.future.done():
            pending.future.set_exception(
                CannotConnect(f"{self.host}:{self.port} unreachable: {error}")
            )

    def _match(self, message: SscMessage) -> None:
        pending = self._pending
        if pending is None or pending.future.done():
            return
        result = pending.result
        if pending.kind == "subscribe":
            refused = {
                path: code
                for path, code in message.errors.items()
                if path in pending.remaining and code in UNKNOWN_ADDRESS_CODES | SPLIT_CODES
            }
            if message.subscribe_ack or refused or message.message_error is not None:
                result.errors.update(refused)
                result.message_error = message.message_error
                result.rejected = bool(refused) or message.message_error is not None
                pending.future.set_result(result)
            return
        for path in message.covered & pending.remaining:
            if path in message.values:
                result.values[path] = message.values[path]
            else:
                result.errors[path] = message.errors[path]
        pending.remaining -= message.covered
        refused_codes = {
            code
            for path, code in message.errors.items()
            if path in result.errors and code in UNKNOWN_ADDRESS_CODES | SPLIT_CODES
        }
        if message.message_error is not None and not message.covered:
            result.message_error = message.message_error
            pending.future.set_result(result)
        elif not pending.remaining:
            pending.future.set_result(result)
        elif refused_codes and not message.values:
            # One bad address makes the device reject the whole message: it answered.
            result.rejected = True
            pending.future.set_result(result)

    # -- requests -----------------------------------------------------------------------------

    async def _request(
        self,
        kind: str,
        paths: set[Path],
        payload: Callable[[], bytes],
        attempts: int | None = None,
    ) -> GetResult:
        """Send, wait, resend with a doubled wait (bounded), until answered or out of tries.

        The wait follows the device's measured round trip, timed from the first send: an
        answer to an earlier send answers a resend too (matching is by address), so this
        over- rather than under-estimates a slow device. An answer that arrived while the
        event loop was stalled is found before a timeout is declared.
        """
        async with self._lock:
            if not self.is_open:
                raise CannotConnect("connection closed")
            loop = asyncio.get_running_loop()
            result = GetResult()
            remaining = set(paths)
            first_sent = time.monotonic()
            attempts = attempts or self.attempts
            for attempt in range(attempts):
                pending = _Pending(kind, set(remaining), loop.create_future(), result)
                pending.future.add_done_callback(_consume)
                self._pending = pending
                assert self._link is not None  # noqa: S101  checked by is_open above
                self._link.send(encode_get(remaining) if kind == "get" else payload())
                wait = min(self.round_trip.timeout * 2.0**attempt, self.round_trip.ceiling)
                try:
                    answer = await wait_answer(pending.future, wait)
                except TimeoutError:
                    remaining = pending.remaining
                else:
                    self.round_trip.sample(time.monotonic() - first_sent)
                    return answer
                finally:
                    self._pending = None
                    if not pending.future.done():
                        pending.future.cancel()
            if kind == "subscribe" or (not result.values and not result.errors):
                raise CannotConnect(
                    f"no answer from {self.host}:{self.port} after {attempts} attempts"
                )
            result.missing = remaining
            return result

    async def get(self, paths: Iterable[Path], attempts: int | None = None) -> GetResult:
        """GET addresses in one message (retried); raise CannotConnect if nothing answers.

        ``attempts`` overrides the client's: a reconnect probe gives up sooner, so a device
        that is still away costs the reconnect schedule little.
        """
        wanted = set(paths)
        return await self._request("get", wanted, lambda: encode_get(wanted), attempts)

    async def get_tolerant(self, paths: Iterable[Path], attempts: int | None = None) -> GetResult:
        """GET addresses together, asking again in smaller groups if the device refuses.

        Devices reject a whole message for one unknown address (naming it: the rest is asked
        again together, without it) and refuse answers that would be too long (the group is
        halved until it fits). So a device that has everything answers in one round trip,
        and one that lacks a few addresses in a few. Per-address errors stay in ``errors``.
        """
        combined = GetResult()
        await self._get_split(sorted(set(paths)), combined, attempts)
        return combined

    async def _get_split(
        self, paths: list[Path], combined: GetResult, attempts: int | None = None
    ) -> None:
        result = await self.get(paths, attempts)
        combined.values.update(result.values)
        combined.missing |= result.missing
        combined.errors.update(
            {path: code for path, code in result.errors.items() if code not in SPLIT_CODES}
        )
        remaining = [
            path
            for path in paths
            if path not in result.values
            and path not in combined.errors
            and path not in result.missing
        ]
        if not remaining:
            return
        if not (result.rejected or result.message_error in SPLIT_CODES):
            if result.message_error is not None:
                combined.errors.update(dict.fromkeys(remaining, result.message_error))
            return
        if any(code in UNKNOWN_ADDRESS_CODES for code in result.errors.values()):
            await self._get_split(remaining, combined)  # without what the device named
            return
        if len(remaining) == 1:
            combined.errors[remaining[0]] = result.message_error or NOT_UNDERSTOOD
            return
        half = len(remaining) // 2
        await self._get_split(remaining[:half], combined)
        await self._get_split(remaining[half:], combined)

    async def subscribe(
        self, groups: Iterable[tuple[Mapping[str, Any], Iterable[Path]]]
    ) -> GetResult:
        """Send one subscribe message and wait for its acknowledgement (retried).

        The result lists addresses the device refused (``errors``) or a message-level
        refusal; notifications follow asynchronously through ``on_message``.
        """
        frozen = [(dict(params), tuple(paths)) for params, paths in groups]
        paths = {path for _params, group in frozen for path in group}
        return await self._request("subscribe", paths, lambda: encode_subscribe(frozen))

    async def set(self, values: Mapping[Path, Any]) -> GetResult:
        """SET addresses; the device echoes the new values (or errors), retried like a GET."""
        items = dict(values)
        return await self._request("set", set(items), lambda: encode_set(items))
