"""Framing of Audio-Technica's networked-wireless control protocol (TCP 17200, UDP 17000).

What the sources agree on (research §5; Bitfocus Companion modules for ESW and System 20 PRO;
ai4av.net command pages): ASCII, space-delimited, CR-terminated lines of at most 287 bytes;
a command is ``<cmd> <handshake> <modelId> <unit> <continue> <params>``; the device answers
``ACK``, ``NAK ... <code>`` or an answer line whose fifth space-separated field is a
comma-separated parameter list (first value = channel for per-channel commands).

Where the sources are silent the parser is tolerant rather than exact [unverified]:

- an answer may or may not repeat the handshake letter, so the parameters are whatever follows
  the continue-select token (``NC``; ``CS``/``CM``/``CE`` for divided messages), falling back to
  the fifth field;
- a notification is the same line with an ``n`` command prefix (``nmyname``); one stray leading
  token (an ``MD``-style tag seen in one third-party summary) is skipped;
- a NAK's code is its last numeric token, and its command name, when present, is the token
  after ``NAK``.

Everything here is pure: no I/O, so every rule is unit-tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
import re

TERMINATOR = b"\r"
#: The ESW spec allows 287 bytes per message; anything much longer is not a message.
MAX_LINE_BYTES = 1024
DEFAULT_MODEL_ID = "0000"
UNIT_NUMBER = "00"
NOT_CONTINUED = "NC"
CONTINUE_TOKENS = frozenset({"NC", "CS", "CM", "CE"})
HANDSHAKE_GET = "O"

_COMMAND = re.compile(r"^[a-z][a-z0-9]{1,31}$")
_NUMBER = re.compile(r"^\d{1,3}$")
#: Header fields after the command: handshake (only in some answers), model id, unit, continue.
_MAX_HEADER_FIELDS = 4
#: Research §5: "the 5th space-separated field is the parameter list".
_PARAMS_FIELD = 4


class NakCode(IntEnum):
    """NAK codes of the protocol (research §5)."""

    GRAMMAR = 1
    INVALID_COMMAND = 2
    DIVIDED_TRANSMISSION = 3
    PARAMETER = 4
    TRANSMIT_TIMEOUT = 5
    BUSY = 90
    BUSY_SAFE_MODE = 92
    BUSY_EXTENSION = 93
    OTHER = 99


#: "Busy" codes: the device is alive but cannot answer now; ask again later.
BUSY_CODES = frozenset({NakCode.BUSY, NakCode.BUSY_SAFE_MODE, NakCode.BUSY_EXTENSION})

NAK_DESCRIPTIONS: dict[int, str] = {
    NakCode.GRAMMAR: "grammar/syntax error",
    NakCode.INVALID_COMMAND: "invalid command (not supported by this model)",
    NakCode.DIVIDED_TRANSMISSION: "divided transmission error",
    NakCode.PARAMETER: "parameter error",
    NakCode.TRANSMIT_TIMEOUT: "transmit timeout inside the device",
    NakCode.BUSY: "busy",
    NakCode.BUSY_SAFE_MODE: "busy (safe mode)",
    NakCode.BUSY_EXTENSION: "busy (extension)",
    NakCode.OTHER: "other error",
}


def describe_nak(code: int | None) -> str:
    """Human text for a NAK code, for logs and error messages."""
    if code is None:
        return "NAK without a code"
    return f"NAK {code}: {NAK_DESCRIPTIONS.get(code, 'unknown code')}"


@dataclass(frozen=True, slots=True)
class Answer:
    """A data line: the answer to a get, or (``n`` prefix) a notification."""

    command: str
    params: tuple[str, ...]

    @property
    def is_notification(self) -> bool:
        """Unsolicited status-change notice rather than an answer."""
        return self.command.startswith("n")

    @property
    def get_command(self) -> str:
        """The get command this line carries data for (``nlevelrf`` -> ``glevelrf``)."""
        return "g" + self.command[1:] if self.is_notification else self.command


@dataclass(frozen=True, slots=True)
class Ack:
    """The device accepted a command that returns no data."""

    command: str | None


@dataclass(frozen=True, slots=True)
class Nak:
    """The device refused a command."""

    command: str | None
    code: int | None


type Message = Answer | Ack | Nak


def build_command(
    command: str, *params: int | str, model_id: str = DEFAULT_MODEL_ID, handshake: str = "O"
) -> bytes:
    r"""Encode one command line, e.g. ``glevelbatttx O 0000 00 NC 1\r``.

    Without parameters the line ends at the continue field, as in ``gmymodel O 0000 00 NC``.
    Parameters are comma-separated; this client only sends numeric ones.
    """
    if not _COMMAND.match(command):
        raise ValueError(f"not a command name: {command!r}")
    fields = [command, handshake, model_id, UNIT_NUMBER, NOT_CONTINUED]
    if params:
        fields.append(",".join(str(param) for param in params))
    return " ".join(fields).encode("ascii") + TERMINATOR


def tokenize(line: str) -> list[str]:
    """Split on spaces outside double quotes (names may contain spaces)."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
            current.append(char)
        elif char == " " and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def split_params(text: str) -> tuple[str, ...]:
    """Split a parameter list on commas outside quotes and drop the quotes."""
    if not text:
        return ()
    values: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            values.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    values.append("".join(current).strip())
    return tuple(values)


def parse_line(line: str) -> Message | None:
    """Parse one line (without its CR); ``None`` for anything that is not a message."""
    tokens = tokenize(line.strip())
    if not tokens:
        return None
    head = tokens[0]
    if head in {"ACK", "NAK"}:
        command = next(iter(t for t in tokens[1:2] if _COMMAND.match(t)), None)
        if head == "ACK":
            return Ack(command)
        numbers = [int(token) for token in tokens[1:] if _NUMBER.match(token)]
        return Nak(command, numbers[-1] if numbers else None)
    if not _COMMAND.match(head):
        # Tolerate one leading tag before the command name (see the module docstring).
        tokens = tokens[1:]
        if not tokens or not _COMMAND.match(tokens[0]):
            return None
        head = tokens[0]
    rest = tokens[1:]
    for index, token in enumerate(rest[:_MAX_HEADER_FIELDS]):
        if token in CONTINUE_TOKENS:
            return Answer(head, split_params(" ".join(rest[index + 1 :])))
    if len(tokens) > _PARAMS_FIELD:
        return Answer(head, split_params(" ".join(tokens[_PARAMS_FIELD:])))
    return None


def decode(raw: bytes) -> str:
    """Bytes of one line to text; a device sends ASCII, anything else shows as replacement."""
    return raw.decode("ascii", errors="replace").strip("\r\n\x00 ")
