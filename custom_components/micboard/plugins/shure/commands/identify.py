"""Which Shure device answers at an address: family, model, channels and device id.

The user gives only a host. Devices do not agree on how to say what they are (an Axient says
``MODEL AD4Q-A``, a ULX-D may not answer ``MODEL`` at all, a PSM1000 replies ``REPORT`` and only
to CRLF-terminated commands, a UHF-R only over UDP), so the plugin sends a handful of harmless
GETs that cover every dialect and this module decides from whatever came back. Unknown
parameters are answered with ``REP ERR`` or with silence, both of which are fine here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re

from ...errors import (
    ProtocolError,
    UnsupportedDevice,
)
from ...validate import MAX_TEXT_LENGTH, clean_text
from .dialects import (
    PSM1000,
    QLXD,
    UHFR,
    ULXD,
    Dialect,
    default_model,
    family_for_model,
)
from .values import word

#: The most channels any supported receiver has (ULXD4Q, AD4Q, SLXD4Q+).
MAX_PROBE_CHANNELS = 4

#: GETs that together identify every TCP dialect. CRLF-terminated, because PSM1000 ignores
#: commands without it and the others accept it.
TCP_PROBE = (
    "GET DEVICE_ID",
    "GET MODEL",
    "GET FW_VER",
    "GET DEVICE_NAME",  # PSM1000's device name
    "GET 1 TX_TYPE",  # only ULX-D/QLX-D receivers know it: tells them from other Shure gear
    "GET 1 RF_INT_DET",  # ULX-D only: tells it from QLX-D
    "GET 1 AUDIO_MUTE",  # ULX-D (and AD) only
    *(f"GET {index} CHAN_NAME" for index in range(1, MAX_PROBE_CHANNELS + 1)),
)
#: UHF-R's GETs; DEVICE_ID is a guess [?] that costs nothing if it stays unanswered.
UDP_PROBE = ("GET MODEL_NAME", "GET DEVICE_ID", "GET 1 CHAN_NAME", "GET 2 CHAN_NAME")


class NotShureReceiver(ProtocolError):
    """Something answered at the address, but not with Shure command strings."""


#: How probe commands end over TCP: PSM1000 (and any unit or bridge that reads lines) needs it.
PROBE_TERMINATOR = "\r\n"


def encode_probe(commands: tuple[str, ...], transport: str) -> bytes:
    """The probe commands framed for ``transport`` (all in one write or one datagram each)."""
    if transport == "udp":
        return b"".join(f"* {command} *".encode("ascii") for command in commands)
    return b"".join(f"< {command} >{PROBE_TERMINATOR}".encode("ascii") for command in commands)


@dataclass(slots=True)
class ProbeReplies:
    """What came back to the probe, sorted by kind."""

    messages: int = 0
    errors: int = 0
    keywords: set[str] = field(default_factory=set)
    device: dict[str, str] = field(default_factory=dict)
    channels: dict[int, dict[str, str]] = field(default_factory=dict)

    def add(self, tokens: list[str]) -> None:
        """Record one tokenized message (anything at all counts as an answer)."""
        self.messages += 1
        if tokens:
            self.keywords.add(tokens[0])
        match tokens:
            case ["REP" | "REPORT", "ERR", *_] | ["REP" | "REPORT", _, "ERR", *_]:
                self.errors += 1
            case ["REP" | "REPORT", index, param, *value] if index.isdecimal():
                self.channels.setdefault(int(index), {})[param] = " ".join(value)
            case ["REP" | "REPORT", param, *value] if not param.isdecimal():
                self.device[param] = " ".join(value)

    @property
    def speaks_shure(self) -> bool:
        """Whether anything used the command-string grammar."""
        return bool(self.keywords & {"REP", "REPORT", "SAMPLE"})


@dataclass(frozen=True, slots=True)
class Identity:
    """A device as identified by probing."""

    dialect: Dialect
    model: str
    channels: tuple[int, ...]
    device_id: str | None  # the name the device gives itself (user-settable on the device)
    firmware: str | None
    host: str

    @property
    def unique_id(self) -> str:
        """Stable id: the device id; devices without one (UHF-R) fall back to model@host."""
        if self.device_id:
            return f"shure-{re.sub(r'\s+', '_', self.device_id)}"
        return f"shure-{self.model}@{self.host}"

    @property
    def name(self) -> str:
        """What to call the receiver: its device id, else model and address."""
        return self.device_id or f"{self.model} {self.host}"


def is_host_derived(unique_id: str) -> bool:
    """Whether a unique id is tied to an address (devices without a device id)."""
    return "@" in unique_id


def decide(replies: ProbeReplies, host: str, transport: str) -> Identity:
    """Turn probe replies into an identity, or say why the device cannot be monitored."""
    if not replies.speaks_shure:
        raise NotShureReceiver(f"{host} does not answer Shure command strings")
    device = replies.device
    model = _text(device.get("MODEL_NAME" if transport == "udp" else "MODEL", ""))
    dialect = _family(replies, model, transport)
    count = dialect.channel_count(model) or _answered_channels(replies, dialect)
    if count is None:
        raise UnsupportedDevice(f"{host} answered, but no receiver channel did")
    device_id = _text(device.get("DEVICE_ID", "")) or _text(device.get("DEVICE_NAME", ""))
    return Identity(
        dialect=dialect,
        model=model or default_model(dialect, count),
        channels=tuple(range(1, count + 1)),
        device_id=device_id,
        firmware=_text(device.get("FW_VER", "")),
        host=host,
    )


def _text(raw: str) -> str | None:
    """A name or model as the device sent it, fit to show and to build an id from."""
    return word(clean_text(raw, MAX_TEXT_LENGTH) or "")


def _family(replies: ProbeReplies, model: str | None, transport: str) -> Dialect:
    if model is not None:
        dialect = family_for_model(model)
        if dialect is None or (dialect is UHFR) != (transport == "udp"):
            raise UnsupportedDevice(f"model {model} is not supported")
        return dialect
    if transport == "udp":
        return UHFR
    if "REPORT" in replies.keywords:
        return PSM1000
    first = replies.channels.get(1, {})
    if "TX_TYPE" in first:
        tx_type = first["TX_TYPE"].upper()
        if tx_type.startswith("QLXD"):
            return QLXD
        if tx_type.startswith("ULXD") or "RF_INT_DET" in first or "AUDIO_MUTE" in first:
            return ULXD
        return QLXD
    raise UnsupportedDevice("the device speaks Shure command strings but is not a known receiver")


def _answered_channels(replies: ProbeReplies, dialect: Dialect) -> int | None:
    """Channel count from the channels that answered, rounded up to a real model's count."""
    answered = [index for index, params in replies.channels.items() if "CHAN_NAME" in params]
    if not answered:
        return None
    highest = max(answered)
    fitting = sorted(count for count in dialect.models.values() if count >= highest)
    return fitting[0] if fitting else highest
