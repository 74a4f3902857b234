"""Counting the work a parser does, to check it is linear without timing anything.

``executed_lines(function, *args)`` runs ``function`` and returns how many lines of the
integration's own code (``custom_components/micboard``) ran meanwhile, counted with
``sys.monitoring``: a deterministic measure of work, the same on a loaded or an idle machine.
Work done in C (``json``, ``bytes.split``) is not counted, but it is linear by design; what
these tests guard against is our own code rescanning its input.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import sys
from types import CodeType
from typing import Any

_OWN_CODE = str(Path(__file__).resolve().parents[2] / "custom_components" / "micboard")
_TOOL_ID = 4  # ids 0-2 and 5 are the debugger's, coverage's, the profiler's, the optimizer's


def executed_lines(function: Callable[..., Any], *args: Any) -> int:
    """Lines of the integration executed by ``function(*args)`` (its exceptions swallowed)."""
    monitoring = sys.monitoring
    count = 0

    def on_line(code: CodeType, _line: int) -> object:
        nonlocal count
        if code.co_filename.startswith(_OWN_CODE):
            count += 1
            return None
        return monitoring.DISABLE

    monitoring.use_tool_id(_TOOL_ID, "micboard-operations")
    try:
        monitoring.register_callback(_TOOL_ID, monitoring.events.LINE, on_line)
        monitoring.restart_events()
        monitoring.set_events(_TOOL_ID, monitoring.events.LINE)
        try:
            function(*args)
        except Exception:  # noqa: BLE001, S110  only the work done counts here
            pass
        finally:
            monitoring.set_events(_TOOL_ID, 0)
    finally:
        monitoring.register_callback(_TOOL_ID, monitoring.events.LINE, None)
        monitoring.free_tool_id(_TOOL_ID)
    return count


def assert_linear(work: Callable[[int], int], size: int) -> None:
    """``work(n)`` (operations for input of size n) grows at most linearly: n, 2n, 4n."""
    small, double, quadruple = work(size), work(2 * size), work(4 * size)
    assert double <= 2.2 * small + 50, (small, double)
    assert quadruple <= 2.2 * double + 50, (double, quadruple)
