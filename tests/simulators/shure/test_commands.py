"""The Shure simulator itself: it must behave like the hardware the plugin is tested against."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from unittest.mock import patch

import pytest

from simulators.registry import build_parser, kinds
from simulators.shure import commands as shure_module
from simulators.shure.commands import (
    ShureSimulator,
    split_tokens,
)
from simulators.shure.commands_model import build_device
from tests.support.shure import running_simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")


class Client:
    """A raw TCP client speaking command strings to the simulator."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.buffer = b""

    async def ask(self, *commands: str, crlf: bool = False) -> None:
        end = "\r\n" if crlf else ""
        self.writer.write("".join(f"< {c} >{end}" for c in commands).encode())
        await self.writer.drain()

    async def read_until(self, text: str) -> str:
        async with asyncio.timeout(3):
            while text.encode() not in self.buffer:
                self.buffer += await self.reader.read(4096)
        return self.buffer.decode("latin-1")

    async def quiet(self, seconds: float = 0.1) -> bytes:
        """What arrives within ``seconds`` (for "nothing is answered"); stops at EOF."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while data := await self.reader.read(4096):
                    self.buffer += data
        return self.buffer


@contextlib.asynccontextmanager
async def connected(sim: ShureSimulator) -> AsyncIterator[Client]:
    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    try:
        yield Client(reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def test_tokens() -> None:
    assert split_tokens("SET 1 CHAN_NAME {Lead Vox}") == ["SET", "1", "CHAN_NAME", "Lead Vox"]
    assert split_tokens("SET 1 CHAN_NAME {open") == ["SET", "1", "CHAN_NAME", "open"]


def test_bad_devices() -> None:
    with pytest.raises(ValueError, match="unknown family"):
        build_device("wmas", 2, None)
    with pytest.raises(ValueError, match="channels"):
        build_device("qlxd", 2, None)


async def test_get_and_set(caplog: pytest.LogCaptureFixture) -> None:
    async with running_simulator("ad", 2) as sim, connected(sim) as client:
        await client.ask("GET DEVICE_ID", "GET 2 RSSI", "GET 1 RSSI 2", "GET 1 ALL")
        text = await client.read_until("REP 1 SLOT_STATUS 8 EMPTY")
        assert "< REP DEVICE_ID {SIM-RX1" in text
        assert "< REP 2 RSSI 1 " in text
        assert "< REP 2 RSSI 2 " in text
        assert "< REP 1 RSSI 2 " in text
        assert "REP MODEL" not in text  # GET 1 ALL is one channel, no device values
        await client.ask("SET 1 CHAN_NAME {Lead Vox}", "SET 2 FLASH ON", "SET FLASH ON")
        text = await client.read_until("REP 2 FLASH ON")
        await client.read_until("REP FLASH ON")
        assert "< REP 1 CHAN_NAME {Lead Vox" in text
        assert sim.device.channels[1].name == "Lead Vox"
        assert sim.device.flashing


async def test_errors_and_silence() -> None:
    async with running_simulator("ulxd", 2) as sim, connected(sim) as client:
        await client.ask("GET MODEL")  # ULX-D does not know it
        await client.read_until("< REP ERR >")
        sim.error_params = {"FW_VER", "BATT_BARS", "METER_RATE"}
        client.buffer = b""
        await client.ask(
            "GET FW_VER",
            "GET 1 BATT_BARS",
            "SET 1 METER_RATE 01000",
            "GET 9 CHAN_NAME",
            "GET 1",
            "GET 1 NOTHING",
            "SET 1 NOTHING 1",
            "SET 9 CHAN_NAME {x}",
            "SET 1",
            "HELLO",
        )
        text = await client.read_until("< REP ERR >" * 10)
        assert text.count("REP ERR") == 10
        sim.error_params = set()
        client.buffer = b""
        await client.ask(
            "SET 1 METER_RATE 1000",  # not five digits
            "SET 1 METER_RATE 00050",  # below the floor
            "SET 1 METER_RATE soon",
        )
        text = await client.read_until("< REP ERR >" * 3)
        assert sim.meter_rates() == {1: 0, 2: 0}

    async with running_simulator("slxd", 1) as sim, connected(sim) as client:
        await client.ask("GET 1 TX_TYPE", "GET HIGH_DENSITY", "SET 1 AUDIO_MUTE ON")
        assert await client.quiet() == b""  # SLX-D stays silent for what it does not know
        assert len(sim.received) == 3


async def test_meters_and_all_channels() -> None:
    async with running_simulator("qlxd") as sim, connected(sim) as client:
        await client.ask("SET 0 METER_RATE 00100")
        await client.read_until("REP 1 METER_RATE 00100")
        await client.read_until("SAMPLE 1 ALL")
        sim.stalled = True
        client.buffer = b""
        assert await client.quiet(0.3) == b""
        sim.stalled = False
        await client.ask("SET 0 METER_RATE 00000")
        await sim.wait_for(lambda: sim.meter_rates() == {1: 0})


async def test_front_panel_meter_rate() -> None:
    """The benchmark meters every receiver at 10 Hz whatever the client asked for."""
    async with running_simulator("ulxd", 2) as sim, connected(sim) as client:
        sim.set_meter_rate(100)
        assert sim.meter_rates() == {1: 100, 2: 100}
        await client.read_until("SAMPLE 2 ALL")
        sim.set_meter_rate(0)
        assert sim.meter_rates() == {1: 0, 2: 0}


async def test_psm1000_needs_crlf() -> None:
    async with running_simulator("psm1000") as sim, connected(sim) as client:
        client.writer.write(b"< GET 1 CHAN_NAME >< GET 2 CHAN_NAME >\r\n")  # first lacks CRLF
        await client.writer.drain()
        await client.read_until("REPORT 2 CHAN_NAME")
        client.writer.write(b"< GET 1 FREQUENCY >\r")
        await client.writer.drain()
        await asyncio.sleep(0.05)
        client.writer.write(b"\n< SET 1 METER_RATE 100 >\r\n")
        await client.writer.drain()
        text = await client.read_until("REPORT 1 AUDIO_IN_LVL_R")
        assert "< REPORT 1 FREQUENCY 519375 >\r\n" in text
        assert "< REPORT 1 METER_RATE 100 >" in text
        assert [r.text for r in sim.ignored] == ["GET 1 CHAN_NAME"]
        sim.set_muted(1, muted=True)
        await client.read_until("REPORT 1 RF_MUTE 1")


async def test_uhfr_datagrams() -> None:
    async with running_simulator("uhfr") as sim:
        loop = asyncio.get_running_loop()
        received: asyncio.Queue[bytes] = asyncio.Queue()

        class Peer(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
                received.put_nowait(data)

        transport, _ = await loop.create_datagram_endpoint(Peer, remote_addr=(sim.host, sim.port))
        try:
            transport.sendto(b"* GET MODEL_NAME * * GET 1 TX_BAT *")
            assert await received.get() == b"* REPORT MODEL_NAME UR4D *"
            assert await received.get() == b"* REPORT 1 TX_BAT 5 *"
            transport.sendto(b"* METER 1 ALL 003 *")
            assert (await received.get()).startswith(b"* SAMPLE 1 ALL ")
            for bad in (b"* METER 1 ALL *", b"* METER 1 ALL SOON *", b"* METER x ALL 3 *"):
                transport.sendto(bad)
            transport.sendto(b"* METER 1 ALL STOP *")
            await sim.wait_for(lambda: sim.meter_rates()[1] == 0)
            await asyncio.sleep(0.05)
            while not received.empty():  # samples still in flight
                received.get_nowait()
            sim.output_mode = "coalesce"
            transport.sendto(b"* GET 0 CHAN_NAME *")  # both channels answer
            while b"REPORT 1 CHAN_NAME" not in (data := await received.get()):
                pass
            assert b"REPORT 2 CHAN_NAME" in data  # in one datagram
            sim.output_mode = "split"
            sim.set_name(2, "Halves")
            parts = [await received.get() for _ in range(2)]
            assert b"".join(parts) == b"* REPORT 2 CHAN_NAME Halves *"
            assert len(parts[0]) < len(b"* REPORT 2 CHAN_NAME Halves *")  # really split
            sim.inject_garbage(b"noise")
            assert await received.get() == b"noise"
        finally:
            transport.close()


async def test_refusing_and_dropping() -> None:
    async with running_simulator("ulxd", 1) as sim:
        await sim.set_refusing(refusing=True)
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(sim.host, sim.port)
        await sim.set_refusing(refusing=False)
        await sim.set_refusing(refusing=False)  # already listening: nothing to do
        async with connected(sim) as client:
            await sim.wait_for(lambda: sim.connections == 1)
            sim.drop_on = "GET 0 ALL"
            await client.ask("GET 0 ALL")
            with contextlib.suppress(ConnectionError):
                assert await client.quiet(0.3) == b""


async def test_battery_drain_and_layouts() -> None:
    async with running_simulator("ad", 2, quadversity=True) as sim:
        sim.advance(600)
        assert sim.device.channels[1].battery_percent == pytest.approx(73.0)
        sim.set_battery(2, 0.01)
        sim.advance(10)
        assert sim.device.channels[2].battery_percent == 0
        assert sim.device.channels[2].bars == 0
        sim.set_battery(1, 50, battery_type="ALKA")
        assert not sim.device.channels[1].rechargeable


async def test_animation() -> None:
    async def animate_until(sim: ShureSimulator, condition: Callable[[], bool]) -> None:
        """Let the simulation run until ``condition`` holds (bounded, not timed)."""
        task = asyncio.create_task(sim.animate(period=0.01))
        try:
            async with asyncio.timeout(20):
                while not condition():
                    await asyncio.sleep(0.01)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async with running_simulator("slxd") as sim:
        channels = sim.device.channels.values()
        with patch.object(shure_module, "_SWITCH_CHANCE", 1.0):
            await animate_until(
                sim,
                lambda: (
                    any(not ch.tx_on for ch in channels)
                    or any(ch.battery_percent < 75 for ch in channels)
                ),
            )
        for channel in channels:
            channel.tx_on = True
            channel.battery_percent = 0
        # A flat pack is swapped for a fresh one (then drains a little again).
        await animate_until(sim, lambda: all(ch.battery_percent > 99 for ch in channels))


async def test_command_line() -> None:
    shure = kinds()["shure"]
    args = build_parser().parse_args(
        ["shure", "--family", "uhfr", "--channels", "1", "--host", "127.0.0.1"]
    )
    sim = await shure.start(args)
    try:
        assert isinstance(sim, ShureSimulator)
        expected = (
            "Shure UR4S simulator (uhfr, 1 channels, device id -) listening on udp "
            f"127.0.0.1:{sim.port}"
        )
        assert sim.describe() == [expected]
        assert len(sim._tasks) == 2  # meters and the animation
    finally:
        await sim.close()
    static = await shure.start(build_parser().parse_args(["shure", "--static"]))
    try:
        assert static.describe()[0].startswith("Shure ULXD4Q simulator (ulxd, 4 channels")
    finally:
        await static.close()


async def test_a_line_reading_unit_answers_only_crlf_commands() -> None:
    async with running_simulator("ulxd", 1, line_reading=True) as sim, connected(sim) as client:
        await client.ask("GET FW_VER")
        assert b"REP" not in await client.quiet(0.2)  # a line reader waits for the line end
        await client.ask("GET DEVICE_ID", crlf=True)
        text = await client.read_until("REP DEVICE_ID")
        assert "FW_VER" not in text
        assert [item.text for item in sim.ignored] == ["GET FW_VER"]


async def test_get_all_can_be_ignored_while_single_gets_are_answered() -> None:
    async with running_simulator("ad", 2) as sim, connected(sim) as client:
        sim.ignore_get_all = True
        await client.ask("GET 0 ALL")
        assert await client.quiet(0.2) == b""
        await client.ask("GET 2 CHAN_NAME")
        assert "REP 2 CHAN_NAME" in await client.read_until("CHAN_NAME")


async def test_samples_can_carry_extra_fields() -> None:
    async with running_simulator("slxd", 1) as sim, connected(sim) as client:
        sim.sample_extra_fields = ["000", "XX"]
        await client.ask("SET 1 METER_RATE 00100")
        text = await client.read_until(" 000 XX >")
        sample = text[text.index("< SAMPLE") :].split(">")[0]
        assert len(sample.split()) == 1 + 2 + 3 + 2 + 1  # "<", SAMPLE 1 ALL, 3 fields, 2 extra


async def test_answers_can_be_late() -> None:
    async with running_simulator("ulxd", 1, reply_delay=30.0) as sim, connected(sim) as client:
        await client.ask("GET DEVICE_ID")
        await sim.wait_for(lambda: "GET DEVICE_ID" in sim.commands())
        assert await client.quiet(0.1) == b""
        assert len(sim._late) == 1  # the answer is scheduled, 30 s out
        sim.reply_delay = 0.0
        await client.ask("GET FW_VER")
        assert "REP FW_VER" in await client.read_until("FW_VER")
    assert not sim._late  # closing cancels what was still due


async def test_garbage_stream_and_a_device_that_never_speaks() -> None:
    async with running_simulator("ulxd", 1) as sim, connected(sim) as client:
        await sim.wait_for(lambda: sim.connections == 1)
        sim.send_garbage_every(0.01)
        await client.read_until("noise")
        assert sim.garbage in client.buffer
        sim.send_garbage_every(None)
        sim.stalled = True  # accepts, reads, never answers
        await client.ask("GET DEVICE_ID", crlf=True)
        await sim.wait_for(lambda: "GET DEVICE_ID" in sim.commands())
        before = len(client.buffer)
        await client.quiet(0.2)
        assert b"REP DEVICE_ID" not in client.buffer[before:]
