"""JSON from a device, decoded so that no byte sequence can hurt the listener that reads it.

``json.loads`` raises more than ``ValueError`` on hostile input: deeply nested arrays
(``[`` x 200,000) raise :class:`RecursionError`, and a structure just shallow enough to parse
can still blow the stack of whatever walks it later (``repr`` in a log line, a mapper). A
body may also be far larger than any resource, or a number like ``1e999`` may come back as an
infinite float. :func:`decode_json` turns all of that into one plugin error,
:class:`MalformedJson`, whose message says what was wrong, so callers catch exactly that,
count the message as rejected and go on.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ..errors import ProtocolError

#: Deepest nesting kept. Every resource of the protocols here is a few levels deep; the
#: bound keeps any later walk of the value (a log line's ``repr``) far from the stack limit.
MAX_DEPTH: Final = 32
#: Default size bound of one JSON text (callers pass their protocol's own).
MAX_JSON_BYTES: Final = 1024 * 1024


class MalformedJson(ProtocolError):
    """A JSON text from the device that is not usable data; the message says why."""


def decode_json(raw: bytes | str, *, limit: int = MAX_JSON_BYTES, depth: int = MAX_DEPTH) -> Any:
    """The parsed value of ``raw``; :class:`MalformedJson` for anything else.

    Refused: more than ``limit`` bytes (characters for text), invalid UTF-8, invalid JSON,
    nesting deeper than ``depth``. ``NaN`` and infinities parse (Python's ``json`` accepts
    them); the value gate refuses them later as any other out-of-range number.
    """
    if len(raw) > limit:
        raise MalformedJson(f"{len(raw)} bytes of JSON, more than {limit}")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text)
    except UnicodeDecodeError as err:
        raise MalformedJson(f"not UTF-8 ({err.reason})") from None
    except RecursionError:
        raise MalformedJson("JSON nested too deeply to parse") from None
    except ValueError as err:
        raise MalformedJson(f"not JSON ({err})") from None
    if _may_nest_deeper(text, depth) and _depth_exceeds(value, depth):
        raise MalformedJson(f"JSON nested deeper than {depth} levels")
    return value


def _may_nest_deeper(text: str, depth: int) -> bool:
    """Cheap precheck: fewer brackets than ``depth`` cannot nest ``depth`` deep."""
    return text.count("[") + text.count("{") > depth


def _depth_exceeds(value: Any, depth: int) -> bool:
    """Whether ``value`` nests containers more than ``depth`` deep (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > depth:
            return True
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return False
