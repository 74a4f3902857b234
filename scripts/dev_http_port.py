#!/usr/bin/env python3
"""Make the development instance listen on the port ``scripts/develop`` was given.

Since 2026.10 Home Assistant keeps its HTTP settings (port included) in ``.storage/http`` of the
configuration folder: the first start takes them from ``http:`` in YAML, or from the built-in
default, which the ``SETUP_PORT`` environment variable sets, and later starts use the stored
ones only (an ``http:`` block left in YAML is then ignored with a repair issue, and a changed one
is staged as a "pending" setting that reverts after five minutes unless confirmed in the UI).
So ``scripts/develop`` exports ``SETUP_PORT`` for a fresh folder and, for a used one, rewrites
the stored port with this script before Home Assistant starts; every other stored HTTP setting
is kept. Nothing tracked by git is touched: ``config/.storage`` is ignored.

Usage: ``dev_http_port.py CONFIG_DIR PORT``
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
from typing import Any

#: The store layout this script understands (Home Assistant's http store, version 2).
STORE_VERSION = 2
PORT_KEY = "server_port"
MAX_PORT = 65535


def set_port(config_dir: Path, port: int) -> str:
    """Set ``port`` in the stored HTTP settings; return what happened, for the caller to say.

    ``absent``: no store yet (the first start takes ``SETUP_PORT``); ``unchanged``: it already
    says ``port``; ``updated``: rewritten; ``unknown``: a layout this script does not know, left
    alone.
    """
    path = config_dir / ".storage" / "http"
    if not path.is_file():
        return "absent"
    store: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data = store.get("data")
    if store.get("version") != STORE_VERSION or not isinstance(data, dict):
        return "unknown"
    slots = [slot for slot in (data.get("stable"), data.get("pending")) if isinstance(slot, dict)]
    if not slots:
        return "unknown"
    if all(slot.get(PORT_KEY) == port for slot in slots):
        return "unchanged"
    for slot in slots:
        slot[PORT_KEY] = port
    # Written next to the store and renamed over it, as Home Assistant writes its own stores.
    temporary = path.with_name(f"{path.name}.develop")
    temporary.write_text(json.dumps(store, indent=4), encoding="utf-8")
    temporary.replace(path)
    return "updated"


def main(argv: list[str]) -> int:
    """Command line: check the arguments, set the port, say what was done."""
    if len(argv) != 2 or not argv[1].isdigit() or not 1 <= int(argv[1]) <= MAX_PORT:  # noqa: PLR2004
        print("usage: dev_http_port.py CONFIG_DIR PORT (1-65535)", file=sys.stderr)
        return 2
    config_dir, port = Path(argv[0]), int(argv[1])
    result = set_port(config_dir, port)
    if result == "updated":
        print(f"scripts/develop: stored HTTP port set to {port}")
    elif result == "unknown":
        print(
            f"scripts/develop: {config_dir / '.storage' / 'http'} has a layout this script does "
            "not know; the port stays what is stored there (delete that file to reset it)",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
