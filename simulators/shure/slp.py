"""SLPv2 announcements as Shure devices multicast them, for discovery tests and demos.

Built independently of the integration's parser (RFC 2608 §8 header, §10.4 Attribute Reply),
so a parser bug cannot hide behind a matching builder bug. Tests send these to a loopback port;
nothing here ever sends to the real multicast group.
"""

from __future__ import annotations

import asyncio
import struct

SLP_VERSION = 2
ATTR_REPLY = 7


def attr_reply(dcid: str, *, device_ip: str = "127.0.0.1", xid: int = 0x1234) -> bytes:
    """An Attribute Reply whose attribute list names the device's DCID."""
    attributes = (
        "(acn-fctn=Shure Wireless Receiver),"
        "(acn-uacn=Rack 1),"
        "(acn-services=esta.dmp),"
        f"(csl-esta.dmp=esta.sdt/{device_ip}:2202;esta.dmp/cd:{dcid}),"
        "(device-description=$:tftp://0.0.0.0/$.ddl)"
    ).encode()
    language = b"en"
    body = struct.pack("!HH", 0, len(attributes)) + attributes + b"\x00"
    length = 14 + len(language) + len(body)
    header = (
        struct.pack("!BB", SLP_VERSION, ATTR_REPLY)
        + length.to_bytes(3, "big")
        + struct.pack("!H", 0)
        + (0).to_bytes(3, "big")
        + struct.pack("!HH", xid, len(language))
    )
    return header + language + body


async def send_datagram(payload: bytes, host: str, port: int, *, source: str = "127.0.0.1") -> None:
    """Send one datagram from ``source`` (tests: loopback addresses only)."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=(source, 0), remote_addr=(host, port)
    )
    try:
        transport.sendto(payload)
    finally:
        transport.close()
