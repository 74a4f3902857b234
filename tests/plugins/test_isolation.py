"""The plugin package is a standalone library: nothing under plugins/ may import Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import REPO_ROOT

PLUGINS = REPO_ROOT / "custom_components" / "micboard" / "plugins"


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_plugins_do_not_import_homeassistant() -> None:
    files = sorted(PLUGINS.rglob("*.py"))
    assert files, "no plugin modules found"
    offenders = {
        str(path.relative_to(PLUGINS)): sorted(
            module
            for module in _imported_modules(path)
            if module == "homeassistant" or module.startswith("homeassistant.")
        )
        for path in files
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_detector_sees_a_homeassistant_import(tmp_path: Path) -> None:
    """The check above would fail if a plugin did import Home Assistant."""
    sample = tmp_path / "bad.py"
    sample.write_text("import os\nfrom homeassistant.core import HomeAssistant\n")
    assert "homeassistant.core" in _imported_modules(sample)
