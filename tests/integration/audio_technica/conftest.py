"""What every Audio-Technica integration test shares: a short clock and a 2-channel receiver."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from custom_components.micboard.plugins.audio_technica import (
    plugin as at_plugin,
    session as at_session,
)
from simulators.audio_technica import AudioTechnicaSimulator
from tests.support.helpers import free_port


@pytest.fixture(autouse=True)
def fast_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll and time out quickly; the logic is the same, only the clock is shorter."""
    monkeypatch.setattr(at_plugin, "MIN_METER_POLL_SECONDS", 0.05)
    monkeypatch.setattr(at_plugin, "STATUS_POLL_SECONDS", 0.1)
    monkeypatch.setattr(at_plugin, "BUSY_RETRY_DELAY", 0.01)
    monkeypatch.setattr(at_plugin, "BUSY_PAUSE_SECONDS", 0.02)
    monkeypatch.setattr(at_session, "REPLY_TIMEOUT", 0.5)


@pytest.fixture
async def simulator() -> AsyncGenerator[AudioTechnicaSimulator]:
    """A 2-channel ESW receiver notifying a loopback UDP port."""
    sim = AudioTechnicaSimulator(channels=2, notify_port=free_port("udp"))
    await sim.start()
    yield sim
    await sim.close()
