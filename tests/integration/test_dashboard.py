"""The card is served by the integration and added to the frontend without a manual step."""

from __future__ import annotations

from pathlib import Path

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.micboard.const import DOMAIN
from custom_components.micboard.dashboard import (
    FRONTEND_DIR,
    async_register_card,
    card_url,
    frontend_version,
)
from tests.integration.common import setup_entry
from tests.integration.entries import demo_entry


@pytest.mark.usefixtures("frozen_demo")
async def test_card_is_registered_and_served(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    assert await async_setup_component(hass, "frontend", {})
    await setup_entry(hass, demo_entry())
    url = card_url(frontend_version())
    assert url in hass.data[DATA_EXTRA_MODULE_URL].urls

    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    body = await response.text()
    assert 'customElements.define("micboard-card"' in body
    assert "window.customCards" in body
    # Relative imports of the card resolve under the same versioned path.
    base = url.rsplit("/", 1)[0]
    for module in ("micboard-model.js", "micboard-styles.js", "micboard-card-editor.js"):
        response = await client.get(f"{base}/{module}")
        assert response.status == 200, module
    response = await client.get(f"{base}/missing.js")
    assert response.status == 404


async def test_no_frontend_no_card(hass: HomeAssistant) -> None:
    assert await async_register_card(hass) is None
    assert await async_setup_component(hass, DOMAIN, {})
    assert DATA_EXTRA_MODULE_URL not in hass.data


def test_version_follows_the_files(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("one")
    first = frontend_version(tmp_path)
    assert first == frontend_version(tmp_path)
    (tmp_path / "a.js").write_text("two")
    assert frontend_version(tmp_path) != first
    assert len(first) == 12
    assert (FRONTEND_DIR / "micboard-card.js").is_file()
