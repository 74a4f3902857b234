"""Every value a protocol reads reaches the model through its plugin's value gate.

The gate (``plugins/validate.py``) is where family ranges, name cleaning and the rejected-values
counter live; a plugin that wrote the model directly would bypass all three without any test of
its own noticing. So the rule is checked on the source: only the model and the gate may call
``apply_values``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import REPO_ROOT

PLUGINS = REPO_ROOT / "custom_components/micboard/plugins"
ALLOWED = {PLUGINS / "model.py", PLUGINS / "validate.py"}


def _uses_apply_values(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Name) and node.id == "apply_values")
        or (isinstance(node, ast.Attribute) and node.attr == "apply_values")
        or (
            isinstance(node, ast.ImportFrom)
            and any(alias.name == "apply_values" for alias in node.names)
        )
    ]


def test_only_the_gate_writes_the_model() -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in sorted(PLUGINS.rglob("*.py"))
        if path not in ALLOWED and (lines := _uses_apply_values(path))
    }
    assert offenders == {}


def test_the_check_sees_a_direct_write(tmp_path: Path) -> None:
    sample = tmp_path / "plugin.py"
    sample.write_text("from ..model import apply_values\napply_values(channel, {})\n")
    assert _uses_apply_values(sample) == [1, 2]
