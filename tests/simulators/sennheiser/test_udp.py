"""The Sennheiser UDP simulators: command line, and the protocol errors they reply with."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import json
import signal
import sys
from typing import Any

import pytest

from simulators.registry import build_parser, kinds
from simulators.sennheiser.mcp import McpSimulator
from simulators.sennheiser.ssc1 import Ssc1Simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")


class _Probe(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queue.put_nowait(data)


class Client:
    """A raw UDP client for poking a simulator."""

    def __init__(self, transport: asyncio.DatagramTransport, probe: _Probe) -> None:
        self.transport = transport
        self.probe = probe

    async def ask(self, payload: bytes, *, quiet: float = 0.1) -> list[bytes]:
        """Send, then collect datagrams until none arrives for ``quiet`` seconds."""
        self.transport.sendto(payload)
        return await self.collect(quiet)

    async def collect(self, quiet: float = 0.1) -> list[bytes]:
        replies: list[bytes] = []
        while True:
            try:
                async with asyncio.timeout(quiet):
                    replies.append(await self.probe.queue.get())
            except TimeoutError:
                return replies


@contextlib.asynccontextmanager
async def client_for(address: tuple[str, int]) -> AsyncIterator[Client]:
    loop = asyncio.get_running_loop()
    transport, probe = await loop.create_datagram_endpoint(_Probe, remote_addr=address)
    try:
        yield Client(transport, probe)
    finally:
        transport.close()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--protocol", "ssc1", "--channels", "2"], "EWDX2CH, 2 channels"),
        (["--protocol", "ssc1", "--product", "sldw"], "SLDW, 1 channels"),
        (["--protocol", "mcp"], "EM 300-500 G4 'VOCAL 1'"),
    ],
)
async def test_command_line_starts_each_protocol(argv: list[str], expected: str) -> None:
    args = build_parser().parse_args(["sennheiser", "--host", "127.0.0.1", "--port", "0", *argv])
    simulator = await kinds()["sennheiser"].start(args)
    try:
        lines = simulator.describe()
        assert expected in lines[0]
        assert "listening on udp://127.0.0.1:" in lines[0]
    finally:
        await simulator.close()
        await simulator.close()


async def test_standalone_process_prints_its_address() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators",
        "sennheiser",
        "--protocol",
        "mcp",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(20):
            line = await process.stdout.readline()
        assert b"listening on udp://127.0.0.1:" in line
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            await process.wait()


async def test_ssc1_error_replies() -> None:
    simulator = await Ssc1Simulator(channels=1, animate=True).start()
    try:
        async with client_for(simulator.address) as client:
            rejected = {"osc": {"error": [400, {"desc": "message not understood"}]}}
            for payload in (
                b"{nope",
                b"[1,2]",
                b'{"osc":{"foo":1}}',
                b'{"osc":{"state":{"subscribe":[1]}}}',
            ):
                assert [json.loads(r) for r in await client.ask(payload)] == [rejected]
            unknown = await client.ask(b'{"rx1":{"name":null,"bogus":null}}')
            assert json.loads(unknown[0]) == {
                "osc": {"error": [{"rx1": {"bogus": [404, {"desc": "address not found"}]}}]}
            }
            read_only = await client.ask(b'{"rx1":{"frequency":1}}')
            assert json.loads(read_only[0])["osc"]["error"][0]["rx1"]["frequency"][0] == 405
            renamed = await client.ask(b'{"osc":{"xid":7},"rx1":{"name":"lead vocal"}}')
            assert json.loads(renamed[0]) == {"rx1": {"name": "LEAD VOC"}}
            simulator.tx_off(1)
            no_tx = await client.ask(b'{"mates":{"tx1":{"battery":{"gauge":null}}}}')
            assert (
                json.loads(no_tx[0])["osc"]["error"][0]["mates"]["tx1"]["battery"]["gauge"][0]
                == 424
            )
            simulator.busy = True
            busy = await client.ask(b'{"rx1":{"name":null}}')
            assert json.loads(busy[0])["osc"]["error"][0] == 503
            simulator.busy = False
            subscribe = (
                b'{"osc":{"state":{"subscribe":[{"#":{"lifetime":0.2},"rx1":{"name":null}}]}}}'
            )
            replies = [json.loads(r) for r in await client.ask(subscribe, quiet=0.6)]
            assert replies[0]["osc"]["state"]["subscribe"][0]["#"] == {"lifetime": 0.2}
            assert replies[1] == {"rx1": {"name": "LEAD VOC"}}
            assert replies[-1] == {"osc": {"error": [{"rx1": {"name": [310]}}]}}
            assert simulator.expirations == 1
    finally:
        await simulator.close()


async def test_mcp_error_replies() -> None:
    simulator = await McpSimulator(animate=True).start()
    try:
        async with client_for(simulator.address) as client:
            assert await client.ask(b"Name") == [b"1050: Incorrect termination [ Name ]\r"]
            assert await client.ask(b"\xff\r") == [b"1000: Invalid command [ ? ]\r"]
            assert await client.ask(b"Bogus 1\r") == [b"1000: Invalid command [ Bogus 1 ]\r"]
            assert await client.ask(b"Push 5\r") == [
                b"1040: Invalid numbers of parameter [ Push 5 ]\r"
            ]
            assert await client.ask(b"Push a b c\r") == [
                b"1010: Invalid parameter [ Push a b c ]\r"
            ]
            assert await client.ask(b"Push 5 450 1\r") == [
                b"1020: Value out of range [ Push 5 450 1 ]\r"
            ]
            assert await client.ask(b"Mute 2\r") == [b"1020: Value out of range [ Mute 2 ]\r"]
            assert await client.ask(b"Mute 1\r") == [b"Mute 1\r"]
            assert simulator.config == 1
            assert await client.ask(b"Name Lead Vocal\r") == [b"Name Lead Voc\r"]
            assert await client.ask(b"Bat\rRfConfig\r") == [
                b"Bat 100\r",
                b"RfConfig 566000 608000 25\r",
            ]
            config = await client.ask(b"Push 0 0 1\r")
            assert config[0] == b"Push 0 0 1\r"
            assert b"Frequency 566000 1 5\r" in config
            # A short push: blocks every cycle, then it lapses.
            block = await client.ask(b"Push 1 400 7\r", quiet=1.2)
            assert block[0] == b"Push 1 400 7\r"
            assert block[1].startswith(b"RF1 ")
            assert sum(line.startswith(b"Config") for line in block) >= 2
            assert simulator.expirations == 1
            # Mode 2: a warning change sends a block at once (cycle 60 s).
            await client.ask(b"Push 10 60000 2\r")
            simulator.tx_mute = True
            warned = await client.collect()
            assert any(line.startswith(b"Msg ") and b"TX_Mute" in line for line in warned)
            assert await client.ask(b"Push 0 0 0\r") == [b"Push 0 0 0\r"]
            assert not simulator.pushes
    finally:
        await simulator.close()


async def test_in_ear_simulator_block() -> None:
    simulator = await McpSimulator(in_ear=True).start()
    try:
        assert "SR IEM G4" in simulator.describe()[0]
        assert simulator.cyclic_block()[0].startswith("AF ")
    finally:
        await simulator.close()
