"""Shure SLP announcements: which datagram names a device, and which model its DCID hints at.

Shure devices multicast SLPv2 (RFC 2608) Attribute Replies for service type ``acn.esta`` to
239.255.254.253:8427; the attribute list carries ``(csl-esta.dmp=…cd:<DCID>)``, a GUID that
Shure's DCID map turns into a model. Micboard reads it by searching the payload for ``cd:``;
this parser reads the SLP header properly when it can and falls back to the same search when a
device's packet does not look the way RFC 2608 says, because the address and DCID are all that
matter and the device is probed on port 2202 before anything is offered to the user anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
import re

SLP_GROUP = "239.255.254.253"
SLP_PORT = 8427
SLP_VERSION = 2
FUNCTION_ATTR_REPLY = 7
#: Version, function, length(3), flags(2), next-extension offset(3), XID(2), language length(2).
_HEADER = 14
_MAX_DATAGRAM = 4096

_DCID = re.compile(
    r"cd:([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
)

#: DCIDs of supported receivers that the research notes list (from Micboard's dcid.json, which
#: is Shure's DCIDMap.xml): only a hint for the discovery card. Devices with a DCID not listed
#: here are still probed, so other bands and newer models are found too.
KNOWN_DCIDS: dict[str, str] = {
    "040688F8-FD5A-11E3-81EF-0015C5F3F612": "ULXD4",
    "0406C584-FD5A-11E3-AD62-0015C5F3F612": "ULXD4D",
    "0407257E-FD5A-11E3-A21F-0015C5F3F612": "ULXD4Q",
    "0405BFCC-FD5A-11E3-BEEE-0015C5F3F612": "QLXD4",
    "042D1C02-FD5A-11E3-B298-0015C5F3F612": "AD4D",
    "042D5A00-FD5A-11E3-A553-0015C5F3F612": "AD4Q",
    "CCB8A40C-E139-11DF-94A5-0015C5F3F612": "UR4S",
    "CCB8DB5C-E139-11DF-8A4C-0015C5F3F612": "UR4D",
    "041382D8-FD5A-11E3-A8AA-0015C5F3F612": "P10T",
}


@dataclass(frozen=True, slots=True)
class Announcement:
    """A Shure device announcing itself."""

    dcid: str
    model_hint: str | None


def parse_announcement(payload: bytes) -> Announcement | None:
    """The DCID of an SLP datagram, or ``None`` if it carries none (or is not SLP at all)."""
    if len(payload) > _MAX_DATAGRAM:
        return None
    match = _DCID.search(_attribute_text(payload))
    if match is None:
        return None
    dcid = match.group(1).upper()
    return Announcement(dcid=dcid, model_hint=KNOWN_DCIDS.get(dcid))


def _attribute_text(payload: bytes) -> str:
    """The attribute list of an SLPv2 Attribute Reply, else the whole payload as text."""
    if len(payload) >= _HEADER and payload[0] == SLP_VERSION and payload[1] == FUNCTION_ATTR_REPLY:
        length = int.from_bytes(payload[2:5])
        language = int.from_bytes(payload[12:14])
        body = _HEADER + language
        if length == len(payload) and body + 4 <= length:
            attr_length = int.from_bytes(payload[body + 2 : body + 4])
            start = body + 4
            if start + attr_length <= length:
                return payload[start : start + attr_length].decode("utf-8", "replace")
    return payload.decode("latin-1")
