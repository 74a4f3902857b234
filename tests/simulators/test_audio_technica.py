"""The Audio-Technica simulator itself: command line, dialects, world API and faults."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from simulators.audio_technica import ESW, SYSTEM20, AudioTechnicaSimulator
from simulators.registry import build_parser, kinds
from tests.support import REPO_ROOT
from tests.support.helpers import free_port, wait_for

pytestmark = pytest.mark.usefixtures("socket_enabled")

ROOT = REPO_ROOT


class Client:
    """A bare TCP client speaking the wire format by hand (independent of the plugin)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, sim: AudioTechnicaSimulator) -> Client:
        return cls(*await asyncio.open_connection("127.0.0.1", sim.port))

    async def ask(self, line: str) -> str:
        self.writer.write(line.encode() + b"\r")
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r"), 2)
        return raw[:-1].decode()

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def test_wire_format_and_naks() -> None:
    sim = await AudioTechnicaSimulator(model=SYSTEM20, channels=2).start()
    client = await Client.connect(sim)
    try:
        assert await client.ask("gmymodel O 0000 00 NC") == 'gmymodel 0000 00 NC "ATW-R1440"'
        assert await client.ask("glevelbatttx O 0000 00 NC 1") == "glevelbatttx 0000 00 NC 1,1,93"
        assert await client.ask("gstsmute O 0000 00 NC 2") == "gstsmute 0000 00 NC 2,0"
        assert await client.ask("gtxbattery O 0000 00 NC 2") == "gtxbattery 0000 00 NC 2,2"
        assert await client.ask("gchname O 0000 00 NC 1") == "NAK gchname 0000 00 NC 02"
        assert await client.ask("glevelrf O 0000 00 NC 3") == "NAK glevelrf 0000 00 NC 04"
        assert await client.ask("glevelrf O 0000 00 NC") == "NAK glevelrf 0000 00 NC 04"
        assert await client.ask("glevelrf nonsense") == "NAK glevelrf 0000 00 NC 01"
        sim.set_charging(1, charging=True)
        assert await client.ask("gststx O 0000 00 NC 1") == "gststx 0000 00 NC 1,0"
        assert await client.ask("gtxmodel O 0000 00 NC 1") == 'gtxmodel 0000 00 NC 1,""'
    finally:
        await client.close()
        await sim.close()


async def test_esw_answers_and_a_second_client_is_refused() -> None:
    sim = await AudioTechnicaSimulator(model=ESW, channels=1).start()
    first = await Client.connect(sim)
    try:
        assert await first.ask("glevelbatttx O 0000 00 NC 1") == (
            "glevelbatttx 0000 00 NC 1,1,93,0822,0"
        )
        assert await first.ask("gtxname O 0000 00 NC 1") == 'gtxname 0000 00 NC 1,"TX01"'
        second = await Client.connect(sim)
        assert await second.reader.read() == b""  # closed at once
        await second.close()
        assert sim.refused == 1
        sim.set_transmitter(1, on=False)
        assert await first.ask("glevelbatttx O 0000 00 NC 1") == (
            "glevelbatttx 0000 00 NC 1,0,0,0000,0"
        )
    finally:
        await first.close()
        await sim.close()


async def test_faults() -> None:
    sim = await AudioTechnicaSimulator(channels=1).start()
    client = await Client.connect(sim)
    try:
        sim.busy(1, code=92)
        assert await client.ask("gmyname O 0000 00 NC") == "NAK gmyname 0000 00 NC 92"
        sim.nak_next(99, command="glevelrf")
        assert await client.ask("gmyname O 0000 00 NC") == 'gmyname 0000 00 NC "RACK-A"'
        assert await client.ask("glevelrf O 0000 00 NC 1") == "NAK glevelrf 0000 00 NC 99"
        sim.inject_garbage(2)  # one kind of garbage before each of the next two replies
        client.writer.write(b"glevelrf O 0000 00 NC 1\r")
        assert await client.reader.readuntil(b"\r") == b"\x00\xff\xfe garbage \x80\r"
        assert await client.reader.readuntil(b"\r") == b"glevelrf 0000 00 NC 1,6\r"
        client.writer.write(b"glevelrf O 0000 00 NC 1\r")
        assert await client.reader.readuntil(b"\r") == b"glevelrf 0000\r"
        assert await client.reader.readuntil(b"\r") == b"glevelrf 0000 00 NC 1,6\r"
        assert sim.garbage_sent == 2
        sim.drop_replies(1)
        client.writer.write(b"gmyname O 0000 00 NC\r")
        assert await client.ask("gmyversion O 0000 00 NC") == 'gmyversion 0000 00 NC "1.2.0"'
        sim.stall()
        asked = len(sim.received)
        client.writer.write(b"gmyname O 0000 00 NC\r")
        await wait_for(lambda: len(sim.received) > asked)  # read, never answered
        sim.stall(stalled=False)
        assert await client.ask("gmyname O 0000 00 NC") == 'gmyname 0000 00 NC "RACK-A"'
        sim.drop_connection()
        assert await client.reader.read() == b""
        await wait_for(lambda: not sim.connected)
    finally:
        await client.close()
        await sim.close()


async def test_notifications_and_the_world_api() -> None:
    port = free_port("udp")
    received: list[bytes] = []

    class Collect(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            received.append(data)

    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        Collect, local_addr=("127.0.0.1", port)
    )
    sim = await AudioTechnicaSimulator(channels=2, notify_port=port).start()
    try:
        sim.set_mute(1, muted=True)
        sim.set_tx_mute(2, muted=True)
        sim.rename("NEW")
        sim.rename_channel(1, "Lead")
        sim.rename_transmitter(2, "Pastor")
        sim.set_battery(1, 50)
        sim.set_battery(1, 50)  # unchanged: no notice
        sim.set_audio(1, 9)
        assert sim.channel(1).af_step == 7
        sim.send_raw_notification(b"raw\r")
        await wait_for(lambda: len(received) >= 8)
        assert b"nstsmute 0000 00 NC 1,1,0\r" in received
        assert b'nmyname 0000 00 NC "NEW"\r' in received
        assert b"nlevelbatttx 0000 00 NC 1,1,50,0430,0\r" in received
        assert not any(line.startswith(b"ntxmute") for line in received)  # not an ESW command
    finally:
        transport.close()
        await sim.close()


async def test_tick_drains_and_moves_meters() -> None:
    sim = AudioTechnicaSimulator(channels=2)
    sim.set_transmitter(2, on=False)
    before = sim.channel(1).battery
    sim.tick(60)
    assert sim.channel(1).battery == pytest.approx(before - 3)
    assert sim.channel(2).battery == 86  # off: no drain
    with pytest.raises(RuntimeError, match="start"):
        _ = sim.port


async def test_started_from_the_command_line_arguments() -> None:
    args = build_parser().parse_args(
        [
            "audio_technica",
            "--port",
            "0",
            "--model",
            SYSTEM20,
            "--channels",
            "3",
            "--notify-port",
            "0",
            "--static",
        ]
    )
    sim = await kinds()["audio_technica"].start(args)
    assert isinstance(sim, AudioTechnicaSimulator)
    try:
        lines = sim.describe()
        assert f"listening on tcp 127.0.0.1:{sim.port}" in lines[0]
        assert "(3 channels)" in lines[0]
        assert "notifications off" in lines[1]
        sim.start_animation(0.01)
        await wait_for(lambda: sim.channel(1).battery < 93)
    finally:
        await sim.close()
    sim = AudioTechnicaSimulator(notify_port=17999)
    await sim.start()
    assert sim.describe()[1] == "notifications to udp 127.0.0.1:17999"
    await sim.close()


async def test_runs_standalone() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators",
        "audio_technica",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--channels",
        "2",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert b"ESW-R4180DAN 'RACK-A' (2 channels) listening on tcp 127.0.0.1:" in line
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 20)
    assert process.returncode == 0
