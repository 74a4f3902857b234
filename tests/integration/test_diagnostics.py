"""Diagnostics: the whole model and connection health, with secrets redacted."""

from __future__ import annotations

import json

from homeassistant.const import CONF_API_KEY, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.micboard.const import DOMAIN
from tests.integration.common import setup_entry
from tests.integration.entries import demo_entry

VOLATILE = props("since", "last_message_at", "messages_received")


@pytest.mark.usefixtures("frozen_demo")
async def test_entry_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, snapshot: SnapshotAssertion
) -> None:
    entry = demo_entry(receivers=1, channels=1)
    # Secrets a real protocol stores in entry.data must never reach a download.
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_PASSWORD: "hunter2", CONF_API_KEY: "k-123"}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(result)
    assert "hunter2" not in text
    assert "k-123" not in text
    assert result["entry"]["data"][CONF_PASSWORD] == "**REDACTED**"
    assert result == snapshot(exclude=VOLATILE)


@pytest.mark.usefixtures("frozen_demo")
async def test_device_diagnostics(hass: HomeAssistant, hass_client: ClientSessionGenerator) -> None:
    entry = demo_entry(receivers=1, channels=2)
    await setup_entry(hass, entry)
    registry = dr.async_get(hass)
    receiver = registry.async_get_device_by_identifier(
        (DOMAIN, "demo_test_rack_rx01"), entry.entry_id
    )
    channel = registry.async_get_child_device_by_identifier(
        (DOMAIN, "demo_test_rack_rx01-ch2"), entry.entry_id
    )
    assert receiver is not None
    assert channel is not None
    result = await get_diagnostics_for_device(hass, hass_client, entry, receiver)
    assert result["receiver"]["id"] == "demo_test_rack_rx01"
    assert set(result["receiver"]["channels"]) == {"1", "2"}
    result = await get_diagnostics_for_device(hass, hass_client, entry, channel)
    assert result["channel"]["index"] == 2
    assert result["channel"]["name"] == "Pastor"
