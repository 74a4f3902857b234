"""Serve the Micboard card and load it into every dashboard, with no manual resource step.

The card is plain JavaScript in ``frontend/`` (no build step, nothing fetched at run time).
It is served under a path that contains a hash of its files, so browsers may cache it for
good and still pick up a new version the moment the integration is updated; relative module
imports inside the folder resolve under the same versioned path.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant

from .const import LOGGER

FRONTEND_DIR: Final = Path(__file__).parent / "frontend"
URL_BASE: Final = "/micboard_frontend"
CARD_MODULE: Final = "micboard-card.js"


def frontend_version(folder: Path = FRONTEND_DIR) -> str:
    """Short hash of every file of the card: changes whenever any of them does."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def card_url(version: str) -> str:
    """URL of the card's entry module for a given version."""
    return f"{URL_BASE}/{version}/{CARD_MODULE}"


async def async_register_card(hass: HomeAssistant) -> str | None:
    """Serve ``frontend/`` and add the card module to the frontend; return its URL.

    Without the frontend (a headless instance) there is no dashboard to add it to.
    """
    if "frontend" not in hass.config.components or hass.http is None:
        LOGGER.debug("Frontend not loaded; the Micboard card is not registered")
        return None
    version = await hass.async_add_executor_job(frontend_version)
    await hass.http.async_register_static_paths(
        [StaticPathConfig(f"{URL_BASE}/{version}", str(FRONTEND_DIR), cache_headers=True)]
    )
    url = card_url(version)
    add_extra_js_url(hass, url)
    return url
