"""SLP announcements: the DCID is found in real Attribute Replies and in odd packets."""

from __future__ import annotations

from custom_components.micboard.plugins.shure.slp import (
    KNOWN_DCIDS,
    Announcement,
    parse_announcement,
)
from simulators.shure.slp import attr_reply

ULXD4Q = "0407257E-FD5A-11E3-A21F-0015C5F3F612"


def test_attribute_reply() -> None:
    assert parse_announcement(attr_reply(ULXD4Q)) == Announcement(ULXD4Q, "ULXD4Q")


def test_unknown_dcid_is_still_an_announcement() -> None:
    dcid = "11111111-2222-3333-4444-555555555555"
    announcement = parse_announcement(attr_reply(dcid.lower()))
    assert announcement == Announcement(dcid, None)


def test_non_rfc_payload_falls_back_to_a_text_search() -> None:
    payload = b"garbage(csl-esta.dmp=cd:" + ULXD4Q.encode() + b")"
    assert parse_announcement(payload) == Announcement(ULXD4Q, "ULXD4Q")
    # A header that claims a wrong length is not trusted, but the DCID is still found.
    broken = bytearray(attr_reply(ULXD4Q))
    broken[4] ^= 0xFF
    assert parse_announcement(bytes(broken)) == Announcement(ULXD4Q, "ULXD4Q")


def test_attribute_length_beyond_the_packet_is_not_trusted() -> None:
    packet = bytearray(attr_reply(ULXD4Q))
    attr_length_at = 14 + 2 + 2  # header, "en", error code
    packet[attr_length_at : attr_length_at + 2] = (0xFFFF).to_bytes(2)
    assert parse_announcement(bytes(packet)) == Announcement(ULXD4Q, "ULXD4Q")


def test_no_dcid() -> None:
    assert parse_announcement(attr_reply("not-a-guid")) is None
    assert parse_announcement(b"") is None
    assert parse_announcement(b"\x02\x07" + b"\x00" * 40) is None
    assert parse_announcement(b"cd:" + ULXD4Q.encode() + b"x" * 5000) is None


def test_known_dcids_are_receivers() -> None:
    assert set(KNOWN_DCIDS.values()) == {
        "ULXD4", "ULXD4D", "ULXD4Q", "QLXD4", "AD4D", "AD4Q", "UR4S", "UR4D", "P10T",
    }  # fmt: skip
