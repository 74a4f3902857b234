"""Fixtures of every test layer: no traffic but loopback.

Each layer has its own conftest: ``plugins/`` (the protocol library, no Home Assistant),
``simulators/`` (the device simulators, no Home Assistant) and ``integration/`` (Home Assistant
with the integration loaded). Only the last builds a Home Assistant instance.
"""

from __future__ import annotations

from collections.abc import Generator
import os
from typing import Any

from hypothesis import HealthCheck, settings
import pytest
import pytest_socket

# Property tests (marked ``property``): a bounded, repeatable profile for scripts/test, a long
# random one for scripts/fuzz (MICBOARD_HYPOTHESIS_PROFILE=fuzz; MICBOARD_FUZZ_EXAMPLES sets its
# examples per test, 100,000 by default).
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("MICBOARD_FUZZ_EXAMPLES", "100000")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("MICBOARD_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def only_loopback_traffic(monkeypatch: pytest.MonkeyPatch) -> Generator[None]:
    """Fail a test whose code tried to reach anything but loopback.

    pytest-socket blocks such a connection, but the code under test usually turns the error
    into "cannot connect" and carries on, so the attempt would go unnoticed. Its two errors
    are recorded as they are made; every other warning still reaches pytest's summary.
    """
    attempts: list[str] = []
    for error in (pytest_socket.SocketBlockedError, pytest_socket.SocketConnectBlockedError):
        original = error.__init__

        def record(self: RuntimeError, *args: Any, _original: Any = original, **kw: Any) -> None:
            _original(self, *args, **kw)
            attempts.append(str(self))

        monkeypatch.setattr(error, "__init__", record)
    yield
    assert not attempts, attempts
