"""The shared half of every protocol's fault matrix (``test_fault_matrix*.py``).

Each protocol drives its own simulator into a fault (killed, stalled, garbage, slow, another
unit at the address, credentials or certificate changed, Home Assistant restarted while the
device is away); what must hold afterwards is the same for all of them, so it is written once
here: what the user set up is kept, data entities go unavailable and come back, the log says
one thing per outage, and the reconnect schedule stays within "one attempt per 5 s".

Reconnect delays are *recorded* at their real values (the assertions are on the schedule) but
*slept* scaled down, so a row with an outage costs a fraction of a second, not the 1 to 5 s the
integration really waits: logic, not wall time, is what the tests check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
import logging

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    label_registry as lr,
)
import pytest

from custom_components.micboard.connection import BACKOFF_MAX_SECONDS, Backoff
from custom_components.micboard.coordinator import MicboardCoordinator

INTEGRATION_LOGGER = "custom_components.micboard"


@dataclass(frozen=True, slots=True)
class _DeviceSettings:
    name_by_user: str | None
    area_id: str | None


@dataclass(frozen=True, slots=True)
class _EntitySettings:
    entity_id: str
    name: str | None
    labels: frozenset[str]


@dataclass(slots=True)
class UserSettings:
    """What a user gave an entry's devices and entities, to check nothing of it is lost.

    Devices get a user name and an area, entities a user name and a label: the things a
    re-created device or entity would silently drop (and automations would stop matching).
    """

    entry_id: str
    devices: dict[str, _DeviceSettings] = field(default_factory=dict)
    entities: dict[str, _EntitySettings] = field(default_factory=dict)

    @classmethod
    async def apply(cls, hass: HomeAssistant, entry: ConfigEntry) -> UserSettings:
        """Name, place and label everything of ``entry``; remember what was set."""
        device_registry = dr.async_get(hass)
        entity_registry = er.async_get(hass)
        area = ar.async_get(hass).async_get_or_create("Stage left")
        label = lr.async_get(hass).async_create("Show critical")
        settings = cls(entry.entry_id)
        devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        assert devices, "the entry has no devices to protect"
        for number, device in enumerate(devices):
            name = f"User device {number}"
            device_registry.async_update_device(device.id, name_by_user=name, area_id=area.id)
            settings.devices[device.id] = _DeviceSettings(name, area.id)
        for number, entity in enumerate(
            er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        ):
            name = f"User entity {number}"
            entity_registry.async_update_entity(
                entity.entity_id, name=name, labels={label.label_id}
            )
            settings.entities[entity.id] = _EntitySettings(
                entity.entity_id, name, frozenset({label.label_id})
            )
        return settings

    def assert_kept(self, hass: HomeAssistant) -> None:
        """The same devices and entities (same registry ids), with the user's settings."""
        device_registry = dr.async_get(hass)
        entity_registry = er.async_get(hass)
        devices = {
            device.id: _DeviceSettings(device.name_by_user, device.area_id)
            for device in dr.async_entries_for_config_entry(device_registry, self.entry_id)
        }
        assert devices == self.devices
        entities = {
            entity.id: _EntitySettings(entity.entity_id, entity.name, frozenset(entity.labels))
            for entity in er.async_entries_for_config_entry(entity_registry, self.entry_id)
        }
        assert entities == self.entities


def loud_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The integration's log lines at WARNING or above (what a user is bothered with)."""
    return _lines(caplog, logging.WARNING)


def caplog_lines_at_info(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The integration's log lines at INFO or above (Home Assistant's default log level)."""
    return _lines(caplog, logging.INFO)


def _lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(INTEGRATION_LOGGER) and record.levelno >= level
    ]


def data_entities(hass: HomeAssistant, entry: ConfigEntry) -> list[str]:
    """Enabled entities of ``entry`` that carry device data.

    Diagnostic and configuration entities are left out: the connectivity and connection-state
    sensors stay available on purpose while a device is away (they say it is away).
    """
    return [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if entity.entity_category is None and entity.disabled_by is None
    ]


def _states(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, str | None]:
    found = {}
    for entity_id in data_entities(hass, entry):
        current = hass.states.get(entity_id)
        found[entity_id] = None if current is None else current.state
    return found


def all_unavailable(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Every data entity is unavailable (or, after a failed start, has no state at all)."""
    states = _states(hass, entry)
    return bool(states) and all(value in (None, STATE_UNAVAILABLE) for value in states.values())


def none_unavailable(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Every data entity has a state other than unavailable (data flows again)."""
    states = _states(hass, entry)
    return bool(states) and all(
        value is not None and value != STATE_UNAVAILABLE for value in states.values()
    )


async def restart_home_assistant(hass: HomeAssistant, entry: ConfigEntry) -> ConfigEntryState:
    """What a restart does to the entry: unload it, then set it up again from storage."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry.state


class RecordingBackoff(Backoff):
    """The coordinator's backoff, recording each scheduled delay and sleeping ``scale`` of it."""

    def __init__(self, scale: float) -> None:
        """Same schedule as the real one; only the sleep is shortened."""
        super().__init__()
        self.scale = scale
        self.delays: list[float] = []

    def next_delay(self) -> float:
        """Record the real delay, return the scaled one (what the listener loop sleeps)."""
        delay = super().next_delay()
        self.delays.append(delay)
        return delay * self.scale


@contextmanager
def recorded_backoff(
    coordinator: MicboardCoordinator, scale: float = 0.02
) -> Iterator[RecordingBackoff]:
    """Swap in a :class:`RecordingBackoff` for the duration of a fault."""
    original = coordinator.backoff
    recording = RecordingBackoff(scale)
    coordinator.backoff = recording
    try:
        yield recording
    finally:
        coordinator.backoff = original


def recovery_delays(backoff: RecordingBackoff) -> list[float]:
    """The delays the listener scheduled while the device was away (real values, seconds)."""
    return list(backoff.delays)


def assert_retry_schedule(delays: list[float]) -> None:
    """At most one attempt per 5 s while away, and never a wait longer than 5 s.

    So data flows again within 5 s of the device answering, however long the outage was.
    """
    assert delays, "no reconnect was scheduled"
    assert all(0 < delay <= BACKOFF_MAX_SECONDS for delay in delays), delays
    assert all(delay == BACKOFF_MAX_SECONDS for delay in delays[1:]), delays
