"""Home Assistant level Shure tests: real sockets on loopback, short plugin timings."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

import pytest
import pytest_socket

from tests.support.shure import FAST


@pytest.fixture(autouse=True)
def shure_sockets(socket_enabled: None) -> None:
    """These tests talk to simulators over loopback sockets."""


@pytest.fixture
def second_loopback() -> None:
    """Also allow 127.0.0.2 (still loopback), to play a device that moved to a new address."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "127.0.0.2"], allow_unix_socket=True)


@pytest.fixture(autouse=True)
def fast_shure() -> Generator[None]:
    """Probe, dump and watchdog timings short enough for tests."""
    with patch("custom_components.micboard.plugins.shure.commands.plugin.DEFAULT_TIMING", FAST):
        yield
