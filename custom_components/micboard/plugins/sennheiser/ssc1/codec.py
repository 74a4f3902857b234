"""Sennheiser Sound Control (SSC v1) message codec: JSON address trees over UDP.

An SSC v1 message is a JSON object whose nesting spells OSC addresses: ``{"rx1":{"name":null}}``
is a GET of ``/rx1/name``, the device answers ``{"rx1":{"name":"VOX 1"}}``. Meta traffic lives
under ``osc``: errors (``{"osc":{"error":[400,{"desc":…}]}}`` for a rejected message,
``{"osc":{"error":[{"rx1":{"name":[404,{"desc":…}]}}]}}`` per address), subscriptions
(``{"osc":{"state":{"subscribe":[{"#":{…},<tree>}]}}}``) and transaction ids.

Devices bundle several replies into one object and then repeat the ``osc`` key (the SpeechLine
guide shows ``{"osc":{"xid":1},"osc":{"state":…}}``), so duplicate keys are merged here instead
of the last one silently winning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
import json
import math
from typing import Any, Final, TypeIs

type Path = tuple[str, ...]

#: Largest datagram accepted (a UDP payload cannot be larger; anything near it is garbage).
MAX_DATAGRAM: Final = 65507
#: Deepest address tree accepted; real trees are 5 levels deep.
MAX_DEPTH: Final = 16
#: Most brackets a datagram may hold: a full 4-channel answer has under 200. Checked before
#: parsing (at C speed), so a datagram of ``[`` x 60,000 costs a byte count, not a parse.
MAX_BRACKETS: Final = 2048
#: Longest integer literal accepted. A device value fits in 64 bits (20 digits); a longer
#: one is garbage, and turning it into a float later would raise ``OverflowError``.
MAX_INT_DIGITS: Final = 20

# Error codes named in the SSC guides (SpeechLine DW TOC, EW-DX guide, D6000 errors list).
OK: Final = 200
SUBSCRIPTION_ENDED: Final = 310  # a subscription's lifetime or count ran out
NOT_UNDERSTOOD: Final = 400  # the whole message was rejected (bad JSON, one bad address...)
ADDRESS_NOT_FOUND: Final = 404
LOCKED: Final = 423
FAILED_DEPENDENCY: Final = 424  # EW-DX: "TX is not present or doesn't send valid information"
ANSWER_TOO_LONG: Final = 450
PARAMETER_NOT_FOUND: Final = 454
SERVER_ERROR: Final = 500
NOT_IMPLEMENTED: Final = 501
UNAVAILABLE: Final = 503

#: Codes meaning "this device has no such address": drop the address for good.
UNKNOWN_ADDRESS_CODES: Final = frozenset({ADDRESS_NOT_FOUND, PARAMETER_NOT_FOUND, NOT_IMPLEMENTED})
#: Codes meaning "ask again for fewer addresses at a time".
SPLIT_CODES: Final = frozenset({NOT_UNDERSTOOD, ANSWER_TOO_LONG})


class SscDecodeError(ValueError):
    """A datagram that is not an SSC message (garbage, truncated, oversized, too deep)."""


@dataclass(frozen=True, slots=True)
class SscError:
    """An error the device reported for one address (stands in for its value)."""

    code: int

    def __str__(self) -> str:
        """E.g. ``error 424``."""
        return f"error {self.code}"


@dataclass(slots=True)
class SscMessage:
    """One decoded datagram, split into what the client needs."""

    values: dict[Path, Any] = field(default_factory=dict)
    errors: dict[Path, int] = field(default_factory=dict)
    message_error: int | None = None  # the whole message was rejected with this code
    subscribe_ack: bool = False
    xid: int | None = None

    @property
    def covered(self) -> set[Path]:
        """Addresses this message answers (with a value or an error)."""
        return set(self.values) | set(self.errors)


def _is_code(value: object) -> TypeIs[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _merge(target: dict[str, Any], key: str, value: Any) -> None:
    current = target.get(key)
    if isinstance(current, dict) and isinstance(value, dict):
        for sub_key, sub_value in value.items():
            _merge(current, sub_key, sub_value)
    else:
        target[key] = value


def _merge_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        _merge(result, key, value)
    return result


def flatten(
    tree: Mapping[str, Any], prefix: Path = (), depth: int = 0
) -> Iterator[tuple[Path, Any]]:
    """Yield (address, leaf) pairs of an address tree; a leaf is anything but an object."""
    if depth > MAX_DEPTH:
        raise SscDecodeError("address tree too deep")
    for key, value in tree.items():
        path = (*prefix, str(key))
        if isinstance(value, dict):
            yield from flatten(value, path, depth + 1)
        else:
            yield path, value


def build_tree(items: Iterable[tuple[Path, Any]]) -> dict[str, Any]:
    """Nest (address, value) pairs into an SSC address tree."""
    root: dict[str, Any] = {}
    for path, value in items:
        node = root
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return root


def _error_code(leaf: Any) -> int | None:
    if _is_code(leaf):
        return int(leaf)
    if isinstance(leaf, list) and leaf and _is_code(leaf[0]):
        return int(leaf[0])
    return None


def _decode_errors(raw: Any, message: SscMessage) -> None:
    items = raw if isinstance(raw, list) else [raw]
    if items and _is_code(items[0]):
        message.message_error = int(items[0])
        return
    for item in items:
        if not isinstance(item, dict):
            raise SscDecodeError(f"unexpected error entry {item!r:.80}")
        for path, leaf in flatten(item):
            code = _error_code(leaf)
            if code is None:
                raise SscDecodeError(f"unexpected error leaf {leaf!r:.80}")
            message.errors[path] = code


def _decode_osc(osc: Any, message: SscMessage) -> None:
    if not isinstance(osc, dict):
        raise SscDecodeError("osc is not an object")
    if "error" in osc:
        _decode_errors(osc["error"], message)
    xid = osc.get("xid")
    if _is_code(xid):
        message.xid = int(xid)
    state = osc.get("state")
    if isinstance(state, dict) and "subscribe" in state:
        message.subscribe_ack = True
        trees = state["subscribe"]
        for tree in trees if isinstance(trees, list) else [trees]:
            if not isinstance(tree, dict):
                continue
            # An ack may carry the initial values (CHG example) or just echo the nulls.
            for path, leaf in flatten({k: v for k, v in tree.items() if k != "#"}):
                if leaf is not None:
                    message.values[path] = leaf


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise SscDecodeError(f"integer of {len(text)} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: JSON has no infinities
        raise SscDecodeError(f"number {text[:24]} is out of range")
    return value


def _parse_constant(text: str) -> float:
    raise SscDecodeError(f"{text} is not JSON")


def decode(data: bytes) -> SscMessage:
    """Decode one datagram; raise :class:`SscDecodeError` for anything that is not SSC.

    Every leaf that comes out is a JSON value Python handles safely: integers of at most
    :data:`MAX_INT_DIGITS` digits, finite floats, strings, booleans, ``None`` or lists of
    those; nesting is bounded before the parser sees it.
    """
    if len(data) > MAX_DATAGRAM:
        raise SscDecodeError(f"datagram of {len(data)} bytes is too large")
    if data.count(b"[") + data.count(b"{") > MAX_BRACKETS:
        raise SscDecodeError("too many nested objects or lists")
    try:
        text = data.decode("utf-8").strip().rstrip("\x00")
        document = json.loads(
            text,
            object_pairs_hook=_merge_pairs,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except SscDecodeError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise SscDecodeError(f"not JSON: {err}") from err
    if not isinstance(document, dict):
        raise SscDecodeError("top level is not an object")
    message = SscMessage()
    for key, value in document.items():
        if key == "osc":
            _decode_osc(value, message)
        elif isinstance(value, dict):
            message.values.update(flatten(value, (key,), 1))
        else:
            message.values[(key,)] = value
    return message


def _encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def encode_get(paths: Iterable[Path]) -> bytes:
    """A GET: the addresses with ``null`` leaves, in order.

    A device rejecting the message names the first address it lacks, so ``rx1``… before
    ``rx5`` tells where the channels end.
    """
    return _encode(build_tree((path, None) for path in sorted(paths)))


def encode_set(values: Mapping[Path, Any]) -> bytes:
    """A SET: the addresses with their new values."""
    return _encode(build_tree(values.items()))


def encode_subscribe(groups: Iterable[tuple[Mapping[str, Any], Iterable[Path]]]) -> bytes:
    """One subscribe message holding one tree per (parameters, addresses) group."""
    trees = [
        {"#": dict(params), **build_tree((path, None) for path in paths)}
        for params, paths in groups
    ]
    return _encode({"osc": {"state": {"subscribe": trees}}})


def path_text(path: Path) -> str:
    """OSC form of an address, for logs: ``/rx1/name``."""
    return "/" + "/".join(path)
