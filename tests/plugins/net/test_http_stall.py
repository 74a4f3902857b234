"""An HTTPS answer that arrived while Home Assistant's loop was stalled is no timeout."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.micboard.plugins.net.tls import parse_fingerprint
from custom_components.micboard.plugins.sennheiser.ssc2.client import Ssc2Client
from simulators.sennheiser.ssc2 import Ssc2Simulator
from tests.support.stalled_loop import simulator_in_thread, stalling_event_loop

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def test_answers_that_arrived_during_a_stall_count() -> None:
    with simulator_in_thread(Ssc2Simulator(channels=2).start) as (sim, _call):
        async with aiohttp.ClientSession() as session:
            client = Ssc2Client(
                session, sim.host, sim.port, parse_fingerprint(sim.fingerprint), timeout=0.3
            )
            # The connection is open before the stalls (a handshake needs several turns).
            assert (await client.get("/api/ssc/version", authenticated=False))["protocol"]
            async with stalling_event_loop(0.8):  # every turn longer than the timeout
                for _ in range(3):
                    identity = await client.get("/api/device/identity", authenticated=False)
                    assert identity["serial"] == sim.state.serial
            assert client.round_trip.samples == 4
