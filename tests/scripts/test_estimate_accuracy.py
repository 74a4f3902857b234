"""scripts/estimate_accuracy: the Demo rack validation of the runtime estimate runs and holds."""

from __future__ import annotations

from importlib.machinery import SourceFileLoader
import importlib.util
import sys
from types import ModuleType

from custom_components.micboard.plugins.runtime_estimate import Confidence, ReadingSource
from tests.support import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "estimate_accuracy.py"


def _load() -> ModuleType:
    loader = SourceFileLoader("estimate_accuracy", str(SCRIPT))
    spec = importlib.util.spec_from_loader("estimate_accuracy", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it runs
    loader.exec_module(module)
    return module


estimate_accuracy = _load()


def test_small_rack_estimates_match_the_simulated_drain() -> None:
    """Once a rate is measured, the estimate is within a minute of the simulation's truth."""
    samples = estimate_accuracy.run_rack(seed=3, receivers=4, minutes=25.0, tick=1.0)
    measured = [s for s in samples if s.confidence is not Confidence.LOW]
    assert {s.source for s in measured} == {ReadingSource.BARS, ReadingSource.PERCENT}
    assert {s.checkpoint for s in samples} == {5.0, 10.0, 20.0}
    assert max(abs(s.error) for s in measured) < 1.0
    rows = estimate_accuracy.table(samples)
    assert rows[0].startswith("| Pack | Reading |")
    assert any(row.startswith("| Alkaline AA | bars |") for row in rows)
    assert any(row.startswith("| Li-ion pack | percent |") for row in rows)
