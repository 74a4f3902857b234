"""A debug message that is written the first few times per connection, then counted only.

Bad input from a device is logged with the offending fragment and dropped (never raised), but
a device that keeps sending noise, or keeps rejecting a command, must not flood the debug log
either; every protocol needs that, so it is written once here.
"""

from __future__ import annotations

import logging


class QuietLog:
    """Logs ``message`` at debug the first ``limit`` times per connection; counts every time.

    ``then`` is logged once when the limit is passed (to say that the log goes quiet);
    :meth:`rearm` starts the next connection with a fresh allowance, while :attr:`count`
    keeps counting for diagnostics.
    """

    __slots__ = ("_limit", "_logged", "_logger", "_message", "_then", "count")

    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        *,
        limit: int = 1,
        then: str | None = None,
    ) -> None:
        """``message`` is a %-format for the arguments each report passes."""
        self._logger = logger
        self._message = message
        self._limit = limit
        self._then = then
        self._logged = 0
        self.count = 0

    def __call__(self, *args: object) -> None:
        """Record one occurrence; log it while the allowance lasts."""
        self.count += 1
        if self._logged < self._limit:
            self._logged += 1
            self._logger.debug(self._message, *args)
        elif self._logged == self._limit and self._then is not None:
            self._logged += 1
            self._logger.debug(self._then)

    @property
    def quiet(self) -> bool:
        """Whether the log has gone quiet (a call would only count)."""
        return self._logged > self._limit or (self._logged == self._limit and self._then is None)

    def rearm(self) -> None:
        """A new connection: log again (the count goes on)."""
        self._logged = 0
