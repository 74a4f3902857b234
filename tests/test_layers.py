"""The test tree keeps its layers apart (read from the sources, nothing is imported).

* tests/plugins and tests/simulators, and tests/support that both use, import nothing of Home
  Assistant: not ``homeassistant``, not its test harness, not the integration's Home Assistant
  side (only ``custom_components.micboard.plugins``, the library), not ``tests.integration``.
* No module imports a test module or a conftest: fixtures come from conftest.py files, plain
  helpers from tests/support (all layers) and tests/integration/{common,entries}.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import REPO_ROOT

TESTS = REPO_ROOT / "tests"
HOME_ASSISTANT_FREE = ("plugins", "simulators", "support")


def _imports(source: str, package: tuple[str, ...]) -> set[str]:
    """Every module ``source`` imports, relative imports resolved against ``package``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join((*base, *([node.module] if node.module else [])))
            found.add(module)
            # "from tests.plugins import conftest" imports a module too
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _imports_of(path: Path) -> set[str]:
    return _imports(path.read_text(), path.relative_to(REPO_ROOT).with_suffix("").parts[:-1])


def _is_home_assistant(module: str) -> bool:
    top = module.split(".")
    if top[0] in {"homeassistant", "pytest_homeassistant_custom_component"}:
        return True
    if top[:2] == ["tests", "integration"]:
        return True
    return top[:2] == ["custom_components", "micboard"] and top[2:3] not in ([], ["plugins"])


def _is_test_module(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def _modules(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (TESTS / folder).rglob("*.py"))


@pytest.mark.parametrize("layer", HOME_ASSISTANT_FREE)
def test_layer_imports_nothing_of_home_assistant(layer: str) -> None:
    offenders = {
        str(path.relative_to(TESTS)): sorted(filter(_is_home_assistant, _imports_of(path)))
        for path in _modules(layer)
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_nothing_imports_a_test_module_or_a_conftest() -> None:
    offenders = {
        str(path.relative_to(TESTS)): sorted(filter(_is_test_module, _imports_of(path)))
        for path in sorted(TESTS.rglob("*.py"))
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_checks_see_what_they_look_for() -> None:
    """The two checks above would fail on the imports they forbid."""
    source = (
        "import homeassistant.core\n"
        "from custom_components.micboard.const import DOMAIN\n"
        "from custom_components.micboard.plugins.model import Feature\n"
        "from tests.integration.common import setup_entry\n"
        "from tests.plugins.shure import test_slp\n"
        "from . import conftest\n"
    )
    found = _imports(source, ("tests", "plugins"))
    assert sorted(filter(_is_home_assistant, found)) == [
        "custom_components.micboard.const",
        "custom_components.micboard.const.DOMAIN",
        "homeassistant.core",
        "tests.integration.common",
        "tests.integration.common.setup_entry",
    ]
    assert sorted(filter(_is_test_module, found)) == [
        "tests.plugins.conftest",
        "tests.plugins.shure.test_slp",
    ]
