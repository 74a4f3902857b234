"""Run a real Home Assistant in this process, with this repository's integration."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import tempfile
import time
from typing import Any

from homeassistant import bootstrap, core, loader
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.helpers import entity_registry as er

REPO = Path(__file__).resolve().parent.parent


async def start_hass() -> core.HomeAssistant:
    """A minimal Home Assistant (core, no frontend, no recorder) with a temp config dir.

    The recorder is left out on purpose: what it would store is exactly the state_changed
    events, which the benchmark counts; writing them to SQLite would only add noise.
    """
    config_dir = Path(tempfile.mkdtemp(prefix="micboard-bench-"))
    (config_dir / "custom_components").mkdir()
    link = config_dir / "custom_components" / "micboard"
    link.symlink_to(REPO / "custom_components" / "micboard")
    hass = core.HomeAssistant(str(config_dir))
    loader.async_setup(hass)
    hass.config.skip_pip = True
    await bootstrap.async_from_config_dict({"homeassistant": {}}, hass)
    await hass.async_start()
    return hass


def config_entry(title: str, data: dict[str, Any], unique_id: str) -> ConfigEntry:
    """A config entry as the config flow would create it."""
    return ConfigEntry(
        domain="micboard",
        title=title,
        data=data,
        options={},
        source="user",
        unique_id=unique_id,
        version=1,
        minor_version=1,
        discovery_keys={},  # type: ignore[arg-type]
        subentries_data=None,
    )


async def add_entries_and_wait(
    hass: core.HomeAssistant, entries: list[ConfigEntry], limit: float = 120.0
) -> float:
    """Add entries at once; seconds until every enabled entity of them has a live state."""
    started = time.monotonic()
    await asyncio.gather(*(hass.config_entries.async_add(entry) for entry in entries))
    failed = [entry.title for entry in entries if entry.state is not ConfigEntryState.LOADED]
    if failed:
        raise RuntimeError(f"entries failed to set up: {failed}")
    done: set[str] = set()
    while not _all_entities_live(hass, entries, done):
        if time.monotonic() - started > limit:
            raise TimeoutError("entities did not all get a state")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def setup_entries_and_wait(
    hass: core.HomeAssistant, entries: list[ConfigEntry], limit: float = 120.0
) -> float:
    """Set unloaded entries up again: seconds until every entity is live again.

    This is what a Home Assistant restart costs once devices and entities are registered
    (the first set-up also creates all registry entries).
    """
    started = time.monotonic()
    await asyncio.gather(*(hass.config_entries.async_setup(e.entry_id) for e in entries))
    done: set[str] = set()
    while not _all_entities_live(hass, entries, done):
        if time.monotonic() - started > limit:
            raise TimeoutError("entities did not all get a state after the reload")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def _all_entities_live(
    hass: core.HomeAssistant, entries: list[ConfigEntry], done: set[str] | None = None
) -> bool:
    """Whether every enabled entity of the entries has a live state.

    ``done`` remembers the entries already found live, so polling a hundred entries does not
    walk thousands of entities every time (the walk runs in the measured event loop).
    """
    registry = er.async_get(hass)
    done = set() if done is None else done
    for entry in entries:
        if entry.entry_id in done:
            continue
        entity_entries = er.async_entries_for_config_entry(registry, entry.entry_id)
        if not entity_entries:
            return False
        for entity_entry in entity_entries:
            if entity_entry.disabled_by is not None:
                continue
            state = hass.states.get(entity_entry.entity_id)
            if state is None or state.state == "unavailable":
                return False
        done.add(entry.entry_id)
    return True


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds() -> float:
    """CPU time (user + system) of this process, all threads.

    ``process_time`` reads the kernel's nanosecond clock; ``os.times`` counts 10 ms ticks,
    which in a 4-second window is a quarter of a percent of a core: too coarse for a
    per-message figure.
    """
    return time.process_time()


def load_average() -> float:
    """The machine's 1-minute load average (runnable processes, all cores together)."""
    return os.getloadavg()[0]


_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy since boot (not idle, not waiting)."""
    with Path("/proc/stat").open() as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice; guests are in user.
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / _TICKS


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of another process; 0 once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS
