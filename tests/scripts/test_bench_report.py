"""scripts/bench: figures of a busy machine are flagged, never published silently."""

from __future__ import annotations

import os
from typing import Any

from benchmarks.report import render
from benchmarks.scenario import BUSY_LOAD_PER_CORE, Window, _busy_reasons, _spread

CORES = os.cpu_count() or 1


def _window(kind: str, cpu: float = 0.003, *, load: float = 0.0, others: float = 0.0) -> Window:
    return Window(kind, cpu, others, load, 0, 10.0, {})


def _quiet_run() -> list[Window]:
    return [_window(kind) for kind in ("baseline", "with") * 3]


def test_a_quiet_machine_is_not_flagged() -> None:
    assert _busy_reasons(_quiet_run()) == []


def test_load_before_a_window_is_flagged() -> None:
    windows = _quiet_run()
    windows[3] = _window("with", load=(BUSY_LOAD_PER_CORE + 0.1) * CORES)
    reasons = _busy_reasons(windows)
    assert len(reasons) == 1
    assert "load average" in reasons[0]
    assert "1 of 6 windows" in reasons[0]


def test_other_processes_and_a_noisy_baseline_are_flagged() -> None:
    windows = _quiet_run()
    windows[1] = _window("with", others=1.2)
    windows[2] = _window("baseline", cpu=0.05)
    reasons = " / ".join(_busy_reasons(windows))
    assert "other processes used up to 1.20 cores" in reasons
    assert "idle baseline noisy" in reasons


def _result(busy: list[str]) -> dict[str, Any]:
    figure = _spread([1.0, 2.0, 3.0])
    return {
        "source": "shure",
        "mode": "default",
        "receivers": 10,
        "channels": 40,
        "rounds": 3,
        "entities_enabled": 380,
        "setup_seconds": 1.0,
        "restart_setup_seconds": figure,
        "cpu_baseline": figure,
        "cpu_integration_percent_core": figure,
        "integration_us_per_message": figure,
        "messages_per_second": 400.0,
        "state_writes_per_second": 2.0,
        "status_writes_per_second": 2.0,
        "meter_writes_per_entity_per_interval": None,
        "write_calls_per_second": 2.0,
        "latency_ms": {"count": 1, "p50": 1.0, "p99": 1.0, "max": 1.0},
        "rss_growth_mb": 10.0,
        "loop_turns": {
            "first_setup": {"max_callback_cpu_ms": 5.0, "max_gc_pause_ms": 9.0},
            "restart_setup": [{"max_callback_cpu_ms": 4.0}],
            "steady_max_cpu_ms": 1.0,
        },
        "windows": [w.as_dict() for w in _quiet_run()],
        "writes_per_second_by_key": {"status": 2.0},
        "busy": busy,
    }


def test_the_document_shows_median_and_spread_and_warns_when_busy() -> None:
    quiet = render([_result([])], "scripts/bench", 60.0)
    assert "LOADED MACHINE" not in quiet
    assert "| 2.0 % (1.0-3.0) |" in quiet  # median (lowest-highest)
    assert "| 5.0 / 4.0 / 1.0 / 9.0 |" in quiet  # longest callbacks, turn, GC pause
    busy = render([_result(["load average above 0.7 per core"])], "scripts/bench", 60.0)
    assert "LOADED MACHINE" in busy
    assert "| 10 ⚠ |" in busy
