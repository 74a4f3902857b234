"""scripts/develop's port: written into Home Assistant's stored HTTP settings, nothing else."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "dev_http_port.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_http_port", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev_http_port = _load()


def _store(config: Path, data: Any, version: int = 2) -> Path:
    path = config / ".storage" / "http"
    path.parent.mkdir(parents=True)
    store = {"version": version, "minor_version": 2, "key": "http", "data": data}
    path.write_text(json.dumps(store, indent=4))
    return path


def _stable(port: int) -> dict[str, Any]:
    return {
        "server_port": port,
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "ip_ban_enabled": True,
        "created_at": "2026-12-02T09:00:00+00:00",
        "error": None,
    }


def test_fresh_folder_is_left_to_setup_port(tmp_path: Path) -> None:
    assert dev_http_port.set_port(tmp_path, 8200) == "absent"
    assert not (tmp_path / ".storage").exists()


def test_stored_port_is_rewritten_and_the_rest_kept(tmp_path: Path) -> None:
    pending = {**_stable(8123), "use_x_forwarded_for": True}
    path = _store(
        tmp_path, {"stable": _stable(8123), "pending": pending, "yaml_migration_done": True}
    )
    assert dev_http_port.set_port(tmp_path, 8200) == "updated"
    data = json.loads(path.read_text())["data"]
    assert data["stable"] == _stable(8200)
    assert data["pending"] == {**pending, "server_port": 8200}
    assert data["yaml_migration_done"] is True
    assert [p.name for p in path.parent.iterdir()] == ["http"]


def test_same_port_is_not_rewritten(tmp_path: Path) -> None:
    path = _store(tmp_path, {"stable": _stable(8200), "pending": None, "yaml_migration_done": True})
    before = path.read_text()
    path.write_text(before.replace("    ", "  "))  # a rewrite would restore four spaces
    assert dev_http_port.set_port(tmp_path, 8200) == "unchanged"
    assert path.read_text() == before.replace("    ", "  ")


@pytest.mark.parametrize(
    ("data", "version"),
    [
        ({"stable": _stable(8123), "pending": None}, 3),
        ({"stable": None, "pending": None}, 2),
        (["not", "a", "mapping"], 2),
    ],
)
def test_unknown_layout_is_left_alone(tmp_path: Path, data: Any, version: int) -> None:
    path = _store(tmp_path, data, version)
    before = path.read_text()
    assert dev_http_port.set_port(tmp_path, 8200) == "unknown"
    assert path.read_text() == before


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dev_http_port.main([str(tmp_path), "0"]) == 2
    assert dev_http_port.main([str(tmp_path), "http"]) == 2
    assert dev_http_port.main([str(tmp_path)]) == 2
    assert "usage" in capsys.readouterr().err

    assert dev_http_port.main([str(tmp_path), "8200"]) == 0
    assert capsys.readouterr().out == ""
    _store(tmp_path, {"stable": _stable(8123), "pending": None, "yaml_migration_done": True})
    assert dev_http_port.main([str(tmp_path), "8200"]) == 0
    assert capsys.readouterr().out == "scripts/develop: stored HTTP port set to 8200\n"
    (tmp_path / ".storage" / "http").write_text(json.dumps({"version": 9, "data": {}}))
    assert dev_http_port.main([str(tmp_path), "8200"]) == 0
    assert "layout this script does not know" in capsys.readouterr().err
